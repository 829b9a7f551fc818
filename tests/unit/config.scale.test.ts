// Config validation must grow linearly with the stack: the work it does (address parses, the main
// operation of the rules) is counted, never timed. `npm run bench:plan` measures the time.
// The module object itself, not an import's namespace copy (whose properties cannot be spied on);
// the config code's own `import * as` reads through to it.
import ipaddr = require("ipaddr.js");

import { SECRET_KEYS } from "../../stacks/config/secrets";
import { parseStackConfig, rawConfigFromPulumi } from "../../stacks/config/stack";
import { scaleStackConfig } from "../support/scaleStack";

/** Every ipaddr.js parse the config code can call (the calls ipaddr makes inside count too, as work). */
const PARSERS: Array<[object, string]> = [
  [ipaddr, "parse"],
  [ipaddr, "parseCIDR"],
  [ipaddr, "isValid"],
  [ipaddr.IPv4, "parse"],
  [ipaddr.IPv4, "parseCIDR"],
  [ipaddr.IPv4, "isValid"],
  [ipaddr.IPv6, "parse"],
  [ipaddr.IPv6, "parseCIDR"],
  [ipaddr.IPv6, "isValid"],
];

/** Address parses of one validation of the generated stack with `n` guests. */
function parsesFor(n: number): number {
  const raw = rawConfigFromPulumi(scaleStackConfig(n), SECRET_KEYS);
  const spies = PARSERS.map(([o, k]) => jest.spyOn(o as Record<string, (...a: unknown[]) => unknown>, k));
  try {
    parseStackConfig(raw);
    return spies.reduce((sum, s) => sum + s.mock.calls.length, 0);
  } finally {
    for (const s of spies) s.mockRestore();
  }
}

describe("config validation at scale", () => {
  it("must accept the generated stack (so the counts below are of a full, successful validation)", () => {
    expect(parseStackConfig(rawConfigFromPulumi(scaleStackConfig(50), SECRET_KEYS)).guests).toHaveLength(56);
  });

  it("must parse addresses a number of times linear in guests, routes and firewall rules (doubling the stack at most doubles the parses)", () => {
    const base = parsesFor(0);
    const one = parsesFor(200) - base;
    const two = parsesFor(400) - base;
    expect(one).toBeGreaterThan(200);
    // Quadratic work (each guest's IPv6 compared with every earlier one) would make this about 4.
    expect(two / one).toBeLessThan(2.1);
  });
});

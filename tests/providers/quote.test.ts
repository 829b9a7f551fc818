import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { shellJoin, shellQuote } from "../../providers/ssh/quote";

describe("shellQuote", () => {
  const canaryDir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-quote-"));
  const canary = path.join(canaryDir, "pwned");
  afterAll(() => fs.rmSync(canaryDir, { recursive: true, force: true }));

  const hostile = [
    "/etc/haproxy/with space.cfg",
    "it's",
    "''",
    "'",
    `a"b`,
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `x; touch ${canary}`,
    `x && touch ${canary} #`,
    `line1\ntouch ${canary}\n`,
    `'; touch ${canary}; echo '`,
    "$HOME ${PATH} \\ * ? [a] ~ !",
    "",
    "tab\there",
    "ünïcödé ✓",
  ];

  it.each(hostile)("must pass %j to the shell as one literal word, running nothing", (value) => {
    const out = execFileSync("/bin/sh", ["-c", `printf '%s|' ${shellQuote(value)}`]).toString();
    expect(out).toBe(`${value}|`);
    expect(fs.existsSync(canary)).toBe(false);
  });

  it("must keep each value a separate word when joined", () => {
    const values = ["a b", "it's", "$(x)", ""];
    const out = execFileSync("/bin/sh", ["-c", `printf '<%s>' ${shellJoin(values)}`]).toString();
    expect(out).toBe("<a b><it's><$(x)><>");
  });

  it("must refuse a NUL byte instead of truncating", () => {
    expect(() => shellQuote("a\0b")).toThrow("NUL byte");
  });

  it("must wrap in single quotes and escape single quotes as '\\''", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

// No stack file may say that the tailnet cannot reach SSH (22) and the API (8006): that is the
// operator's only way in. Every case starts from the frozen fixture copy of Pulumi.neve.yaml and
// changes one thing; the real stack file is held to the policy as it is.

import { ConfigError, parseStackConfig } from "../../stacks/config";
import { tailnetAccessIssues } from "../../stacks/config/access";
import { stackConfigSchema } from "../../stacks/config/schema";
import { type Raw, REAL_STACK_FILE, rawConfig } from "../support/stacks";

const issuesOf = (mutate: (c: Raw) => void, file?: string) => {
  const raw = rawConfig(file);
  mutate(raw);
  return tailnetAccessIssues(stackConfigSchema.parse(raw)).map((i) => `${i.path}: ${i.message}`);
};
const ssh = (c: Raw) => c.firewall.rules[0];
const api = (c: Raw) => c.firewall.rules[1];

describe("the tailnet access predicate", () => {
  it("must hold for the real stack file", () => {
    expect(issuesOf(() => undefined, REAL_STACK_FILE)).toEqual([]);
  });

  const blocked: [string, (c: Raw) => void, number, string][] = [
    ["the SSH rule is missing", (c) => c.firewall.rules.splice(0, 1), 22, "no enabled rule accepts it"],
    ["the SSH rule is disabled", (c) => (ssh(c).enabled = false), 22, "no enabled rule accepts it"],
    ["the SSH rule has the wrong proto", (c) => (ssh(c).proto = "udp"), 22, "no enabled rule accepts it"],
    ["the SSH rule has the wrong port", (c) => (ssh(c).dports = [2222]), 22, "no enabled rule accepts it"],
    ["the SSH rule admits only part of the tailnet", (c) => (ssh(c).source = "100.100.0.0/16"), 22, "no enabled rule accepts it"],
    ["the SSH rule has the wrong source", (c) => (ssh(c).source = "10.10.10.0/24"), 22, "no enabled rule accepts it"],
    ["the SSH rule is bound to a bridge", (c) => (ssh(c).iface = "vmbr0"), 22, "no enabled rule accepts it"],
    [
      "an earlier DROP is bound to the tailnet interface",
      (c) => c.firewall.rules.unshift({ name: "drop-tailnet", action: "DROP", proto: "tcp", iface: "tailscale0", dports: [22] }),
      22,
      "firewall.rules[0] (drop-tailnet, DROP) matches it",
    ],
    ["the SSH rule is for another destination", (c) => (ssh(c).dest = "etoile"), 22, "no enabled rule accepts it"],
    ["the API rule is missing", (c) => c.firewall.rules.splice(1, 1), 8006, "no enabled rule accepts it"],
    ["the API rule is disabled", (c) => (api(c).enabled = false), 8006, "inputPolicy DROP drops it"],
    [
      "an earlier DROP matches the tailnet",
      (c) => c.firewall.rules.unshift({ name: "drop-cgnat", action: "DROP", proto: "tcp", source: "100.64.0.0/10", dports: [22] }),
      22,
      "firewall.rules[0] (drop-cgnat, DROP) matches it before any rule accepts it",
    ],
    [
      "an earlier REJECT matches part of the tailnet on 8006",
      (c) => c.firewall.rules.unshift({ name: "no-api", action: "REJECT", proto: "tcp", source: "100.100.1.0/24", dports: [8006] }),
      8006,
      "firewall.rules[0] (no-api, REJECT) matches it before any rule accepts it",
    ],
  ];
  it.each(blocked)("must not accept a stack file in which %s (tcp %i unreachable from the tailnet)", (_, mutate, port, why) => {
    const issues = issuesOf(mutate);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(`firewall.rules: the tailnet 100.64.0.0/10 could not reach`);
    expect(issues[0]).toContain(`(tcp ${port}) on 100.94.229.96: `);
    expect(issues[0]).toContain(why);
    expect(issues[0]).toContain("docs/adopting.md");
  });

  const allowed: [string, (c: Raw) => void][] = [
    ["a wider source (any) accepts the tailnet", (c) => delete ssh(c).source],
    ["a rule for all ports accepts the tailnet", (c) => (ssh(c).dports = [])],
    ["the SSH rule is bound to the tailnet interface", (c) => (ssh(c).iface = "tailscale0")],
    [
      "the SSH rule is bound to the tailnet interface, with no source",
      (c) => {
        ssh(c).iface = "tailscale0";
        delete ssh(c).source;
      },
    ],
    ["a DROP comes after the ACCEPT rules", (c) => c.firewall.rules.push({ name: "drop-rest", action: "DROP", proto: "tcp" })],
    [
      "an earlier DROP is bound to a bridge (not the tailnet interface)",
      (c) => c.firewall.rules.unshift({ name: "drop-public", action: "DROP", proto: "tcp", iface: "vmbr0", dports: [22] }),
    ],
    ["an earlier DROP is for udp", (c) => c.firewall.rules.unshift({ name: "drop-udp", action: "DROP", proto: "udp", source: "100.64.0.0/10" })],
    [
      "an earlier DROP comes from outside the tailnet",
      (c) => c.firewall.rules.unshift({ name: "drop-private", action: "DROP", proto: "tcp", source: "10.10.10.0/24" }),
    ],
    [
      "the API rule is missing but the input policy accepts",
      (c) => {
        c.firewall.rules.splice(1, 1);
        c.firewall.inputPolicy = "ACCEPT";
      },
    ],
    [
      "the firewall is disabled",
      (c) => {
        c.firewall.enabled = false;
        c.firewall.rules = [];
      },
    ],
  ];
  it.each(allowed)("must accept a stack file in which %s", (_, mutate) => {
    expect(issuesOf(mutate)).toEqual([]);
  });

  it("must name both ports when both are cut", () => {
    const issues = issuesOf((c) => c.firewall.rules.splice(0, 2));
    expect(issues.map((i) => i.match(/\(tcp (\d+)\)/)?.[1])).toEqual(["22", "8006"]);
  });

  it("must be enforced by the config module itself (no stack file may cut access)", () => {
    const raw = rawConfig();
    raw.firewall.rules[0].enabled = false;
    expect(() => parseStackConfig(raw)).toThrow(ConfigError);
    expect(() => parseStackConfig(raw)).toThrow("firewall.rules: the tailnet 100.64.0.0/10 could not reach SSH (tcp 22) on 100.94.229.96");
  });
});

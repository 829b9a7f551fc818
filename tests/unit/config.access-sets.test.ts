// The tailnet access predicate over IP sets (nomatch entries included), aliases, macros and the
// node's host.fw rules (applied before the cluster rules), and its refusal when it cannot decide.
// Each case starts from the frozen fixture copy of Pulumi.neve.yaml and changes one thing.

import { ConfigError, parseStackConfig } from "../../stacks/config";
import { tailnetAccessIssues } from "../../stacks/config/access";
import { stackConfigSchema } from "../../stacks/config/schema";
import { type Raw, rawConfig } from "../support/stacks";

const issuesOf = (mutate: (c: Raw) => void) => {
  const raw = rawConfig();
  mutate(raw);
  return tailnetAccessIssues(stackConfigSchema.parse(raw)).map((i) => `${i.path}: ${i.message}`);
};
const dropFrom = (source: string) => (c: Raw) => c.firewall.rules.unshift({ name: "drop-set", action: "DROP", proto: "tcp", source });

describe("the tailnet access predicate over IP sets, aliases, macros and host rules", () => {
  const blocked: [string, (c: Raw) => void, string][] = [
    [
      "a DROP on an IP set covering the tailnet",
      (c) => {
        c.firewall.ipsets = { blocklist: ["203.0.113.0/24", "100.64.0.0/10"] };
        dropFrom("+dc/blocklist")(c);
      },
      "firewall.rules[0] (drop-set, DROP) matches it",
    ],
    [
      "a DROP on an IP set whose nomatch entry leaves part of the tailnet in",
      (c) => {
        c.firewall.ipsets = { blocklist: ["100.64.0.0/10", "!100.100.0.0/16"] };
        dropFrom("+blocklist")(c);
      },
      "firewall.rules[0] (drop-set, DROP) matches it",
    ],
    [
      "a DROP on an IP set whose entry is an alias for the tailnet",
      (c) => {
        c.firewall.aliases = { tailnet: "100.64.0.0/10" };
        c.firewall.ipsets = { blocklist: ["tailnet"] };
        dropFrom("+blocklist")(c);
      },
      "firewall.rules[0] (drop-set, DROP) matches it",
    ],
    [
      "a DROP on an alias inside the tailnet",
      (c) => {
        c.firewall.aliases = { someone: "100.100.1.7" };
        dropFrom("dc/someone")(c);
      },
      "firewall.rules[0] (drop-set, DROP) matches it",
    ],
    [
      "a host.fw DROP before the cluster rules",
      (c) => {
        c.firewall.hostRules = [{ name: "host-drop", action: "DROP", proto: "tcp", dports: [22, 8006] }];
      },
      "firewall.hostRules[0] (host-drop, DROP) matches it",
    ],
    [
      "an SSH macro DROP (case as written)",
      (c) => c.firewall.rules.unshift({ name: "no-ssh", action: "DROP", macro: "ssh", source: "100.64.0.0/10" }),
      "firewall.rules[0] (no-ssh, DROP) matches it",
    ],
    [
      "an IP set the stack file does not state (undecidable)",
      (c) => {
        c.firewall.hostRules = [{ name: "host-drop", action: "DROP", proto: "tcp", source: "+dc/unknown" }];
      },
      'cannot be decided: IP set "+unknown" is not in firewall.ipsets',
    ],
    [
      "a macro the check cannot expand (undecidable)",
      (c) => c.firewall.rules.unshift({ name: "odd", action: "DROP", macro: "Webmin", source: "100.64.0.0/10" }),
      "cannot be decided: macro Webmin is not one the access check can expand",
    ],
  ];
  it.each(blocked)("must refuse %s", (_, mutate, why) => {
    const issues = issuesOf(mutate);
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues[0]).toContain("could not reach");
    expect(issues[0]).toContain(why);
  });

  const allowed: [string, (c: Raw) => void][] = [
    [
      "a DROP on an IP set whose nomatch entry excludes the whole tailnet",
      (c) => {
        c.firewall.ipsets = { blocklist: ["0.0.0.0/1", "!100.64.0.0/10"] };
        dropFrom("+blocklist")(c);
      },
    ],
    [
      "a DROP on an IP set outside the tailnet",
      (c) => {
        c.firewall.ipsets = { blocklist: ["203.0.113.0/24", "198.51.100.7"] };
        dropFrom("+blocklist")(c);
      },
    ],
    [
      "an ACCEPT through an alias for the tailnet",
      (c) => {
        c.firewall.aliases = { tailnet: "100.64.0.0/10" };
        c.firewall.rules[0].source = "tailnet";
      },
    ],
    ["a Ping(DROP) macro (icmp, not tcp)", (c) => c.firewall.rules.unshift({ name: "no-ping", action: "DROP", macro: "Ping" })],
    [
      "a host.fw ACCEPT for the tailnet before a cluster DROP",
      (c) => {
        c.firewall.hostRules = [{ name: "host-ok", action: "ACCEPT", proto: "tcp", source: "100.64.0.0/10" }];
        c.firewall.rules.unshift({ name: "drop-all", action: "DROP", proto: "tcp" });
      },
    ],
  ];
  it.each(allowed)("must accept %s", (_, mutate) => {
    expect(issuesOf(mutate)).toEqual([]);
  });

  it("must be the config module's own check (parseStackConfig refuses, naming the field)", () => {
    const raw = rawConfig();
    raw.firewall.ipsets = { blocklist: ["100.64.0.0/10"] };
    dropFrom("+blocklist")(raw);
    expect(() => parseStackConfig(raw)).toThrow(ConfigError);
    expect(() => parseStackConfig(raw)).toThrow("firewall.rules: the tailnet 100.64.0.0/10 could not reach SSH (tcp 22)");
  });

  it("must refuse a rule naming an IP set the stack file does not declare", () => {
    const raw = rawConfig();
    dropFrom("+nowhere")(raw);
    expect(() => parseStackConfig(raw)).toThrow('firewall.rules[0].source: IP set "nowhere" is not in firewall.ipsets');
  });
});

// pve-firewall's files, read and judged: the parser of cluster.fw/host.fw/<vmid>.fw sections
// (security groups included), the one meaning of a rule discover compares by, and the tailnet access
// predicate through a GROUP rule. Files are written the way pve-firewall's save_* functions write them.

import { type FirewallRuleShape, firewallRuleMeaning, ipsetEntryMeaning } from "../../stacks/common/firewallRule";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { tailnetAccessIssues } from "../../stacks/config/access";
import { stackConfigSchema } from "../../stacks/config/schema";
import type { LiveFacts } from "../../stacks/discover/facts";
import { parseFirewall } from "../../stacks/discover/parse/firewall";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { type Raw, rawConfig } from "../support/stacks";
import { base, run, STACK } from "./support/discoverHost";

const CLUSTER = `[OPTIONS]

ebtables: 0
enable: 1
policy_in: DROP

[IPSET blocklist] # abusive ranges

!198.51.100.7 # a partner
198.51.100.0/24

[RULES]

GROUP Tailnet-Admin -i tailscale0 # the operator
IN DNS(ACCEPT) -i vmbr1 -source lan -log nolog

[group tailnet-admin] # the operator, from the tailnet

IN SSH(ACCEPT) -source tailnet -log nolog # SSH
OUT ACCEPT -p tcp -dport 443
GROUP nested
`;

describe("parseFirewall on the files pve-firewall writes", () => {
  const fw = parseFirewall(CLUSTER);

  it("must read a [group] section's rules and comment, the name lowercased as Proxmox reads it", () => {
    expect(Object.keys(fw.groups ?? {})).toEqual(["tailnet-admin"]);
    expect(fw.groups?.["tailnet-admin"].comment).toBe("the operator, from the tailnet");
    expect(fw.groups?.["tailnet-admin"].rules.map((r) => [r.type, r.macro ?? r.action, r.source])).toEqual([
      ["in", "SSH", "tailnet"],
      ["out", "ACCEPT", undefined],
    ]);
  });

  it("must keep a GROUP line inside a group as a line Proxmox would not generate", () => {
    expect(fw.unparsed).toEqual(["GROUP nested"]);
  });

  it("must read a GROUP rule with its -i, the group name as written (Proxmox looks it up so), and an IP set's nomatch entry", () => {
    expect(fw.rules[0]).toMatchObject({ type: "group", action: "Tailnet-Admin", iface: "tailscale0", comment: "the operator" });
    expect(fw.ipsets?.blocklist).toEqual(["!198.51.100.7", "198.51.100.0/24"]);
  });

  it("must read host.fw's [OPTIONS] and [RULES]", () => {
    const host = parseFirewall("[OPTIONS]\n\nenable: 1\nnosmurfs: 1\n\n[RULES]\n\nIN DROP -source +blocklist -log info # abusers\n");
    expect(host.options).toEqual([
      ["enable", "1"],
      ["nosmurfs", "1"],
    ]);
    expect(host.rules[0]).toMatchObject({ type: "in", action: "DROP", source: "+blocklist", log: "info", comment: "abusers" });
  });
});

describe("the meaning of a rule (what --check compares)", () => {
  const rule = (r: Partial<FirewallRuleShape>): FirewallRuleShape => ({ action: "ACCEPT", enabled: true, dports: [], ...r });
  const same = (a: Partial<FirewallRuleShape>, b: Partial<FirewallRuleShape>) => firewallRuleMeaning(rule(a)) === firewallRuleMeaning(rule(b));

  it.each([
    ["SSH(ACCEPT) and tcp 22", { macro: "SSH" }, { proto: "tcp", dports: [22] }],
    ["a macro in another case", { macro: "ssh" }, { macro: "SSH" }],
    ["Web(ACCEPT) and tcp 80,443", { macro: "Web" }, { proto: "tcp", dports: [443, 80] }],
    ["ports in another order, twice", { proto: "tcp", dports: [443, 80, 80] }, { proto: "tcp", dports: [80, 443] }],
    ["-log nolog and no log", { proto: "tcp", log: "nolog" }, { proto: "tcp" }],
    ["an IPv6 CIDR spelled long", { proto: "tcp", source: "2001:db8:0:0::/64" }, { proto: "tcp", source: "2001:db8::/64" }],
    ["dc/alias and alias, +dc/set and +set", { proto: "tcp", source: "dc/LAN", dest: "+dc/mgmt" }, { proto: "tcp", source: "lan", dest: "+mgmt" }],
    ["proto any and no -p", { proto: "any" }, {}],
  ])("must call %s the same", (_what, a, b) => {
    expect(same(a, b)).toBe(true);
  });

  it.each([
    ["DNS(ACCEPT) and udp 53 (DNS is udp and tcp)", { macro: "DNS" }, { proto: "udp", dports: [53] }],
    ["Ping(ACCEPT) and all of ICMP", { macro: "Ping" }, { proto: "icmp" }],
    ["a disabled rule and an enabled one", { proto: "tcp", enabled: false }, { proto: "tcp" }],
    ["-log info and no log", { proto: "tcp", log: "info" }, { proto: "tcp" }],
    ["a source port and none", { proto: "udp", sports: [123] }, { proto: "udp" }],
    ["a GROUP rule and an ACCEPT", { group: "admins" }, {}],
    ["an OUT rule and an IN rule", { proto: "tcp", direction: "out" }, { proto: "tcp" }],
    ["+Mgmt and +mgmt (a set is looked up as written)", { proto: "tcp", source: "+Mgmt" }, { proto: "tcp", source: "+mgmt" }],
  ])("must tell %s apart", (_what, a, b) => {
    expect(same(a, b)).toBe(false);
  });

  it("must read IP set entries by meaning (nomatch kept, alias case)", () => {
    expect(ipsetEntryMeaning("!198.51.100.7")).toBe("!198.51.100.7");
    expect(ipsetEntryMeaning("dc/Tailnet")).toBe("tailnet");
  });
});

describe("the tailnet access predicate through security groups", () => {
  const withGroup =
    (rules: Raw[], ruleExtra: Raw = {}) =>
    (c: Raw) => {
      c.firewall.groups = { ops: { rules } };
      c.firewall.rules.unshift({ name: "ops", group: "ops", ...ruleExtra });
    };
  const issuesOf = (mutate: (c: Raw) => void) => {
    const raw = rawConfig();
    mutate(raw);
    return tailnetAccessIssues(stackConfigSchema.parse(raw)).map((i) => `${i.path}: ${i.message}`);
  };

  it("must see a group's DROP of the tailnet's SSH, naming the rule through the group", () => {
    const out = issuesOf(withGroup([{ name: "no-ssh", action: "DROP", macro: "SSH" }])).join("\n");
    expect(out).toContain("firewall.rules[0] -> firewall.groups.ops.rules[0] (no-ssh, DROP) matches it");
  });

  it("must let the tailnet in through a group's ACCEPT before a cluster DROP", () => {
    const mutate = (c: Raw) => {
      withGroup([
        { name: "ssh", action: "ACCEPT", macro: "SSH", source: "100.64.0.0/10" },
        { name: "api", action: "ACCEPT", proto: "tcp", source: "100.64.0.0/10", dports: [8006] },
      ])(c);
      c.firewall.rules.splice(1, 0, { name: "drop-all", action: "DROP", proto: "any" });
    };
    expect(issuesOf(mutate)).toEqual([]);
  });

  it("must see no host chain at all when host.fw says enable: 0 (pve-firewall then generates none)", () => {
    const drop = withGroup([{ name: "no-ssh", action: "DROP", macro: "SSH" }]);
    expect(issuesOf(drop)).not.toEqual([]);
    expect(
      issuesOf((c) => {
        drop(c);
        c.firewall.hostOptions = { enable: "0" };
      }),
    ).toEqual([]);
  });

  it("must not see an OUT rule on the way in (a DROP of everything outgoing)", () => {
    expect(issuesOf((c) => c.firewall.rules.unshift({ name: "no-out", action: "DROP", proto: "any", direction: "out" }))).toEqual([]);
  });

  it("must skip a group bound to another interface, and a disabled GROUP rule", () => {
    expect(issuesOf(withGroup([{ name: "no-ssh", action: "DROP", macro: "SSH" }], { iface: "vmbr1" }))).toEqual([]);
    expect(issuesOf(withGroup([{ name: "no-ssh", action: "DROP", macro: "SSH" }], { enabled: false }))).toEqual([]);
  });

  it("must not count a group's rule with an interface of its own: pve-firewall skips it (no -i in a group)", () => {
    // verify_rule refuses -i with rule_env `group` and generate_group_rules skips the rule: an ACCEPT there lets
    // nothing in, whatever interface the GROUP rule names. The predicate must see the cluster DROP after it.
    const tailnet = stackConfigSchema.parse(rawConfig()).network.tailnet.iface;
    const under = (groupIface: string | undefined, innerIface: string | undefined) => (c: Raw) => {
      withGroup(
        [
          { name: "ssh", action: "ACCEPT", macro: "SSH", ...(innerIface ? { iface: innerIface } : {}) },
          { name: "api", action: "ACCEPT", proto: "tcp", dports: [8006], ...(innerIface ? { iface: innerIface } : {}) },
        ],
        groupIface ? { iface: groupIface } : {},
      )(c);
      c.firewall.rules.splice(1, 0, { name: "drop-all", action: "DROP", proto: "any" });
    };
    for (const groupIface of ["vmbr0", tailnet, undefined]) expect(issuesOf(under(groupIface, tailnet)).join("\n")).toContain("(drop-all, DROP) matches it");
    // Without an interface of its own the group's rule runs under the GROUP rule's.
    expect(issuesOf(under(tailnet, undefined))).toEqual([]);
    expect(issuesOf(under("vmbr0", undefined)).join("\n")).toContain("(drop-all, DROP) matches it");
  });

  it("must refuse, naming the field, an interface on a security group's rule (pve-firewall would skip it)", () => {
    const raw = rawConfig();
    withGroup([{ name: "ssh", action: "ACCEPT", macro: "SSH", iface: "vmbr1" }])(raw);
    expect(() => parseStackConfig(raw)).toThrow("firewall.groups.ops.rules[0].iface: pve-firewall does not allow -i on a security group's rule");
  });

  it("must refuse, naming the field, a GROUP rule for an undeclared group or with fields of its own", () => {
    const raw = rawConfig();
    raw.firewall.rules.push({ name: "nowhere", group: "nowhere", proto: "udp", dports: [53] });
    expect(() => parseStackConfig(raw)).toThrow(ConfigError);
    expect(() => parseStackConfig(raw)).toThrow('firewall.rules[7].group: security group "nowhere" is not in firewall.groups');
    expect(() => parseStackConfig(raw)).toThrow("a GROUP rule takes only iface, comment and enabled (the group's rules decide); remove dports");
  });

  it.each([
    [
      "through a group",
      (raw: Raw) => withGroup([{ name: "api", action: "ACCEPT", proto: "tcp", dports: [8006] }])(raw),
      "firewall.rules[0] -> firewall.groups.ops.rules[0]: opens the Proxmox API port 8006 to any source",
    ],
    [
      "in host.fw",
      (raw: Raw) => {
        raw.firewall.hostRules = [{ name: "api", action: "ACCEPT", proto: "tcp", source: "0.0.0.0/0", dports: [8006] }];
      },
      "firewall.hostRules[0]: opens the Proxmox API port 8006 to any source",
    ],
  ])("must refuse an ACCEPT that opens the API to the public %s", (_what, mutate, message) => {
    const raw = rawConfig();
    mutate(raw);
    expect(() => parseStackConfig(raw)).toThrow(message);
  });

  it("must refuse a GROUP rule inside a group", () => {
    const raw = rawConfig();
    raw.firewall.groups = { ops: { rules: [{ name: "inner", group: "ops" }] } };
    expect(() => parseStackConfig(raw)).toThrow("firewall.groups.ops.rules[0].group: a security group cannot reference another group");
  });
});

describe("what the stack cannot state in a firewall file counts, saying what to do", () => {
  it("must keep lines of a section pve-firewall does not know as lines it skips", () => {
    expect(parseFirewall("[OPTIONS]\n\nenable: 1\n\n[VIRTUAL]\n\nsomething: 1\n").unparsed).toEqual(["something: 1"]);
  });

  it("must count a host.fw option pve-firewall does not read, and --write must leave it named", () => {
    const facts: LiveFacts = {
      ...base(),
      hostFirewall: {
        options: [
          ["enable", "1"],
          ["nosmurfs", "1"],
          ["bogus", "1"],
        ],
        rules: [],
        otherSections: [],
      },
    };
    const { model, live, report, out } = run(facts);
    expect(report.code).toBe(1);
    expect(out).toContain("firewall hostOptions: live {enable: 1, nosmurfs: 1, bogus: 1}, declared {}");
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.choices.join("\n")).toContain(
      "firewall.hostOptions: left as {}: /etc/pve/nodes/neve/host.fw option bogus pve-firewall does not read (it skips the line with a warning); remove it from /etc/pve/nodes/neve/host.fw",
    );
  });

  it("must mark a security group's rule with -i as having no stack form (pve-firewall skips it), never write it", () => {
    const raw = "IN SSH(ACCEPT) -i vmbr1 -source tailnet";
    const facts: LiveFacts = {
      ...base(),
      firewall: {
        ...base().firewall!,
        groups: { ops: { rules: [{ type: "in", action: "ACCEPT", macro: "SSH", enabled: true, iface: "vmbr1", source: "tailnet", raw }] } },
      },
    };
    const { live } = run(facts);
    expect(live.firewall?.groups.ops.rules[0].unexpressed).toContain("-i vmbr1 in a security group (pve-firewall skips the rule)");
  });

  it("must write an OUT rule of a security group as direction: out, and then match", () => {
    const facts: LiveFacts = {
      ...base(),
      firewall: {
        ...base().firewall!,
        groups: { ops: { rules: [{ type: "out", action: "ACCEPT", enabled: true, proto: "tcp", dport: "443", raw: "OUT ACCEPT -p tcp -dport 443" }] } },
      },
    };
    const { model, live, report, out } = run(facts);
    expect(report.code).toBe(1);
    expect(out).toContain("firewall groups: live {ops: [OUT ACCEPT -p tcp -dport 443]}, declared {}");
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(modelFromText(written.text).firewall.groups.ops.rules[0]).toMatchObject({ direction: "out", action: "ACCEPT", proto: "tcp", dports: [443] });
    expect(written.after.changes.filter((c) => c.object === "firewall")).toEqual([]);
  });
});

describe("--write of an alias that shares a guest's name", () => {
  it("must write it as dc/<name> (a plain name in the stack is the guest), and the written file must load and match", () => {
    const rule = {
      type: "in" as const,
      action: "ACCEPT",
      enabled: true,
      proto: "tcp",
      dport: "443",
      source: "atlas",
      comment: "web",
      raw: "IN ACCEPT -source atlas -p tcp -dport 443 # web",
    };
    const facts: LiveFacts = { ...base(), firewall: { ...base().firewall!, aliases: { atlas: "192.0.2.10" }, rules: [...base().firewall!.rules, rule] } };
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    const fw = modelFromText(written.text).firewall;
    expect(fw.rules.at(-1)).toMatchObject({ source: "dc/atlas", sourceAddress: "dc/atlas" });
    expect(written.after.changes.filter((c) => c.object === "firewall")).toEqual([]);
  });
});

describe("host.fw the stack declares on a host without one", () => {
  it("must be a creation of the file (allowed), not a change that --write would undo", () => {
    const stack = STACK.replace(
      "  neve-infra:backups:",
      "    hostRules:\n      - { name: spice, action: ACCEPT, proto: tcp, iface: vmbr1, source: 10.10.10.0/24, dports: [3128] }\n  neve-infra:backups:",
    );
    const { report, out } = run(base(), stack);
    expect(report.changes.filter((c) => c.object === "firewall")).toEqual([]);
    expect(out).toContain("firewall.hostRules/hostOptions: /etc/pve/nodes/neve/host.fw would be created (1 rules)");
    expect(report.code).toBe(0);
  });
});

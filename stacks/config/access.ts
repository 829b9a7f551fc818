import * as ipaddr from "ipaddr.js";
import { FIREWALL_MACROS } from "../common/firewallRule";
import { isAddressOrCidr } from "./common";
import type { ConfigIssue } from "./errors";
import type { FirewallRuleConfig } from "./firewall";
import type { StackConfig } from "./schema";

/**
 * The operator's only way in: the tailnet reaching the host's SSH (22) and the Proxmox API / web UI
 * (`firewall.apiPort`, 8006) over tcp. There is no console. A stack file in which the cluster
 * firewall would not let that traffic in is refused, whatever else it says, because such a file is
 * either wrong about the host or a plan to lock the operator out.
 *
 * The firewall is evaluated the way pve-firewall evaluates cluster.fw's `[RULES]` for the host:
 * enabled rules top to bottom, the first match decides, then `policy_in`. The traffic checked is
 * every tcp packet from `network.tailnet.cidr` to `network.tailnet.hostAddress` on the port,
 * arriving on the tailnet interface (`network.tailnet.iface`, tailscale0): a rule bound to that
 * interface matches it, a rule bound to a bridge never does. Conservative on purpose: an earlier DROP/REJECT
 * that may match *part* of that traffic counts as blocking, and an ACCEPT counts only when it
 * matches *all* of it.
 */

/** One required path: the port and what listens there. */
interface AccessPort {
  readonly port: number;
  readonly what: string;
}

/** Where the operator's access must come from and go to. */
interface AccessTraffic {
  /** Tailnet range, e.g. `100.64.0.0/10`. */
  readonly sourceCidr: string;
  /** The host's tailnet address, e.g. `100.94.229.96`. */
  readonly hostAddress: string;
}

/**
 * An address/CIDR as an IPv4 [network, prefix], or undefined when it is IPv6 (never matches tailnet
 * IPv4) or not an address at all (the config rules report that field on their own).
 */
function ipv4Cidr(v: string): [ipaddr.IPv4, number] | undefined {
  if (!isAddressOrCidr(v)) return undefined;
  if (v.includes("/")) {
    const [a, len] = ipaddr.parseCIDR(v);
    return a.kind() === "ipv4" ? [a as ipaddr.IPv4, len] : undefined;
  }
  const a = ipaddr.parse(v);
  return a.kind() === "ipv4" ? [a as ipaddr.IPv4, 32] : undefined;
}

/** A reference the predicate cannot evaluate: it refuses rather than guess. */
class Undecidable extends Error {}

/** How a rule's address field relates to a set of addresses: all of them, some, or none. */
type Cover = "all" | "some" | "none";

/** How one address/CIDR relates to the traffic's range `cidr`. */
function cidrCover(field: string, cidr: string): Cover {
  const f = ipv4Cidr(field);
  if (!f) return "none";
  const [net, len] = ipv4Cidr(cidr) as [ipaddr.IPv4, number];
  if (len >= f[1] && net.match(f)) return "all";
  if (f[0].match([net, len])) return "some";
  return "none";
}

/** An alias value (`name` or `dc/name`), or Undecidable when the stack file does not state it. */
function aliasValue(c: StackConfig, ref: string): string {
  const v = c.firewall.aliases[ref.replace(/^dc\//, "")];
  if (v === undefined) throw new Undecidable(`alias "${ref}" is not in firewall.aliases`);
  return v;
}

/**
 * How an IP set relates to `cidr`, as an ipset hash:net decides (pve-firewall builds one per set, nomatch
 * entries with `nomatch`): for each address the most specific entry containing it decides. "all" when a
 * match entry contains the whole range and no nomatch entry more specific than it touches the range;
 * "none" when no match entry touches the range, or each one that does is no more specific than a nomatch
 * entry containing the whole range; otherwise "some".
 */
function ipsetCover(c: StackConfig, name: string, cidr: string): Cover {
  const entries = c.firewall.ipsets[name];
  if (entries === undefined) throw new Undecidable(`IP set "+${name}" is not in firewall.ipsets`);
  const parsed = entries.flatMap((e) => {
    const nomatch = e.startsWith("!");
    const raw = nomatch ? e.slice(1) : e;
    const v = isAddressOrCidr(raw) ? raw : aliasValue(c, raw);
    const n = ipv4Cidr(v);
    return n ? [{ nomatch, len: n[1], cover: cidrCover(v, cidr) }] : [];
  });
  const touching = parsed.filter((e) => e.cover !== "none");
  const matches = touching.filter((e) => !e.nomatch);
  const nomatches = touching.filter((e) => e.nomatch);
  if (matches.some((m) => m.cover === "all" && !nomatches.some((n) => n.len > m.len))) return "all";
  const widestExclusion = Math.max(-1, ...nomatches.filter((n) => n.cover === "all").map((n) => n.len));
  if (matches.every((m) => m.len <= widestExclusion)) return "none";
  return "some";
}

/** How a rule's `source`/`dest` relates to `cidr`: omitted is everything, a guest is its IPv4, `+set` an IP set, a name an alias. */
function cover(c: StackConfig, field: string | undefined, cidr: string): Cover {
  if (field === undefined) return "all";
  if (isAddressOrCidr(field)) return cidrCover(field, cidr);
  const set = /^\+(?:dc\/)?(.+)$/.exec(field);
  if (set) return ipsetCover(c, set[1], cidr);
  const g = !field.startsWith("dc/") ? c.guests[field] : undefined;
  if (g && c.firewall.aliases[field] === undefined) return g.ipv4 ? cidrCover(g.ipv4, cidr) : "none";
  return cidrCover(aliasValue(c, field), cidr);
}

/**
 * Whether a rule can match tcp traffic to `port`, by its proto and ports alone (a macro by its
 * expansion; no dports: every port). "undecidable" for a macro the table above does not expand.
 */
export function ruleReachesTcpPort(r: Pick<FirewallRuleConfig, "macro" | "proto" | "dports">, port: number): boolean | "undecidable" {
  if (r.macro !== undefined) {
    const m = FIREWALL_MACROS[r.macro.toLowerCase()];
    if (!m) return "undecidable";
    return m.some((x) => x.proto === "tcp" && (x.dports === undefined || x.dports.includes(port)));
  }
  return (r.proto === "tcp" || r.proto === "any") && (r.dports.length === 0 || r.dports.includes(port));
}

/** How much of the traffic (tcp, tailnet -> host:port, on tailscale0) a rule matches. */
function ruleCover(c: StackConfig, r: FirewallRuleConfig, port: number, t: AccessTraffic): Cover {
  // An OUT rule is on the host's output chain, never on the way in.
  if (!r.enabled || r.direction === "out" || (r.iface !== undefined && r.iface !== c.network.tailnet.iface)) return "none";
  const reaches = ruleReachesTcpPort(r, port);
  if (reaches === "undecidable") throw new Undecidable(`macro ${r.macro} is not one the access check can expand (${Object.keys(FIREWALL_MACROS).join(", ")})`);
  if (!reaches) return "none";
  const dest = cover(c, r.dest, `${t.hostAddress}/32`);
  const source = cover(c, r.source, t.sourceCidr);
  if (dest === "none" || source === "none") return "none";
  // A source-port list matches only part of the traffic (the client's port is any).
  return dest === "all" && source === "all" && r.sports.length === 0 ? "all" : "some";
}

/** One rule of the host's chain, where it is written. */
interface ChainRule {
  readonly r: FirewallRuleConfig;
  readonly at: string;
}

/**
 * The host's chain with each `GROUP` rule replaced by its group's rules, as pve-firewall runs it
 * (src/PVE/Firewall.pm commit 6f1311f3, `ruleset_add_group_rule`/`generate_group_rules`): the
 * group's chain takes the group rule's `-i`; its first matching ACCEPT sets the accept mark, which
 * the calling chain accepts, its DROP/REJECT drops; no match falls through to the next rule. So the
 * group's rules in line, under the group rule's interface, decide the same. A disabled GROUP rule
 * is skipped; an undeclared group is undecidable.
 */
function expandGroups(c: StackConfig, chain: readonly ChainRule[]): Array<ChainRule | { at: string; undecidable: string; r: FirewallRuleConfig }> {
  return chain.flatMap(({ r, at }) => {
    if (r.group === undefined) return [{ r, at }];
    if (!r.enabled) return [];
    const g = c.firewall.groups[r.group];
    if (!g) return [{ r, at, undecidable: `security group "${r.group}" is not in firewall.groups` }];
    return g.rules.flatMap((x, i) => {
      const inner = groupMember(r, x);
      return inner === null ? [] : [{ r: inner, at: `${at} -> firewall.groups.${r.group}.rules[${i}]` }];
    });
  });
}

/**
 * A group's rule as it runs when the group is called from `groupRule`, or null when it never runs. pve-firewall
 * (src/PVE/Firewall.pm commit 6f1311f3) jumps to the group's chain only for traffic on the GROUP rule's `-i`
 * (`ruleset_add_group_rule`), so the rule takes that interface; and it reads a group's rules with rule_env `group`,
 * where `verify_rule` refuses `-i` and `generate_group_rules` skips a rule with errors, so a group's rule with its
 * own `iface` never runs (the config rules refuse it too). One place for the access predicate and the
 * never-public check.
 */
export function groupMember(groupRule: FirewallRuleConfig, inner: FirewallRuleConfig): FirewallRuleConfig | null {
  if (inner.iface !== undefined) return null;
  return groupRule.iface === undefined ? inner : { ...inner, iface: groupRule.iface };
}

/**
 * Why the traffic to `port` would not get in, or undefined when it does. The host's chain is the
 * node's host.fw rules (`firewall.hostRules`) first, then cluster.fw's rules (pve-firewall
 * src/PVE/Firewall.pm commit 6f1311f3, `enable_host_firewall`: "add host rules first", looping over
 * `@$rules, @$cluster_rules`), `GROUP` rules expanded, then `policy_in`. A guest's `<vmid>.fw` is
 * not on this path: pve-firewall applies it to the guest's tap/veth chains only (`ruleset_generate_vm_rules`).
 */
function blockedBy(c: StackConfig, port: number, t: AccessTraffic): string | undefined {
  const fw = c.firewall;
  if (!fw.enabled) return undefined;
  // host.fw `enable: 0` turns the node's input chain off (Firewall.pm `compile_iptables_filter`:
  // `$hostfw_enable = !(defined(enable) && enable == 0)`, then enable_host_firewall only if it is set).
  if (fw.hostOptions.enable !== undefined && Number(fw.hostOptions.enable) === 0) return undefined;
  const chain = expandGroups(c, [
    ...fw.hostRules.map((r, i) => ({ r, at: `firewall.hostRules[${i}]` })),
    ...fw.rules.map((r, i) => ({ r, at: `firewall.rules[${i}]` })),
  ]);
  for (const entry of chain) {
    const { r, at } = entry;
    let m: Cover;
    try {
      if ("undecidable" in entry) throw new Undecidable(entry.undecidable);
      m = ruleCover(c, r, port, t);
    } catch (e) {
      if (!(e instanceof Undecidable)) throw e;
      return `${at} (${r.name}, ${r.group === undefined ? r.action : `GROUP ${r.group}`}) cannot be decided: ${e.message}; the access check refuses what it cannot prove, so state it in the stack file (or write the rule with addresses)`;
    }
    if (m === "none") continue;
    if (r.action === "ACCEPT" && m === "all") return undefined;
    if (r.action !== "ACCEPT") return `${at} (${r.name}, ${r.action}) matches it before any rule accepts it`;
  }
  if (fw.inputPolicy === "ACCEPT") return undefined;
  return `no enabled rule accepts it (an ACCEPT rule with proto tcp, dports containing ${port}, source ${t.sourceCidr} or wider, no dest or one containing ${t.hostAddress}, and no iface or the tailnet interface), so inputPolicy ${fw.inputPolicy} drops it`;
}

/**
 * The access predicate: an issue for each of tcp 22 and `firewall.apiPort` that the tailnet could
 * not reach on the host under the stack file's cluster firewall (missing or disabled rule, wrong
 * proto, port, source, dest or iface, or an earlier DROP/REJECT rule). Empty when access holds.
 */
export function tailnetAccessIssues(c: StackConfig): ConfigIssue[] {
  const t: AccessTraffic = { sourceCidr: c.network.tailnet.cidr, hostAddress: c.network.tailnet.hostAddress };
  const ports: AccessPort[] = [
    { port: 22, what: "SSH" },
    { port: c.firewall.apiPort, what: "the Proxmox API and web UI" },
  ];
  const issues: ConfigIssue[] = [];
  for (const p of ports) {
    const why = blockedBy(c, p.port, t);
    if (why === undefined) continue;
    issues.push({
      path: why.startsWith("firewall.hostRules") ? "firewall.hostRules" : "firewall.rules",
      message:
        `the tailnet ${t.sourceCidr} could not reach ${p.what} (tcp ${p.port}) on ${t.hostAddress}: ${why}. ` +
        `That path is the operator's only way in (there is no console), so the stack file must keep it: an enabled rule ` +
        `{ action: ACCEPT, proto: tcp, source: ${t.sourceCidr}, dports: [${p.port}] } without iface (or with iface ${c.network.tailnet.iface}) above every DROP/REJECT rule that matches it. ` +
        `To really change access on the host, do it behind a confirm timer (docs/adopting.md, "Changing the firewall or vmbr0 safely"), then bring this file in line`,
    });
  }
  return issues;
}

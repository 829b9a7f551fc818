import { firewallRuleLine } from "../common/firewallRule";
import { singleLineProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { RenderModelError, show } from "./validate";

/** The datacenter firewall file (pve-firewall src/PVE/Firewall.pm `$clusterfw_conf_filename`). */
export const CLUSTER_FW_PATH = "/etc/pve/firewall/cluster.fw";

/** The node's firewall file (Firewall.pm `$hostfw_conf_filename`: `/etc/pve/nodes/$nodename/host.fw`). */
export function hostFwPath(node: string): string {
  return `/etc/pve/nodes/${node}/host.fw`;
}

/** One rule as the firewall files carry it (`IN`/`OUT`, a macro, or a `GROUP` reference). */
export interface FwRuleModel {
  /** The rule's name: the first part of its comment (`name: comment`). */
  readonly name: string;
  /** ACCEPT, DROP or REJECT (for a macro rule: the macro's action; unused for a group rule). */
  readonly action: "ACCEPT" | "DROP" | "REJECT";
  /** `in` or `out` (`OUT` rule). */
  readonly direction: "in" | "out";
  /** pve-firewall macro (`SSH`), or null for a plain rule. */
  readonly macro: string | null;
  /** Security group of a `GROUP <name>` rule, or null. */
  readonly group: string | null;
  /** Protocol of a plain rule (a macro supplies its own); `any` is written as no `-p`. */
  readonly proto: string;
  /** `-source` as Proxmox reads it (address, CIDR, `+set`, alias), or null for any. */
  readonly source: string | null;
  /** `-dest`, or null for any. */
  readonly dest: string | null;
  /** `-dport` ports; empty for none. */
  readonly dports: readonly number[];
  /** `-sport` ports; empty for none. */
  readonly sports: readonly number[];
  /** `-log` level, or null for none (`nolog` is none). */
  readonly log: string | null;
  /** `-icmp-type`, or null. */
  readonly icmpType: string | null;
  /** `-i` interface, or null for all. */
  readonly iface: string | null;
  /** Free text after the name, or null. */
  readonly comment: string | null;
  /** False: written with the leading `|` (kept, not applied). */
  readonly enabled: boolean;
}

/** Everything cluster.fw and the node's host.fw are rendered from. */
export interface FirewallFilesModel {
  /** `[OPTIONS] enable`. */
  readonly enabled: boolean;
  /** `[OPTIONS] policy_in`. */
  readonly inputPolicy: "ACCEPT" | "DROP" | "REJECT";
  /** `[OPTIONS] policy_out`. */
  readonly outputPolicy: "ACCEPT" | "DROP" | "REJECT";
  /** `[ALIASES]`: name -> address/CIDR. */
  readonly aliases: Readonly<Record<string, string>>;
  /** `[IPSET <name>]` sections: name -> entries (`!` for nomatch). */
  readonly ipsets: Readonly<Record<string, readonly string[]>>;
  /** cluster.fw `[RULES]`, in order. */
  readonly rules: readonly FwRuleModel[];
  /** host.fw `[RULES]`, in order (pve-firewall puts them before the cluster rules). */
  readonly hostRules: readonly FwRuleModel[];
  /** cluster.fw `[group <name>]` security groups, in the stack's order. */
  readonly groups: Readonly<Record<string, { readonly comment: string | null; readonly rules: readonly FwRuleModel[] }>>;
  /** cluster.fw `[OPTIONS]` besides enable and the policies (`ebtables`, `policy_forward`, `log_ratelimit`), as written. */
  readonly options: Readonly<Record<string, string>>;
  /** host.fw `[OPTIONS]`, as written. */
  readonly hostOptions: Readonly<Record<string, string>>;
}

/** A value written into a rule line: one token (Firewall.pm parse_fw_rule reads `(\S+)`), no `#`. */
function tokenProblem(v: string): string | null {
  return /^[^\s#|]+$/.test(v) ? null : `must be one word without spaces or #, got ${show(v)}`;
}

/**
 * One rule line in the form Firewall.pm's `parse_fw_rule` reads and its `rules_to_conf` writes:
 * `[|]IN|OUT <action|Macro(action)> [-i if] [-source s] [-dest d] [-p proto] [-dport list] [-sport list]
 * [-icmp-type t] [-log level] # name: comment`, or `[|]GROUP <name> [-i if] # name: comment`; the line
 * itself is composed by the one writer discover uses too (stacks/common/firewallRule.ts). What the stack
 * cannot state safely is refused here, naming the field: a macro supplies proto and ports
 * (`get_firewall_macros`), so a macro rule with `dports` is refused (the access predicate reads a macro by its
 * expansion only, and a port list beside it would mean something the check did not judge), and its proto is
 * not written. Whether ports and an ICMP type fit the protocol is the config rules' check (one place).
 */
export function renderFwRule(r: FwRuleModel, at: string): string {
  const c = r.comment === null ? null : singleLineProblem(r.comment);
  if (c) throw new RenderModelError(`${at}.comment`, `${c} (a line break would end the rule)`);
  for (const [field, v] of [
    ["iface", r.iface],
    ["source", r.source],
    ["dest", r.dest],
    ["group", r.group],
    ["icmpType", r.icmpType],
  ] as const) {
    if (v === null) continue;
    const p = tokenProblem(v);
    if (p) throw new RenderModelError(`${at}.${field}`, p);
  }
  if (r.macro !== null && r.dports.length)
    throw new RenderModelError(`${at}.dports`, `a macro rule (${r.macro}) takes its ports from the macro; drop dports or write the rule without macro`);
  const comment = r.comment === null ? r.name : `${r.name}: ${r.comment}`;
  return firewallRuleLine({
    action: r.action,
    direction: r.direction,
    macro: r.macro ?? undefined,
    group: r.group ?? undefined,
    enabled: r.enabled,
    iface: r.iface ?? undefined,
    source: r.source ?? undefined,
    dest: r.dest ?? undefined,
    proto: r.macro !== null || r.group !== null ? undefined : r.proto,
    dports: r.dports,
    sports: r.sports,
    log: r.log ?? undefined,
    icmpType: r.icmpType ?? undefined,
    comment,
  });
}

/** `key: value` lines in the order pve-firewall writes options (sorted by key). */
function optionLines(o: Readonly<Record<string, string>>, at: string): string[] {
  return Object.keys(o)
    .sort()
    .map((k) => {
      const p = singleLineProblem(o[k]);
      if (p) throw new RenderModelError(`${at}.${k}`, p);
      return `${k}: ${o[k]}`;
    });
}

/** cluster.fw: `[OPTIONS]`, `[ALIASES]`, one `[IPSET]` per set, `[RULES]`, one `[group]` per security group. */
export function renderClusterFw(m: FirewallFilesModel): string {
  return renderTemplate("pve-firewall.fw", {
    options: optionLines({ ...m.options, enable: m.enabled ? "1" : "0", policy_in: m.inputPolicy, policy_out: m.outputPolicy }, "firewall.options"),
    aliases: Object.entries(m.aliases).map(([n, v]) => `${n} ${v}`),
    ipsets: Object.entries(m.ipsets).map(([name, entries]) => ({ name, entries })),
    rules: m.rules.map((r, i) => renderFwRule(r, `firewall.rules[${i}]`)),
    groups: Object.entries(m.groups).map(([name, g]) => {
      const c = g.comment === null ? null : singleLineProblem(g.comment);
      if (c) throw new RenderModelError(`firewall.groups.${name}.comment`, c);
      return {
        header: g.comment === null ? `[group ${name}]` : `[group ${name}] # ${g.comment}`,
        rules: g.rules.map((r, i) => renderFwRule(r, `firewall.groups.${name}.rules[${i}]`)),
      };
    }),
  });
}

/** The node's host.fw: `[OPTIONS]` (`hostOptions`, when any) and `[RULES]` (pve-firewall reads no aliases, IP sets or groups there). */
export function renderHostFw(m: FirewallFilesModel): string {
  return renderTemplate("pve-firewall.fw", {
    options: optionLines(m.hostOptions, "firewall.hostOptions"),
    aliases: [],
    ipsets: [],
    rules: m.hostRules.map((r, i) => renderFwRule(r, `firewall.hostRules[${i}]`)),
    groups: [],
  });
}

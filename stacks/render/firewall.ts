import { singleLineProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { RenderModelError, show } from "./validate";

/** The datacenter firewall file (pve-firewall src/PVE/Firewall.pm `$clusterfw_conf_filename`). */
export const CLUSTER_FW_PATH = "/etc/pve/firewall/cluster.fw";

/** The node's firewall file (Firewall.pm `$hostfw_conf_filename`: `/etc/pve/nodes/$nodename/host.fw`). */
export function hostFwPath(node: string): string {
  return `/etc/pve/nodes/${node}/host.fw`;
}

/** One `IN` rule as the firewall files carry it. */
export interface FwRuleModel {
  /** The rule's name: the first part of its comment (`name: comment`). */
  readonly name: string;
  /** ACCEPT, DROP or REJECT (for a macro rule: the macro's action). */
  readonly action: "ACCEPT" | "DROP" | "REJECT";
  /** pve-firewall macro (`SSH`), or null for a plain rule. */
  readonly macro: string | null;
  /** Protocol of a plain rule (a macro supplies its own). */
  readonly proto: string;
  /** `-source` as Proxmox reads it (address, CIDR, `+set`, alias), or null for any. */
  readonly source: string | null;
  /** `-dest`, or null for any. */
  readonly dest: string | null;
  /** `-dport` ports; empty for none. */
  readonly dports: readonly number[];
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
}

/** A value written into a rule line: one token (Firewall.pm parse_fw_rule reads `(\S+)`), no `#`. */
function tokenProblem(v: string): string | null {
  return /^[^\s#|]+$/.test(v) ? null : `must be one word without spaces or #, got ${show(v)}`;
}

/**
 * One rule line in the form Firewall.pm's `parse_fw_rule` reads and its `rules_to_conf` writes:
 * `[|]IN <action|Macro(action)> [-i if] [-source s] [-dest d] [-p proto] [-dport list] # name: comment`.
 * A macro supplies proto and ports (`get_firewall_macros`): a macro rule with `dports` is refused (the access
 * predicate reads a macro by its expansion only, so a port list beside it would mean something the check did
 * not judge), and its proto is not written.
 */
export function renderFwRule(r: FwRuleModel, at: string): string {
  const c = r.comment === null ? null : singleLineProblem(r.comment);
  if (c) throw new RenderModelError(`${at}.comment`, `${c} (a line break would end the rule)`);
  const parts = [`${r.enabled ? "" : "|"}IN ${r.macro === null ? r.action : `${r.macro}(${r.action})`}`];
  for (const [flag, field, v] of [
    ["-i", "iface", r.iface],
    ["-source", "source", r.source],
    ["-dest", "dest", r.dest],
  ] as const) {
    if (v === null) continue;
    const p = tokenProblem(v);
    if (p) throw new RenderModelError(`${at}.${field}`, p);
    parts.push(`${flag} ${v}`);
  }
  if (r.macro !== null) {
    if (r.dports.length)
      throw new RenderModelError(`${at}.dports`, `a macro rule (${r.macro}) takes its ports from the macro; drop dports or write the rule without macro`);
  } else {
    parts.push(`-p ${r.proto}`);
    if (r.dports.length) {
      if (r.proto !== "tcp" && r.proto !== "udp") throw new RenderModelError(`${at}.dports`, `ports need proto tcp or udp, not ${r.proto}`);
      parts.push(`-dport ${r.dports.join(",")}`);
    }
  }
  parts.push(`# ${r.comment === null ? r.name : `${r.name}: ${r.comment}`}`);
  return parts.join(" ");
}

/** cluster.fw: `[OPTIONS]`, `[ALIASES]`, one `[IPSET]` per set, `[RULES]`. */
export function renderClusterFw(m: FirewallFilesModel): string {
  return renderTemplate("pve-firewall.fw", {
    options: [`enable: ${m.enabled ? 1 : 0}`, `policy_in: ${m.inputPolicy}`, `policy_out: ${m.outputPolicy}`],
    aliases: Object.entries(m.aliases).map(([n, v]) => `${n} ${v}`),
    ipsets: Object.entries(m.ipsets).map(([name, entries]) => ({ name, entries })),
    rules: m.rules.map((r, i) => renderFwRule(r, `firewall.rules[${i}]`)),
  });
}

/** The node's host.fw: `[RULES]` only (pve-firewall reads no aliases or IP sets there; its options stay the defaults). */
export function renderHostFw(m: FirewallFilesModel): string {
  return renderTemplate("pve-firewall.fw", {
    options: [],
    aliases: [],
    ipsets: [],
    rules: m.hostRules.map((r, i) => renderFwRule(r, `firewall.hostRules[${i}]`)),
  });
}

/**
 * cluster.fw and the node's host.fw (`firewall.filesManaged: true`, the host service pve-firewall) read by meaning:
 * the live file and the render of the stack file, each parsed by discover's firewall parser (../parse/firewall.ts,
 * after pve-firewall's `generic_fw_config_parser`) and reduced to the same sections, so `--check` counts a file
 * only when pve-firewall would read it differently, and `--write` names every live option, alias, IP set entry,
 * rule and security group the render would drop or change (closed world: a line pve-firewall skips counts too).
 *
 * Meaning, as pve-firewall reads it (src/PVE/Firewall.pm, commit 6f1311f349daee920c7eedcc6e53d7fc5e2cfdbf):
 * - an option is its key (lowercased, `parse_clusterfw_option`/`parse_hostfw_option` match it so) and its value;
 * - an alias is its lowercased name and its address (`generic_fw_config_parser` stores `lc($data->{name})`), an IP
 *   set entry its canonical form in its lowercased set (`lc($1)` of the section; order inside a set carries no
 *   meaning: `generate_ipset_chains` adds the entries sorted, an ipset matches any of them);
 * - a rule is its meaning (stacks/common/firewallRule.ts: macros, port sets, address spellings, `-log nolog`) and,
 *   because the first match decides, its position: the rule lists are compared in order;
 * - comments on a line of their own and blank lines carry none; a rule's trailing comment is part of the rule.
 *
 * What the stack can state of them is read into `neve-infra:firewall` by discover's firewall read (../read.ts):
 * this reader states nothing more.
 */
import { addressListMeaning, ipsetEntryMeaning } from "../../common/firewallRule";
import { liveRuleMeaning } from "../check";
import type { FirewallFacts, FirewallRuleFacts } from "../facts";
import { parseFirewall } from "../parse/firewall";
import { liveRuleOf } from "../vocab";
import { sectionMeaningDiff } from "./meaning";

const ruleMeaning = (r: FirewallRuleFacts): string => liveRuleMeaning(liveRuleOf(r));

/** The ordered sections of one parsed firewall file; rule lists stay in order, the rest is a multiset. */
function firewallSections(f: FirewallFacts): { sets: Map<string, string[]>; lists: Map<string, string[]> } {
  const sets = new Map<string, string[]>();
  const lists = new Map<string, string[]>();
  if (f.options.length)
    sets.set(
      "[OPTIONS]",
      f.options.map(([k, v]) => `${k.toLowerCase()}: ${v}`),
    );
  if (f.aliases && Object.keys(f.aliases).length)
    sets.set(
      "[ALIASES]",
      Object.entries(f.aliases).map(([k, v]) => `${k} ${addressListMeaning(v)}`),
    );
  for (const [name, entries] of Object.entries(f.ipsets ?? {})) sets.set(`[IPSET ${name}]`, entries.map(ipsetEntryMeaning));
  if (f.rules.length) lists.set("[RULES]", f.rules.map(ruleMeaning));
  for (const [name, g] of Object.entries(f.groups ?? {})) {
    lists.set(`[group ${name}]`, g.rules.map(ruleMeaning));
    if (g.comment) sets.set(`[group ${name}] comment`, [g.comment]);
  }
  if (f.unparsed?.length) sets.set("lines pve-firewall skips", [...f.unparsed]);
  return { sets, lists };
}

/** Differences in meaning, live vs rendered firewall file (cluster.fw or host.fw), one line each. */
export function firewallMeaningDiff(live: string, rendered: string): string[] {
  const l = firewallSections(parseFirewall(live));
  const r = firewallSections(parseFirewall(rendered));
  // A section only one side has is an empty one on the other: each of its lines is named, not the section alone.
  for (const [a, b] of [
    [l, r],
    [r, l],
  ] as const)
    for (const kind of ["sets", "lists"] as const) for (const k of a[kind].keys()) if (!b[kind].has(k)) b[kind].set(k, []);
  const out = sectionMeaningDiff(l.sets, r.sets, (key) => `${key}:`);
  // A rule list: the same rules in another order are another ruleset (first match decides).
  const listDiff = new Map<string, string[]>();
  const orderOnly: string[] = [];
  for (const key of new Set([...l.lists.keys(), ...r.lists.keys()])) {
    const a = l.lists.get(key);
    const b = r.lists.get(key);
    if (a && b && a.length === b.length && a.every((x, i) => x === b[i])) continue;
    if (a && b && a.length && [...a].sort().join("\n") === [...b].sort().join("\n")) {
      const first = a.findIndex((x, i) => x !== b[i]);
      orderOnly.push(
        `${key}: the same rules in another order (rule ${first + 1} live "${a[first]}", rendered "${b[first]}"): pve-firewall's first match decides`,
      );
      continue;
    }
    listDiff.set(key, []);
  }
  const pick = (m: Map<string, string[]>) => new Map([...m].filter(([k]) => listDiff.has(k)));
  return [...out, ...sectionMeaningDiff(pick(l.lists), pick(r.lists), (key) => `${key}:`), ...orderOnly];
}

/**
 * Parser of a Proxmox firewall file (/etc/pve/firewall/cluster.fw), after proxmox/pve-firewall
 * src/PVE/Firewall.pm `generic_fw_config_parser` and `parse_fw_rule`:
 * - each line is trimmed; `#` lines and blank lines are skipped;
 * - sections `[OPTIONS]`, `[ALIASES]`, `[RULES]`, `[group <name>]`, `[IPSET <name>]` (case-insensitive);
 * - options are `key: value`;
 * - a rule: a trailing `# comment`, a leading `|` for a disabled rule, then `<type> <action>` where the
 *   action may be a macro `Name(ACCEPT|DROP|REJECT)`, then options `-i`, `-p` (`--proto`), `-dport`,
 *   `-sport`, `-source`, `-dest`, `-log <level>`, `-icmp-type` (one or two dashes), values as written.
 * A rule Proxmox would not parse is kept in `unparsed` (Proxmox skips it with a warning).
 * Checked against proxmox/pve-firewall commit 6f1311f349daee920c7eedcc6e53d7fc5e2cfdbf (src/PVE/Firewall.pm):
 * `[group <name>] # comment` holds rules parsed like `[RULES]` (rule_env `group`); host.fw
 * (`load_hostfw_conf`) has only `[OPTIONS]` and `[RULES]`; a guest's `<vmid>.fw` (`load_vmfw_conf`)
 * has `[OPTIONS]`, `[RULES]`, `[ALIASES]` and `[IPSET]`. The same parser reads all three.
 */
import type { FirewallFacts, FirewallGroupFacts, FirewallRuleFacts } from "../facts";

type Writable<T> = { -readonly [K in keyof T]: T[K] };

const OPTIONS: ReadonlyArray<[RegExp, keyof FirewallRuleFacts]> = [
  [/^-i (\S+)\s*/, "iface"],
  [/^(?:-p|--?proto) (\S+)\s*/, "proto"],
  [/^--?dport (\S+)\s*/, "dport"],
  [/^--?sport (\S+)\s*/, "sport"],
  [/^--?source (\S+)\s*/, "source"],
  [/^--?dest (\S+)\s*/, "dest"],
  [/^--?log (emerg|alert|crit|err|warning|notice|info|debug|nolog)\s*/, "log"],
  [/^--?icmp-type (\S+)\s*/, "icmpType"],
];

/** Parse one rule line; undefined when Proxmox would not parse it. */
export function parseFirewallRule(raw: string): FirewallRuleFacts | undefined {
  let line = raw;
  const rule: Partial<Writable<FirewallRuleFacts>> = { raw };
  const comment = /#\s*(.*?)\s*$/.exec(line);
  if (comment) {
    if (comment[1] !== "") rule.comment = comment[1];
    line = line.slice(0, comment.index);
  }
  rule.enabled = !line.startsWith("|");
  if (!rule.enabled) line = line.slice(1);
  const head = /^(\S+)\s+(\S+)\s*/.exec(line);
  if (!head) return undefined;
  const type = head[1].toLowerCase();
  if (type !== "in" && type !== "out" && type !== "group") return undefined;
  rule.type = type;
  rule.action = head[2];
  line = line.slice(head[0].length);
  const macro = /^(\S+)\((ACCEPT|DROP|REJECT)\)$/.exec(rule.action);
  if (type !== "group" && macro) {
    rule.macro = macro[1];
    rule.action = macro[2];
  }
  line = line.trimEnd();
  while (line.length) {
    const hit = OPTIONS.find(([re, field]) => (type !== "group" || field === "iface") && re.test(line));
    if (!hit) return undefined;
    const m = hit[0].exec(line)!;
    (rule as Record<string, unknown>)[hit[1]] = m[1];
    line = line.slice(m[0].length);
  }
  return rule as FirewallRuleFacts;
}

/** Parse the text of a firewall file. */
export function parseFirewall(text: string): FirewallFacts {
  const options: Array<[string, string]> = [];
  const rules: FirewallRuleFacts[] = [];
  const otherSections: string[] = [];
  const unparsed: string[] = [];
  const ipsets: Record<string, string[]> = {};
  const aliases: Record<string, string> = {};
  const groups: Record<string, { comment?: string; rules: FirewallRuleFacts[] }> = {};
  let ipset: string | undefined;
  let group: string | undefined;
  let section: "options" | "rules" | "ipset" | "aliases" | "group" | "other" | undefined;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/^[ \t]+|[ \t\r]+$/g, "");
    if (line === "" || line.startsWith("#")) continue;
    const sec = /^\[([^\]]+)\]\s*(?:#\s*(.*?)\s*)?$/.exec(line);
    if (sec) {
      const name = sec[1].trim();
      const g = /^group\s+(\S+)$/i.exec(name);
      if (g) {
        otherSections.push(name);
        section = "group";
        group = g[1].toLowerCase();
        groups[group] = { ...(sec[2] ? { comment: sec[2] } : {}), rules: [] };
        continue;
      }
      if (/^options$/i.test(name)) section = "options";
      else if (/^rules$/i.test(name)) section = "rules";
      else {
        section = "other";
        otherSections.push(name);
        const set = /^ipset\s+(\S+)$/i.exec(name);
        if (set) {
          section = "ipset";
          ipset = set[1].toLowerCase();
          ipsets[ipset] = [];
        } else if (/^aliases$/i.test(name)) section = "aliases";
      }
      continue;
    }
    if (section === "options") {
      const kv = /^([A-Za-z_][A-Za-z0-9_]*):\s*(.*?)\s*$/.exec(line);
      if (kv) options.push([kv[1].toLowerCase(), kv[2]]);
      else unparsed.push(line);
    } else if (section === "rules") {
      const rule = parseFirewallRule(line);
      if (rule) rules.push(rule);
      else unparsed.push(line);
    } else if (section === "group" && group !== undefined) {
      // Group rules: `IN`/`OUT` rules (a `GROUP` inside a group is not a rule pve-firewall generates).
      const rule = parseFirewallRule(line);
      if (rule && rule.type !== "group") groups[group].rules.push(rule);
      else unparsed.push(line);
    } else if (section === "ipset" && ipset !== undefined) {
      // `[!]<cidr|alias> [# comment]` (Firewall.pm parse_ipset_entry... via generic_fw_config_parser).
      const e = /^(!?\S+)\s*(?:#.*)?$/.exec(line);
      if (e) ipsets[ipset].push(e[1]);
      else unparsed.push(line);
    } else if (section === "aliases") {
      // `<name> <cidr> [# comment]` (Firewall.pm parse_alias).
      const a = /^(\S+)\s+(\S+)\s*(?:#.*)?$/.exec(line);
      if (a) aliases[a[1].toLowerCase()] = a[2];
      else unparsed.push(line);
    } else {
      // No section yet, or one pve-firewall does not know: it skips these lines with a warning.
      unparsed.push(line);
    }
  }
  return {
    options,
    rules,
    otherSections,
    ...(unparsed.length ? { unparsed } : {}),
    ...(Object.keys(ipsets).length ? { ipsets } : {}),
    ...(Object.keys(aliases).length ? { aliases } : {}),
    ...(Object.keys(groups).length ? { groups: groups as Record<string, FirewallGroupFacts> } : {}),
  };
}

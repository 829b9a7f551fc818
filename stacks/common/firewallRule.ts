import * as ipaddr from "ipaddr.js";

/**
 * The meaning of a pve-firewall rule line, one function for every place that compares rules
 * (discover's --check and --write, for cluster.fw, host.fw and security groups). Two rules mean the
 * same when pve-firewall would generate the same iptables rule from them (src/PVE/Firewall.pm,
 * commit 6f1311f349daee920c7eedcc6e53d7fc5e2cfdbf):
 * - a macro that generates one plain rule is that rule (`SSH(ACCEPT)` is `ACCEPT -p tcp -dport 22`,
 *   `Web(ACCEPT)` is `-dport 80,443`); the others (DNS, Ping, an unknown one) compare as the macro;
 * - the action and the direction are upper/lowercase-insensitive as `parse_fw_rule` reads them; a
 *   macro is looked up case-insensitively (`get_firewall_macros`), an alias reference is lowercased
 *   (`verify_rule`: `lc($2)`); an IP set or group reference is not (`$cluster_conf->{ipset}->{$2}`,
 *   `generate_group_rules`), while their sections' names are lowercased when read, so `+Mgmt` names no set;
 * - a port list is a set (`-m multiport --dports` matches any of them, in any order);
 * - an address is its value (`100.64.0.0/10` and `100.64.0.000/10` differ in spelling only; IPv6 compressed);
 *   in cluster.fw and host.fw a `dc/` scope is the only scope, so `dc/name` is `name` and `+dc/set` is `+set`;
 * - `-log nolog` is no log; proto `any` (the stack's word) is no `-p`;
 * - the comment is part of the rule (it is what the operator reads in the GUI), compared as written.
 */
export interface FirewallRuleShape {
  readonly action: string;
  /** `out` for an OUT rule; absent (or `in`) for IN. */
  readonly direction?: string;
  readonly macro?: string;
  readonly group?: string;
  readonly enabled: boolean;
  readonly iface?: string;
  readonly source?: string;
  readonly dest?: string;
  readonly proto?: string;
  readonly dports: readonly number[];
  readonly sports?: readonly number[];
  readonly log?: string;
  readonly icmpType?: string;
  readonly comment?: string;
}

/**
 * Every pve-firewall macro name as Proxmox spells it: the keys of `$pve_fw_macros` and
 * `$pve_ipv6fw_macros` (proxmox/pve-firewall@6f1311f349da src/PVE/Firewall.pm). Proxmox takes a macro
 * in any case and stores its own spelling (`verify_rule`: `$rule->{macro} = $preferred_name`, from
 * `$pve_fw_preferred_macro_names->{lc($k)}`), so a rule written `ping(ACCEPT)` reads back as `Ping`.
 */
const FIREWALL_MACRO_NAMES = (
  "Amanda Auth BGP BitTorrent BitTorrent32 Ceph CVS Citrix DAAP DCC DHCPfwd DHCPv6 DNS Distcc FTP Finger GNUnet GRE Git HKP HTTP " +
  "HTTPS ICPV2 ICQ IMAP IMAPS IPIP IPsec IPsecah IPsecnat IRC Jetdirect L2TP LDAP LDAPS MSNP MSSQL Mail MDNS Munin MySQL " +
  "NeighborDiscovery NNTP NNTPS NTP OSPF OpenVPN PCA PMG POP3 POP3S PPtP Ping PostgreSQL Printer RDP RIP RNDC Razor Rdate Rsync " +
  "SANE SMB SMBswat SMTP SMTPS SNMP SPAMD SSH SVN SixXS SPICEproxy Squid Submission Syslog TFTP Telnet Telnets Time Trcrt VNC " +
  "VNCL Web Webcache Webmin Whois"
).split(" ");

/** A macro name in Proxmox's own spelling (`ping` -> `Ping`), or undefined for a name pve-firewall does not know. */
export function preferredMacroName(name: string): string | undefined {
  return FIREWALL_MACRO_NAMES.find((m) => m.toLowerCase() === name.toLowerCase());
}

/**
 * What some macros stand for, from pve-firewall's `$pve_fw_macros` and `$pve_ipv6fw_macros`
 * (src/PVE/Firewall.pm, commit 6f1311f3), keyed lowercase as `get_firewall_macros` looks them up.
 * Each entry is one generated rule (`PARAM`: the rule's own source/dest/iface apply). Ping is the
 * ICMP echo request in both families, not all of ICMP.
 */
export const FIREWALL_MACROS: Readonly<
  Record<string, ReadonlyArray<{ readonly proto: string; readonly dports?: readonly number[]; readonly icmpType?: string }>>
> = {
  ssh: [{ proto: "tcp", dports: [22] }],
  http: [{ proto: "tcp", dports: [80] }],
  https: [{ proto: "tcp", dports: [443] }],
  web: [
    { proto: "tcp", dports: [80] },
    { proto: "tcp", dports: [443] },
  ],
  dns: [
    { proto: "udp", dports: [53] },
    { proto: "tcp", dports: [53] },
  ],
  ftp: [{ proto: "tcp", dports: [21] }],
  smtp: [{ proto: "tcp", dports: [25] }],
  ntp: [{ proto: "udp", dports: [123] }],
  ping: [
    { proto: "icmp", icmpType: "echo-request" },
    { proto: "ipv6-icmp", icmpType: "echo-request" },
  ],
};

/**
 * A macro rule as the one plain rule it generates, when it generates one (every entry the same
 * protocol with ports, merged into one port set as `-m multiport` matches them) and the rule adds no
 * protocol or port of its own; undefined otherwise (DNS is udp and tcp, Ping two families).
 */
function macroAsPlain(r: FirewallRuleShape): { proto: string; dports: number[] } | undefined {
  if (r.macro === undefined || r.proto !== undefined || r.dports.length || r.sports?.length || r.icmpType !== undefined) return undefined;
  const m = FIREWALL_MACROS[r.macro.toLowerCase()];
  if (!m || m.some((e) => e.proto !== m[0].proto || e.icmpType !== undefined || !e.dports)) return undefined;
  return { proto: m[0].proto, dports: m.flatMap((e) => e.dports ?? []) };
}

/** One address-list element in its canonical form. */
function addressMeaning(v: string): string {
  const set = /^\+(?:dc\/)?(.+)$/.exec(v);
  if (set) return `+${set[1]}`;
  try {
    if (v.includes("/")) {
      const [a, len] = ipaddr.parseCIDR(v);
      return `${a.toString()}/${len}`;
    }
    return ipaddr.parse(v).toString();
  } catch {
    return v.replace(/^dc\//, "").toLowerCase();
  }
}

/** A `-source`/`-dest` value (a comma list) in canonical form. */
export function addressListMeaning(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return [...new Set(v.split(",").map((x) => addressMeaning(x.trim())))].sort().join(",");
}

/** An IP set entry (`[!]cidr|alias`) in canonical form. */
export function ipsetEntryMeaning(e: string): string {
  const nomatch = e.startsWith("!");
  return `${nomatch ? "!" : ""}${addressMeaning(nomatch ? e.slice(1).trim() : e)}`;
}

const ports = (p: readonly number[] | undefined) => [...new Set(p ?? [])].sort((a, b) => a - b).join(",");

/** The rule's meaning as one comparable string. */
export function firewallRuleMeaning(rule: FirewallRuleShape): string {
  const plain = macroAsPlain(rule);
  const r: FirewallRuleShape = plain ? { ...rule, macro: undefined, ...plain } : rule;
  const parts: string[] = [r.enabled ? "on" : "off"];
  if (r.group !== undefined) parts.push(`GROUP ${r.group}`);
  else {
    if (r.direction === "out") parts.push("OUT");
    parts.push(r.macro !== undefined ? `${r.macro.toLowerCase()}(${r.action.toUpperCase()})` : r.action.toUpperCase());
  }
  if (r.iface) parts.push(`i=${r.iface}`);
  const source = addressListMeaning(r.source);
  const dest = addressListMeaning(r.dest);
  if (source) parts.push(`s=${source}`);
  if (dest) parts.push(`d=${dest}`);
  if (r.proto && r.proto !== "any") parts.push(`p=${r.proto.toLowerCase()}`);
  if (r.dports.length) parts.push(`dport=${ports(r.dports)}`);
  if (r.sports?.length) parts.push(`sport=${ports(r.sports)}`);
  if (r.log !== undefined && r.log !== "nolog") parts.push(`log=${r.log}`);
  if (r.icmpType) parts.push(`icmp=${r.icmpType.toLowerCase()}`);
  if (r.comment) parts.push(`# ${r.comment}`);
  return parts.join(" ");
}

/** The rule as a cluster.fw line (for messages): `[|]IN ACTION|Macro(ACTION)|GROUP name [-i ..] ... [# comment]`. */
export function firewallRuleLine(r: FirewallRuleShape): string {
  const dir = r.direction === "out" ? "OUT" : "IN";
  const head = r.group !== undefined ? `GROUP ${r.group}` : `${dir} ${r.macro !== undefined ? `${r.macro}(${r.action})` : r.action}`;
  const parts = [`${r.enabled ? "" : "|"}${head}`];
  if (r.iface) parts.push(`-i ${r.iface}`);
  if (r.source) parts.push(`-source ${r.source}`);
  if (r.dest) parts.push(`-dest ${r.dest}`);
  if (r.proto && r.proto !== "any") parts.push(`-p ${r.proto}`);
  if (r.dports.length) parts.push(`-dport ${r.dports.join(",")}`);
  if (r.sports?.length) parts.push(`-sport ${r.sports.join(",")}`);
  if (r.icmpType) parts.push(`-icmp-type ${r.icmpType}`);
  if (r.log !== undefined && r.log !== "nolog") parts.push(`-log ${r.log}`);
  if (r.comment) parts.push(`# ${r.comment}`);
  return parts.join(" ");
}

import * as ipaddr from "ipaddr.js";
import { singleLineProblem } from "./predicates";

/**
 * Directives the dnsmasq model always renders (templates/dnsmasq-bridge.conf.hbs) or states through a
 * field (`hostServices.dnsmasq.servers`, `noResolv`, `domain`, `local`, `cacheSize`); an extra line may
 * not repeat them. `dhcp-host` is not here: a reservation of a declared guest is stated on the guest
 * (`guests.<name>.mac` + `dhcpReserved`), one of a machine the stack does not declare stays an extra line
 * (the renderer refuses one that names a guest's MAC or address).
 */
export const DNSMASQ_OWNED_DIRECTIVES: ReadonlySet<string> = new Set([
  "interface",
  "bind-interfaces",
  "except-interface",
  "domain-needed",
  "bogus-priv",
  "dhcp-authoritative",
  "dhcp-range",
  "conf-file",
  "conf-dir",
  "server",
  "local",
  "no-resolv",
  "domain",
  "cache-size",
]);

/** The stack field that states an owned directive, for the error's fix. */
const OWNED_FIELD: Readonly<Record<string, string>> = {
  server: "hostServices.dnsmasq.servers",
  local: "hostServices.dnsmasq.local",
  "no-resolv": "hostServices.dnsmasq.noResolv",
  domain: "hostServices.dnsmasq.domain",
  "cache-size": "hostServices.dnsmasq.cacheSize",
  "except-interface": "hostServices.dnsmasq.exceptInterfaces",
  "dhcp-range": "network.ipv4.dhcpRange and hostServices.dnsmasq.leaseTime",
};

/** One directive of a dnsmasq file: its option name (without `--`) and its value (null for a flag). */
export interface DnsmasqDirective {
  /** Long option name, e.g. `server`, `no-resolv`. */
  readonly key: string;
  /** Text after `=`, trimmed; null when the line has no `=`. */
  readonly value: string | null;
}

/**
 * One line of a dnsmasq configuration file as dnsmasq reads it (dnsmasq `src/option.c`, `read_file`;
 * checked against dnsmasq 2.90 `--test`): a `#` at the start of the line or after white space starts a
 * comment (so `server=1.1.1.1#53` keeps its port), white space around the option and its value does not
 * count. A leading `--` (which dnsmasq refuses in a file) is read as the option, so an extra line cannot
 * pass an owned option that way. Null for a blank or comment line.
 */
export function parseDnsmasqLine(raw: string): DnsmasqDirective | null {
  let line = "";
  let quote = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '"') quote = !quote;
    if (!quote && ch === "#" && (i === 0 || /\s/.test(raw[i - 1]))) break;
    line += ch;
  }
  line = line.trim();
  if (line === "") return null;
  const eq = line.indexOf("=");
  const key = (eq < 0 ? line : line.slice(0, eq)).trim().replace(/^--/, "");
  return { key, value: eq < 0 ? null : line.slice(eq + 1).trim() };
}

/** A dnsmasq file's directives in order (comments and blank lines dropped). */
export function parseDnsmasqConfig(text: string): DnsmasqDirective[] {
  return text
    .split(/\r?\n/)
    .map(parseDnsmasqLine)
    .filter((d): d is DnsmasqDirective => d !== null);
}

/**
 * Why `line` is not an extra dnsmasq line the model can carry, or null: one line, no NUL or line
 * break, and not a directive the model owns (state those through their fields). Shared by the stack
 * schema and the renderer; the push still checks the result with the real `dnsmasq --test`.
 */
export function dnsmasqExtraLineProblem(line: unknown): string | null {
  if (typeof line !== "string" || line.trim() === "") return `must be one non-empty dnsmasq directive such as "log-queries", got ${JSON.stringify(line)}`;
  const one = singleLineProblem(line);
  if (one !== null) return one;
  const key = parseDnsmasqLine(line)?.key ?? "";
  if (DNSMASQ_OWNED_DIRECTIVES.has(key)) {
    const field = OWNED_FIELD[key];
    return `${JSON.stringify(line)} sets ${key}, which the model renders itself; state it through ${field ?? "its field"} instead of an extra line`;
  }
  return null;
}

const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Why `s` is not a DNS domain dnsmasq can be told about (`neve.lan`), or null. */
export function dnsmasqDomainProblem(s: unknown): string | null {
  if (typeof s !== "string" || s === "" || !s.split(".").every((l) => DOMAIN_LABEL.test(l)))
    return `must be a DNS domain such as "neve.lan", got ${JSON.stringify(s)}`;
  return null;
}

/** An upstream `server=` value by its parts. */
interface DnsmasqServer {
  /** `/a/b/` domains it is for (empty: every domain). */
  readonly domains: readonly string[];
  /** Address (normalised by ipaddr.js), `#` (the standard servers) or "" (answer locally only). */
  readonly address: string;
  /** Port, 53 unless given. */
  readonly port: number;
  /** `@source` suffix as written (interface or source address), or "". */
  readonly source: string;
}

function splitServer(s: string): DnsmasqServer | string {
  let rest = s.trim();
  const domains: string[] = [];
  if (rest.startsWith("/")) {
    const last = rest.lastIndexOf("/");
    if (last === 0) return "opens a /domain/ list that it never closes";
    for (const d of rest.slice(1, last).split("/")) {
      if (d !== "" && d !== "#" && dnsmasqDomainProblem(d.replace(/^\*\.?/, "")) !== null) return `names ${JSON.stringify(d)}, which is not a domain`;
      domains.push(d.toLowerCase());
    }
    rest = rest.slice(last + 1);
    if (rest === "" || rest === "#") return { domains, address: rest, port: 53, source: "" };
  }
  const at = rest.indexOf("@");
  const source = at < 0 ? "" : rest.slice(at + 1);
  if (at >= 0) rest = rest.slice(0, at);
  const hash = rest.lastIndexOf("#");
  let port = 53;
  if (hash >= 0) {
    const p = rest.slice(hash + 1);
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) return `has the port ${JSON.stringify(p)}; write a port in 1-65535 after #`;
    port = Number(p);
    rest = rest.slice(0, hash);
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(rest) && !ipaddr.IPv6.isValid(rest)) return `has ${JSON.stringify(rest)}, which is not an IPv4 or IPv6 address`;
  if (source !== "" && !/^[A-Za-z0-9_.:%-]+(#\d{1,5})?$/.test(source))
    return `has the source ${JSON.stringify(source)}; write an interface or an address after @`;
  return { domains, address: ipaddr.parse(rest).toString(), port, source };
}

/**
 * Why `s` is not the value of a dnsmasq `server=` line, or null: `ADDRESS[#PORT][@SOURCE]`, optionally
 * after `/domain/.../` (dnsmasq(8), --server); `/domain/` alone answers that domain locally (`local=`).
 */
export function dnsmasqServerProblem(s: unknown): string | null {
  if (typeof s !== "string" || s.trim() === "")
    return `must be an upstream DNS server such as "1.1.1.1", "1.1.1.1#5353" or "/corp.example/10.0.0.53", got ${JSON.stringify(s)}`;
  const one = singleLineProblem(s);
  if (one !== null) return one;
  const r = splitServer(s);
  return typeof r === "string" ? `${JSON.stringify(s)} ${r} (dnsmasq server syntax: [/domain/]ADDRESS[#PORT])` : null;
}

/**
 * A `server=` (or `local=`) value by its meaning: `1.1.1.1` and `1.1.1.1#53` are one server, an IPv6
 * address in any notation is one address, domains compare without case. Unparsable values stay as written.
 */
export function dnsmasqServerMeaning(s: string): string {
  const r = splitServer(s);
  if (typeof r === "string") return s.trim();
  const dom = r.domains.length ? `/${r.domains.join("/")}/` : "";
  const port = r.port === 53 || r.address === "" || r.address === "#" ? "" : `#${r.port}`;
  return `${dom}${r.address}${port}${r.source ? `@${r.source}` : ""}`;
}

const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/** Why `s` is not a MAC address (`BC:24:11:5A:0C:01`, either case, `:` or `-`), or null. */
export function macAddressProblem(s: unknown): string | null {
  if (typeof s !== "string" || !MAC.test(s)) return `must be a MAC address such as "BC:24:11:5A:0C:01", got ${JSON.stringify(s)}`;
  return null;
}

/** A MAC address as dnsmasq and Proxmox mean it: lower case, colon separated (`BC-24-...` = `bc:24:...`). */
export function canonicalMac(s: string): string {
  return s.toLowerCase().replace(/-/g, ":");
}

/** The IPv4 plan a reservation must fit: the served subnet, the router and the dynamic range. */
export interface DhcpPlan {
  /** Network, e.g. 10.10.10.0/24. */
  readonly subnet: string;
  /** The host's address on it. */
  readonly router: string;
  /** Dynamic range, inclusive. */
  readonly dhcpRange: { readonly start: string; readonly end: string };
}

const n4 = (a: string) => ipaddr.IPv4.parse(a).octets.reduce((n, o) => n * 256 + o, 0);

/**
 * Why `address` cannot be a fixed DHCP lease (`dhcp-host`) of `plan`, or null: a host address of the
 * subnet (not its network or broadcast address), not the router, outside the dynamic range (dnsmasq
 * would hand it out to anyone else too). Shared by the guest rules and the dnsmasq renderer.
 */
export function dhcpReservationProblem(address: string, plan: DhcpPlan): string | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return `${JSON.stringify(address)} is not an IPv4 address such as 10.10.10.60`;
  const [net, len] = ipaddr.IPv4.parseCIDR(plan.subnet);
  const ip = ipaddr.IPv4.parse(address);
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(plan.subnet).toString();
  if (!ip.match(net, len) || address === ipaddr.IPv4.networkAddressFromCIDR(plan.subnet).toString() || address === broadcast)
    return `${address} is not a host address of the DHCP network ${plan.subnet}; pick one inside it`;
  if (n4(address) === n4(plan.router)) return `${address} is the router's address; pick a free one`;
  if (n4(address) >= n4(plan.dhcpRange.start) && n4(address) <= n4(plan.dhcpRange.end))
    return `${address} lies in the DHCP range ${plan.dhcpRange.start}-${plan.dhcpRange.end}; give fixed leases an address outside it`;
  return null;
}

/** A lease time by its meaning, in seconds (`12h` = `720m` = `43200`), `infinite` as is; null when it is none. */
export function leaseTimeMeaning(s: string): string | null {
  if (s === "infinite") return s;
  const m = /^(\d+)([smhdw]?)$/i.exec(s);
  if (!m) return null;
  const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return String(Number(m[1]) * unit[m[2].toLowerCase()]);
}

/** DHCP option names dnsmasq accepts for the numbers the model renders (dnsmasq `src/dhcp-common.c`, `opttab`). */
const DHCP_OPTION_NUMBERS: Readonly<Record<string, string>> = {
  netmask: "1",
  router: "3",
  "dns-server": "6",
  "domain-name": "15",
  "ntp-server": "42",
  "domain-search": "119",
};

/** A `dhcp-option=` value by its meaning: `option:router,10.10.10.1` = `3,10.10.10.1`. */
export function dhcpOptionMeaning(v: string): string {
  const parts = v.split(",").map((p) => p.trim());
  const i = parts.findIndex((p) => !/^(tag|set|encap|vi-encap|vendor):/.test(p) && !p.startsWith("!"));
  if (i >= 0) {
    const m = /^option:(.+)$/.exec(parts[i]);
    if (m && DHCP_OPTION_NUMBERS[m[1]] !== undefined) parts[i] = DHCP_OPTION_NUMBERS[m[1]];
  }
  return parts.join(",");
}

/** The MACs (canonical) and IPv4 addresses a `dhcp-host=` value names: what it reserves. */
export function dhcpHostClaims(value: string): { readonly macs: readonly string[]; readonly addresses: readonly string[] } {
  const parts = value.split(",").map((x) => x.trim());
  return {
    macs: parts.filter((x) => macAddressProblem(x) === null).map(canonicalMac),
    addresses: parts.filter((x) => ipaddr.IPv4.isValidFourPartDecimal(x)),
  };
}

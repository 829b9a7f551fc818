/**
 * The live dnsmasq drop-in (/etc/dnsmasq.d/neve-<bridge>.conf) read into the stack file's vocabulary,
 * for `discover --write`: upstream `server=` lines, `no-resolv`, `domain`, `local`, `cache-size`, the
 * lease time of `dhcp-range`, `except-interface`, each `dhcp-host` of a declared guest (its `mac` and
 * `dhcpReserved`), and every directive the model does not own as an extra line. What cannot be stated
 * is reported line by line by {@link dnsmasqMeaningDiff} against the render of the written stack file.
 *
 * "Equal in meaning" ({@link dnsmasqMeaning}): the same directives as a multiset, once each is read as
 * dnsmasq reads it (stacks/common/dnsmasqDirectives.ts): comments, blank lines, white space and a
 * leading `--` do not count, nor the order of lines (dnsmasq's options are not ordered, except upstream
 * servers under `strict-order`: then their order counts); a flag counts once however often it stands;
 * `server=1.1.1.1#53` = `server=1.1.1.1`, `local=/d/` = `server=/d/`, MACs without case,
 * `dhcp-option=option:router,..` = `dhcp-option=3,..`, lease times in seconds.
 */

import {
  canonicalMac,
  DNSMASQ_OWNED_DIRECTIVES,
  type DnsmasqDirective,
  dhcpHostClaims,
  dhcpOptionMeaning,
  dhcpReservationProblem,
  dnsmasqDomainProblem,
  dnsmasqServerMeaning,
  dnsmasqServerProblem,
  leaseTimeMeaning,
  macAddressProblem,
  parseDnsmasqConfig,
} from "../../common/dnsmasqDirectives";
import { leaseTimeProblem } from "../../common/predicates";
import type { NeveModel } from "../../config/model";
import type { Statement } from "./haproxy";
import { sectionMeaningDiff } from "./meaning";

const HS = "neve-infra:hostServices";
const SECTION = "dnsmasq";

/**
 * One directive as dnsmasq means it (see the file comment). `local` is `server` under another name: both
 * map to option 'S' in dnsmasq's option table (src/option.c, `opts[]`: `{"server", 1, 0, 'S'}`,
 * `{"local", 1, 0, 'S'}`).
 */
function directiveMeaning(d: DnsmasqDirective): string {
  const key = d.key === "local" ? "server" : d.key;
  const v = d.value;
  if (v === null) return key;
  switch (key) {
    case "server":
      return `server=${dnsmasqServerMeaning(v)}`;
    case "dhcp-host":
      return `dhcp-host=${v
        .split(",")
        .map((p) => p.trim())
        .map((p) => (macAddressProblem(p) === null ? canonicalMac(p) : p))
        .join(",")}`;
    case "dhcp-option":
      return `dhcp-option=${dhcpOptionMeaning(v)}`;
    case "dhcp-range":
      return `dhcp-range=${v
        .split(",")
        .map((p) => p.trim())
        .map((p, i, all) => (i === all.length - 1 && i >= 2 ? (leaseTimeMeaning(p) ?? p) : p))
        .join(",")}`;
    case "domain":
      return `domain=${v.toLowerCase()}`;
    default:
      return `${key}=${v}`;
  }
}

/** Meaning of a dnsmasq file: one section of directives by meaning, sorted (servers in order under strict-order). */
export function dnsmasqMeaning(text: string): Map<string, string[]> {
  const ds = parseDnsmasqConfig(text);
  const strict = ds.some((d) => d.key === "strict-order");
  const flags = new Set<string>();
  const lines: string[] = [];
  const servers: string[] = [];
  for (const d of ds) {
    const m = directiveMeaning(d);
    if (d.value === null) flags.add(m);
    else if (strict && m.startsWith("server=")) servers.push(m.slice("server=".length));
    else lines.push(m);
  }
  if (servers.length) lines.push(`server (in this order, strict-order)=${servers.join(" ; ")}`);
  return new Map([[SECTION, [...flags, ...lines].sort()]]);
}

/** Each difference in meaning between the live and the rendered drop-in, one line each (empty when equal in meaning). */
export function dnsmasqMeaningDiff(live: string, rendered: string): string[] {
  return sectionMeaningDiff(dnsmasqMeaning(live), dnsmasqMeaning(rendered), () => "dnsmasq:");
}

/** A `dhcp-host` value split into what a guest reservation can state; null when it carries more (tags, client ids, lease times, several MACs). */
function reservationOf(value: string): { mac: string; address: string; name?: string } | null {
  const parts = value.split(",").map((p) => p.trim());
  const macs = parts.filter((p) => macAddressProblem(p) === null);
  const addrs = parts.filter((p) => /^\d{1,3}(\.\d{1,3}){3}$/.test(p));
  const rest = parts.filter((p) => !macs.includes(p) && !addrs.includes(p));
  if (macs.length !== 1 || addrs.length !== 1 || rest.length > 1) return null;
  if (rest.length === 1 && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(rest[0])) return null;
  return { mac: macs[0], address: addrs[0], ...(rest.length ? { name: rest[0] } : {}) };
}

/**
 * What the live drop-in states in the stack's vocabulary. Owned directives go to their fields, a
 * `dhcp-host` of a declared guest to that guest, every other directive to `extraLines`; what cannot be
 * stated (a changed `interface`, `dhcp-range` addresses, a missing flag) is left for {@link dnsmasqMeaningDiff}.
 */
export function stateDnsmasq(text: string, model: NeveModel): Statement[] {
  const out: Statement[] = [];
  const dm = model.hostServices.dnsmasq;
  const plan = model.network.ipv4;
  const ds = parseDnsmasqConfig(text);
  const values = (key: string) => ds.filter((d) => d.key === key && d.value !== null).map((d) => d.value as string);
  const has = (key: string) => ds.some((d) => d.key === key);
  const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(a) === JSON.stringify(b);

  // Upstream servers: `server=` with an address or `#`; `server=/d/` and `local=/d/` alone are local domains.
  const localOf = (v: string) => /^\/(.+)\/$/.exec(v.trim())?.[1];
  const all = [...ds.filter((d) => (d.key === "server" || d.key === "local") && d.value !== null)].map((d) => d.value as string);
  const servers = all.filter((v) => localOf(v) === undefined && dnsmasqServerProblem(v) === null);
  // A server line the syntax refuses is neither: the meaning diff reports it as left.
  const local = all
    .map(localOf)
    .filter((d): d is string => d !== undefined)
    .flatMap((d) => d.split("/"))
    .filter((x) => dnsmasqDomainProblem(x) === null);
  if (!same(servers.map(dnsmasqServerMeaning), dm.servers.map(dnsmasqServerMeaning)))
    out.push({ path: [HS, "dnsmasq", "servers"], value: servers, text: `hostServices.dnsmasq.servers: ${JSON.stringify(servers)} (live server= lines)` });
  if (has("no-resolv") !== dm.noResolv)
    out.push({
      path: [HS, "dnsmasq", "noResolv"],
      value: has("no-resolv") || undefined,
      text: `hostServices.dnsmasq.noResolv: ${has("no-resolv")} (live no-resolv)`,
    });
  const domains = values("domain").filter((d) => dnsmasqDomainProblem(d) === null);
  const domain = domains.length === 1 ? domains[0].toLowerCase() : undefined;
  if (domain !== dm.domain)
    out.push({ path: [HS, "dnsmasq", "domain"], value: domain, text: `hostServices.dnsmasq.domain: ${domain ?? "(none)"} (live domain=)` });
  const declaredLocal = dm.local ?? (dm.domain === undefined ? [] : [dm.domain]);
  const defaultLocal = domain === undefined ? [] : [domain];
  const sortedLocal = [...local].map((l) => l.toLowerCase()).sort();
  if (!same(sortedLocal, [...declaredLocal].sort())) {
    const v = same(sortedLocal, defaultLocal) ? undefined : sortedLocal;
    out.push({
      path: [HS, "dnsmasq", "local"],
      value: v,
      text: `hostServices.dnsmasq.local: ${v === undefined ? "unstated (the default: [domain])" : JSON.stringify(v)} (live local=/server= without an address)`,
    });
  }
  const cache = values("cache-size").filter((v) => /^\d+$/.test(v));
  const cacheSize = cache.length ? Number(cache.at(-1)) : undefined;
  if (cacheSize !== dm.cacheSize)
    out.push({ path: [HS, "dnsmasq", "cacheSize"], value: cacheSize, text: `hostServices.dnsmasq.cacheSize: ${cacheSize ?? "(none)"} (live cache-size)` });

  // The lease time of the one dhcp-range (its addresses are the IP plan's: a difference there is left, not written).
  const ranges = values("dhcp-range");
  if (ranges.length === 1) {
    const parts = ranges[0].split(",").map((p) => p.trim());
    const lease = parts.length >= 3 ? parts.at(-1) : undefined;
    if (lease !== undefined && leaseTimeProblem(lease) === null && leaseTimeMeaning(lease) !== leaseTimeMeaning(dm.leaseTime))
      out.push({ path: [HS, "dnsmasq", "leaseTime"], value: lease, text: `hostServices.dnsmasq.leaseTime: ${lease} (live dhcp-range)` });
  }
  // except-interface: the other bridges are always added by the render; the rest is the stack's list.
  const bridges = new Set(Object.keys(model.network.bridges));
  const except = [...new Set(values("except-interface").flatMap((v) => v.split(",").map((x) => x.trim())))].filter((n) => !bridges.has(n));
  if (!same([...except].sort(), [...dm.exceptInterfaces].sort()))
    out.push({
      path: [HS, "dnsmasq", "exceptInterfaces"],
      value: except,
      text: `hostServices.dnsmasq.exceptInterfaces: ${JSON.stringify(except)} (live except-interface)`,
    });

  // Reservations: a dhcp-host of a declared guest (by MAC, else by name, else by address) is stated on it.
  const extra: string[] = [];
  const claimed = new Set<string>();
  for (const d of ds) {
    if (d.key !== "dhcp-host" || d.value === null) continue;
    const r = reservationOf(d.value);
    const g = r
      ? (model.guests.find((x) => x.mac !== undefined && canonicalMac(x.mac) === canonicalMac(r.mac)) ??
        model.guests.find((x) => r.name !== undefined && x.name.toLowerCase() === r.name.toLowerCase()) ??
        model.guests.find((x) => !x.template && (x.ipv4 ?? x.dhcpReserved) === r.address))
      : undefined;
    const fits =
      r !== undefined &&
      r !== null &&
      g !== undefined &&
      !claimed.has(g.name) &&
      !g.template &&
      g.bridge === plan.bridge &&
      (r.name === undefined || r.name.toLowerCase() === g.name.toLowerCase()) &&
      (g.ipv4 === undefined || g.ipv4 === r.address) &&
      dhcpReservationProblem(r.address, { subnet: plan.subnet, router: plan.gateway, dhcpRange: plan.dhcpRange }) === null;
    if (!fits || !r || !g) {
      // Kept as an extra line only when it names no declared guest's MAC or address (the stack refuses
      // that, config/rules/hostServices.ts); otherwise the meaning diff reports it as left.
      const claims = dhcpHostClaims(d.value);
      const guestOf = model.guests.find(
        (x) =>
          !x.template &&
          ((x.mac !== undefined && claims.macs.includes(canonicalMac(x.mac))) ||
            ((x.ipv4 ?? x.dhcpReserved) !== undefined && claims.addresses.includes((x.ipv4 ?? x.dhcpReserved) as string))),
      );
      if (guestOf === undefined) extra.push(`dhcp-host=${d.value}`);
      continue;
    }
    claimed.add(g.name);
    const at = `guests.${g.name}`;
    if (g.mac === undefined || canonicalMac(g.mac) !== canonicalMac(r.mac))
      out.push({ path: ["neve-infra:guests", g.name, "mac"], value: r.mac, text: `${at}.mac: ${r.mac} (live dhcp-host)` });
    if (g.dhcpReserved !== r.address)
      out.push({
        path: ["neve-infra:guests", g.name, "dhcpReserved"],
        value: r.address,
        text: `${at}.dhcpReserved: ${r.address} (live dhcp-host: dnsmasq reserves it for the MAC)`,
      });
  }
  for (const g of model.guests) {
    if (g.dhcpReserved !== undefined && !claimed.has(g.name))
      out.push({
        path: ["neve-infra:guests", g.name, "dhcpReserved"],
        value: undefined,
        text: `guests.${g.name}.dhcpReserved: (none) (no live dhcp-host for it)`,
      });
  }

  // Every other directive the model does not own, in file order; dhcp-option 3 and 6 are the model's.
  for (const d of ds) {
    if (DNSMASQ_OWNED_DIRECTIVES.has(d.key) || d.key === "dhcp-host") continue;
    if (d.key === "dhcp-option" && d.value !== null && /^(3|6),/.test(dhcpOptionMeaning(d.value))) continue;
    extra.push(d.value === null ? d.key : `${d.key}=${d.value}`);
  }
  const extraUnique = extra.filter((l, i) => extra.indexOf(l) === i || !/^[^=]+$/.test(l));
  if (!same(extraUnique, [...(dm.extraLines ?? [])]))
    out.push({
      path: [HS, "dnsmasq", "extraLines"],
      value: extraUnique.length ? extraUnique : undefined,
      text: `hostServices.dnsmasq.extraLines: ${extraUnique.length} live directives the model does not own`,
    });
  return out;
}

import * as ipaddr from "ipaddr.js";
import {
  canonicalMac,
  dhcpHostClaims,
  dhcpReservationProblem,
  dnsmasqDomainProblem,
  dnsmasqExtraLineProblem,
  dnsmasqServerProblem,
  macAddressProblem,
  parseDnsmasqLine,
} from "../common/dnsmasqDirectives";
import { leaseTimeProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { assertIfname, assertIp, assertIpv4Network, assertUnique, RenderModelError, show } from "./validate";

/** A fixed lease handed to one MAC address. */
export interface DnsmasqStaticHost {
  /** MAC address, e.g. "bc:24:11:aa:bb:cc" (lowercase or uppercase, colon separated). */
  readonly mac: string;
  /** IPv4 address inside the subnet, outside the dynamic range. */
  readonly address: string;
  /** Optional hostname (a single DNS label) given to the client. */
  readonly hostname?: string;
}

/** Everything /etc/dnsmasq.d/neve-<bridge>.conf is rendered from. */
export interface DnsmasqModel {
  /** The private bridge to serve, e.g. "vmbr1". */
  readonly interface: string;
  /** Interfaces never to answer on (neve: "lo", "vmbr0", "tailscale0"). Defaults to none. */
  readonly exceptInterfaces?: readonly string[];
  /** The bridge's IPv4 network, e.g. "10.10.10.0/24". */
  readonly subnet: string;
  /** Default gateway handed to clients (the host's bridge address), e.g. "10.10.10.1". */
  readonly router: string;
  /** DNS server handed to clients. Defaults to the router (dnsmasq on the host). */
  readonly dnsServer?: string;
  /** Dynamic range, inclusive, e.g. 10.10.10.100 - 10.10.10.200. */
  readonly dhcpRange: {
    /** First address of the range. */
    readonly start: string;
    /** Last address of the range. */
    readonly end: string;
  };
  /** Lease time: seconds (at least 120), a number with m/h/d, or "infinite". Defaults to "12h". */
  readonly leaseTime?: string;
  /** Local DNS domain for the bridge (`domain=`: DHCP clients' names are qualified with it). Defaults to none. */
  readonly domain?: string;
  /** Domains answered from local data only, never forwarded (`local=/d/`). Defaults to `[domain]` when a domain is set, else none. */
  readonly local?: readonly string[];
  /** Upstream DNS servers (`server=` values, e.g. "1.1.1.1", "/corp.example/10.0.0.53"), in order. Defaults to none. */
  readonly servers?: readonly string[];
  /** `no-resolv`: never read upstream servers from /etc/resolv.conf. Defaults to false. */
  readonly noResolv?: boolean;
  /** `cache-size`: DNS cache entries (0 disables the cache). Defaults to dnsmasq's own (150). */
  readonly cacheSize?: number;
  /** Fixed leases. Defaults to none. */
  readonly staticHosts?: readonly DnsmasqStaticHost[];
  /** Directives the model does not know, rendered last (`dnsmasqExtraLineProblem`). Defaults to none. */
  readonly extraLines?: readonly string[];
}

const toInt = (a: ipaddr.IPv4): number => a.octets.reduce((n, o) => n * 256 + o, 0);
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Validate `model` and render the dnsmasq drop-in for one private bridge. */
export function renderDnsmasqConfig(model: DnsmasqModel): string {
  const iface = assertIfname("dnsmasq.interface", model.interface);
  const except = (model.exceptInterfaces ?? []).map((n, i) => {
    assertIfname(`dnsmasq.exceptInterfaces[${i}]`, n);
    if (n === iface) {
      throw new RenderModelError(`dnsmasq.exceptInterfaces[${i}]`, `${show(n)} is the served interface itself; remove it from exceptInterfaces`);
    }
    return n;
  });
  const [network, prefix] = assertIpv4Network("dnsmasq.subnet", model.subnet);
  const inSubnet = (field: string, value: string): ipaddr.IPv4 => {
    const ip = assertIp(field, value, "ipv4") as ipaddr.IPv4;
    const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(model.subnet);
    if (!ip.match(network, prefix) || toInt(ip) === toInt(network) || toInt(ip) === toInt(broadcast)) {
      throw new RenderModelError(field, `${value} is not a host address of ${model.subnet}; pick one inside it`);
    }
    return ip;
  };
  const router = inSubnet("dnsmasq.router", model.router);
  const dnsServer = model.dnsServer === undefined ? router : inSubnet("dnsmasq.dnsServer", model.dnsServer);
  if (model.dhcpRange === undefined || model.dhcpRange === null) {
    throw new RenderModelError("dnsmasq.dhcpRange", 'is required, e.g. { start: "10.10.10.100", end: "10.10.10.200" }');
  }
  const start = inSubnet("dnsmasq.dhcpRange.start", model.dhcpRange.start);
  const end = inSubnet("dnsmasq.dhcpRange.end", model.dhcpRange.end);
  if (toInt(start) > toInt(end)) {
    throw new RenderModelError("dnsmasq.dhcpRange", `starts at ${model.dhcpRange.start} after it ends at ${model.dhcpRange.end}; swap them`);
  }
  const inRange = (ip: ipaddr.IPv4) => toInt(ip) >= toInt(start) && toInt(ip) <= toInt(end);
  if (inRange(router)) {
    throw new RenderModelError(
      "dnsmasq.router",
      `${model.router} lies in the DHCP range ${model.dhcpRange.start}-${model.dhcpRange.end}; the range must leave the gateway out`,
    );
  }
  const leaseTime = model.leaseTime ?? "12h";
  const leaseProblem = leaseTimeProblem(leaseTime);
  if (leaseProblem !== null) throw new RenderModelError("dnsmasq.leaseTime", leaseProblem);
  if (model.domain !== undefined) {
    const p = dnsmasqDomainProblem(model.domain);
    if (p !== null) throw new RenderModelError("dnsmasq.domain", p);
  }
  const local = (model.local ?? (model.domain === undefined ? [] : [model.domain])).map((d, i) => {
    const p = dnsmasqDomainProblem(d);
    if (p !== null) throw new RenderModelError(`dnsmasq.local[${i}]`, p);
    return d;
  });
  const servers = (model.servers ?? []).map((v, i) => {
    const p = dnsmasqServerProblem(v);
    if (p !== null) throw new RenderModelError(`dnsmasq.servers[${i}]`, p);
    return v.trim();
  });
  if (model.cacheSize !== undefined && (!Number.isInteger(model.cacheSize) || model.cacheSize < 0)) {
    throw new RenderModelError("dnsmasq.cacheSize", `must be a whole number of cache entries, 0 or more, got ${show(model.cacheSize)}`);
  }

  const staticHosts = (model.staticHosts ?? []).map((h, i) => {
    const f = `dnsmasq.staticHosts[${i}]`;
    const macProblem = macAddressProblem(h.mac);
    if (macProblem !== null) throw new RenderModelError(`${f}.mac`, macProblem);
    const mac = canonicalMac(h.mac);
    const ip = assertIp(`${f}.address`, h.address, "ipv4") as ipaddr.IPv4;
    const reservation = dhcpReservationProblem(ip.toString(), { subnet: model.subnet, router: router.toString(), dhcpRange: model.dhcpRange });
    if (reservation !== null) throw new RenderModelError(`${f}.address`, reservation);
    if (h.hostname !== undefined && (typeof h.hostname !== "string" || !LABEL.test(h.hostname))) {
      throw new RenderModelError(`${f}.hostname`, `must be a single lowercase DNS label such as "lune", got ${show(h.hostname)}`);
    }
    return [mac, ip.toString(), ...(h.hostname === undefined ? [] : [h.hostname])].join(",");
  });
  const hosts = model.staticHosts ?? [];
  assertUnique("dnsmasq.staticHosts", hosts, (h) => canonicalMac(h.mac), "MAC address");
  assertUnique("dnsmasq.staticHosts", hosts, (h) => h.address, "address");

  const extraLines = (model.extraLines ?? []).map((l, i) => {
    const p = dnsmasqExtraLineProblem(l);
    if (p !== null) throw new RenderModelError(`dnsmasq.extraLines[${i}]`, p);
    // One source of truth per reservation: an extra dhcp-host may not name a fixed lease's MAC or address.
    const d = parseDnsmasqLine(l);
    if (d?.key === "dhcp-host" && d.value !== null) {
      const claims = dhcpHostClaims(d.value);
      const clash = hosts.findIndex((h) => claims.macs.includes(canonicalMac(h.mac)) || claims.addresses.includes(h.address));
      if (clash >= 0) {
        throw new RenderModelError(
          `dnsmasq.extraLines[${i}]`,
          `${show(l)} names the MAC or address of the fixed lease ${hosts[clash].hostname ?? hosts[clash].mac} (from its guest entry); state the reservation once, on the guest`,
        );
      }
    }
    return l.trim();
  });

  return renderTemplate("dnsmasq-bridge.conf", {
    interface: iface,
    exceptInterfaces: except,
    subnet: model.subnet,
    domain: model.domain ?? null,
    local,
    servers,
    noResolv: model.noResolv === true,
    cacheSize: model.cacheSize ?? null,
    rangeStart: start.toString(),
    rangeEnd: end.toString(),
    netmask: ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString(),
    leaseTime,
    router: router.toString(),
    dnsServer: dnsServer.toString(),
    staticHosts,
    extraLines,
  });
}

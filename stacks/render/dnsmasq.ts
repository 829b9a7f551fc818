import * as ipaddr from "ipaddr.js";
import { dnsmasqExtraLineProblem } from "../common/dnsmasqDirectives";
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
  /** Local DNS domain for the bridge (answered locally, never forwarded). Defaults to none. */
  readonly domain?: string;
  /** Fixed leases. Defaults to none. */
  readonly staticHosts?: readonly DnsmasqStaticHost[];
  /** Directives the model does not know, rendered last (`dnsmasqExtraLineProblem`). Defaults to none. */
  readonly extraLines?: readonly string[];
}

const toInt = (a: ipaddr.IPv4): number => a.octets.reduce((n, o) => n * 256 + o, 0);
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
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
  if (model.domain !== undefined && (typeof model.domain !== "string" || !model.domain.split(".").every((l) => LABEL.test(l)))) {
    throw new RenderModelError("dnsmasq.domain", `must be a lowercase DNS domain such as "neve.lan", got ${show(model.domain)}`);
  }

  const staticHosts = (model.staticHosts ?? []).map((h, i) => {
    const f = `dnsmasq.staticHosts[${i}]`;
    const mac = typeof h.mac === "string" ? h.mac.toLowerCase() : h.mac;
    if (typeof mac !== "string" || !MAC.test(mac)) {
      throw new RenderModelError(`${f}.mac`, `must be a MAC address such as "bc:24:11:aa:bb:cc", got ${show(h.mac)}`);
    }
    const ip = inSubnet(`${f}.address`, h.address);
    if (inRange(ip)) {
      throw new RenderModelError(
        `${f}.address`,
        `${h.address} lies in the DHCP range ${model.dhcpRange.start}-${model.dhcpRange.end}; give fixed leases an address outside it`,
      );
    }
    if (toInt(ip) === toInt(router)) {
      throw new RenderModelError(`${f}.address`, `${h.address} is the router's address; pick a free one`);
    }
    if (h.hostname !== undefined && (typeof h.hostname !== "string" || !LABEL.test(h.hostname))) {
      throw new RenderModelError(`${f}.hostname`, `must be a single lowercase DNS label such as "lune", got ${show(h.hostname)}`);
    }
    return [mac, ip.toString(), ...(h.hostname === undefined ? [] : [h.hostname])].join(",");
  });
  const hosts = model.staticHosts ?? [];
  assertUnique("dnsmasq.staticHosts", hosts, (h) => h.mac.toLowerCase(), "MAC address");
  assertUnique("dnsmasq.staticHosts", hosts, (h) => h.address, "address");

  const extraLines = (model.extraLines ?? []).map((l, i) => {
    const p = dnsmasqExtraLineProblem(l);
    if (p !== null) throw new RenderModelError(`dnsmasq.extraLines[${i}]`, p);
    return l.trim();
  });

  return renderTemplate("dnsmasq-bridge.conf", {
    interface: iface,
    exceptInterfaces: except,
    subnet: model.subnet,
    domain: model.domain ?? null,
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

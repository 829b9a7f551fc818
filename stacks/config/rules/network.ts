import * as ipaddr from "ipaddr.js";
import { formatRange, ipv4CidrsOverlap, ipv4InCidr, ipv4InRange, ipv4NetworkOf, ipv4ToNumber, ipv6InCidr, prefixLength, rangesOverlap } from "../ipplan";
import type { SectionRules } from "./types";

/** The IP plan, the bridges and the tailnet. (The subnet's network address is the schema's.) */
export const networkRules: SectionRules = (c, add) => {
  const plan = c.network.ipv4;
  const bridges = Object.keys(c.network.bridges);
  const planBridge = c.network.bridges[plan.bridge];
  if (!planBridge) {
    add("network.ipv4.bridge", `unknown bridge "${plan.bridge}"; use one of ${bridges.join(", ")}`);
  } else if (planBridge.ipv4 === "dhcp" || planBridge.ipv4 !== `${plan.gateway}/${prefixLength(plan.subnet)}`) {
    add(
      `network.bridges.${plan.bridge}.ipv4`,
      `is ${planBridge.ipv4} but the IP plan's gateway is ${plan.gateway} in ${plan.subnet}; set it to ${plan.gateway}/${prefixLength(plan.subnet)}`,
    );
  }
  // NAT masquerades the bridge's own subnet: a bridge without a static IPv4 has none to name.
  for (const [name, b] of Object.entries(c.network.bridges)) {
    if (b.nat && b.ipv4 === "dhcp")
      add(
        `network.bridges.${name}.nat`,
        `${name} has no static IPv4 subnet to masquerade (ipv4: dhcp); give it a static ipv4 such as 10.10.20.1/24 or set nat: false`,
      );
    if (b.nat && b.public) add(`network.bridges.${name}.nat`, `${name} is the public bridge, where NAT goes out; mark the private bridges nat: true instead`);
  }
  // Two bridges on one subnet (or nested ones) make the host's routing ambiguous, and NAT, rendered per
  // bridge from its own subnet, would masquerade the same addresses twice; one NIC can be enslaved to
  // one bridge only (the kernel refuses a second master, so ifreload would fail on the host).
  const entries = Object.entries(c.network.bridges);
  const portOwner = new Map<string, string>();
  entries.forEach(([name, b], i) => {
    for (const [other, o] of entries.slice(0, i)) {
      if (b.ipv4 !== "dhcp" && o.ipv4 !== "dhcp" && ipv4CidrsOverlap(b.ipv4, o.ipv4))
        add(`network.bridges.${name}.ipv4`, `${b.ipv4} overlaps ${other}'s ${o.ipv4}; give each bridge a subnet of its own, such as 10.10.20.1/24`);
    }
    b.ports.forEach((port, k) => {
      const owner = portOwner.get(port);
      if (owner !== undefined)
        add(`network.bridges.${name}.ports[${k}]`, `${port} is already a port of ${owner}; a NIC belongs to one bridge, remove it here or there`);
      else portOwner.set(port, name);
    });
  });
  if (Object.values(c.network.bridges).some((b) => b.nat) && !Object.values(c.network.bridges).some((b) => b.public)) {
    add("network.bridges", "a bridge is marked nat: true but no bridge is public: true; NAT needs the outside interface: mark it public");
  }
  const inSubnet = (a: string) => ipv4InCidr(a, plan.subnet);
  if (!inSubnet(plan.gateway)) add("network.ipv4.gateway", `${plan.gateway} lies outside the subnet ${plan.subnet}; pick an address inside it`);

  const ranges: { path: string; range: { start: string; end: string } }[] = [
    { path: "network.ipv4.dhcpRange", range: plan.dhcpRange },
    { path: "network.ipv4.cloneRange", range: plan.cloneRange },
    ...plan.reserved.map((r, i) => ({ path: `network.ipv4.reserved[${i}]`, range: r })),
  ];
  for (const { path, range } of ranges) {
    if (!inSubnet(range.start) || !inSubnet(range.end)) {
      add(path, `${formatRange(range)} is not inside the subnet ${plan.subnet}; keep both ends inside it`);
    } else if (ipv4ToNumber(range.start) > ipv4ToNumber(range.end)) {
      add(path, `starts after it ends (${formatRange(range)}); swap start and end`);
    }
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (rangesOverlap(ranges[i].range, ranges[j].range)) {
        add(ranges[j].path, `${formatRange(ranges[j].range)} overlaps ${ranges[i].path} ${formatRange(ranges[i].range)}; ranges must be disjoint`);
      }
    }
  }
  if (inSubnet(plan.gateway) && ipv4InRange(plan.gateway, plan.dhcpRange)) {
    add("network.ipv4.gateway", `${plan.gateway} lies in the DHCP range ${formatRange(plan.dhcpRange)}; move the gateway or the range`);
  }
  plan.unmanaged.forEach((u, i) => {
    if (!inSubnet(u.address)) add(`network.ipv4.unmanaged[${i}].address`, `${u.address} lies outside the subnet ${plan.subnet}`);
  });
  const v6 = c.network.ipv6;
  if (v6 && !ipv6InCidr(v6.gateway, v6.prefix)) {
    add("network.ipv6.gateway", `${v6.gateway} lies outside the prefix ${v6.prefix}; pick an address inside it`);
  }
  // The host's own public address (A records of routed names come from it): never the prefix's
  // network or broadcast address (a /31 or /32 has neither).
  const pub = c.network.publicIpv4;
  if (pub !== undefined && prefixLength(pub) < 31) {
    const [addr] = pub.split("/");
    const net = ipv4NetworkOf(pub).split("/")[0];
    const bcast = ipaddr.IPv4.broadcastAddressFromCIDR(pub).toString();
    if (addr === net || addr === bcast)
      add(
        "network.publicIpv4",
        `${addr} is the ${addr === net ? "network" : "broadcast"} address of ${ipv4NetworkOf(pub)}, not a host address; write the host's own address with its prefix, such as 51.159.96.140/24`,
      );
  }
  if (!ipv4InCidr(c.network.tailnet.hostAddress, c.network.tailnet.cidr)) {
    add("network.tailnet.hostAddress", `${c.network.tailnet.hostAddress} lies outside the tailnet ${c.network.tailnet.cidr}`);
  }
};

import * as ipaddr from "ipaddr.js";
import { tailnetAccessIssues } from "../access";
import { isAddressOrCidr } from "../common";
import { once, type SectionRules } from "./types";

/** Ranges no Internet host sends from: RFC 1918, the tailnet's CGNAT range (RFC 6598), loopback, link-local, IPv6 ULA. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"];

/** True when the address or CIDR `s` lies wholly inside one private range. */
function isPrivateSource(s: string): boolean {
  try {
    const [addr, len] = s.includes("/") ? ipaddr.parseCIDR(s) : [ipaddr.parse(s), ipaddr.parse(s).kind() === "ipv4" ? 32 : 128];
    return PRIVATE_RANGES.some((r) => {
      const [net, netLen] = ipaddr.parseCIDR(r);
      return net.kind() === addr.kind() && len >= netLen && addr.match(net, netLen);
    });
  } catch {
    return false;
  }
}

/** Firewall rules: known guests and interfaces; the API port never open to a public source or on the public bridge. */
export const firewallRules: SectionRules = (c, add) => {
  const guestNames = once(() => Object.keys(c.guests).join(", "));
  const bridges = Object.keys(c.network.bridges);
  const apiPort = c.firewall.apiPort;
  const firstByName = new Map<string, number>();
  c.firewall.rules.forEach((r, i) => {
    const at = `firewall.rules[${i}]`;
    // The name is the rule's identity in the comment (`name: comment`) and in discover's mapping.
    const first = firstByName.get(r.name);
    if (first !== undefined) add(`${at}.name`, `"${r.name}" is already the name of firewall.rules[${first}]; give each rule its own name`);
    else firstByName.set(r.name, i);
    for (const field of ["source", "dest"] as const) {
      const v = r[field];
      if (v !== undefined && !isAddressOrCidr(v) && !c.guests[v]) {
        add(`${at}.${field}`, `"${v}" is neither an address/CIDR nor a known guest; write an address or one of ${guestNames()}`);
      } else if (v !== undefined && c.guests[v] && !c.guests[v].ipv4) {
        add(`${at}.${field}`, `guest "${v}" has no static IPv4 to match on; write an address instead`);
      }
    }
    const tailnetIface = c.network.tailnet.iface;
    if (r.iface !== undefined && !c.network.bridges[r.iface] && r.iface !== tailnetIface) {
      add(`${at}.iface`, `unknown interface "${r.iface}"; use one of ${[...bridges, tailnetIface].join(", ")} or omit iface`);
    }
    if (r.action === "ACCEPT" && r.dports.includes(apiPort)) {
      // Only tailnet traffic arrives on the tailnet interface: a rule bound to it is not open to everyone.
      // Otherwise open = any source, or one that reaches beyond the private ranges (0.0.0.0/1 is half the Internet).
      const open = r.iface !== tailnetIface && (r.source === undefined || (!c.guests[r.source] && !isPrivateSource(r.source)));
      const anySource = r.source === undefined || r.source === "0.0.0.0/0" || r.source === "::/0";
      const publicIface = r.iface !== undefined && c.network.bridges[r.iface]?.public;
      if (open || publicIface) {
        add(
          at,
          `opens the Proxmox API port ${apiPort} ${publicIface ? `on the public bridge ${r.iface}` : anySource ? "to any source" : `to public addresses (source ${r.source})`}; restrict source to the tailnet (${c.network.tailnet.cidr})`,
        );
      }
    }
  });
  for (const i of tailnetAccessIssues(c)) add(i.path, i.message);
};

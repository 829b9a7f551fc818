import { tailnetAccessIssues } from "../access";
import { isAddressOrCidr } from "../common";
import type { SectionRules } from "./types";

/** Firewall rules: known guests and interfaces; the API port never open to everyone or on the public bridge. */
export const firewallRules: SectionRules = (c, add) => {
  const guestNames = Object.keys(c.guests);
  const bridges = Object.keys(c.network.bridges);
  const apiPort = c.firewall.apiPort;
  c.firewall.rules.forEach((r, i) => {
    const at = `firewall.rules[${i}]`;
    for (const field of ["source", "dest"] as const) {
      const v = r[field];
      if (v !== undefined && !isAddressOrCidr(v) && !c.guests[v]) {
        add(`${at}.${field}`, `"${v}" is neither an address/CIDR nor a known guest; write an address or one of ${guestNames.join(", ")}`);
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
      const open = r.iface !== tailnetIface && (r.source === undefined || r.source === "0.0.0.0/0" || r.source === "::/0");
      const publicIface = r.iface !== undefined && c.network.bridges[r.iface]?.public;
      if (open || publicIface) {
        add(
          at,
          `opens the Proxmox API port ${apiPort} ${publicIface ? `on the public bridge ${r.iface}` : "to any source"}; restrict source to the tailnet (${c.network.tailnet.cidr})`,
        );
      }
    }
  });
  for (const i of tailnetAccessIssues(c)) add(i.path, i.message);
};

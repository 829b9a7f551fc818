import * as ipaddr from "ipaddr.js";
import { ifnameProblem, singleLineProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { RenderModelError, show } from "./validate";

/** Path of the node's network configuration (ifupdown2 on Proxmox VE). */
export const INTERFACES_PATH = "/etc/network/interfaces";

/** One Linux bridge stanza. */
export interface InterfacesBridgeModel {
  /** Interface name (`vmbr1`). */
  readonly name: string;
  /** `dhcp` (vmbr0: what the Proxmox API cannot express) or a static IPv4 CIDR (`10.10.10.1/24`). */
  readonly ipv4: "dhcp" | string;
  /** Static IPv6 with prefix, or null. */
  readonly ipv6: string | null;
  /** Enslaved ports; empty: `bridge-ports none`. */
  readonly ports: readonly string[];
  /** Comment as Proxmox writes it (a `#` line after the stanza), or null. */
  readonly comment: string | null;
  /** True when the bridge's NAT is the host's own `post-up` lines (`nat: interfaces`): refused, see renderInterfaces. */
  readonly hostNat: boolean;
}

/** Everything /etc/network/interfaces is rendered from. */
export interface InterfacesModel {
  /** The bridges, in the order they are written. */
  readonly bridges: readonly InterfacesBridgeModel[];
}

/**
 * Validate `model` and render /etc/network/interfaces in the layout pve-manager writes (PVE/INotify.pm
 * `__write_etc_network_interfaces`: `auto` + `iface` stanzas, tab-indented options, the bridge's ports as
 * `inet manual` stanzas, the comment as a `#` line). A comment with a line break would end the stanza.
 */
export function renderInterfaces(model: InterfacesModel): string {
  const seen = new Set<string>();
  const ports = new Set<string>();
  model.bridges.forEach((b, i) => {
    const at = `interfaces.bridges[${i}]`;
    const p = ifnameProblem(b.name);
    if (p) throw new RenderModelError(`${at}.name`, p);
    if (seen.has(b.name)) throw new RenderModelError(`${at}.name`, `${show(b.name)} is declared twice`);
    seen.add(b.name);
    if (b.ipv4 !== "dhcp" && !ipaddr.IPv4.isValidCIDR(b.ipv4)) throw new RenderModelError(`${at}.ipv4`, `must be dhcp or an IPv4 CIDR, got ${show(b.ipv4)}`);
    if (b.ipv6 !== null && !ipaddr.IPv6.isValidCIDR(b.ipv6)) throw new RenderModelError(`${at}.ipv6`, `must be an IPv6 CIDR, got ${show(b.ipv6)}`);
    const c = b.comment === null ? null : singleLineProblem(b.comment);
    if (c) throw new RenderModelError(`${at}.comment`, `${c} (a line break would end the stanza)`);
    if (b.hostNat) {
      throw new RenderModelError(
        `${at}.hostNat`,
        "is the host's own post-up NAT lines, which this file cannot carry; set nat: true (the stack's nftables NAT) before the stack renders the interfaces file",
      );
    }
    b.ports.forEach((port, k) => {
      const q = ifnameProblem(port);
      if (q) throw new RenderModelError(`${at}.ports[${k}]`, q);
      if (ports.has(port)) throw new RenderModelError(`${at}.ports[${k}]`, `${show(port)} is a port of another bridge too; a port belongs to one bridge`);
      ports.add(port);
    });
  });
  return renderTemplate("network-interfaces", {
    ports: [...ports],
    bridges: model.bridges.map((b) => ({
      name: b.name,
      method: b.ipv4 === "dhcp" ? "dhcp" : "static",
      address: b.ipv4 === "dhcp" ? null : b.ipv4,
      gateway: null,
      bridgePorts: b.ports.length ? b.ports.join(" ") : "none",
      comment: b.comment,
      address6: b.ipv6,
    })),
  });
}

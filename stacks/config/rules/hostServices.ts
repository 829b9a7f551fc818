import { canonicalMac, dhcpHostClaims, parseDnsmasqLine } from "../../common/dnsmasqDirectives";
import { once, type SectionRules } from "./types";

/**
 * Host services: what the config alone can tell. The ports the services claim, the host paths they
 * own and everything their renderers and the providers' checks refuse are checked with the declared
 * resources in view (stacks/components/host/preflight.ts).
 */
export const hostServiceRules: SectionRules = (c, add) => {
  const hs = c.hostServices;
  const vmNames = once(() =>
    Object.keys(c.guests)
      .filter((k) => c.guests[k].kind === "vm")
      .join(", "),
  );
  if (hs.enabled) {
    c.routes.forEach((r, i) => {
      for (const key of ["http", "https"] as const) {
        if (r[key] === undefined) {
          add(
            `routes[${i}].${key}`,
            `is required while hostServices.enabled: the haproxy edge proxy routes both ports of a hostname; set the guest's ${key === "http" ? "HTTP port (80)" : "TLS port (443)"}`,
          );
        }
      }
    });
  }
  // An extra dhcp-host (a machine the stack does not declare) may not hand out a guest's address or MAC:
  // the guest's own entry is the one source of its address (and of its reservation).
  (hs.dnsmasq.extraLines ?? []).forEach((l, i) => {
    const d = parseDnsmasqLine(l);
    if (d?.key !== "dhcp-host" || d.value === null) return;
    const claims = dhcpHostClaims(d.value);
    for (const [name, g] of Object.entries(c.guests)) {
      if (g.template) continue;
      const addr = g.ipv4 ?? g.dhcpReserved;
      const macHit = g.mac !== undefined && claims.macs.includes(canonicalMac(g.mac));
      if ((addr !== undefined && claims.addresses.includes(addr)) || macHit) {
        add(
          `hostServices.dnsmasq.extraLines[${i}]`,
          `${JSON.stringify(l)} reserves ${macHit ? `the MAC of guests.${name}` : `${addr}, the address of guests.${name}`}; state the reservation on the guest (guests.${name}.mac and dhcpReserved) and remove this line`,
        );
        return;
      }
    }
  });
  hs.novnc.forEach((n, i) => {
    const at = `hostServices.novnc[${i}]`;
    const g = c.guests[n.guest];
    if (!g) add(`${at}.guest`, `unknown guest "${n.guest}"; use one of the VMs: ${vmNames()}`);
    else if (g.kind !== "vm") add(`${at}.guest`, `"${n.guest}" is a container; noVNC consoles are for QEMU VMs`);
  });
};

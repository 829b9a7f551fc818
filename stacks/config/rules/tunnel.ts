import { originHost } from "../../common/predicates";
import type { SectionRules } from "./types";

/** Tunnel ingress: hostnames not routed elsewhere, origins on the host or a guest. Runs after the routes. */
export const tunnelRules: SectionRules = (c, add, { hostnames }) => {
  const plan = c.network.ipv4;
  const knownAddresses = new Set<string>(["127.0.0.1", "::1", "localhost", plan.gateway, c.network.tailnet.hostAddress]);
  for (const g of Object.values(c.guests)) if (g.ipv4 && !g.template) knownAddresses.add(g.ipv4);
  c.tunnel.ingress.forEach((t, i) => {
    const at = `tunnel.ingress[${i}]`;
    const h = t.hostname.toLowerCase();
    if (hostnames.has(h)) add(`${at}.hostname`, `${t.hostname} is already routed by ${hostnames.get(h)}; each public hostname routes to one place`);
    else hostnames.set(h, at);
    // The schema's originUrlProblem has accepted the URL, so it parses.
    const host = originHost(t.service);
    if (!knownAddresses.has(host)) {
      add(`${at}.service`, `${t.service} points at ${host}, which is neither the host (127.0.0.1, ${plan.gateway}) nor a guest's address; fix the address`);
    }
    if (t.noTLSVerify && !t.service.startsWith("https://"))
      add(`${at}.noTLSVerify`, `only applies to an https:// origin, and ${t.service} is not one; remove it`);
  });
};

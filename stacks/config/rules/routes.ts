import { once, type SectionRules } from "./types";

/** Public routes: one place per hostname, a running guest with a fixed address, at least one port. */
export const routeRules: SectionRules = (c, add, { hostnames }) => {
  const guestNames = once(() => Object.keys(c.guests).join(", "));
  c.routes.forEach((r, i) => {
    const at = `routes[${i}]`;
    const h = r.hostname.toLowerCase();
    if (hostnames.has(h)) add(`${at}.hostname`, `${r.hostname} is already routed by ${hostnames.get(h)}; each public hostname routes to one place`);
    else hostnames.set(h, at);
    const g = c.guests[r.guest];
    if (!g) add(`${at}.guest`, `unknown guest "${r.guest}"; route to one of ${guestNames()}`);
    else if (g.template) add(`${at}.guest`, `"${r.guest}" is a template and never runs; route to a running guest`);
    else if (!g.ipv4)
      add(`${at}.guest`, `"${r.guest}" has no static IPv4 on ${c.network.ipv4.bridge}; the edge proxy needs a fixed address, give the guest an ipv4`);
    if (r.http === undefined && r.https === undefined) add(at, "routes neither http nor https; set http: 80 and/or https: 443 (the guest's ports)");
  });
};

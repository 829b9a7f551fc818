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
  hs.novnc.forEach((n, i) => {
    const at = `hostServices.novnc[${i}]`;
    const g = c.guests[n.guest];
    if (!g) add(`${at}.guest`, `unknown guest "${n.guest}"; use one of the VMs: ${vmNames()}`);
    else if (g.kind !== "vm") add(`${at}.guest`, `"${n.guest}" is a container; noVNC consoles are for QEMU VMs`);
  });
};

import { z } from "zod";
import { fqdnSchema, hostnameSchema, portSchema } from "./common";

/**
 * One public route of the edge proxy (haproxy on the host): port 80 routed by Host header,
 * port 443 passed through by SNI to the guest, which terminates TLS itself.
 */
const routeSchema = z.strictObject({
  /** Public hostname, e.g. `cipher.wenzelarifiandi.com`. */
  hostname: fqdnSchema,
  /** Name of the guest (key of `guests`) that serves it. */
  guest: hostnameSchema,
  /** Guest port for plain HTTP (public :80, by Host header). Omit to not route HTTP. */
  http: portSchema.optional(),
  /** Guest port for TLS (public :443, SNI passthrough). Omit to not route HTTPS. */
  https: portSchema.optional(),
});

/** `neve-infra:routes`: public hostnames and the guests behind them. */
export const routesSchema = z.array(routeSchema);

/** Parsed route. */
export type RouteConfig = z.infer<typeof routeSchema>;

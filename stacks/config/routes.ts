import { z } from "zod";
import { haproxyNameProblem, haproxyTimeProblem, serverExtraProblem, serverWordProblem } from "../common/haproxy";
import { fqdnSchema, hostnameSchema, portSchema, refineWith } from "./common";

const countSchema = (what: string) =>
  z
    .number({ error: `must be a whole number (${what})` })
    .int({ error: `must be a whole number (${what})` })
    .min(1, { error: `must be at least 1 (${what})` });

/** A haproxy time such as "5s", "1m" or "30000" (milliseconds). */
export const haproxyTimeSchema = z.string({ error: 'must be a haproxy time such as "5s"' }).superRefine(refineWith(haproxyTimeProblem));

/** Health check of a route's server: its port and timings (each omitted: haproxy's own default). */
export const serverCheckSchema = z.strictObject({
  /** Port the check connects to (`port N`), e.g. the guest's 443 while the server speaks PROXY protocol. Defaults to the server's port. */
  port: portSchema.optional(),
  /** Interval between checks, e.g. "5s" (`inter`). Defaults to haproxy's 2s. */
  inter: haproxyTimeSchema.optional(),
  /** Successes that mark the server up (`rise`). Defaults to haproxy's 2. */
  rise: countSchema("rise").max(100, { error: "must be at most 100" }).optional(),
  /** Failures that mark the server down (`fall`). Defaults to haproxy's 3. */
  fall: countSchema("fall").max(100, { error: "must be at most 100" }).optional(),
});

/** Options of the server line of one backend of a route (haproxy `server NAME ADDR:PORT <options>`). */
export const serverOptionsSchema = z.strictObject({
  /**
   * PROXY protocol header to the guest: `v1` (`send-proxy`) or `v2` (`send-proxy-v2`), for a guest that
   * listens with it (nginx `listen 443 proxy_protocol`). Omit for none.
   */
  sendProxy: z.enum(["v1", "v2"], { error: "must be v1 (send-proxy) or v2 (send-proxy-v2)" }).optional(),
  /** Health check: true (plain `check`), false (none), or `{ port, inter, rise, fall }`. Defaults to true. */
  check: z.union([z.boolean(), serverCheckSchema], { error: "must be true, false or { port, inter, rise, fall }" }).default(true),
  /** Connection limit of the server (`maxconn`). Omit for none. */
  maxconn: countSchema("maxconn").optional(),
  /** TLS from haproxy to the guest (`ssl`, `verify none|required`, `sni EXPR`, `ca-file PATH`). Omit for plain TCP. */
  ssl: z
    .strictObject({
      /** `verify`: none or required. Omit for haproxy's default (required). */
      verify: z.enum(["none", "required"], { error: "must be none or required" }).optional(),
      /** `sni`: a sample expression such as `str(cipher.example.com)` or `req.ssl_sni`. Omit for none. */
      sni: z.string().superRefine(refineWith(serverWordProblem)).optional(),
      /** `ca-file`: the CA bundle that verifies the guest. Omit for none. */
      caFile: z.string().superRefine(refineWith(serverWordProblem)).optional(),
    })
    .optional(),
  /** A backup server (`backup`). Defaults to false. */
  backup: z.boolean().optional(),
  /** Load-balancing weight (`weight`, 0-256). Omit for haproxy's 1. */
  weight: z
    .number()
    .int({ error: "must be a whole number in 0-256" })
    .min(0, { error: "must be at least 0" })
    .max(256, { error: "must be at most 256" })
    .optional(),
  /**
   * Server keywords the model has no field for, each a keyword with its arguments
   * (`on-marked-down shutdown-sessions`), rendered after the typed options; the push checks the whole
   * file with `haproxy -c`. Omit for none.
   */
  extra: z.array(z.string().superRefine(refineWith(serverExtraProblem))).optional(),
});

/** haproxy names of a route's sections, for a file named by hand (each omitted: the model's name). */
export const routeNamesSchema = z.strictObject({
  /** Name of the TLS backend. Defaults to tls_ + the hostname with "." as "_". */
  tlsBackend: z.string().superRefine(refineWith(haproxyNameProblem)).optional(),
  /** Name of the HTTP backend. Defaults to http_ + the hostname with "." as "_". */
  httpBackend: z.string().superRefine(refineWith(haproxyNameProblem)).optional(),
  /** Name of the server line in both backends. Defaults to the hostname with "." as "_". */
  server: z.string().superRefine(refineWith(haproxyNameProblem)).optional(),
});

/**
 * One public route of the edge proxy (haproxy on the host): port 80 routed by Host header,
 * port 443 passed through by SNI to the guest, which terminates TLS itself.
 */
export const routeSchema = z.strictObject({
  /** Public hostname, e.g. `cipher.wenzelarifiandi.com`. */
  hostname: fqdnSchema,
  /** Name of the guest (key of `guests`) that serves it. */
  guest: hostnameSchema,
  /** Guest port for plain HTTP (public :80, by Host header). Omit to not route HTTP. */
  http: portSchema.optional(),
  /** Guest port for TLS (public :443, SNI passthrough). Omit to not route HTTPS. */
  https: portSchema.optional(),
  /** Options of the TLS backend's server line (send-proxy, check, maxconn). Defaults to `{ check: true }`. */
  httpsServer: serverOptionsSchema.optional(),
  /** Options of the HTTP backend's server line (send-proxy, check, maxconn). Defaults to `{ check: true }`. */
  httpServer: serverOptionsSchema.optional(),
  /** haproxy section and server names of this route (`tlsBackend`, `httpBackend`, `server`). Defaults to the model's names. */
  names: routeNamesSchema.optional(),
});

/** `neve-infra:routes`: public hostnames and the guests behind them. */
export const routesSchema = z.array(routeSchema);

/** Parsed route. */
export type RouteConfig = z.infer<typeof routeSchema>;

/** Parsed server options of a route. */
export type ServerOptionsConfig = z.infer<typeof serverOptionsSchema>;

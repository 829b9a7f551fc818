import { z } from "zod";
import { originUrlProblem } from "../common/predicates";
import { fqdnSchema, refineWith } from "./common";

/** Origin schemes the stack config allows (the rules check that the host is the host or a guest). */
const TUNNEL_ORIGIN_SCHEMES: readonly string[] = ["http", "https"];

/** One ingress rule of the Cloudflare Tunnel. */
const tunnelIngressSchema = z.strictObject({
  /** Public hostname served through the tunnel. */
  hostname: fqdnSchema,
  /** Origin URL on the host, e.g. `https://127.0.0.1:8006`. Its host must be an IP address. */
  service: z.string().superRefine(refineWith((s: string) => originUrlProblem(s, TUNNEL_ORIGIN_SCHEMES))),
  /** Accept the origin's self-signed certificate. Defaults to false. */
  noTLSVerify: z.boolean().default(false),
});

/** `neve-infra:tunnel`: the cloudflared tunnel. Its credentials JSON is the secret `tunnelCredentials`. */
export const tunnelSchema = z.strictObject({
  /** Tunnel UUID. */
  id: z.uuid({ error: "must be the tunnel's UUID" }),
  /** Ingress rules, first match wins; cloudflared's final `http_status:404` catch-all is implied. */
  ingress: z.array(tunnelIngressSchema).min(1, { error: "needs at least one ingress rule" }),
});

/** Parsed `neve-infra:tunnel`. */
export type TunnelConfig = z.infer<typeof tunnelSchema>;

import type { SshTarget } from "../ssh/client";
import type { ConnectionInputs } from "./connection";

/**
 * Helpers of the providers' operations (create/update/read/delete). Serialized into each provider's
 * `__provider`: node modules are `require`d inside functions, nothing here holds a secret or a live object.
 */

/** The SSH target of a checked connection. */
export function targetOf(c: ConnectionInputs, connectTimeoutMs?: number): SshTarget {
  return { host: c.host, port: c.port, username: c.username, hostKey: c.hostKey, privateKey: c.privateKey, connectTimeoutMs };
}

/** Replace every secret (and every long-enough line of one) by "[secret]". */
export function redact(message: string, secrets: readonly string[]): string {
  let m = message;
  const pieces = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    pieces.add(s);
    for (const line of s.split("\n")) {
      const t = line.trim();
      if (t.length >= 6) pieces.add(t);
    }
  }
  for (const p of [...pieces].sort((a, b) => b.length - a.length)) m = m.split(p).join("[secret]");
  return m;
}

/** A random token and a UTC time stamp (20251125T181744123Z) naming one change on the host (stash dir, staged files). */
export function newToken(): { token: string; stamp: string } {
  const crypto = require("crypto") as typeof import("crypto");
  const stamp = new Date().toISOString().replace(/[-:.]/g, "").replace(/^(\d{8}T\d{9})Z?$/, "$1Z");
  return { token: crypto.randomBytes(4).toString("hex"), stamp };
}

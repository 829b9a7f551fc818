import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { SshTarget } from "../ssh/client";
import { type SshTimeouts, timeoutsOf } from "../ssh/timeouts";
import type { ConnectionInputs } from "./connection";

/**
 * Helpers of the providers' operations (create/update/read/delete). Serialized into each provider's
 * `__provider`: node modules are `require`d inside functions, nothing here holds a secret or a live object.
 */

/** The SSH target of a checked connection; `connectTimeoutMs` overrides `connection.timeouts.connect`. */
export function targetOf(c: ConnectionInputs, connectTimeoutMs?: number): SshTarget {
  return {
    host: c.host,
    port: c.port,
    username: c.username,
    hostKey: c.hostKey,
    privateKey: c.privateKey,
    connectTimeoutMs: connectTimeoutMs ?? timeoutsOf(c.timeouts).connect * 1000,
  };
}

/** A time limit of a connection in milliseconds (defaults applied; old states have no `timeouts`). */
export function limitMs(c: ConnectionInputs, which: keyof SshTimeouts): number {
  return timeoutsOf(c.timeouts)[which] * 1000;
}

/** Secret texts that must never appear in an error: the private key and the content of every secret file. */
export function secretsOf(c: ConnectionInputs | undefined, files: readonly { secret: boolean; content: string | null }[] = []): string[] {
  const out: string[] = [];
  if (c?.privateKey) out.push(c.privateKey);
  for (const f of files) if (f.secret && f.content) out.push(f.content);
  return out;
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
  const crypto = require("node:crypto") as typeof import("crypto");
  const stamp = new Date()
    .toISOString()
    .replace(/[-:.]/g, "")
    .replace(/^(\d{8}T\d{9})Z?$/, "$1Z");
  return { token: crypto.randomBytes(4).toString("hex"), stamp };
}

/**
 * The pure half of a provider, `check` and `diff`, from its check and diff functions: neither touches
 * the host, so a preview never opens a connection.
 */
export function pureMethods<I, O>(
  checkInputs: (raw: Record<string, unknown>) => { inputs: I; failures: dynamic.CheckFailure[] },
  diffInputs: (olds: O, news: I) => dynamic.DiffResult,
): Pick<dynamic.ResourceProvider<I, O>, "check" | "diff"> {
  // The parameters must not be named like the methods: the closure serializer turns each method into
  // a named function, whose own name would hide the captured function.
  return {
    async check(_olds: I, news: I): Promise<dynamic.CheckResult<I>> {
      return checkInputs(news as unknown as Record<string, unknown>);
    },
    async diff(_id: string, olds: O, news: I): Promise<dynamic.DiffResult> {
      return diffInputs(olds, news);
    },
  };
}

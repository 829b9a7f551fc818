import { close, connect, type SshSession, type SshTarget } from "./client";
import { acquire, type Gate, newGate, release } from "./gate";
import { parseHostKeyPin } from "./hostkey";

/** One pooled connection and the gate over its channels. */
interface PoolEntry {
  session: Promise<SshSession>;
  gate: Gate;
}

/**
 * The pool lives on a process-global (Symbol.for key on globalThis), not in a module variable: the
 * provider host deserializes each dynamic provider's closure on its own, so every provider gets its
 * own copy of this module's variables, while globalThis is one per process.
 */
function poolEntries(): Map<string, PoolEntry> {
  const g = globalThis as unknown as Record<symbol, { entries: Map<string, PoolEntry> } | undefined>;
  const key = Symbol.for("neve-infra.ssh.pool.v2");
  let state = g[key];
  if (!state) {
    state = { entries: new Map() };
    g[key] = state;
  }
  return state.entries;
}

/**
 * Pool key: host, port, user, pinned key and a hash of the credential. The credential is part of
 * the key so that a resource holding a wrong (or revoked) key never rides on a connection that
 * another resource authenticated; only its hash is kept, never the key.
 */
export function poolKey(target: SshTarget): string {
  const crypto = require("node:crypto") as typeof import("crypto");
  const cred = target.privateKey ? `key:${crypto.createHash("sha256").update(target.privateKey).digest("hex").slice(0, 16)}` : "agent";
  let pin = String(target.hostKey).trim();
  try {
    pin = parseHostKeyPin(pin).fingerprint; // a fingerprint and its key line share one connection
  } catch {
    /* connect() reports the bad pin */
  }
  return `${target.host}:${target.port}:${target.username}:${pin}:${cred}`;
}

/** Channels one pooled connection runs at once (below sshd's default MaxSessions of 10). */
export const MAX_CHANNELS = 8;

/**
 * Run `fn` over the pooled connection for `target`, opening it on first use and again when the
 * pooled one has died. At most MAX_CHANNELS channels run at once per connection; others wait in line.
 */
export async function withConnection<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> {
  const entries = poolEntries();
  const key = poolKey(target);
  let entry = entries.get(key);
  if (entry) {
    const existing = await entry.session.catch(() => undefined);
    if (!existing || existing.closed) {
      if (entries.get(key) === entry) entries.delete(key);
      entry = undefined;
    }
  }
  if (!entry) {
    const fresh: PoolEntry = { session: connect(target), gate: newGate(MAX_CHANNELS) };
    entries.set(key, fresh);
    fresh.session.then(
      (s) => {
        s.client.setMaxListeners(0);
        s.client.on("close", () => {
          s.closed = true;
          if (entries.get(key) === fresh) entries.delete(key);
        });
      },
      () => {
        if (entries.get(key) === fresh) entries.delete(key);
      },
    );
    entry = fresh;
  }
  const session = await entry.session;
  await acquire(entry.gate);
  try {
    return await fn(session);
  } finally {
    release(entry.gate);
  }
}

/** Open a NEW connection outside the pool (to prove access after a risky change), run `fn`, close it. */
export async function withFreshConnection<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> {
  const session = await connect(target);
  try {
    return await fn(session);
  } finally {
    close(session);
  }
}

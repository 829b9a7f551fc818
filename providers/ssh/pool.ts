import { close, connect, SshSession, SshTarget } from "./client";
import { parseHostKeyPin } from "./hostkey";

/** One pooled connection and a small semaphore over its channels (sshd's MaxSessions is 10). */
interface PoolEntry {
  session: Promise<SshSession>;
  active: number;
  waiters: Array<() => void>;
}

/** Counters of the process-wide pool, for tests and the benchmark. */
export interface PoolStats {
  connectionsOpened: number;
}

interface PoolState {
  entries: Map<string, PoolEntry>;
  stats: PoolStats;
}

/**
 * The pool lives on a process-global (Symbol.for key on globalThis), not in a module variable: the
 * provider host deserializes each dynamic provider's closure on its own, so every provider gets its
 * own copy of this module's variables, while globalThis is one per process.
 */
function poolState(): PoolState {
  const g = globalThis as unknown as Record<symbol, PoolState | undefined>;
  const key = Symbol.for("neve-infra.ssh.pool.v1");
  let state = g[key];
  if (!state) {
    state = { entries: new Map(), stats: { connectionsOpened: 0 } };
    g[key] = state;
  }
  return state;
}

/**
 * Pool key: host, port, user, pinned key and a hash of the credential. The credential is part of
 * the key so that a resource holding a wrong (or revoked) key never rides on a connection that
 * another resource authenticated; only its hash is kept, never the key.
 */
export function poolKey(target: SshTarget): string {
  const crypto = require("crypto") as typeof import("crypto");
  const cred = target.privateKey
    ? "key:" + crypto.createHash("sha256").update(target.privateKey).digest("hex").slice(0, 16)
    : "agent";
  let pin = String(target.hostKey).trim();
  try {
    pin = parseHostKeyPin(pin).fingerprint; // a fingerprint and its key line share one connection
  } catch {
    /* connect() reports the bad pin */
  }
  return `${target.host}:${target.port}:${target.username}:${pin}:${cred}`;
}

const MAX_CHANNELS = 8;

/**
 * Run `fn` over the pooled connection for `target`, opening it on first use and again when the
 * pooled one has died. At most a few channels run at once per connection; others wait in line.
 */
export async function withConnection<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> {
  const state = poolState();
  const key = poolKey(target);
  let entry = state.entries.get(key);
  if (entry) {
    const existing = await entry.session.catch(() => undefined);
    if (!existing || existing.closed) {
      if (state.entries.get(key) === entry) state.entries.delete(key);
      entry = undefined;
    }
  }
  if (!entry) {
    const fresh: PoolEntry = { session: connect(target), active: 0, waiters: [] };
    state.entries.set(key, fresh);
    fresh.session.then(
      (s) => {
        state.stats.connectionsOpened++;
        s.client.setMaxListeners(0);
        s.client.on("close", () => {
          s.closed = true;
          if (state.entries.get(key) === fresh) state.entries.delete(key);
        });
      },
      () => {
        if (state.entries.get(key) === fresh) state.entries.delete(key);
      },
    );
    entry = fresh;
  }
  const session = await entry.session;
  if (entry.active >= MAX_CHANNELS) {
    await new Promise<void>((resolve) => entry!.waiters.push(resolve));
  }
  entry.active++;
  try {
    return await fn(session);
  } finally {
    entry.active--;
    entry.waiters.shift()?.();
  }
}

/** Open a NEW connection outside the pool (to prove access after a risky change), run `fn`, close it. */
export async function withFreshConnection<T>(target: SshTarget, fn: (session: SshSession) => Promise<T>): Promise<T> {
  const session = await connect(target);
  poolState().stats.connectionsOpened++;
  try {
    return await fn(session);
  } finally {
    close(session);
  }
}

/** Counters of this process's pool. */
export function poolStats(): PoolStats {
  return { ...poolState().stats };
}

/** Close every pooled connection (tests and scripts; the provider host simply exits). */
export async function closePool(): Promise<void> {
  const state = poolState();
  const entries = [...state.entries.values()];
  state.entries.clear();
  for (const e of entries) {
    const s = await e.session.catch(() => undefined);
    if (s) close(s);
  }
}



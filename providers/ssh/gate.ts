/**
 * A counting semaphore over a connection's channels (sshd's MaxSessions is 10 by default). Pure:
 * serialized into each provider's `__provider` with the pool.
 *
 * A released slot is handed straight to the first waiter (the count does not drop in between), so a
 * caller that arrives between a release and the waiter's wake-up cannot take a slot as well.
 */
export interface Gate {
  /** Slots in use. */
  active: number;
  /** The limit. */
  readonly max: number;
  /** Callers waiting for a slot, first come first served. */
  readonly waiters: Array<() => void>;
}

/** A gate of `max` slots. */
export function newGate(max: number): Gate {
  return { active: 0, max, waiters: [] };
}

/** Take a slot, waiting in line while all are taken. */
export function acquire(gate: Gate): Promise<void> {
  if (gate.active < gate.max && gate.waiters.length === 0) {
    gate.active++;
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => gate.waiters.push(resolve));
}

/** Give a slot back: to the next waiter if there is one (it already counts as active), else free. */
export function release(gate: Gate): void {
  const next = gate.waiters.shift();
  if (next) next();
  else gate.active--;
}

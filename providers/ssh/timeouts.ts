/**
 * Every SSH time limit of the providers, one home. Pure: serialized into each provider's `__provider`.
 * The three an operator may change are `connection.timeouts` on the resources (`neve-infra:ssh.timeouts`
 * in the stack config); the rest are fixed here.
 */

/** Time limits of one connection, in seconds (`connection.timeouts`). */
export interface SshTimeouts {
  /** Seconds to wait for the SSH handshake (TCP connect, key exchange, authentication). */
  connect: number;
  /** Seconds one change may run on the host: a push with its validators, activation and health check, a delete, a raw-lines write. */
  change: number;
  /** Seconds one read (refresh) may run on the host. */
  read: number;
}

/** Defaults of `connection.timeouts`. */
export const SSH_TIMEOUT_DEFAULTS: SshTimeouts = { connect: 15, change: 300, read: 60 };

/** Bounds every `connection.timeouts` field must lie in (seconds). */
export const SSH_TIMEOUT_BOUNDS = { min: 1, max: 3600 };

/** Fixed limits: keepalives (a dead peer is noticed after interval x count), and the command default. */
export const SSH_FIXED = {
  /** Milliseconds between keepalive probes on an idle connection. */
  keepaliveIntervalMs: 10000,
  /** Unanswered keepalives before the connection counts as dead. */
  keepaliveCountMax: 3,
  /** Milliseconds a command without its own limit may run. */
  commandMs: 120000,
  /** Seconds the raw-lines write waits for Proxmox's config lock of the container. */
  lockWaitSeconds: 60,
  /**
   * Seconds a HostConfig push (or delete, or the dead-man restore) waits for the host's lock of each of its
   * paths while another push of that path runs, before it fails with "another push of <path> is running".
   */
  pushLockWaitSeconds: 30,
  /**
   * Seconds the host side of a HostConfig push waits, after the last line of its report, for the client's
   * acknowledgement on stdin before it keeps the run's record (the next push or refresh then reports how that run
   * ended): a half-open connection takes that last write into the kernel's buffer, never to the client. The normal
   * push pays one round trip for it, not this wait; the wait holds the paths' locks only when no answer comes.
   */
  pushAckSeconds: 10,
  /**
   * Seconds each host command of a HostConfig push may run on the host before `timeout` (coreutils) stops it
   * (TERM, then KILL 5 s later): a validator, the activation (also the one after a rollback and the dead-man
   * restore's) and the health check. These bound work on the host, not the network, so a slow tailnet does not
   * shorten them; one validator + activation + health check + the rollback's activation (210 s) stays inside
   * the default change limit (300 s), so a hung command ends in a rollback the client still sees.
   */
  hostCommandSeconds: { validate: 60, activate: 60, health: 30 },
  /** Longest wait (ms) of each access check after an access-critical change (at most half the confirm window). */
  accessCheckMaxMs: 15000,
  /** Shortest wait (ms) of that access check. */
  accessCheckMinMs: 1000,
  /** Extra wait (ms) after the confirm window before checking that the host restored itself. */
  selfRestoreGraceMs: 3000,
  /** Wait (ms) of the access re-check after the confirm window passed. */
  accessRecheckMs: 10000,
};

/**
 * The confirm timer of access-critical changes (commit confirmed), one home for its rules: how long
 * the host waits for the confirmation before it restores the previous files by itself. The provider
 * accepts `minSeconds`-`maxSeconds`; the stack file (`neve-infra:hostServices.confirmSeconds`) the
 * narrower `stackMinSeconds`-`stackMaxSeconds`, so a fresh SSH login and a TLS handshake with the API
 * both fit in a window an operator can set.
 */
export const CONFIRM_WINDOW = {
  /** Seconds when a resource or the stack file says nothing. */
  defaultSeconds: 60,
  /** Shortest window a HostConfig accepts. */
  minSeconds: 2,
  /** Longest window a HostConfig accepts. */
  maxSeconds: 3600,
  /** Shortest window the stack file accepts. */
  stackMinSeconds: 15,
  /** Longest window the stack file accepts. */
  stackMaxSeconds: 900,
} as const;

/**
 * Time limit (ms) of each confirmation check (the fresh SSH login, the fresh request to the API port)
 * within a window of `confirmSeconds`: half the window, bounded by SSH_FIXED.accessCheckMinMs/MaxMs.
 */
export function accessCheckMs(confirmSeconds: number): number {
  return Math.max(SSH_FIXED.accessCheckMinMs, Math.min(SSH_FIXED.accessCheckMaxMs, (confirmSeconds * 1000) / 2));
}

/** When (epoch ms) the host has restored itself, at the latest, after a push that ended at `endedAt`. */
export function selfRestoredByMs(endedAt: number, confirmSeconds: number): number {
  return endedAt + confirmSeconds * 1000 + SSH_FIXED.selfRestoreGraceMs;
}

/** The full set of limits from a (possibly partial, possibly absent in an old state) `connection.timeouts`. */
export function timeoutsOf(given: Partial<SshTimeouts> | null | undefined): SshTimeouts {
  return { ...SSH_TIMEOUT_DEFAULTS, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined && v !== null)) };
}

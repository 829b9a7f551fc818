import { parseHostKeyPin } from "../ssh/hostkey";
import { SSH_TIMEOUT_BOUNDS, SSH_TIMEOUT_DEFAULTS, type SshTimeouts } from "../ssh/timeouts";
import { isUnknown, UNKNOWN } from "./unknown";

/**
 * The SSH connection every dynamic provider of this project takes, checked one way. Pure (no node
 * module, no secret, no live object): it is serialized into each provider's `__provider`.
 */

/** How to reach the host (plain values, as the provider sees them after `check`). */
export interface ConnectionInputs {
  host: string;
  port: number;
  username: string;
  hostKey: string;
  /** Secret: only ever an input, kept in the secret `connection` output so `delete` can connect. */
  privateKey: string | null;
  /** Time limits given by the operator (seconds); null or a missing field means the default (ssh/timeouts). */
  timeouts?: Partial<SshTimeouts> | null;
}

/** Defaults of the optional connection fields. */
export const CONNECTION_DEFAULTS = {
  port: 22,
  username: "root",
};

/** A Unix user or group name, as the host's tools accept it. */
export const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

/** True when `host` can name an SSH host: a name or address, no blank, line break, "/" or "@". */
export function isSshHost(host: unknown): boolean {
  return typeof host === "string" && host.trim() !== "" && !/[\s/@]/.test(host);
}

/** Why `pin` is not a usable `connection.hostKey`, or null (the rule is parseHostKeyPin's). */
export function hostKeyProblem(pin: unknown): string | null {
  if (typeof pin !== "string" || pin.trim() === "") {
    return 'is required (no trust on first use): give "SHA256:..." from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host, or that .pub line';
  }
  try {
    parseHostKeyPin(pin);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Validate the `connection` input and apply its defaults, reporting each problem through `fail` under
 * "connection" or "connection.<field>". A connection wholly unknown in a preview has nothing to check
 * yet and stays unknown (the engine must not see a made-up object); a field unknown is let through.
 * No failure ever quotes the private key.
 */
export function checkConnection(raw: unknown, fail: (property: string, reason: string) => void): ConnectionInputs {
  const c = (isUnknown(raw) ? { host: UNKNOWN, hostKey: UNKNOWN } : (raw ?? {})) as Record<string, unknown>;
  if (!isUnknown(raw) && (typeof raw !== "object" || raw === null)) {
    fail("connection", "is required: { host, hostKey, port?, username?, privateKey?, timeouts? }");
  }
  const host = c.host;
  if (!isUnknown(host) && !isSshHost(host)) {
    fail("connection.host", "must be a host name or IP address (no spaces, '/' or '@')");
  }
  const port = c.port === undefined || c.port === null ? CONNECTION_DEFAULTS.port : c.port;
  if (!isUnknown(port) && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535)) {
    fail("connection.port", `must be an integer 1-65535, got ${JSON.stringify(port)}`);
  }
  const username = c.username === undefined || c.username === null ? CONNECTION_DEFAULTS.username : c.username;
  if (!isUnknown(username) && (typeof username !== "string" || !USER_RE.test(username))) {
    fail("connection.username", `must be a user name such as "root", got ${JSON.stringify(username)}`);
  }
  const hostKey = c.hostKey;
  const pinProblem = isUnknown(hostKey) ? null : hostKeyProblem(hostKey);
  if (pinProblem) fail("connection.hostKey", pinProblem);
  const privateKey = c.privateKey === undefined ? null : c.privateKey;
  if (privateKey !== null && !isUnknown(privateKey)) {
    if (typeof privateKey !== "string" || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
      // Never quote the value: it is a secret.
      fail(
        "connection.privateKey",
        "must be the text of a private key (-----BEGIN ... PRIVATE KEY-----), set as a Pulumi secret; omit it to use the ssh-agent",
      );
    }
  }
  const timeouts = c.timeouts === undefined || c.timeouts === null ? null : c.timeouts;
  if (timeouts !== null && !isUnknown(timeouts)) checkTimeouts(timeouts, fail);
  if (isUnknown(raw)) return UNKNOWN as unknown as ConnectionInputs;
  const out = { host, port, username, hostKey, privateKey } as ConnectionInputs;
  // Only when given: a state written before `timeouts` existed must not see a change.
  if (timeouts !== null) out.timeouts = timeouts as Partial<SshTimeouts>;
  return out;
}

/**
 * The start of every provider's check: the failure list, its `fail`, the raw inputs (never null)
 * and the checked connection.
 */
export function beginCheck(raw: Record<string, unknown> | null | undefined): {
  r: Record<string, unknown>;
  failures: { property: string; reason: string }[];
  fail: (property: string, reason: string) => void;
  connection: ConnectionInputs;
} {
  const failures: { property: string; reason: string }[] = [];
  const fail = (property: string, reason: string) => {
    failures.push({ property, reason });
  };
  const r = raw ?? {};
  return { r, failures, fail, connection: checkConnection(r.connection, fail) };
}

/** `connection.timeouts`: an object of whole seconds within the bounds, each field optional. */
function checkTimeouts(raw: unknown, fail: (property: string, reason: string) => void): void {
  if (typeof raw !== "object" || Array.isArray(raw) || raw === null) {
    fail("connection.timeouts", "must be an object { connect?, change?, read? } of seconds");
    return;
  }
  const { min, max } = SSH_TIMEOUT_BOUNDS;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!(k in SSH_TIMEOUT_DEFAULTS)) {
      fail(`connection.timeouts.${k}`, "is not a timeout; use connect, change or read (seconds)");
    } else if (v !== undefined && v !== null && !isUnknown(v) && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= max)) {
      fail(
        `connection.timeouts.${k}`,
        `must be a whole number of seconds ${min}-${max}, got ${JSON.stringify(v)} (default ${SSH_TIMEOUT_DEFAULTS[k as keyof SshTimeouts]})`,
      );
    }
  }
}

import type { Client, ConnectConfig } from "ssh2";
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, parseHostKeyPin } from "./hostkey";
import { startSsh } from "./socket";
import { SSH_FIXED, SSH_TIMEOUT_DEFAULTS } from "./timeouts";

/** Where and how to connect. `privateKey` is a secret: it is never put into an error message. */
export interface SshTarget {
  /** Host name or address. */
  host: string;
  /** TCP port of sshd. */
  port: number;
  /** Remote user. */
  username: string;
  /** Pinned host key: "SHA256:..." or a key line "ssh-ed25519 AAAA...". */
  hostKey: string;
  /** OpenSSH/PEM private key text; when absent the agent at SSH_AUTH_SOCK is used. */
  privateKey?: string | null;
  /** Handshake timeout in milliseconds. Defaults to `SSH_TIMEOUT_DEFAULTS.connect` (ssh/timeouts). */
  connectTimeoutMs?: number;
}

/** A live, authenticated connection and a printable name for it (user@host:port). */
export interface SshSession {
  client: Client;
  where: string;
  /** True once the underlying connection closed (for whatever reason). */
  closed: boolean;
}

/** Result of one remote command. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one remote command. */
export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed (with `answer`: left open for the answer). */
  stdin?: string | Buffer;
  /**
   * Answer the command on the same channel after reading what it printed (a read-compute-write in one
   * exec), after `stdin` when both are given. See {@link ExecAnswer}.
   */
  answer?: ExecAnswer;
  /** Kill the command and fail after this many milliseconds. Defaults to `SSH_FIXED.commandMs` (ssh/timeouts). */
  timeoutMs?: number;
  /** What the command is, for error messages (never the secret data it carries). */
  label?: string;
  /**
   * Most bytes the command may print on stdout. Defaults to {@link EXEC_STDOUT_LIMIT}. Past it the
   * command is stopped at once and `exec` rejects with its own message (never a cut-short result, and
   * never a wait for an answer line that was dropped).
   */
  maxStdoutBytes?: number;
}

/**
 * How much stdout `exec` keeps by default: 4 MiB. Nothing a provider reads comes near it (pmxcfs keeps
 * every file under /etc/pve below 1 MiB: proxmox/pve-cluster src/pmxcfs/memdb.h `MEMDB_MAX_FILE_SIZE`).
 */
export const EXEC_STDOUT_LIMIT = 4 * 1024 * 1024;

/**
 * True for the error of an `exec` that stopped a command past its stdout limit (a plain Error with
 * `stdoutLimit`, the limit in bytes: no class of its own, because provider code is serialized into
 * `__provider` and a class would have to travel with it).
 */
export function isOutputLimitError(e: unknown): e is Error & { stdoutLimit: number } {
  return e instanceof Error && typeof (e as { stdoutLimit?: unknown }).stdoutLimit === "number";
}

/** A byte count as "4 MiB" / "512 KiB" / "100 bytes", for messages. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** How `exec` answers a command that prints, then waits on stdin for a reply computed from that output. */
export interface ExecAnswer {
  /**
   * Called with the stdout so far after each stdout chunk until it returns bytes: those are sent on
   * stdin and stdin is closed; `undefined` waits for more output. Throwing sends `onThrow` instead and
   * makes `exec` reject with that error once the command has ended.
   */
  reply: (stdoutSoFar: string) => string | Buffer | undefined;
  /** What to send when `reply` throws (the remote side must then change nothing). */
  onThrow: string | Buffer;
}

/** "user@host:port", how errors name a target. */
export function describeTarget(t: Pick<SshTarget, "host" | "port" | "username">): string {
  const host = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${t.username}@${host}:${t.port}`;
}

/**
 * Open and authenticate one SSH connection with the host key pinned.
 *
 * The host key is checked in `hostVerifier`, during key exchange: on a mismatch the handshake is
 * aborted before authentication, so not even the user name or key signature reaches the host.
 */
export function connect(target: SshTarget): Promise<SshSession> {
  const where = describeTarget(target);
  let pin: ReturnType<typeof parseHostKeyPin>;
  try {
    pin = parseHostKeyPin(target.hostKey);
  } catch (e) {
    return Promise.reject(new Error(`connection.hostKey for ${where}: ${(e as Error).message}`));
  }
  const timeoutMs = target.connectTimeoutMs ?? SSH_TIMEOUT_DEFAULTS.connect * 1000;
  const ssh2 = require("ssh2") as typeof import("ssh2");
  return new Promise<SshSession>((resolve, reject) => {
    const client = new ssh2.Client();
    const session: SshSession = { client, where, closed: false };
    let settled = false;
    let seenKey: { fingerprint: string; type: string } | undefined;
    let mismatch = false;
    // The host key types the server offers, from ssh2's handshake debug line (nothing else is kept).
    let offered: string | undefined;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      try {
        client.end();
      } catch {
        /* already closed */
      }
      reject(new Error(message));
    };
    client.on("ready", () => {
      if (settled) return;
      settled = true;
      resolve(session);
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (mismatch && seenKey) {
        fail(
          `host key mismatch for ${where}: expected ${pin.fingerprint}, got ${seenKey.fingerprint} (${seenKey.type}); ` +
            `refused before authentication, nothing was sent. If the host was really re-keyed, verify the new key on ` +
            `the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and update connection.hostKey.`,
        );
        return;
      }
      if (pin.keyType && offered !== undefined && /no matching host key format/i.test(err.message ?? "")) {
        fail(
          `host key mismatch for ${where}: expected the ${pin.keyType} key ${pin.fingerprint}, but the host offers only ${offered.split(",").join(", ")}; ` +
            `refused before authentication, nothing was sent. Pin the host's ${offered.split(",")[0]} key instead: on the host run ` +
            `ssh-keygen -lf on the matching /etc/ssh/ssh_host_*_key.pub and update connection.hostKey.`,
        );
        return;
      }
      fail(describeConnectError(err, where, timeoutMs, Boolean(target.privateKey)));
    });
    client.on("close", () => {
      session.closed = true;
      fail(`SSH connection to ${where} closed before it was ready`);
    });
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.username,
      readyTimeout: timeoutMs,
      keepaliveInterval: SSH_FIXED.keepaliveIntervalMs,
      keepaliveCountMax: SSH_FIXED.keepaliveCountMax,
      debug: (line: string) => {
        const m = /^Handshake: \(remote\) Host key format: (\S+)$/.exec(line);
        if (m) offered = m[1];
      },
      hostVerifier: (key: Buffer) => {
        seenKey = { fingerprint: fingerprintOf(key), type: keyTypeOf(key) };
        mismatch = seenKey.fingerprint !== pin.fingerprint;
        return !mismatch;
      },
    };
    const algorithms = hostKeyAlgorithmsFor(pin.keyType);
    if (algorithms) {
      config.algorithms = { serverHostKey: algorithms as NonNullable<ConnectConfig["algorithms"]>["serverHostKey"] };
    }
    if (target.privateKey) {
      config.privateKey = target.privateKey;
    } else if (process.env.SSH_AUTH_SOCK) {
      config.agent = process.env.SSH_AUTH_SOCK;
    } else {
      fail(
        `no SSH credentials for ${where}: set connection.privateKey (as a Pulumi secret) or run an ssh-agent ` +
          `holding the key (SSH_AUTH_SOCK) where pulumi runs`,
      );
      return;
    }
    try {
      startSsh(client, config);
    } catch {
      // ssh2 parses the key synchronously. Its message is not used: it can carry bytes decoded from
      // the key ("Unsupported OpenSSH key magic: ..."), so the reason is a fixed text.
      fail(PRIVATE_KEY_UNUSABLE(where));
    }
  });
}

/** The fixed message of a private key ssh2 cannot parse (never its parser's words, which can quote the key). */
export function PRIVATE_KEY_UNUSABLE(where: string): string {
  return (
    `cannot use connection.privateKey for ${where}: it is not a private key this client can read ` +
    `(give an unencrypted OpenSSH or PEM private key, e.g. from ssh-keygen -t ed25519 -N ''); the parser's message is withheld because it can quote the key`
  );
}

/** Turn an ssh2 connection error into a message that says what happened and what to check. */
export function describeConnectError(err: { message?: string; level?: string; code?: string }, where: string, timeoutMs: number, usedKey: boolean): string {
  const msg = err.message ?? String(err);
  if (err.level === "client-authentication") {
    return (
      `SSH authentication refused for ${where} (publickey from ${usedKey ? "connection.privateKey" : "the ssh-agent"}). ` +
      `Check that its public key is in the user's ~/.ssh/authorized_keys on the host.`
    );
  }
  if (err.level === "client-timeout" || /Timed out while waiting for handshake/i.test(msg)) {
    return `cannot reach ${where}: no SSH handshake within ${Math.round(timeoutMs / 1000)}s (host down, firewalled, or wrong address/port)`;
  }
  switch (err.code) {
    case "ECONNREFUSED":
      return `cannot reach ${where}: connection refused (is sshd running and listening on that port?)`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "ECONNRESET":
      return `cannot reach ${where}: ${err.code} (${msg})`;
    default:
      return `SSH connection to ${where} failed: ${msg}`;
  }
}

/**
 * Run one command on an open session and collect its exit code, stdout and stderr. stdout past
 * `maxStdoutBytes` (default {@link EXEC_STDOUT_LIMIT}) stops the command and rejects with its own
 * error ({@link isOutputLimitError}); stderr is kept up to 4 MiB. Rejects (never resolves with a made-up code) when the channel cannot be opened, the connection
 * drops before the command reports its exit status, or the timeout passes; with `answer`, also when its
 * `reply` threw (after the command has ended). A rejection's Error carries `partialStdout`, what the
 * command printed until then (read it with {@link partialStdoutOf}): a caller can tell how far a script got.
 */
export function exec(session: SshSession, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const label = options.label ?? "remote command";
  const timeoutMs = options.timeoutMs ?? SSH_FIXED.commandMs;
  const maxBytes = 4 * 1024 * 1024;
  const maxOut = options.maxStdoutBytes ?? EXEC_STDOUT_LIMIT;
  return new Promise<ExecResult>((resolve, reject) => {
    let done = false;
    let stream: import("ssh2").ClientChannel | undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let code: number | null = null;
    let signal: string | null = null;
    let answered = false;
    let answerError: Error | undefined;
    const onClientClose = () => finish(new Error(`SSH connection to ${session.where} was lost while running ${label}`));
    const timer = setTimeout(() => {
      finish(new Error(`${label} on ${session.where} timed out after ${Math.round(timeoutMs / 1000)}s`));
      try {
        stream?.signal("KILL");
        stream?.close();
      } catch {
        /* channel already gone */
      }
    }, timeoutMs);
    function finish(error?: Error, result?: ExecResult) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.client.removeListener("close", onClientClose);
      if (error) reject(Object.assign(error, { partialStdout: Buffer.concat(out).toString("utf8") }));
      else resolve(result!);
    }
    if (session.closed) {
      finish(new Error(`SSH connection to ${session.where} is closed; cannot run ${label}`));
      return;
    }
    session.client.once("close", onClientClose);
    try {
      session.client.exec(command, (openErr, ch) => {
        if (openErr) {
          finish(new Error(`cannot start ${label} on ${session.where}: ${openErr.message}`));
          return;
        }
        stream = ch;
        ch.on("error", (e: Error) => finish(new Error(`${label} on ${session.where} failed: ${e.message}`)));
        ch.stderr.on("error", (e: Error) => finish(new Error(`${label} on ${session.where} failed: ${e.message}`)));
        ch.on("data", (d: Buffer) => {
          if (done) return;
          outLen += d.length;
          if (outLen > maxOut) {
            finish(
              Object.assign(
                new Error(
                  `${label} on ${session.where} printed more than ${formatBytes(maxOut)} on stdout, the most it may print; it was stopped before it ended, and nothing it printed was used`,
                ),
                { stdoutLimit: maxOut },
              ),
            );
            try {
              ch.signal("KILL");
              ch.close();
            } catch {
              /* channel already gone */
            }
            return;
          }
          out.push(d);
          if (options.answer && !answered) {
            let reply: string | Buffer | undefined;
            try {
              reply = options.answer.reply(Buffer.concat(out).toString("utf8"));
            } catch (e) {
              answerError = e as Error;
              reply = options.answer.onThrow;
            }
            if (reply !== undefined) {
              answered = true;
              ch.end(reply);
            }
          }
        });
        ch.stderr.on("data", (d: Buffer) => {
          if (errLen < maxBytes) err.push(d);
          errLen += d.length;
        });
        ch.on("exit", (c: number | null, sig?: string) => {
          code = typeof c === "number" ? c : null;
          signal = sig ?? null;
        });
        ch.on("close", () => {
          if (answerError) {
            finish(answerError);
            return;
          }
          if (code === null) {
            finish(
              new Error(
                signal
                  ? `${label} on ${session.where} was killed by signal ${signal}`
                  : `${label} on ${session.where} ended without an exit status (connection lost?)`,
              ),
            );
            return;
          }
          finish(undefined, {
            code,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
          });
        });
        if (!options.answer) ch.end(options.stdin ?? undefined);
        else if (options.stdin !== undefined) ch.write(options.stdin);
      });
    } catch (e) {
      finish(new Error(`cannot start ${label} on ${session.where}: ${(e as Error).message}`));
    }
  });
}

/** What a command printed before `exec` rejected ("" for any other error). */
export function partialStdoutOf(e: unknown): string {
  const p = (e as { partialStdout?: unknown } | null)?.partialStdout;
  return typeof p === "string" ? p : "";
}

/** Close a session; safe to call twice. */
export function close(session: SshSession): void {
  try {
    session.client.end();
  } catch {
    /* already closed */
  }
}

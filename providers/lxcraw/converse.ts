import type { SshSession, ExecResult } from "../ssh/client";

/** Options of {@link converse}. */
export interface ConverseOptions {
  /** stdout line after which the remote side waits for the answer on stdin. */
  readyLine: string;
  /**
   * Called once with the stdout so far when `readyLine` arrived; returns the bytes to send (stdin is
   * closed after them). Throwing sends `onThrow` instead and makes `converse` reject with that error
   * once the command has ended.
   */
  answer: (stdoutSoFar: string) => string;
  /** What to send when `answer` throws (the remote side must then change nothing). */
  onThrow: string;
  /** What the command is, for error messages (never the data it carries). */
  label: string;
  /** Kill the command and fail after this many milliseconds. Defaults to 120000. */
  timeoutMs?: number;
}

/**
 * One remote command that talks back: it prints, waits for an answer computed from what it printed,
 * then finishes. One exec channel, so a read-compute-write is a single round trip of the connection
 * setup (the answer rides on the open channel). Rejects when the channel cannot be opened, the
 * connection drops before an exit status, or the timeout passes; otherwise resolves with the exit
 * code, stdout and stderr like `exec` does.
 */
export function converse(session: SshSession, command: string, options: ConverseOptions): Promise<ExecResult> {
  const { label } = options;
  const timeoutMs = options.timeoutMs ?? 120000;
  return new Promise<ExecResult>((resolve, reject) => {
    let done = false;
    let answered = false;
    let answerError: Error | undefined;
    let stream: import("ssh2").ClientChannel | undefined;
    let out = "";
    const err: Buffer[] = [];
    let code: number | null = null;
    let signal: string | null = null;
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
      if (error) reject(error);
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
          out += d.toString("utf8");
          if (!answered && out.includes(`\n${options.readyLine}\n`)) {
            answered = true;
            let reply: string;
            try {
              reply = options.answer(out);
            } catch (e) {
              answerError = e as Error;
              reply = options.onThrow;
            }
            ch.end(reply);
          }
        });
        ch.stderr.on("data", (d: Buffer) => err.push(d));
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
          finish(undefined, { code, stdout: out, stderr: Buffer.concat(err).toString("utf8") });
        });
      });
    } catch (e) {
      finish(new Error(`cannot start ${label} on ${session.where}: ${(e as Error).message}`));
    }
  });
}

import type { ExecResult, SshSession } from "../ssh/client";
import { exec } from "../ssh/client";

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
  /** Kill the command and fail after this many milliseconds. Defaults to `SSH_FIXED.commandMs` (ssh/timeouts). */
  timeoutMs?: number;
}

/**
 * One remote command that talks back: it prints, waits for an answer computed from what it printed,
 * then finishes. One exec channel, so a read-compute-write is a single round trip of the connection
 * setup (the answer rides on the open channel). The channel plumbing is ssh's `exec` with `answer`:
 * it rejects when the channel cannot be opened, the connection drops before an exit status, or the
 * timeout passes; otherwise it resolves with the exit code, stdout and stderr.
 */
export function converse(session: SshSession, command: string, options: ConverseOptions): Promise<ExecResult> {
  const { readyLine, answer, onThrow, label, timeoutMs } = options;
  return exec(session, command, {
    label,
    timeoutMs,
    answer: {
      reply: (out) => (out.includes(`\n${readyLine}\n`) ? answer(out) : undefined),
      onThrow,
    },
  });
}

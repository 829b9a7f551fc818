import { EXIT, type ScriptReport, SECOND_ATTEMPT } from "./script";
import type { HostConfigInputs } from "./types";

/**
 * The error of a failed apply/delete script, in words: what failed, its output, what was rolled back.
 * When activation failed again after the rollback, each attempt's output stands under its own heading.
 */
export function describeFailure(
  inputs: Pick<HostConfigInputs, "activate" | "healthCheck"> & { files?: readonly { path: string }[] },
  code: number,
  stderr: string,
  report: ScriptReport,
): string {
  const err = stderr.trim();
  switch (code) {
    case EXIT.lock:
    case EXIT.journal:
      return err;
    case EXIT.live:
      return `adoption guard (exit ${EXIT.live}): ${err}`;
    case EXIT.incomplete:
      return `the script did not arrive complete (connection cut during upload); nothing was changed`;
    case EXIT.stage:
      return `staging failed, nothing was changed: ${err}`;
    case EXIT.validate:
      return err;
    case EXIT.stash:
      return `stashing the current files failed, nothing was changed: ${err}`;
    case EXIT.arm:
      return `arming the confirm timer failed, nothing was changed: ${err}`;
    case EXIT.swap:
      return err;
    case EXIT.activate:
    case EXIT.health: {
      const what = code === EXIT.activate ? `activation \`${inputs.activate}\`` : `health check \`${inputs.healthCheck}\``;
      const exit = report.failed ? ` (exit ${report.failed.code})` : "";
      const from = report.stash ? ` from ${report.stash}` : "";
      const cut = err.indexOf(SECOND_ATTEMPT);
      const first = (cut === -1 ? err : err.slice(0, cut)).trim();
      const second = cut === -1 ? "" : err.slice(cut + SECOND_ATTEMPT.length).trim();
      let rolled: string;
      switch (report.rollback) {
        case "ok":
          rolled = `Rolled back: the previous files were restored${from} and ${inputs.activate ? "activation ran again successfully" : "no activation is configured"}.`;
          break;
        case "reactivate-failed": {
          const again = report.reactivateCode !== null ? ` (exit ${report.reactivateCode})` : "";
          return (
            `${what} failed${exit}.\nRolled back the files${from}, but activation failed again${again}: the service needs attention.\n` +
            `--- ${code === EXIT.activate ? "activation" : "health check"} after the change${exit}:\n${first || "(no output)"}\n` +
            `--- activation after restoring the previous files${again}:\n${second || "(no output)"}`
          );
        }
        case "superseded": {
          const which = report.superseded.map((i) => inputs.files?.[i]?.path ?? `file ${i}`).join(", ");
          rolled =
            `NOT rolled back: ${which || "the files"} changed on the host since this push wrote ${report.superseded.length === 1 ? "it" : "them"} ` +
            `(a hand edit, or a push that did not take the lock), so nothing was put back${from ? ` (the previous files are in ${report.stash})` : ""}; check the host.`;
          break;
        }
        case "restore-failed":
          rolled = `ROLLBACK FAILED: the previous files could not be restored${from}; restore them by hand from there.`;
          break;
        default:
          rolled = "The rollback did not report back; check the host.";
      }
      return `${what} failed${exit}: ${first || "(no output)"}\n${rolled}`;
    }
    default:
      return `the remote script exited with ${code}: ${err || "(no output)"}`;
  }
}

/**
 * Run a synchronous clean-up when the test process exits, also under Jest.
 *
 * Jest runs each test file in a vm context whose `process` is a copy: 'exit' listeners added to it never fire.
 * `vm.runInThisContext("process")` evaluates in Node's main context and so returns the real process object
 * (outside Jest it is simply `process`).
 */
import * as vm from "node:vm";

/** The real process object, even inside a Jest sandbox. */
export const realProcess: NodeJS.Process = vm.runInThisContext("process");

/** Register `fn` on the real process's 'exit' event; errors are swallowed (best effort at exit). */
export function onProcessExit(fn: () => void): void {
  realProcess.on("exit", () => {
    try {
      fn();
    } catch {
      // best effort at exit; the detached watchdogs and the stale sweep catch the rest
    }
  });
}

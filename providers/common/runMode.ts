/**
 * What kind of run the program is in, for the program-side code under providers/ (never imported
 * by a provider module).
 */

/**
 * The offline plan's process-global switch: a property under this symbol is set only by the mock
 * runner (scripts/lib/mockRunner.ts, through stacks/adoption/offlinePlan.ts) before it imports the
 * program. Nothing a real `pulumi preview`/`up` reads can set it.
 */
export const OFFLINE_PLAN = Symbol.for("neve-infra.offlinePlan");

/** True in the offline plan (`npm run plan`). */
export function inOfflinePlan(): boolean {
  return (globalThis as { [OFFLINE_PLAN]?: unknown })[OFFLINE_PLAN] !== undefined;
}

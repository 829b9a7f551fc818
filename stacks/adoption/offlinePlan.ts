/**
 * The offline plan's switch for the adoption gate. `npm run plan` (scripts/lib/mockRunner.ts) runs
 * the real program under Pulumi's mocks on a machine that has never seen the host, so the stack
 * file cannot be reconciled there; the plan must still print the whole plan, with the gate's
 * finding as a notice instead of a refusal.
 *
 * The switch is a property under a process-global symbol, set only by the mock runner before it
 * imports the program. It is neither config nor an environment variable: nothing a real
 * `pulumi preview`/`up` reads can turn it on, and no code of the program sets it.
 */

import { OFFLINE_PLAN } from "../../providers/common/runMode";

/** What the offline plan collects from the program instead of refusing. */
export interface OfflinePlanRecord {
  /** The adoption gate's notice, when the gate would refuse a real run. */
  adoptionNotice?: string;
}

type WithRecord = { [OFFLINE_PLAN]?: OfflinePlanRecord };

/** Turn the offline-plan mode on (mock runner only); returns the record the program fills in. */
export function beginOfflinePlan(): OfflinePlanRecord {
  const record: OfflinePlanRecord = {};
  (globalThis as WithRecord)[OFFLINE_PLAN] = record;
  return record;
}

/** Turn it off again (a real run, or a test that wants the refusal). */
export function endOfflinePlan(): void {
  delete (globalThis as WithRecord)[OFFLINE_PLAN];
}

/** The record when this process is an offline plan, else undefined (always undefined under `pulumi up`). */
export function offlinePlanRecord(): OfflinePlanRecord | undefined {
  return (globalThis as WithRecord)[OFFLINE_PLAN];
}

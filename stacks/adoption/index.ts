import * as pulumi from "@pulumi/pulumi";
import { adoptionScopeOf, type NeveModel } from "../config";
import { adoptionGate, type GateVerdict, gateNotice, gateRefusal } from "./gate";
import { offlinePlanRecord } from "./offlinePlan";

export * from "./gate";

/** The gate's verdict for a validated model. */
export function adoptionVerdict(model: NeveModel): GateVerdict {
  return adoptionGate({
    adopt: model.adopt,
    reconciled: model.adoption.reconciled,
    liveRecorded: model.adoption.live !== undefined,
    scope: adoptionScopeOf(model),
  });
}

/**
 * Run the adoption gate before any resource is registered: a refusal is a RunError (Pulumi prints
 * the message alone); in the offline plan it becomes the plan's notice and the program carries on.
 */
export function enforceAdoptionGate(model: NeveModel): void {
  const verdict = adoptionVerdict(model);
  if (verdict.ok) return;
  const plan = offlinePlanRecord();
  if (plan) {
    plan.adoptionNotice = gateNotice(verdict);
    return;
  }
  throw new pulumi.RunError(gateRefusal(verdict, model.adopt));
}

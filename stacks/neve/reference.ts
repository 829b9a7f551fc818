import * as pulumi from "@pulumi/pulumi";
import type { NeveStackOutputs } from "./outputs";

/** Every output of stack `neve`, typed, as Outputs of a `StackReference`. */
export type NeveStackReferenceOutputs = { readonly [K in keyof NeveStackOutputs]: pulumi.Output<NeveStackOutputs[K]> };

/**
 * Typed view of stack `neve`'s outputs for a consumer stack:
 * `const neve = neveOutputs(new pulumi.StackReference("<org>/neve-infra/neve"))`.
 * `requireOutput` fails the consumer's preview when an output is missing instead of yielding undefined.
 */
export function neveOutputs(ref: pulumi.StackReference): NeveStackReferenceOutputs {
  const get = <K extends keyof NeveStackOutputs>(k: K) => ref.requireOutput(k) as pulumi.Output<NeveStackOutputs[K]>;
  return { network: get("network"), guests: get("guests"), publicRoutes: get("publicRoutes"), storageIds: get("storageIds") };
}

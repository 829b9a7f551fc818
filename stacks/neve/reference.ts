import type * as pulumi from "@pulumi/pulumi";
import { NEVE_OUTPUT_NAMES, type NeveStackOutputs } from "./outputs";

/** Every output of stack `neve`, typed, as Outputs of a `StackReference`. */
export type NeveStackReferenceOutputs = { readonly [K in keyof NeveStackOutputs]: pulumi.Output<NeveStackOutputs[K]> };

/**
 * Typed view of stack `neve`'s outputs for a consumer stack:
 * `const neve = neveOutputs(new pulumi.StackReference("<org>/neve-infra/neve"))`.
 * `requireOutput` fails the consumer's preview when an output is missing instead of yielding undefined.
 */
export function neveOutputs(ref: pulumi.StackReference): NeveStackReferenceOutputs {
  const out: Partial<Record<keyof NeveStackOutputs, pulumi.Output<unknown>>> = {};
  for (const k of NEVE_OUTPUT_NAMES) out[k] = ref.requireOutput(k);
  return out as NeveStackReferenceOutputs;
}

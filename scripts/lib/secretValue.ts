// How a Pulumi secret looks once serialized (as the mocks hand inputs to newResource). The same
// key as @pulumi/pulumi/runtime/rpc's specialSigKey, kept here so the plan does not load
// @pulumi/pulumi before it has validated the stack file.
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/**
 * True when `v` is a serialized special value (a secret, or an output value that may be one).
 * Deliberately conservative: anything wrapped is treated as secret, so nothing secret is ever shown.
 */
export function isSecretValue(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && SIG_KEY in (v as object);
}

/** The value inside a serialized Pulumi secret, else `v` itself. */
export function unwrapSecret(v: unknown): unknown {
  return isSecretValue(v) ? v.value : v;
}

/**
 * How a component covers each provider input that has a default: either the stack file can state it
 * (and the component passes it), or the component ignores it (`ignoreChanges`, reason in
 * docs/discover.md), or it is the provider's own behaviour and no value on the host. An input with a
 * default that is none of these would be reset at the first `up` of an adopted object
 * (pulumi/pulumi#19339: a mismatching import is imported, then updated). tests/unit/provider-defaults.test.ts
 * enumerates the defaulted inputs from the SDK's declarations and checks every one against these tables.
 */
export type InputCoverage =
  /** The stack field (path below the object, e.g. `cpuType`) the component passes for it. */
  | { readonly stack: string }
  /** In the resource's ignoreChanges, for this reason. */
  | { readonly ignored: string }
  /** A setting of the provider itself (timeouts, destroy behaviour): nothing on the host. */
  | { readonly behaviour: string };

/** Provider input path (`cpu.type`, `networkDevices[].firewall`) -> how it is covered. */
export type CoverageTable = Readonly<Record<string, InputCoverage>>;

/** Reason shared by the provider's own timeouts and destroy switches. */
export const PROVIDER_BEHAVIOUR = "a setting of the provider's own operation (timeouts, what destroy does), sent nowhere";

import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

/**
 * The one place where the offline plan reaches into @pulumi/pulumi internals, and the checks that
 * make it fail loudly when they change.
 *
 * Why internals: the mocks API (`pulumi.runtime.Mocks.newResource`) receives type, name, inputs,
 * provider and import id, but no resource options; the plan must show protect, import and
 * ignoreChanges (and the dependencies the SDK sends). @pulumi/pulumi 3.276.0 has no supported way to
 * see them under mocks: resource transforms (`pulumi.runtime.registerResourceTransform`) see `opts`,
 * but the mock monitor does not run them (runtime/mocks.d.ts: "The mock monitor does not run
 * transforms"), and the legacy `registerStackTransformation` sees the options as written, not as the
 * engine receives them (protect inherited from a parent, the provider as a `urn::id` reference).
 * So scripts/lib/mockRunner.ts wraps the mock monitor's `registerResource` and reads the
 * RegisterResourceRequest the SDK built, exactly as the engine would get it. The checks below, and
 * tests/unit/mock-internals.test.ts, turn an SDK change into a clear error instead of a plan that
 * silently shows no protect or import.
 */

/** Getters of the RegisterResourceRequest (proto/resource_pb) that mockRunner reads. */
export const REGISTER_REQUEST_GETTERS = [
  "getType",
  "getName",
  "getCustom",
  "getProtect",
  "getImportid",
  "getRetainondelete",
  "getParent",
  "getProvider",
  "getIgnorechangesList",
  "getDependenciesList",
  "getPropertydependenciesMap",
  "getHooks",
] as const;

/** How to fix it, said once. */
const FIX =
  "the offline plan reads resource options off the mock monitor's RegisterResourceRequest (scripts/lib/mockInternals.ts); " +
  "@pulumi/pulumi changed that internal: adapt scripts/lib/mockRunner.ts to the new SDK (or use a supported API if it now has one) and run tests/unit/mock-internals.test.ts";

/** Throws unless `monitor` is the SDK's MockMonitor with a `registerResource(req, callback)` to wrap. */
export function assertPatchableMockMonitor(monitor: unknown): void {
  if (!(monitor instanceof MockMonitor)) {
    throw new Error(`pulumi.runtime.getMonitor() after setMocks is not the SDK's MockMonitor (got ${describe(monitor)}); ${FIX}`);
  }
  const fn = (monitor as unknown as { registerResource?: unknown }).registerResource;
  if (typeof fn !== "function" || fn.length !== 2) {
    throw new Error(`MockMonitor.registerResource is no longer a method (req, callback) (got ${describe(fn)}); ${FIX}`);
  }
}

/** Throws unless `req` has every getter mockRunner reads. */
export function assertRegisterRequest(req: unknown): void {
  const missing = REGISTER_REQUEST_GETTERS.filter((g) => typeof (req as Record<string, unknown> | undefined)?.[g] !== "function");
  if (missing.length) throw new Error(`the mock monitor's RegisterResourceRequest has no ${missing.join(", ")}; ${FIX}`);
}

function describe(v: unknown): string {
  if (typeof v === "function") return `a function of ${v.length} parameters`;
  if (v && typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return String(v);
}

/**
 * Values not known yet during a preview. Pure: this module is serialized into the dynamic providers'
 * `__provider` along with its callers, so it requires nothing at runtime.
 */

/** The engine's placeholder for a value not known yet (preview); checks skip such values. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` itself is the preview placeholder. */
export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** True when `v` or anything inside it (array items, object values) is the preview placeholder. */
export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}

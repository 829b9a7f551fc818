import type * as pulumi from "@pulumi/pulumi";
import type { AdoptionConfig, DeepReadonly } from "../../config";
import { type GuardSpec, guardsFor, hooksOption } from "../../guards/hooks";
import type * as proxmoxve from "./sdk";

/** The objects that exist on the host, as `npm run discover -- --write` recorded them (`adoption.live`). */
export type LiveObjects = NonNullable<DeepReadonly<AdoptionConfig>["live"]>;

/** What every Proxmox component needs besides its own facts. */
export interface ProxmoxContext {
  /** The explicit provider instance; every Proxmox resource uses it. */
  readonly provider: proxmoxve.Provider;
  /** Proxmox node name (`neve`). */
  readonly nodeName: string;
  /**
   * The objects on the host (`adoption.live`); undefined until discover has recorded them, and then
   * nothing is imported (the adoption gate refuses every real run in that state). A resource whose
   * object is listed carries its import id on every run ({@link importIdFor}), whatever
   * `neve-infra:adopt` says: that only arms the adoption gate (stacks/adoption/gate.ts).
   */
  readonly live?: LiveObjects;
}

/** What identifies a Proxmox object on the host, to look it up in `adoption.live`. */
export type LiveObjectRef =
  | { readonly kind: "guest"; readonly vmid: number }
  | { readonly kind: "storage"; readonly id: string }
  | { readonly kind: "bridge"; readonly iface: string }
  | { readonly kind: "job"; readonly id: string }
  | { readonly kind: "firewall" };

/** True when the object is listed in `live` (false when nothing is recorded). */
export function isLive(live: LiveObjects | undefined, ref: LiveObjectRef): boolean {
  if (!live) return false;
  switch (ref.kind) {
    case "guest":
      return live.guests.includes(ref.vmid);
    case "storage":
      return live.storage.includes(ref.id);
    case "bridge":
      return live.bridges.includes(ref.iface);
    case "job":
      return live.jobs.includes(ref.id);
    case "firewall":
      return live.firewall;
    default: {
      const never: never = ref;
      throw new Error(`unknown live object ${JSON.stringify(never)}`);
    }
  }
}

/** How one Proxmox resource is adopted and guarded. */
export interface AdoptionSpec {
  /** The provider's import id (e.g. `neve/1201`). Omit for objects that cannot exist yet. */
  readonly importId?: string;
  /** The object this resource manages: it carries its import id when it is in `adoption.live` (per-object adoption); without it, never unless read-only. */
  readonly object?: LiveObjectRef;
  /**
   * Access-critical and read-only (the public bridge, the cluster firewall): the resource always
   * carries its import id, so an `up` can adopt it but never create it. The component also ignores
   * every input field and protects it.
   */
  readonly readOnly?: boolean;
  /** Protect from deletion (running guests, the public bridge, the firewall). */
  readonly protect?: boolean;
  /** Properties the provider churns on after import, or every field of a read-only object (docs/adopting.md). */
  readonly ignoreChanges?: readonly string[];
  /** A guest: what decides its running-guest update guard (stacks/guards/hooks.ts `guardsFor`). */
  readonly guest?: GuardSpec["guest"];
}

/**
 * The import id a resource carries: always for read-only objects, and for every object listed in
 * `adoption.live`, on every run, whatever `adopt` says (docs/adopting.md §3).
 *
 * Once adopted, always: the engine records the `import` option of the last run as the state's
 * importID (pulumi/pulumi#19314) and a run without it erases it. A later run that sets it again is
 * then compared with the resource ID, which differs from the import id for guests (`1201` against
 * `neve/1201`) and the firewall rules (`rule-<hash>` against `cluster`): an import-replacement, which
 * deletes the live object through the provider and which `protect` does not block
 * (pkg/resource/deploy/step_generator.go `generateSteps`). Kept set, the importID stays equal, no
 * run re-imports, and the engine refuses to replace the adopted object ("previously-imported
 * resources that still specify an ID may not be replaced").
 */
function importIdFor(ctx: Pick<ProxmoxContext, "live">, spec: AdoptionSpec): string | undefined {
  if (spec.importId === undefined) return undefined;
  if (spec.readOnly) return spec.importId;
  return spec.object !== undefined && isLive(ctx.live, spec.object) ? spec.importId : undefined;
}

/**
 * Resource options for a Proxmox child: parent, explicit provider, import id (per object), protect,
 * ignoreChanges, and `retainOnDelete` on every one of them.
 *
 * Retain on delete: a delete, whatever causes it, only makes Pulumi forget the resource; the guest,
 * storage, bridge, job or rule list stays on the host as it is. Causes on this host: a guest removed
 * from the stack file or whose key was renamed (the old URN is deleted), a replacement, and an
 * import-replacement (an import id set again after a run erased the state's importID): the engine
 * skips the provider's Delete for a resource whose state says retainOnDelete, replacements included
 * (pkg/resource/deploy/step.go `DeleteStep.Apply`). `protect` does not cover the last two.
 *
 * Guards (stacks/guards/hooks.ts): every Proxmox resource carries the stop list's hooks, so a delete,
 * a replacement, a bridge create or update, an update of a read-only object or a create of a live one
 * fails in the preview already. To stop managing an object: `pulumi state delete '<urn>'` (it stays
 * on the host); to remove it, destroy it in Proxmox after that (docs/adopting.md §8).
 */
export function proxmoxResourceOptions(parent: pulumi.Resource, ctx: ProxmoxContext, spec: AdoptionSpec): pulumi.CustomResourceOptions {
  const importId = importIdFor(ctx, spec);
  const live = spec.readOnly === true || (spec.object !== undefined && isLive(ctx.live, spec.object));
  return {
    parent,
    provider: ctx.provider,
    retainOnDelete: true,
    // The program's own refusal of the stop list's steps (stacks/guards: resource hooks, preview and up alike).
    // Bridges and the firewall are read-only by type (stopList.ts); readOnly adds the rest (the spec's own flag).
    hooks: hooksOption(guardsFor({ live, readOnly: spec.readOnly === true, guest: spec.guest })),
    // A replacement's delete half first: its beforeDelete guard refuses it before the create half makes a second object.
    deleteBeforeReplace: true,
    protect: spec.protect ?? spec.readOnly ?? false,
    ...(importId !== undefined ? { import: importId } : {}),
    ...(spec.ignoreChanges?.length ? { ignoreChanges: [...spec.ignoreChanges] } : {}),
  };
}

/**
 * `keys` when it names every key of `T` (a compile error otherwise): the complete list of a
 * provider resource's input fields, so that a read-only resource ignores all of them and a provider
 * upgrade that adds a field fails the build (and the policy test that reads the SDK's .d.ts).
 */
export function everyField<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T & string, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T & string, K[number]> })
  ): readonly string[] => keys;
}

import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";

/** What every Proxmox component needs besides its own facts. */
export interface ProxmoxContext {
  /** The explicit provider instance; every Proxmox resource uses it. */
  readonly provider: proxmoxve.Provider;
  /** Proxmox node name (`neve`). */
  readonly nodeName: string;
  /** Adopt live objects: set each resource's `import` id. */
  readonly adopt: boolean;
}

/** How one Proxmox resource is adopted and guarded. */
export interface AdoptionSpec {
  /** The provider's import id (e.g. `neve/1201`); used only when adopting. Omit for objects that do not exist yet. */
  readonly importId?: string;
  /** Protect from deletion (running guests, the public bridge). */
  readonly protect?: boolean;
  /** Properties the provider churns on after import (explained in docs/adopting.md). */
  readonly ignoreChanges?: readonly string[];
}

/** Resource options for a Proxmox child: parent, explicit provider, import id when adopting, protect. */
export function proxmoxResourceOptions(
  parent: pulumi.Resource,
  ctx: ProxmoxContext,
  spec: AdoptionSpec,
): pulumi.CustomResourceOptions {
  return {
    parent,
    provider: ctx.provider,
    protect: spec.protect ?? false,
    ...(ctx.adopt && spec.importId !== undefined ? { import: spec.importId } : {}),
    ...(spec.ignoreChanges?.length ? { ignoreChanges: [...spec.ignoreChanges] } : {}),
  };
}

import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { NeveModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/** Arguments of {@link Storages}. */
export interface StoragesArgs {
  /** The validated model (its `storage`). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
  readonly ctx: ProxmoxContext;
  /** PBS password (secret); required when a `pbs` storage exists. */
  readonly pbsPassword?: pulumi.Input<string>;
}

/** Storage resources, whatever their kind. */
export type StorageResource = proxmoxve.storage.Directory | proxmoxve.storage.Zfspool | proxmoxve.storage.Pbs;

/** The node's storages (dir, zfspool, pbs). Children: `${name}-<id>`. */
export class Storages extends pulumi.ComponentResource {
  /** Storage resources by storage id. */
  public readonly storages: Record<string, StorageResource>;

  constructor(name: string, args: StoragesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:storage:Storages", name, {}, opts);
    const { model, ctx } = args;
    this.storages = {};
    for (const s of model.storage) {
      const base = { resourceId: s.id, nodes: [ctx.nodeName], contents: [...s.contents], disable: s.disabled };
      const child = `${name}-${s.id}`;
      switch (s.type) {
        case "dir":
          this.storages[s.id] = new proxmoxve.storage.Directory(
            child,
            { ...base, path: s.path },
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id } }),
          );
          break;
        case "zfspool":
          this.storages[s.id] = new proxmoxve.storage.Zfspool(
            child,
            { ...base, zfsPool: s.pool, thinProvision: s.sparse },
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id } }),
          );
          break;
        case "pbs":
          if (args.pbsPassword === undefined) {
            throw new pulumi.ResourceError(
              `storage.${s.id} is a PBS storage but the secret neve-infra:pbsPassword is not set; run: pulumi config set --secret neve-infra:pbsPassword`,
              this,
            );
          }
          this.storages[s.id] = new proxmoxve.storage.Pbs(
            child,
            {
              ...base,
              server: s.serverAddress ?? s.server,
              datastore: s.datastore,
              username: s.username,
              password: pulumi.secret(args.pbsPassword),
              fingerprint: s.fingerprint,
            },
            // Proxmox never returns the stored PBS password: after import it cannot match the secret.
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id }, ignoreChanges: ["password"] }),
          );
          break;
        default: {
          const never: never = s;
          throw new pulumi.ResourceError(`unsupported storage type ${JSON.stringify(never)}`, this);
        }
      }
    }
    this.registerOutputs({ storageIds: Object.keys(this.storages) });
  }
}

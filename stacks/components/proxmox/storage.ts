import * as pulumi from "@pulumi/pulumi";
import type { NeveModel } from "../../config";
import type { CoverageTable } from "./coverage";
import { type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

const NOT_IN_STACK = "not part of the stack vocabulary: ignored so the first `up` never resets a live value";

/** Storage inputs outside the stack vocabulary, never changed by the program (docs/discover.md). */
export const STORAGE_IGNORE_CHANGES: Readonly<Record<"dir" | "zfspool" | "pbs", readonly string[]>> = {
  dir: ["backups", "preallocation", "shared", "createBasePath", "createSubdirs"],
  zfspool: ["blocksize"],
  // Proxmox never returns the stored PBS password: after import it cannot match the secret.
  pbs: ["password", "backups", "encryptionKey", "generateEncryptionKey"],
};

/**
 * How each optional input of the storage resources is covered (the SDK documents no defaults for
 * them, so tests/unit/provider-defaults.test.ts enumerates every optional input instead).
 */
export const STORAGE_INPUT_COVERAGE: Readonly<Record<"dir" | "zfspool" | "pbs", CoverageTable>> = {
  dir: {
    backups: { ignored: NOT_IN_STACK },
    contents: { stack: "contents" },
    createBasePath: { ignored: "only matters when the directory is created" },
    createSubdirs: { ignored: "only matters when the directory is created" },
    disable: { stack: "disabled" },
    nodes: { stack: "nodes" },
    preallocation: { ignored: NOT_IN_STACK },
    shared: { ignored: NOT_IN_STACK },
  },
  zfspool: {
    blocksize: { ignored: NOT_IN_STACK },
    contents: { stack: "contents" },
    disable: { stack: "disabled" },
    nodes: { stack: "nodes" },
    thinProvision: { stack: "sparse" },
  },
  pbs: {
    backups: { ignored: NOT_IN_STACK },
    contents: { stack: "contents" },
    disable: { stack: "disabled" },
    encryptionKey: { ignored: "a secret kept under /etc/pve/priv, never read by discover" },
    fingerprint: { stack: "fingerprint" },
    generateEncryptionKey: { ignored: "only matters when the storage is created" },
    namespace: { stack: "namespace" },
    nodes: { stack: "nodes" },
  },
};

/** Arguments of {@link Storages}. */
export interface StoragesArgs {
  /** The validated model (its `storage`). */
  readonly model: NeveModel;
  /** Provider, node and live objects. */
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
      // Unstated nodes: no `nodes` line (what Proxmox reads back as an empty list), never a guessed one.
      const base = { resourceId: s.id, nodes: s.nodes ? [...s.nodes] : undefined, contents: [...s.contents], disable: s.disabled };
      const child = `${name}-${s.id}`;
      switch (s.type) {
        case "dir":
          this.storages[s.id] = new proxmoxve.storage.Directory(
            child,
            { ...base, path: s.path },
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id }, ignoreChanges: STORAGE_IGNORE_CHANGES.dir }),
          );
          break;
        case "zfspool":
          this.storages[s.id] = new proxmoxve.storage.Zfspool(
            child,
            { ...base, zfsPool: s.pool, thinProvision: s.sparse },
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id }, ignoreChanges: STORAGE_IGNORE_CHANGES.zfspool }),
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
              namespace: s.namespace,
            },
            proxmoxResourceOptions(this, ctx, { importId: s.id, object: { kind: "storage", id: s.id }, ignoreChanges: STORAGE_IGNORE_CHANGES.pbs }),
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

import type * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../common/dynamicResource";
import { type ConnectionArgs, connectionInput, secretConnectionOutput } from "../common/resource";
import { lxcRawConfigProvider } from "./provider";
import type { ConnectionInputs, LxcRawOnDelete } from "./types";

/** Arguments of an LxcRawConfig: the raw `lxc.*` lines of one container's config on one Proxmox host. */
export interface LxcRawConfigArgs {
  /** How to reach the Proxmox host over SSH (same shape as HostConfig's; give privateKey as a secret). */
  connection: pulumi.Input<ConnectionArgs>;
  /** The container's id, e.g. 201: the file is /etc/pve/lxc/<vmid>.conf. Changing it replaces the resource. */
  vmid: pulumi.Input<number>;
  /**
   * The raw lines of the config's main section, in order, each "lxc.<key>: <value>" on one line, e.g.
   * FUSE_UNCONFINED_RAW_LINES. They replace every raw `lxc.*` line of the main section; Proxmox's own
   * keys, comments and every snapshot or pending section stay byte for byte. An empty list leaves the
   * main section without raw lines. They take effect at the container's next start.
   */
  rawLines: pulumi.Input<pulumi.Input<string>[]>;
  /** Where the config is copied before each change on the host. Defaults to "/root/etc-pve.stash". */
  stashDir?: pulumi.Input<string>;
  /**
   * What deleting the resource does: "keep" leaves the lines in place, "remove" takes the raw lines of
   * the main section out again. Defaults to "keep": removing a resource from the program must never
   * change how a running container starts next time without saying so.
   */
  onDelete?: pulumi.Input<LxcRawOnDelete>;
}

/**
 * The raw `lxc.*` lines of one container's /etc/pve/lxc/<vmid>.conf on a Proxmox host, which the
 * Proxmox API refuses to set. The rest of that file belongs to Proxmox (it rewrites it for snapshots and
 * config changes), so every write is a read-modify-write in one SSH exec: the host sends the live file,
 * the provider splices the lines in with the pure renderLxcRawConfig, the host stages the new text as
 * a hidden file in the same directory and renames it over the config only if the file still has the
 * sha256 it had when read, under Proxmox's own config lock (/run/lock/lxc/pve-config-<vmid>.lock);
 * otherwise it fails with "changed underneath us" and leaves the file alone. No change, no write.
 * The config is stashed under <stashDir>/lxc-<vmid>/ first (original/ once, then one dir per change).
 *
 * On a real node /etc/pve is pmxcfs, a FUSE file system: it supports rename within a directory (which
 * is why the staged copy sits next to the config) and forces every file to mode 0640 root:www-data,
 * so the provider never runs chmod or chown there.
 *
 * Type token: `pulumi-nodejs:dynamic/neve:LxcRawConfig`. Id: `<host>:lxc/<vmid>`.
 */
export class LxcRawConfig extends DynamicResource {
  /** connection.host, for display. */
  public readonly host!: pulumi.Output<string>;
  /** The connection, secret (it carries the private key that delete needs). */
  public readonly connection!: pulumi.Output<ConnectionInputs>;
  /** The container id. */
  public readonly vmid!: pulumi.Output<number>;
  /** /etc/pve/lxc/<vmid>.conf. */
  public readonly path!: pulumi.Output<string>;
  /** Raw lines found in the main section at the last create, update or refresh (drift shows here). */
  public readonly rawLines!: pulumi.Output<string[]>;
  /** Stash directory on the host. */
  public readonly stashDir!: pulumi.Output<string>;
  /** Delete behaviour. */
  public readonly onDelete!: pulumi.Output<LxcRawOnDelete>;
  /** False when the container's config was missing at the last refresh. */
  public readonly present!: pulumi.Output<boolean>;
  /** Stash directory holding the config before the last change, or null. */
  public readonly lastStash!: pulumi.Output<string | null>;

  constructor(name: string, args: LxcRawConfigArgs, opts?: pulumi.CustomResourceOptions) {
    // Every output is listed, even when undefined: only keys present here become populated outputs.
    const props = {
      connection: connectionInput(args.connection),
      vmid: args.vmid,
      rawLines: args.rawLines,
      stashDir: args.stashDir,
      onDelete: args.onDelete,
      host: undefined,
      path: undefined,
      present: undefined,
      lastStash: undefined,
    };
    super(lxcRawConfigProvider, name, props, secretConnectionOutput(opts), "neve", "LxcRawConfig");
  }
}

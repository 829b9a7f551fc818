import * as pulumi from "@pulumi/pulumi";
import { DynamicResource } from "../common/dynamicResource";
import { type ConnectionArgs, connectionInput, secretConnectionOutput } from "../common/resource";
import { hostConfigProvider } from "./provider";
import type { AccessCritical, ConnectionInputs, FileState, OnDelete } from "./types";

/** How the provider reaches the host over SSH (the connection shape every SSH resource here shares). */
export type HostConfigConnectionArgs = ConnectionArgs;

/** One file the resource owns. */
export interface HostConfigFileArgs {
  /** Absolute path on the host, no "." or ".." segments. */
  path: pulumi.Input<string>;
  /** The full rendered content. */
  content: pulumi.Input<string>;
  /** Octal mode string. Defaults to "0644" (use "0600" for credentials). */
  mode?: pulumi.Input<string>;
  /** Owner user name. Defaults to "root". */
  owner?: pulumi.Input<string>;
  /** Owner group name. Defaults to "root". */
  group?: pulumi.Input<string>;
  /**
   * The content is a secret (credentials): outputs keep only its sha256, and the content input is
   * made a Pulumi secret. Defaults to false, or to true when `content` is already a secret Output.
   */
  secret?: pulumi.Input<boolean>;
  /**
   * The adoption guard of the first push (create): live contents, each `sha256:<64 hex>`, that it may replace
   * at this path. An absent file, a file equal to `content` and a file a verified push of this path wrote are
   * always replaced; any other live file fails the create with exit 20, nothing changed. Updates do not
   * consult it. Defaults to none.
   */
  acceptLive?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Arguments of a HostConfig: the files of one service on one host, and how to check and apply them. */
export interface HostConfigArgs {
  /** How to reach the host. */
  connection: pulumi.Input<HostConfigConnectionArgs>;
  /** Service name, e.g. "haproxy": part of the id (`<host>:<service>`) and of the stash path. */
  service: pulumi.Input<string>;
  /** The files, each written atomically next to its target. At least one. */
  files: pulumi.Input<pulumi.Input<HostConfigFileArgs>[]>;
  /**
   * Commands run on the host against the staged copies before anything moves, e.g.
   * "haproxy -c -f {staged}". `{staged}` (only with a single file) and `{staged:/abs/path}` are
   * replaced by the safely quoted staged path. A failure leaves the live files untouched. Defaults to none.
   */
  validate?: pulumi.Input<pulumi.Input<string>[]>;
  /** Command run once when something changed, e.g. "systemctl reload haproxy". Defaults to none. */
  activate?: pulumi.Input<string>;
  /** Command run after activation; a non-zero exit rolls back. Defaults to none. */
  healthCheck?: pulumi.Input<string>;
  /** Where previous versions are kept on the host. Defaults to "/root/etc-pve.stash". */
  stashDir?: pulumi.Input<string>;
  /** How many previous versions to keep (the original of adopted files is always kept). Defaults to 10. */
  stashKeep?: pulumi.Input<number>;
  /**
   * What deleting the resource does on the host: "keep" leaves the files and the service alone,
   * "remove" deletes the files, "restore" puts back the originals found at the first create; the
   * last two then run `activate`. Defaults to "keep": on a live host, removing a resource from the
   * program (or renaming it without an alias) must never take a running service down.
   */
  onDelete?: pulumi.Input<OnDelete>;
  /**
   * Changes that can cut off access (NAT, firewall, sshd, tunnel): a timer on the host restores the
   * previous files and re-activates unless a NEW SSH connection confirms access within
   * `confirmSeconds` (defaults to 60). With `api` (the API port as the operator reaches it, e.g.
   * `{ host: "neve", port: 8006 }`), a fresh TLS handshake with it must succeed too before the timer is
   * disarmed. Defaults to off.
   */
  accessCritical?: pulumi.Input<{
    confirmSeconds?: pulumi.Input<number>;
    api?: pulumi.Input<{ host: pulumi.Input<string>; port: pulumi.Input<number> }> | null;
  }>;
}

/**
 * Configuration files of one service on one host, pushed over SSH: staged, validated, stashed,
 * swapped in atomically, activated once, health checked, rolled back on failure.
 * Type token: `pulumi-nodejs:dynamic/neve:HostConfig`. Id: `<host>:<service>`.
 */
export class HostConfig extends DynamicResource {
  /** connection.host, for display. */
  public readonly host!: pulumi.Output<string>;
  /** The connection, secret (it carries the private key that delete needs). */
  public readonly connection!: pulumi.Output<ConnectionInputs>;
  /** The service name. */
  public readonly service!: pulumi.Output<string>;
  /** Live state of each file: sha256, mode, owner, group, presence (content only when not secret). */
  public readonly files!: pulumi.Output<FileState[]>;
  /** Validation commands. */
  public readonly validate!: pulumi.Output<string[]>;
  /** Activation command, or null. */
  public readonly activate!: pulumi.Output<string | null>;
  /** Health check command, or null. */
  public readonly healthCheck!: pulumi.Output<string | null>;
  /** Stash directory on the host. */
  public readonly stashDir!: pulumi.Output<string>;
  /** Previous versions kept. */
  public readonly stashKeep!: pulumi.Output<number>;
  /** Delete behaviour. */
  public readonly onDelete!: pulumi.Output<OnDelete>;
  /** Dead-man timer settings, or null. */
  public readonly accessCritical!: pulumi.Output<AccessCritical | null>;
  /** Stash directory holding the files before the last change, or null. */
  public readonly lastStash!: pulumi.Output<string | null>;
  /** How earlier pushes that lost their connection ended on the host (rolled back, ended fine, stopped), or null. */
  public readonly lostRuns!: pulumi.Output<string[] | null>;

  constructor(name: string, args: HostConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const files = Array.isArray(args.files) ? args.files.map(secretFile) : args.files;
    // Every output is listed, even when undefined: only keys present here become populated outputs.
    const props = {
      connection: connectionInput(args.connection),
      service: args.service,
      files,
      validate: args.validate,
      activate: args.activate,
      healthCheck: args.healthCheck,
      stashDir: args.stashDir,
      stashKeep: args.stashKeep,
      onDelete: args.onDelete,
      accessCritical: args.accessCritical,
      host: undefined,
      lastStash: undefined,
      lostRuns: undefined,
    };
    super(hostConfigProvider, name, props, secretConnectionOutput(opts), "neve", "HostConfig");
  }
}

/** Mark secret files' content as a Pulumi secret; a content that is already secret marks the file secret. */
function secretFile(f: pulumi.Input<HostConfigFileArgs>): pulumi.Input<HostConfigFileArgs> {
  if (pulumi.Output.isInstance(f)) return f;
  const file = f as HostConfigFileArgs;
  if (file.secret === true) return { ...file, content: pulumi.secret(file.content) };
  if (pulumi.Output.isInstance(file.content) && file.secret === undefined) {
    const content = file.content as pulumi.Output<string>;
    return { ...file, secret: pulumi.output(pulumi.isSecret(content)) };
  }
  return file;
}

import * as pulumi from "@pulumi/pulumi";
import { HostConfig, type HostConfigConnectionArgs, type HostConfigFileArgs } from "../../../providers/hostconfig";
import { LxcRawConfig } from "../../../providers/lxcraw";
import { ConfigError, type NeveModel } from "../../config";
import { renderCloudflaredCredentials } from "../../render";
import { SECRET_CONTENT } from "./declarations";
import { preflightHostServices } from "./preflight";
import { pushDependencies } from "./pushOrder";

/** Arguments of {@link HostServices}. */
export interface HostServicesArgs {
  /** The validated stack model. */
  readonly model: NeveModel;
  /** SSH private key (a Pulumi secret). Defaults to the ssh-agent at SSH_AUTH_SOCK. */
  readonly sshPrivateKey?: pulumi.Output<string>;
  /** cloudflared credentials JSON (a Pulumi secret); required for the tunnel. */
  readonly tunnelCredentials?: pulumi.Output<string>;
  /** Guest components by name: a guest's raw config lines are written after the guest exists. */
  readonly guests?: Readonly<Record<string, pulumi.Resource>>;
}

/**
 * The host's own configuration files (sysctl, NAT, dnsmasq, haproxy, cloudflared, systemd units),
 * rendered here from the stack model and pushed over SSH, one HostConfig resource per service;
 * and the raw `lxc.*` lines of containers (LxcRawConfig), which the Proxmox API refuses.
 */
export class HostServices extends pulumi.ComponentResource {
  /** Resource id (`<host>:<service>`) of each service, by service name. */
  public readonly services: Record<string, pulumi.Output<string>>;
  /**
   * The push of /etc/network/interfaces (`network.interfacesFile: true`), or undefined: guests depend on it, so a
   * guest on a bridge the file adds is created only after the file is live and access is confirmed.
   */
  public readonly networkPush: HostConfig | undefined;

  constructor(name: string, args: HostServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:host:HostServices", name, {}, opts);
    const { model } = args;
    const hs = model.hostServices;
    const hostKey = model.ssh.hostKey;
    if (hostKey === undefined) {
      throw new ConfigError([
        {
          path: "ssh.hostKey",
          message:
            "is required to push host configuration (no trust on first use): on the host run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`, " +
            "then `pulumi config set --path neve-infra:ssh.hostKey SHA256:...`; or set hostServices.enabled: false",
        },
      ]);
    }
    if (args.tunnelCredentials === undefined) {
      throw new ConfigError([
        {
          path: "tunnelCredentials",
          message: `is required for the tunnel ${model.tunnel.id}: pulumi config set --secret neve-infra:tunnelCredentials < ${model.tunnel.id}.json`,
        },
      ]);
    }
    const connection: HostConfigConnectionArgs = {
      host: model.ssh.host,
      port: model.ssh.port,
      username: model.ssh.user,
      hostKey,
      privateKey: args.sshPrivateKey,
      timeouts: model.ssh.timeouts,
    };
    const credentials = args.tunnelCredentials.apply((json) => renderCloudflaredCredentials(json, model.tunnel.id));

    // Rendered, cross-checked and provider-checked before any child exists (the program and
    // `npm run plan` run the same preflight first; here it also yields the declarations).
    const declared = preflightHostServices(model);
    this.services = {};
    // Push order (pushOrder.ts): an access-critical service is pushed alone, one after another in the registry's
    // order, each confirmed by a new SSH login before anything after it begins.
    const services = declared?.services ?? [];
    const waits = pushDependencies(services.map((d) => ({ accessCritical: d.accessCritical !== undefined })));
    const pushed: HostConfig[] = [];
    let networkPush: HostConfig | undefined;
    services.forEach((d, i) => {
      const files: HostConfigFileArgs[] = d.files.map((f) => ({
        ...f,
        content: f.content === SECRET_CONTENT ? credentials : f.content,
        acceptLive: [...f.acceptLive],
      }));
      const resource = new HostConfig(
        `${name}-${d.name}`,
        {
          connection,
          service: d.name,
          files,
          validate: [...d.validate],
          activate: d.activate,
          healthCheck: d.healthCheck,
          stashDir: hs.stashDir,
          stashKeep: hs.stashKeep,
          onDelete: d.keepOnDelete ? "keep" : hs.onDelete,
          accessCritical: d.accessCritical,
        },
        { parent: this, dependsOn: waits[i].map((j) => pushed[j]) },
      );
      pushed.push(resource);
      if (d.kind === "network-interfaces") networkPush = resource;
      this.services[d.name] = resource.id;
    });
    this.networkPush = networkPush;
    for (const r of declared?.lxcRaw ?? []) {
      const raw = new LxcRawConfig(
        `${name}-${r.name}`,
        {
          connection,
          vmid: r.vmid,
          rawLines: [...r.rawLines],
          stashDir: hs.stashDir,
          // The raw lines have no separate "original" to restore: remove takes them out, anything else keeps them.
          onDelete: hs.onDelete === "remove" ? "remove" : "keep",
        },
        { parent: this, dependsOn: args.guests?.[r.guest] ? [args.guests[r.guest]] : [] },
      );
      this.services[r.name] = raw.id;
    }
    this.registerOutputs({ services: this.services });
  }
}

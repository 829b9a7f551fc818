import * as pulumi from "@pulumi/pulumi";
import { ConfigError, NeveModel } from "../../config";
import {
  HostServiceRef,
  ServiceFileRole,
  ServiceSpec,
  serviceSpec,
  renderCloudflaredConfig,
  renderCloudflaredCredentials,
  renderCloudflaredUnit,
  renderDnsmasqConfig,
  renderFixPveCertsUnits,
  renderHaproxyConfig,
  renderNatLoaderUnit,
  renderNatNft,
  renderNovncUnit,
  renderSocatForwardUnit,
  renderSysctlForwarding,
} from "../../render";
import { HostConfig, HostConfigConnectionArgs, HostConfigFileArgs } from "../../../providers/hostconfig";
import { LxcRawConfig } from "../../../providers/lxcraw";
import { HostRenderModels, hostRenderModels, hostServiceRefs } from "./renderModels";

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

    const render = hostRenderModels(model);
    this.services = {};
    for (const ref of hostServiceRefs(model, render)) {
      const spec = serviceSpec(ref);
      const files: HostConfigFileArgs[] = spec.files.map((f) => ({
        path: f.path,
        content: f.secret ? credentials : contentFor(ref, f.role, render),
        mode: f.mode,
        owner: f.owner,
        group: f.group,
        secret: f.secret,
      }));
      const resource = new HostConfig(
        `${name}-${spec.name}`,
        {
          connection,
          service: spec.name,
          files,
          validate: validators(spec),
          activate: spec.activate ?? undefined,
          healthCheck: spec.healthCheck ?? undefined,
          stashDir: hs.stashDir,
          stashKeep: hs.stashKeep,
          onDelete: hs.onDelete,
          accessCritical: spec.accessCritical ? { confirmSeconds: hs.confirmSeconds } : undefined,
        },
        { parent: this },
      );
      this.services[spec.name] = resource.id;
    }
    for (const g of model.guests) {
      if (g.kind !== "ct" || g.rawLxc.length === 0) continue;
      const raw = new LxcRawConfig(
        `${name}-lxc-${g.vmid}-raw`,
        {
          connection,
          vmid: g.vmid,
          rawLines: [...g.rawLxc],
          stashDir: hs.stashDir,
          // The raw lines have no separate "original" to restore: remove takes them out, anything else keeps them.
          onDelete: hs.onDelete === "remove" ? "remove" : "keep",
        },
        { parent: this, dependsOn: args.guests?.[g.name] ? [args.guests[g.name]] : [] },
      );
      this.services[`lxc-${g.vmid}-raw`] = raw.id;
    }
    this.registerOutputs({ services: this.services });
  }
}

/**
 * The services table writes `{staged}` per file; the provider needs `{staged:/abs/path}` once a
 * service has several files.
 */
export function validators(spec: ServiceSpec): string[] {
  return spec.files.flatMap((f) => f.validate.map((cmd) => cmd.split("{staged}").join(`{staged:${f.path}}`)));
}

/** Rendered text of one (non-secret) file of a service. */
export function contentFor(ref: HostServiceRef, role: ServiceFileRole, r: HostRenderModels): string {
  const wrong = () => new Error(`service ${ref.kind} has no ${role} file`);
  switch (ref.kind) {
    case "sysctl-forwarding":
      return renderSysctlForwarding(r.sysctl);
    case "nat":
      if (r.nat === null) throw wrong();
      return role === "unit" ? renderNatLoaderUnit() : renderNatNft(r.nat);
    case "dnsmasq":
      return renderDnsmasqConfig(r.dnsmasq);
    case "haproxy":
      return renderHaproxyConfig(r.haproxy);
    case "cloudflared":
      if (role === "unit") return renderCloudflaredUnit({ tunnelId: ref.tunnelId });
      if (role === "config") return renderCloudflaredConfig(r.cloudflared);
      throw wrong();
    case "novnc": {
      const unit = r.novnc.find((n) => n.vmid === ref.vmid);
      if (!unit) throw wrong();
      return renderNovncUnit(unit);
    }
    case "spiceproxy-socat":
      if (r.spiceProxy === null) throw wrong();
      return renderSocatForwardUnit(r.spiceProxy);
    case "fix-pve-certs": {
      if (r.fixPveCerts === null) throw wrong();
      const units = renderFixPveCertsUnits(r.fixPveCerts);
      return role === "timer" ? units.timer : units.service;
    }
    case "lxc-raw":
      // Needs the live /etc/pve/lxc/<id>.conf (read-modify-write on the host): not pushed as a whole file.
      throw wrong();
    default: {
      const never: never = ref;
      throw new Error(`unknown host service ${JSON.stringify(never)}`);
    }
  }
}

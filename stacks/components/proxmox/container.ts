import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { CtModel, NeveModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/**
 * Container fields that only matter at creation or that the provider reads back differently after
 * import (see docs/adopting.md): the OS template, the root disk, the first login, the MAC address.
 */
export const CT_IGNORE_CHANGES: readonly string[] = [
  "operatingSystem",
  "disk",
  "mountPoints",
  "initialization.userAccount",
  "networkInterfaces[0].macAddress",
];

/** Arguments of {@link LxcGuest}. */
export interface LxcGuestArgs {
  /** The container. */
  readonly guest: CtModel;
  /** The whole model (IP plan gateway). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
  readonly ctx: ProxmoxContext;
}

/**
 * One LXC container (`proxmoxve.ContainerLegacy`, the provider's only container resource). Child: `${name}-ct`.
 * Raw `lxc.*` lines (rawLxc) are not API settings; the host-config resources push them over SSH.
 */
export class LxcGuest extends pulumi.ComponentResource {
  /** The container resource. */
  public readonly container: proxmoxve.ContainerLegacy;

  constructor(name: string, args: LxcGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:guests:Container", name, {}, opts);
    const { guest: g, model, ctx } = args;
    const plan = model.network.ipv4;
    const f = g.features;
    const hasFeatures = f.nesting !== undefined || f.keyctl !== undefined || f.fuse !== undefined;

    this.container = new proxmoxve.ContainerLegacy(
      `${name}-ct`,
      {
        nodeName: ctx.nodeName,
        vmId: g.vmid,
        description: g.description,
        template: g.template,
        started: g.template ? false : g.running,
        startOnBoot: g.onBoot ?? g.running,
        unprivileged: g.unprivileged,
        memory: { dedicated: g.memoryMiB },
        cpu: g.cores !== undefined ? { cores: g.cores } : undefined,
        tags: g.tags.length ? [...g.tags] : undefined,
        features: hasFeatures ? { nesting: f.nesting, keyctl: f.keyctl, fuse: f.fuse } : undefined,
        networkInterfaces: [{ name: "eth0", bridge: g.bridge }],
        operatingSystem: g.osTemplate ? { templateFileId: g.osTemplate, type: g.osType } : undefined,
        initialization: {
          hostname: g.name,
          ipConfigs: [
            {
              ipv4: g.ipv4Cidr ? { address: g.ipv4Cidr, gateway: plan.gateway } : { address: "dhcp" },
              ipv6:
                g.ipv6Cidr && model.network.ipv6 ? { address: g.ipv6Cidr, gateway: model.network.ipv6.gateway } : undefined,
            },
          ],
        },
      },
      proxmoxResourceOptions(this, ctx, {
        importId: `${ctx.nodeName}/${g.vmid}`,
        object: { kind: "guest", vmid: g.vmid },
        protect: g.protect,
        ignoreChanges: CT_IGNORE_CHANGES,
      }),
    );
    this.registerOutputs({ vmId: this.container.vmId });
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { NeveModel, VmModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/**
 * Fields the provider reports differently after `pulumi import` than the program declares, or that
 * only matter at creation; ignored so adoption neither fails nor replaces a live VM. Each one is
 * explained in docs/adopting.md.
 */
export const VM_IGNORE_CHANGES: readonly string[] = [
  "clone",
  "disks",
  "efiDisk",
  "cdrom",
  "networkDevices[0].macAddress",
  "initialization.userAccount",
  "initialization.datastoreId",
];

/** Arguments of {@link QemuGuest}. */
export interface QemuGuestArgs {
  /** The VM or template. */
  readonly guest: VmModel;
  /** The whole model (templates to clone from, IP plan gateway). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
  readonly ctx: ProxmoxContext;
}

/** One QEMU VM or template (`proxmoxve.VmLegacy`, the provider's production VM resource). Child: `${name}-vm`. */
export class QemuGuest extends pulumi.ComponentResource {
  /** The VM resource. */
  public readonly vm: proxmoxve.VmLegacy;

  constructor(name: string, args: QemuGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:guests:Vm", name, {}, opts);
    const { guest: g, model, ctx } = args;
    const plan = model.network.ipv4;
    const source = g.clone ? model.guests.find((t) => t.name === g.clone?.from) : undefined;

    this.vm = new proxmoxve.VmLegacy(
      `${name}-vm`,
      {
        nodeName: ctx.nodeName,
        vmId: g.vmid,
        name: g.name,
        description: g.description,
        template: g.template,
        // A template never runs; Proxmox refuses to start one.
        started: g.template ? false : g.running,
        onBoot: g.onBoot ?? g.running,
        memory: { dedicated: g.memoryMiB },
        cpu: g.cores !== undefined ? { cores: g.cores } : undefined,
        agent: g.agent !== undefined ? { enabled: g.agent } : undefined,
        tags: g.tags.length ? [...g.tags] : undefined,
        networkDevices: [{ bridge: g.bridge, model: "virtio" }],
        clone: source ? { vmId: source.vmid, full: g.clone?.full ?? true, nodeName: ctx.nodeName } : undefined,
        initialization: g.cloudInit
          ? {
              datastoreId: g.cloudInitStorage ?? "vmdata",
              dns: plan.dns ? { servers: [...plan.dns] } : undefined,
              ipConfigs: [
                {
                  ipv4: g.ipv4Cidr ? { address: g.ipv4Cidr, gateway: plan.gateway } : { address: "dhcp" },
                  ipv6:
                    g.ipv6Cidr && model.network.ipv6 ? { address: g.ipv6Cidr, gateway: model.network.ipv6.gateway } : undefined,
                },
              ],
            }
          : undefined,
      },
      proxmoxResourceOptions(this, ctx, {
        importId: `${ctx.nodeName}/${g.vmid}`,
        object: { kind: "guest", vmid: g.vmid },
        protect: g.protect,
        ignoreChanges: VM_IGNORE_CHANGES,
      }),
    );
    this.registerOutputs({ vmId: this.vm.vmId });
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { NeveModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/** Arguments of {@link NetworkBridges}. */
export interface NetworkBridgesArgs {
  /** The validated model (its `network.bridges`). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
  readonly ctx: ProxmoxContext;
}

/** The node's Linux bridges (vmbr0 public, vmbr1 private). Children: `${name}-<bridge>`. */
export class NetworkBridges extends pulumi.ComponentResource {
  /** Bridge resources by interface name. */
  public readonly bridges: Record<string, proxmoxve.network.linux.Bridge>;

  constructor(name: string, args: NetworkBridgesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:network:Bridges", name, {}, opts);
    const { model, ctx } = args;
    this.bridges = {};
    for (const [iface, b] of Object.entries(model.network.bridges)) {
      const dhcp = b.ipv4 === "dhcp";
      this.bridges[iface] = new proxmoxve.network.linux.Bridge(
        `${name}-${iface}`,
        {
          nodeName: ctx.nodeName,
          name: iface,
          comment: b.comment,
          ports: [...b.ports],
          address: dhcp ? undefined : b.ipv4,
          address6: b.ipv6,
          autostart: true,
        },
        proxmoxResourceOptions(this, ctx, {
          importId: `${ctx.nodeName}:${iface}`,
          // A wrong change to the public bridge cuts the operator off: never delete it by accident.
          protect: b.public,
          // The provider has no DHCP method: the address it reads back for a DHCP bridge is not ours to manage.
          ignoreChanges: dhcp ? ["address", "gateway"] : [],
        }),
      );
    }
    this.registerOutputs({ bridges: Object.keys(this.bridges) });
  }
}

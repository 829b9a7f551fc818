import * as pulumi from "@pulumi/pulumi";
import type { NeveModel } from "../../config";
import { everyField, isLive, type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

/**
 * Every input field of the provider's Linux bridge. A public bridge ignores all of them: the PVE
 * API's interface update sets the method to `static` when an address is given and to `manual` when
 * not (pve-manager, PVE/API2/Network.pm, update_network), and the provider then reloads networking,
 * so any diff on vmbr0 (IPv4 by DHCP) would drop its public address and with it the tailnet path.
 */
export const BRIDGE_INPUT_FIELDS = everyField<proxmoxve.network.linux.BridgeArgs>()(
  "address",
  "address6",
  "autostart",
  "comment",
  "gateway",
  "gateway6",
  "mtu",
  "name",
  "nodeName",
  "ports",
  "timeoutReload",
  "vids",
  "vlanAware",
);

/** Arguments of {@link NetworkBridges}. */
export interface NetworkBridgesArgs {
  /** The validated model (its `network.bridges`). */
  readonly model: NeveModel;
  /** Provider, node, adopt switch and live objects. */
  readonly ctx: ProxmoxContext;
}

/**
 * The node's Linux bridges (vmbr0 public, vmbr1 private). Children: `${name}-<bridge>`.
 *
 * A public bridge is read-only: always adopted (never created: the program refuses when the host
 * has no such bridge), protected, every input field in `ignoreChanges`. Changing it goes through
 * the SSH path with a confirm timer (docs/adopting.md).
 */
export class NetworkBridges extends pulumi.ComponentResource {
  /** Bridge resources by interface name. */
  public readonly bridges: Record<string, proxmoxve.network.linux.Bridge>;

  constructor(name: string, args: NetworkBridgesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:network:Bridges", name, {}, opts);
    const { model, ctx } = args;
    this.bridges = {};
    for (const [iface, b] of Object.entries(model.network.bridges)) {
      const dhcp = b.ipv4 === "dhcp";
      const object = { kind: "bridge", iface } as const;
      if (b.public && ctx.live && !isLive(ctx.live, object)) {
        throw new pulumi.ResourceError(
          `network.bridges.${iface} is public but the host has no bridge ${iface} (adoption.live.bridges: ${ctx.live.bridges.join(", ") || "none"}): ` +
            `this program never creates a public bridge, because creating or changing it reloads the host's network and can cut the operator off. ` +
            `Create it on the host by hand behind a confirm timer (docs/adopting.md, "Changing the firewall or vmbr0 safely"), then run npm run discover -- --check and --write`,
          this,
        );
      }
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
        proxmoxResourceOptions(
          this,
          ctx,
          b.public
            ? { importId: `${ctx.nodeName}:${iface}`, object, readOnly: true, protect: true, ignoreChanges: BRIDGE_INPUT_FIELDS }
            : {
                importId: `${ctx.nodeName}:${iface}`,
                object,
                // The provider has no DHCP method: the address it reads back for a DHCP bridge is not ours to manage.
                ignoreChanges: dhcp ? ["address", "gateway"] : [],
              },
        ),
      );
    }
    this.registerOutputs({ bridges: Object.keys(this.bridges) });
  }
}

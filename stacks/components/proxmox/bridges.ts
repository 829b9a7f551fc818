import * as pulumi from "@pulumi/pulumi";
import type { NeveModel } from "../../config";
import { everyField, isLive, type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

/**
 * Every input field of the provider's Linux bridge. A bridge that exists on the host ignores all of
 * them. The PVE API's interface update sets the method to `static` when an address is given and to
 * `manual` when not (pve-manager, PVE/API2/Network.pm, update_network), so any diff on vmbr0 (IPv4 by
 * DHCP) would drop its public address and with it the tailnet path. And after any bridge create or
 * update the provider reloads the node's whole network (bpg resource_linux_bridge.go,
 * ReloadNetworkConfiguration: `PUT /nodes/{node}/network`, which applies everything staged in
 * /etc/network/interfaces.new and runs `ifreload -a`), vmbr0 included, with no confirm timer.
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
  /** Provider, node and live objects. */
  readonly ctx: ProxmoxContext;
}

/**
 * The node's Linux bridges (vmbr0 public, vmbr1 private). Children: `${name}-<bridge>`.
 *
 * A public bridge is read-only: always adopted (never created: the program refuses when the host
 * has no such bridge), protected, every input field in `ignoreChanges`. A private bridge that exists
 * on the host (`adoption.live.bridges`) is read-only too: adopted, protected (the guests' network and
 * the public sites depend on it), every field ignored, because any update reloads the whole network
 * (see {@link BRIDGE_INPUT_FIELDS}). Changing either goes through the SSH path with a confirm timer
 * (docs/adopting.md §7). A private bridge the host does not have yet is declared for creation, but
 * the guards refuse any bridge create or update (stacks/guards/stopList.ts): it is created by hand and adopted.
 */
export class NetworkBridges extends pulumi.ComponentResource {
  /** Bridge resources by interface name. */
  public readonly bridges: Record<string, proxmoxve.network.linux.Bridge>;

  constructor(name: string, args: NetworkBridgesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:network:Bridges", name, {}, opts);
    const { model, ctx } = args;
    this.bridges = {};
    // `network.interfacesFile`: the bridges are the host file /etc/network/interfaces (the network-interfaces
    // host service), which has one owner; no Proxmox bridge resource is declared beside it.
    const bridges = model.network.interfacesFile ? [] : Object.entries(model.network.bridges);
    for (const [iface, b] of bridges) {
      const dhcp = b.ipv4 === "dhcp";
      const object = { kind: "bridge", iface } as const;
      if (b.public && ctx.live && !isLive(ctx.live, object)) {
        throw new pulumi.ResourceError(
          `network.bridges.${iface} is public but the host has no bridge ${iface} (adoption.live.bridges: ${ctx.live.bridges.join(", ") || "none"}): ` +
            `this program never creates a public bridge, because creating or changing it reloads the host's network and can cut the operator off. ` +
            `Declare it with network.interfacesFile: true (the bridges as /etc/network/interfaces, pushed under the commit-confirmed net: docs/adopting.md §7), ` +
            `or create it on the host by hand behind a confirm timer, then run npm run discover -- --check and --write`,
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
            : isLive(ctx.live, object)
              ? { importId: `${ctx.nodeName}:${iface}`, object, protect: true, ignoreChanges: BRIDGE_INPUT_FIELDS }
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

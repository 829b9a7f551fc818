import * as pulumi from "@pulumi/pulumi";
import type { LxcGuest } from "../components/proxmox/container";
import { QemuGuest } from "../components/proxmox/vm";
import type { GuestOutput } from "./outputs";

/** A guest output whose live fields are still Outputs of the guest's resource. */
export type LiveGuestOutput = Omit<GuestOutput, "macAddresses"> & {
  /** From the resource's outputs (see {@link GuestOutput.macAddresses}). */
  readonly macAddresses: pulumi.Output<readonly string[] | null>;
};

/**
 * The MAC addresses a provider reported for a guest's interfaces, in order; null when any of them
 * is missing (the offline plan's mocks echo the inputs, which carry none). bpg's provider reads them
 * from the guest's config on every read and import (proxmoxtf/resource/vm/network/network.go
 * `ReadNetworkDeviceObjects`: `network_device[].mac_address` from `netN`; proxmoxtf/resource/container:
 * `network_interface[].mac_address` from `hwaddr`), and leaves a null entry for a gap in netN's
 * numbering, which is no interface and is skipped here.
 */
export function macAddressList(interfaces: readonly ({ readonly macAddress?: string | null } | null | undefined)[] | undefined | null): string[] | null {
  const present = (interfaces ?? []).filter((i): i is { readonly macAddress?: string | null } => i !== null && i !== undefined);
  if (present.length === 0) return null;
  const macs = present.map((i) => i.macAddress);
  return macs.every((m): m is string => typeof m === "string" && m !== "") ? macs : null;
}

/** The MAC addresses of one guest, from its resource's outputs (never from the config). */
function macAddressesOf(component: QemuGuest | LxcGuest): pulumi.Output<readonly string[] | null> {
  if (component instanceof QemuGuest) return component.vm.networkDevices.apply((d) => macAddressList(d));
  return component.container.networkInterfaces.apply((i) => macAddressList(i));
}

/**
 * The `guests` output with each guest's live fields taken from its component. Each live field is
 * its own Output, so in a preview only that field of a not-yet-created guest is unknown.
 */
export function liveGuests(
  guests: Readonly<Record<string, GuestOutput>>,
  components: Readonly<Record<string, QemuGuest | LxcGuest>>,
): Record<string, LiveGuestOutput> {
  const out: Record<string, LiveGuestOutput> = {};
  for (const [name, g] of Object.entries(guests)) {
    const component = components[name];
    out[name] = { ...g, macAddresses: component ? macAddressesOf(component) : pulumi.output(g.macAddresses) };
  }
  return out;
}

/**
 * Which `adoption.live` entry a step of a preview document acts on, for `npm run guard` (the program
 * itself knows it at registration: options.ts `isLive`).
 */
import { isLive, type LiveObjectRef, type LiveObjects } from "../components/proxmox/options";
import { PROXMOX_TYPES } from "./stopList";

/**
 * The `adoption.live` entry a Proxmox resource's import id or inputs identify, or undefined when
 * the type has none (the firewall options are always adopted). The inverse of the import ids
 * options.ts gives (`neve/1201`, `neve:vmbr1`, a storage or job id, `cluster`).
 */
function liveObjectOf(type: string, importId: string | undefined, inputs: Record<string, unknown> | undefined): LiveObjectRef | undefined {
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  switch (type) {
    case PROXMOX_TYPES.vm:
    case PROXMOX_TYPES.container: {
      const fromImport = importId ? Number(importId.split("/").pop()) : Number.NaN;
      const vmid = Number.isInteger(fromImport) ? fromImport : Number(inputs?.vmId);
      return Number.isInteger(vmid) ? { kind: "guest", vmid } : undefined;
    }
    case PROXMOX_TYPES.bridge: {
      const iface = importId ? importId.split(":").pop() : str(inputs?.name);
      return iface ? { kind: "bridge", iface } : undefined;
    }
    case PROXMOX_TYPES.directory:
    case PROXMOX_TYPES.zfspool:
    case PROXMOX_TYPES.pbs: {
      const id = importId ?? str(inputs?.resourceId);
      return id ? { kind: "storage", id } : undefined;
    }
    case PROXMOX_TYPES.job: {
      const id = importId ?? str(inputs?.resourceId);
      return id ? { kind: "job", id } : undefined;
    }
    case PROXMOX_TYPES.firewallRules:
      return { kind: "firewall" };
    default:
      return undefined;
  }
}

/** Whether the object of a resource is in `live` (undefined when the type names no such object). */
export function liveOf(
  live: LiveObjects | undefined,
  type: string,
  importId: string | undefined,
  inputs: Record<string, unknown> | undefined,
): boolean | undefined {
  const ref = liveObjectOf(type, importId, inputs);
  return ref === undefined ? undefined : isLive(live, ref);
}

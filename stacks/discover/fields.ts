/**
 * The fields `discover --check` compares, per object kind: what an absent line means on the host
 * (Proxmox's own default) and what the program declares when the stack does not state the field (the
 * provider's default, or nothing). Pure data plus small helpers; the sources of each default:
 * - provider: bpg/terraform-provider-proxmox proxmoxtf/resource/vm/vm.go (dvCPUType "qemu64",
 *   dvOperatingSystemType "other", dvBIOS "seabios", dvSCSIHardware "virtio-scsi-pci", dvVGAType "std",
 *   dvVGAMemory 16, dvMemoryFloating 0, dvTabletDevice true, dvACPI true, dvCPUCores 1, dvCPUSockets 1,
 *   dvKVMArguments "") and the SDK's declarations (container swap 0, NIC firewall false);
 * - Proxmox (a key absent from the config), checked in the sources: qemu-server PVE/QemuServer.pm
 *   confdesc (`scsihw` default `lsi`; bios seabios, cores 1, sockets 1, memory 512, onboot 0, acpi 1,
 *   tablet 1; `balloon` absent: the balloon device with its target at `memory`, 0 disables it) and
 *   PVE/QemuServer/CPUConfig.pm (`cputype` default `kvm64`); pve-container PVE/LXC/Config.pm confdesc
 *   (memory 512, `swap` default 512, unprivileged 0); pve-manager PVE/VZDump confdesc (`mode` default
 *   `snapshot`, `compress` default `0`); pve-firewall (policy_in DROP, policy_out ACCEPT). ostype
 *   absent is treated as `other`, what qemu-server assumes for an unknown OS.
 */

/** A compared field. */
export interface FieldSpec {
  /** Stack field name (path below the object, dotted). */
  readonly field: string;
  /** What the host means when its file has no line for it. */
  readonly absent?: unknown;
  /** What the program declares when the stack does not state it (undefined: nothing, no change; null: the key is removed). */
  readonly provider?: unknown;
  /** Recorded only (root@pam-only or ignored by the resource): compared so the stack file stays true. */
  readonly recorded?: boolean;
}

/** VM fields (besides name, bridge, template, onBoot and the cloud-init addresses, handled in check.ts). */
export const VM_FIELDS: readonly FieldSpec[] = [
  { field: "description", absent: "", provider: "" },
  { field: "memoryMiB", absent: 512 },
  { field: "balloonMiB", provider: 0 }, // absent: = memoryMiB (special-cased)
  { field: "cores", absent: 1, provider: 1 },
  { field: "sockets", absent: 1, provider: 1 },
  { field: "cpuType", absent: "kvm64", provider: "qemu64" },
  { field: "osType", absent: "other", provider: "other" },
  { field: "bios", absent: "seabios", provider: "seabios" },
  { field: "machine" },
  { field: "scsiHardware", absent: "lsi", provider: "virtio-scsi-pci" },
  { field: "vga", absent: { type: "std" }, provider: { type: "std" } },
  { field: "nicModel", provider: "virtio" },
  { field: "firewall", absent: false, provider: false },
  { field: "acpi", absent: true, provider: true },
  { field: "tablet", absent: true, provider: true },
  { field: "agent", absent: false, provider: false },
  { field: "tags", absent: [], provider: [] },
  { field: "args", recorded: true },
  { field: "snapshots", absent: [], recorded: true },
];

/** Container fields (besides name, bridge, template, onBoot, addresses and features, handled in check.ts). */
export const CT_FIELDS: readonly FieldSpec[] = [
  { field: "description", absent: "", provider: "" },
  { field: "memoryMiB", absent: 512 },
  { field: "swapMiB", absent: 512, provider: 0 },
  // No `cores` key: every host core, stated `all` (the program then refuses it: ctCoresIssues).
  { field: "cores", absent: "all", provider: 1 },
  { field: "unprivileged", absent: false },
  { field: "osType", recorded: true },
  { field: "firewall", absent: false, provider: false },
  { field: "tags", absent: [], provider: [] },
  { field: "rawLxc", absent: [], recorded: true },
  { field: "snapshots", absent: [], recorded: true },
];

/** Container features: each absent = off, and the provider's default is off too. */
export const CT_FEATURES = ["nesting", "keyctl", "fuse", "mknod"] as const;

/** Storage fields by type (the type itself and the PBS server are handled in check.ts). */
export const STORAGE_FIELDS: Readonly<Record<string, readonly FieldSpec[]>> = {
  dir: [{ field: "path" }],
  zfspool: [{ field: "pool" }, { field: "sparse", absent: false, provider: false }],
  // An undeclared PBS fingerprint is removed (issue 6), and so, conservatively, is a namespace.
  pbs: [{ field: "datastore" }, { field: "username" }, { field: "fingerprint", provider: null }, { field: "namespace", provider: null }],
};

/** Fields every storage has. */
export const STORAGE_COMMON: readonly FieldSpec[] = [
  { field: "contents", absent: [] },
  { field: "disabled", absent: false, provider: false },
  // bpg's storage schema (fwprovider/storage, the schema factory): `nodes` is Optional+Computed with
  // the default empty set, so an unstated `nodes` removes a live `nodes neve` line at the first up.
  { field: "nodes", absent: [], provider: [] },
];

/** Backup job fields (guests, keepLast and the notes are handled in check.ts). */
export const JOB_FIELDS: readonly FieldSpec[] = [
  { field: "schedule" },
  { field: "storage" },
  { field: "mode", absent: "snapshot" },
  { field: "compress", absent: "0" },
  { field: "enabled", absent: true },
  { field: "node" },
];

/** Canonical form for comparison: arrays of scalars sorted, objects without undefined keys. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) if (x !== undefined) o[k] = canonical(x);
    return o;
  }
  return v;
}

/** Deep equality over canonical forms. */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A value as `--check` prints it. */
export function show(v: unknown): string {
  if (v === undefined) return "(none)";
  if (v === null) return "(removed)";
  if (typeof v === "string") return v === "" || /[\n\r]|^\s|\s$/.test(v) ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (v && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join(", ")}}`;
  }
  return String(v);
}

/** VGA canonical value: the memory dropped when it is Proxmox's 16 MiB default. */
export function vgaCanonical(v: unknown): unknown {
  if (!v || typeof v !== "object") return v;
  const o = v as { type?: string; memoryMiB?: number; clipboard?: string };
  return { type: o.type ?? "std", memoryMiB: o.memoryMiB === 16 ? undefined : o.memoryMiB, clipboard: o.clipboard };
}

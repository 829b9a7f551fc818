import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { macAddressProblem } from "../common/dnsmasqDirectives";
import { hostnameSchema, ipv4Schema, ipv6Schema, isDnsName, rawLxcLineSchema, refineWith } from "./common";

/** Proxmox accepts VM/CT ids 100-999999999. */
const VMID_MIN = 100;
/** Highest id Proxmox accepts. */
const VMID_MAX = 999_999_999;

const vmidSchema = z
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(VMID_MIN, { error: `must be a Proxmox id in ${VMID_MIN}-${VMID_MAX}` })
  .max(VMID_MAX, { error: `must be a Proxmox id in ${VMID_MIN}-${VMID_MAX}` });

const memorySchema = z
  .number({ error: "must be a number of MiB" })
  .int({ error: "must be a whole number of MiB" })
  .min(16, { error: "must be at least 16 MiB" });

/** Fields shared by VMs and containers. */
const guestBase = {
  /** Proxmox VM/CT id. */
  vmid: vmidSchema,
  /**
   * The host name Proxmox keeps for the guest (a container's `hostname:`, a VM's `name:`), when it is
   * not the guest's key, e.g. `atlas.neve.lan` (a dotted DNS name cannot be a key). Defaults to the key.
   */
  hostname: z
    .string()
    .refine(isDnsName, { error: "must be a DNS name as Proxmox takes it (labels of letters, digits, inner hyphens, joined by dots; at most 255 characters)" })
    .optional(),
  /** Free-text description (Proxmox notes). */
  description: z.string().optional(),
  /** True for a template (never started, cloned from). */
  template: z.boolean().default(false),
  /** Whether the guest runs. Running guests are always protected from deletion. */
  running: z.boolean().default(false),
  /** Start at boot. Defaults to the value of `running`. */
  onBoot: z.boolean().optional(),
  /** Memory in MiB. */
  memoryMiB: memorySchema,
  /** CPU cores. */
  cores: z.number().int().min(1).max(512).optional(),
  /** Bridge of the first network interface (key of `network.bridges`). */
  bridge: z.string(),
  /**
   * IPv4 on the bridge (no prefix; the prefix and gateway come from the IP plan). Omit for DHCP.
   * For a template it is the cloud-init placeholder every clone overrides.
   */
  ipv4: ipv4Schema.optional(),
  /** IPv6 address inside `network.ipv6.prefix` (no prefix length). */
  ipv6: ipv6Schema.optional(),
  /**
   * MAC address of the first network interface (net0), as Proxmox shows it (`BC:24:11:5A:0C:01`; compared
   * without case). Recorded for the DHCP reservation below; the guest resources never set or change it.
   */
  mac: z.string().superRefine(refineWith(macAddressProblem)).optional(),
  /**
   * An IPv4 address dnsmasq reserves for `mac` on the private bridge (a `dhcp-host` line of the dnsmasq
   * drop-in, derived from this entry alone). With `ipv4` unstated the guest takes this address by DHCP
   * (net0 stays `ip=dhcp`); with `ipv4` stated it must be the same address. Must lie in the IP plan's
   * subnet, outside the DHCP range, and be no other guest's address. Needs `mac`. Defaults to none.
   */
  dhcpReserved: ipv4Schema.optional(),
  /**
   * IPv6 by autoconfiguration instead of an address: `auto` (SLAAC, `ip6=auto`) or `dhcp` (DHCPv6), on
   * the container's net0 or a cloud-init VM's ipconfig0. Exclusive with `ipv6`.
   */
  ipv6Mode: z.enum(["auto", "dhcp"], { error: "must be auto (SLAAC) or dhcp (DHCPv6)" }).optional(),
  /**
   * DNS servers of the guest (`nameserver:`, a container's or a cloud-init VM's). Unstated: a container
   * declares none (Proxmox then uses the host's at start), a cloud-init VM the IP plan's `network.ipv4.dns`
   * (`[]` states none).
   */
  nameserver: z.array(z.string().refine((s) => ipaddr.isValid(s), { error: "must be an IPv4 or IPv6 address" })).optional(),
  /** DNS search domain of the guest (`searchdomain:`). Unstated: none declared. */
  searchdomain: z
    .string()
    .regex(/^[A-Za-z0-9.-]+( [A-Za-z0-9.-]+)*$/, { error: "must be domain names separated by spaces, such as home.arpa" })
    .optional(),
  /** Operating system, informational (`ubuntu`, `debian`, `pbs`). */
  os: z.string().optional(),
  /**
   * Proxmox's own OS type (`ostype:`): for a VM `l26`, `win11`, `other`...; for a container `ubuntu`,
   * `debian`... Unstated, the provider declares its default (VM `other`), which discover --check reports.
   */
  osType: z
    .string()
    .regex(/^[a-z0-9]+$/, { error: "must be a Proxmox ostype such as l26 (VM) or ubuntu (container)" })
    .optional(),
  /** The firewall flag of the first network interface (`firewall=1` on net0). Unstated: the provider's default, false. */
  firewall: z.boolean().optional(),
  /** Proxmox tags. */
  tags: z.array(z.string().regex(/^[a-z0-9_][a-z0-9_.+-]*$/i, { error: "tags are letters, digits, _ . + -" })).default([]),
  /**
   * Snapshots known to exist (recorded, not managed: the provider has no snapshot resource).
   */
  snapshots: z.array(z.string()).default([]),
  /**
   * Whether an `up` may restart this guest while it runs, to apply a change that needs a restart
   * (the fields of stacks/config/restart.ts: memory, CPU, addresses...). Defaults to false: a VM is
   * declared with `rebootAfterUpdate: false` (bpg then fails such an update or leaves it pending,
   * never power-cycles), and the config refuses an acknowledged change that would restart a running
   * guest (containers have no provider switch: bpg reboots them after such a change).
   */
  restartOnUpdate: z.boolean().default(false),
};

/** How a VM was cloned. */
const cloneSchema = z.strictObject({
  /** Name of the template guest it was cloned from. */
  from: hostnameSchema,
  /** Full clone (independent disks). Defaults to true. */
  full: z.boolean().default(true),
  /**
   * Template clones take their address from `network.ipv4.cloneRange`. Set true for a clone that
   * deliberately keeps an address outside it (cipher's .90 predates the range).
   */
  outsideCloneRange: z.boolean().default(false),
});

/** A QEMU virtual machine or VM template. */
export const vmSchema = z.strictObject({
  ...guestBase,
  /** `vm`: a QEMU guest. */
  kind: z.literal("vm"),
  /** Set when the VM is a clone of a template guest. */
  clone: cloneSchema.optional(),
  /**
   * Configure the address through cloud-init `ipconfig0` (Ubuntu cloud images: static addresses,
   * DHCP with systemd-networkd is unreliable there). Defaults to false (address set inside the guest).
   */
  cloudInit: z.boolean().default(false),
  /** Storage for the cloud-init drive. Defaults to `vmdata`. */
  cloudInitStorage: z.string().optional(),
  /** QEMU guest agent enabled. */
  agent: z.boolean().optional(),
  /** Emulated CPU type (`cpu:`), e.g. `host` or `x86-64-v2-AES`. Unstated: the provider's default, qemu64. */
  cpuType: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "must be a QEMU CPU model such as host or x86-64-v2-AES" })
    .optional(),
  /** CPU sockets (`sockets:`). Unstated: the provider's default, 1. */
  sockets: z.number().int().min(1).max(4).optional(),
  /** Firmware (`bios:`). Unstated: the provider's default, seabios. */
  bios: z.enum(["seabios", "ovmf"], { error: "must be seabios or ovmf" }).optional(),
  /** Machine type (`machine:`), e.g. `q35`. Unstated: Proxmox's default (i440fx, `pc`). */
  machine: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.+=,-]*$/i, { error: "must be a QEMU machine type such as q35 or pc" })
    .optional(),
  /** SCSI controller (`scsihw:`). Unstated: the provider's default, virtio-scsi-pci. */
  scsiHardware: z
    .string()
    .regex(/^[a-z0-9-]+$/, { error: "must be a SCSI controller such as virtio-scsi-single" })
    .optional(),
  /** Display (`vga:`). Unstated: the provider's default, type std, 16 MiB, no clipboard. */
  vga: z
    .strictObject({
      /** VGA type (`std`, `virtio`, `qxl`, `serial0`, `none`...). */
      type: z
        .string()
        .regex(/^[a-z0-9]+$/, { error: "must be a VGA type such as std, virtio or qxl" })
        .optional(),
      /** VGA memory in MiB. */
      memoryMiB: z.number().int().min(4).max(512).optional(),
      /** `vnc` enables the VNC clipboard. */
      clipboard: z.literal("vnc", { error: "must be vnc (the only clipboard Proxmox offers)" }).optional(),
    })
    .optional(),
  /** Minimum memory of the balloon device in MiB (`balloon:`); 0 disables ballooning. Unstated: the provider's default, 0. */
  balloonMiB: z.number().int().min(0).optional(),
  /** Model of the first network interface (`virtio`, `e1000`...). Defaults to virtio (also the provider's default). */
  nicModel: z
    .string()
    .regex(/^[a-z0-9_-]+$/, { error: "must be a NIC model such as virtio or e1000" })
    .optional(),
  /** ACPI (`acpi:`). Unstated: the provider's default, true. */
  acpi: z.boolean().optional(),
  /** USB tablet pointer (`tablet:`). Unstated: the provider's default, true. */
  tablet: z.boolean().optional(),
  /** Keyboard layout (`keyboard:`) of a VM the program creates, e.g. `de`; an existing VM's is never changed (docs/discover.md). */
  keyboard: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]{2})?$/, { error: "must be a keyboard layout such as en-us or de" })
    .optional(),
  /**
   * Extra QEMU arguments (`args:`), e.g. `-vnc 127.0.0.1:81`. Only the user root@pam itself may set
   * them (qemu-server refuses an API token), so the program never sends them: recorded here for
   * discover --check, ignored by the VM resource (docs/discover.md). A new VM may not declare them.
   */
  args: z.string().min(1).optional(),
});

/** LXC container features. */
const featuresSchema = z.strictObject({
  /** Allow nested containers / systemd sandboxing. */
  nesting: z.boolean().optional(),
  /** Allow keyctl() (needed by some unprivileged workloads, e.g. Docker). */
  keyctl: z.boolean().optional(),
  /** Allow FUSE mounts inside the container. */
  fuse: z.boolean().optional(),
  /** Allow mknod() of some device nodes. */
  mknod: z.boolean().optional(),
  /** File system types the container may mount (`mount=nfs;cifs`). */
  mount: z.array(z.string().regex(/^[a-z0-9]+$/, { error: "must be a file system type such as nfs" })).optional(),
});

/**
 * Container features only the user root@pam itself may change (pve-container, PVE/LXC.pm
 * check_ct_modify_config_perm: every feature of a privileged container, every feature but `nesting`
 * of an unprivileged one). An API token (root@pam!x) is refused, so these are recorded and ignored.
 */
export function rootOnlyFeatures(unprivileged: boolean): readonly (keyof z.infer<typeof featuresSchema>)[] {
  return unprivileged ? ["keyctl", "fuse", "mknod", "mount"] : ["nesting", "keyctl", "fuse", "mknod", "mount"];
}

/** An LXC container. */
export const ctSchema = z.strictObject({
  ...guestBase,
  /** `ct`: an LXC container. */
  kind: z.literal("ct"),
  /** Unprivileged container (user namespaces). */
  unprivileged: z.boolean(),
  /** LXC features. */
  features: featuresSchema.default({}),
  /**
   * CPU cores (`cores:`). `all`: the container has no `cores` key, so it may use every host core
   * (pve-container@94f558522ef6 src/PVE/LXC/Config.pm `cores`: "A container can use all available cores
   * by default"). The provider cannot keep that (the program refuses it, see ctCoresIssues). Unstated: the
   * provider's default, 1.
   */
  cores: z.union([z.number().int().min(1).max(512), z.literal("all")], { error: "must be a number of cores (1-512) or all" }).optional(),
  /** Swap in MiB (`swap:`). Unstated: the provider's default, 0. */
  swapMiB: z.number().int().min(0).optional(),
  /**
   * OS template volume used only when the container is created, e.g.
   * `local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst`. Omit for adopted containers.
   */
  osTemplate: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]*:vztmpl\/\S+$/i, { error: "must be a template volume like local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst" })
    .optional(),
  /**
   * Raw `lxc.*` lines appended to the container's config on the host (e.g. AppArmor unconfined,
   * /dev/fuse passthrough). Pushed over SSH by the host-config resources, not through the API.
   */
  rawLxc: z.array(rawLxcLineSchema).default([]),
});

/** One guest, discriminated by `kind`. */
const guestSchema = z.discriminatedUnion("kind", [vmSchema, ctSchema], {
  error: "must be vm (QEMU) or ct (LXC)",
});

/** `neve-infra:guests`: every VM, template and container, keyed by name (the guest's host name). */
/** A guest's key (its name in guests): one host-name label, as Proxmox's VM name and CT hostname allow it. */
export function isGuestName(s: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(s);
}

/** The host name the guest resources send (container `hostname`, VM `name`): `hostname` when stated, else the key. */
export function guestHostname(g: { readonly name: string; readonly hostname?: string }): string {
  return g.hostname ?? g.name;
}

export const guestsSchema = z.record(
  z.string().refine(isGuestName, {
    error: "guest names must be valid host names (letters, digits, inner hyphens, at most 63 characters)",
  }),
  guestSchema,
);

/** Parsed VM. */
export type VmConfig = z.infer<typeof vmSchema>;
/** Parsed container. */
export type CtConfig = z.infer<typeof ctSchema>;

/**
 * The closed world of a guest's live config (issue 12, item 1): every key of a config's main section,
 * and every property of the property strings discover reads (net<n>, ipconfig<n>), is exactly one of
 * - `stack`: stated in the stack file and compared by discover --check (the stack field named);
 * - `ignored`: the resource never changes it (ignoreChanges, or bpg has no input for it, so its update
 *   neither sends nor deletes the key), with the reason;
 * - `counted`: the first `up` would change or drop it and the stack cannot state it: a counted
 *   --check line names the key and what to do.
 * A key the tables do not know (a newer Proxmox) is counted too. The key names come from the Proxmox
 * sources (tests/data/proxmox-guest-keys.json, with the commits); tests/unit/discover-keys.test.ts
 * fails when one of them is unclassified. `<n>` stands for an index.
 */

/** How one key is accounted for. */
export type KeyClass = { readonly stack: string } | { readonly ignored: string } | { readonly counted: string };

const META = "written by Proxmox itself (creation metadata, generation ids, snapshot bookkeeping, locks); no provider input";
const NO_INPUT = "bpg's resource has no input for it: its update neither sends nor deletes the key";
const DISKS = "the disks exist; the resource ignores them (disks, efiDisk, tpmState, cdrom in ignoreChanges)";
const VM_IGNORED = "in the VM resource's ignoreChanges (stacks/components/proxmox/vm.ts VM_INPUT_COVERAGE gives the reason)";
const CT_IGNORED = "in the container resource's ignoreChanges (stacks/components/proxmox/container.ts CT_INPUT_COVERAGE gives the reason)";
const CLOUD_USER = "cloud-init user, password and keys: initialization.userAccount is in ignoreChanges (creation only)";

/** qemu-server's config keys (main section). */
export const QEMU_KEYS: Readonly<Record<string, KeyClass>> = {
  acpi: { stack: "acpi" },
  affinity: { ignored: VM_IGNORED },
  agent: { stack: "agent" },
  "allow-ksm": { ignored: NO_INPUT },
  "amd-sev": { ignored: VM_IGNORED },
  arch: { ignored: VM_IGNORED },
  args: { stack: "args (recorded: root@pam-only, ignored by the resource)" },
  audio0: { ignored: VM_IGNORED },
  autostart: { ignored: NO_INPUT },
  balloon: { stack: "balloonMiB" },
  bios: { stack: "bios" },
  boot: { ignored: VM_IGNORED },
  bootdisk: { ignored: NO_INPUT },
  cdrom: { ignored: DISKS },
  cicustom: { ignored: CLOUD_USER },
  cipassword: { ignored: CLOUD_USER },
  citype: { ignored: CLOUD_USER },
  ciupgrade: { ignored: CLOUD_USER },
  ciuser: { ignored: CLOUD_USER },
  cores: { stack: "cores" },
  cpu: { stack: "cpuType" },
  cpulimit: { ignored: VM_IGNORED },
  cpuunits: { ignored: VM_IGNORED },
  description: { stack: "description" },
  efidisk0: { ignored: DISKS },
  freeze: { ignored: NO_INPUT },
  hookscript: { ignored: VM_IGNORED },
  "hostpci<n>": { ignored: VM_IGNORED },
  hotplug: { ignored: VM_IGNORED },
  hugepages: { ignored: VM_IGNORED },
  "ide<n>": { ignored: `${DISKS}; a cloud-init drive is cloudInit` },
  "intel-tdx": { ignored: NO_INPUT },
  "ipconfig<n>": { stack: "ipv4, ipv6, ipv6Mode (ipconfig0 of a cloudInit VM; each property below)" },
  ivshmem: { ignored: NO_INPUT },
  keephugepages: { ignored: VM_IGNORED },
  keyboard: { ignored: VM_IGNORED },
  kvm: { ignored: NO_INPUT },
  localtime: { ignored: NO_INPUT },
  lock: { ignored: META },
  machine: { stack: "machine" },
  memory: { stack: "memoryMiB" },
  meta: { ignored: META },
  migrate_downtime: { ignored: NO_INPUT },
  migrate_speed: { ignored: NO_INPUT },
  name: { stack: "hostname" },
  nameserver: { stack: "nameserver" },
  "net<n>": { stack: "nicModel, bridge, firewall (net0, each property below); net1 and later are counted (extraNics)" },
  numa: { ignored: VM_IGNORED },
  "numa<n>": { ignored: VM_IGNORED },
  onboot: { stack: "onBoot" },
  ostype: { stack: "osType" },
  "parallel<n>": { ignored: NO_INPUT },
  parent: { ignored: META },
  protection: { ignored: VM_IGNORED },
  reboot: { ignored: NO_INPUT },
  rng0: { ignored: VM_IGNORED },
  "running-nets-host-mtu": { ignored: META },
  runningcpu: { ignored: META },
  runningmachine: { ignored: META },
  "sata<n>": { ignored: DISKS },
  "scsi<n>": { ignored: DISKS },
  scsihw: { stack: "scsiHardware" },
  searchdomain: { stack: "searchdomain" },
  "serial<n>": { ignored: VM_IGNORED },
  shares: { ignored: NO_INPUT },
  smbios1: { ignored: VM_IGNORED },
  smp: { ignored: NO_INPUT },
  snaptime: { ignored: META },
  sockets: { stack: "sockets" },
  spice_enhancements: { ignored: NO_INPUT },
  sshkeys: { ignored: CLOUD_USER },
  startdate: { ignored: NO_INPUT },
  startup: { ignored: VM_IGNORED },
  tablet: { stack: "tablet" },
  tags: { stack: "tags" },
  tdf: { ignored: NO_INPUT },
  template: { stack: "template" },
  tpmstate0: { ignored: DISKS },
  "unused<n>": { ignored: DISKS },
  "usb<n>": { ignored: VM_IGNORED },
  vcpus: { ignored: VM_IGNORED },
  vga: { stack: "vga" },
  "virtio<n>": { ignored: DISKS },
  "virtiofs<n>": { ignored: NO_INPUT },
  vmgenid: { ignored: META },
  vmstate: { ignored: META },
  vmstatestorage: { ignored: NO_INPUT },
  watchdog: { ignored: VM_IGNORED },
};

const NIC_FIXED = "the stack cannot state it; the program declares the NIC without it, so the first up would drop it";

/** Properties of a VM's net0 (qemu-server $net_fmt; `model` is the NIC model key that carries the MAC). */
export const QEMU_NET_PROPS: Readonly<Record<string, KeyClass>> = {
  model: { stack: "nicModel" },
  macaddr: { ignored: "networkDevices[0].macAddress is in ignoreChanges; a stated guests.<name>.mac is compared with it (recorded only)" },
  bridge: { stack: "bridge" },
  firewall: { stack: "firewall" },
  link_down: { ignored: "networkDevices[0].disconnected is in ignoreChanges" },
  queues: { counted: NIC_FIXED },
  rate: { counted: NIC_FIXED },
  tag: { counted: NIC_FIXED },
  trunks: { counted: NIC_FIXED },
  mtu: { counted: NIC_FIXED },
  "host-tunnel": { ignored: NO_INPUT },
};

/** Properties of a VM's ipconfig0 (qemu-server $ipconfig_fmt). */
export const QEMU_IPCONFIG_PROPS: Readonly<Record<string, KeyClass>> = {
  ip: { stack: "ipv4 (an address, or dhcp when ipv4 is not stated)" },
  gw: { stack: "network.ipv4.gateway" },
  ip6: { stack: "ipv6 (an address) or ipv6Mode (auto, dhcp)" },
  gw6: { stack: "network.ipv6.gateway" },
};

/** pve-container's config keys (main section). */
export const LXC_KEYS: Readonly<Record<string, KeyClass>> = {
  arch: { ignored: CT_IGNORED },
  cmode: { ignored: CT_IGNORED },
  console: { ignored: CT_IGNORED },
  cores: { stack: "cores" },
  cpulimit: { ignored: CT_IGNORED },
  cpuunits: { ignored: CT_IGNORED },
  debug: { ignored: NO_INPUT },
  description: { stack: "description" },
  "dev<n>": { ignored: CT_IGNORED },
  entrypoint: { ignored: NO_INPUT },
  env: { ignored: NO_INPUT },
  features: { stack: "features" },
  hookscript: { ignored: CT_IGNORED },
  hostname: { stack: "hostname" },
  lock: { ignored: META },
  "lxc.*": { stack: "rawLxc (recorded; pushed over SSH by the host-config resources)" },
  memory: { stack: "memoryMiB" },
  "mp<n>": { ignored: CT_IGNORED },
  nameserver: { stack: "nameserver" },
  "net<n>": { stack: "bridge, firewall, ipv4, ipv6, ipv6Mode (net0, each property below); net1 and later are counted (extraNics)" },
  onboot: { stack: "onBoot" },
  ostype: { stack: "osType (recorded: the resource ignores operatingSystem)" },
  parent: { ignored: META },
  protection: { ignored: CT_IGNORED },
  rootfs: { ignored: CT_IGNORED },
  searchdomain: { stack: "searchdomain" },
  snaptime: { ignored: META },
  startup: { ignored: CT_IGNORED },
  swap: { stack: "swapMiB" },
  tags: { stack: "tags" },
  template: { stack: "template" },
  timezone: { ignored: NO_INPUT },
  tty: { ignored: CT_IGNORED },
  unprivileged: { stack: "unprivileged" },
  "unused<n>": { ignored: CT_IGNORED },
};

/** Properties of a container's net0 (pve-container's net<n> format). */
export const LXC_NET_PROPS: Readonly<Record<string, KeyClass>> = {
  type: { ignored: "always veth (the only type Proxmox offers)" },
  name: { stack: "(always eth0: the program declares networkInterfaces[0].name eth0)" },
  bridge: { stack: "bridge" },
  hwaddr: { ignored: "networkInterfaces[0].macAddress is in ignoreChanges; a stated guests.<name>.mac is compared with it (recorded only)" },
  ip: { stack: "ipv4 (an address, or dhcp when ipv4 is not stated)" },
  gw: { stack: "network.ipv4.gateway" },
  ip6: { stack: "ipv6 (an address) or ipv6Mode (auto, dhcp)" },
  gw6: { stack: "network.ipv6.gateway" },
  firewall: { stack: "firewall" },
  mtu: { counted: NIC_FIXED },
  tag: { counted: NIC_FIXED },
  trunks: { counted: NIC_FIXED },
  rate: { counted: NIC_FIXED },
  link_down: { counted: NIC_FIXED },
  "host-managed": { ignored: "networkInterfaces[0].hostManaged is in ignoreChanges" },
};

/** The table entry of a key: exact, else its indexed form (`net3` -> `net<n>`, `lxc.apparmor.profile` -> `lxc.*`). */
export function classifyKey(table: Readonly<Record<string, KeyClass>>, key: string): KeyClass | undefined {
  if (table[key]) return table[key];
  if (key.startsWith("lxc.") && table["lxc.*"]) return table["lxc.*"];
  const indexed = /^([a-z_-]*[a-z_-])\d+$/.exec(key);
  return indexed ? table[`${indexed[1]}<n>`] : undefined;
}

/** One live key or property that counts: the path (`net0.tag`), the live value and what to do. */
export interface CountedKey {
  readonly key: string;
  readonly live: string;
  readonly why: string;
}

const STORAGE_IGNORED = "in the storage resource's ignoreChanges (stacks/components/proxmox/storage.ts STORAGE_INPUT_COVERAGE gives the reason)";
const RETENTION_IGNORED = "the storage's own retention (bpg's `backups` block) is in ignoreChanges";

/** storage.cfg keys per storage type the stack declares (pve-storage's plugin options). */
export const STORAGE_KEYS: Readonly<Record<"dir" | "zfspool" | "pbs", Readonly<Record<string, KeyClass>>>> = {
  dir: {
    path: { stack: "path" },
    "content-dirs": { ignored: NO_INPUT },
    nodes: { stack: "nodes" },
    shared: { ignored: STORAGE_IGNORED },
    disable: { stack: "disabled" },
    "prune-backups": { ignored: RETENTION_IGNORED },
    "max-protected-backups": { ignored: RETENTION_IGNORED },
    content: { stack: "contents" },
    format: { ignored: NO_INPUT },
    mkdir: { ignored: NO_INPUT },
    "create-base-path": { ignored: STORAGE_IGNORED },
    "create-subdirs": { ignored: STORAGE_IGNORED },
    is_mountpoint: { ignored: NO_INPUT },
    bwlimit: { ignored: NO_INPUT },
    preallocation: { ignored: STORAGE_IGNORED },
    "snapshot-as-volume-chain": { ignored: NO_INPUT },
  },
  zfspool: {
    pool: { stack: "pool" },
    blocksize: { ignored: STORAGE_IGNORED },
    sparse: { stack: "sparse" },
    nodes: { stack: "nodes" },
    disable: { stack: "disabled" },
    content: { stack: "contents" },
    bwlimit: { ignored: NO_INPUT },
    mountpoint: { ignored: NO_INPUT },
  },
  pbs: {
    server: { stack: "server" },
    datastore: { stack: "datastore" },
    namespace: { stack: "namespace" },
    port: { ignored: NO_INPUT },
    nodes: { stack: "nodes" },
    disable: { stack: "disabled" },
    content: { stack: "contents" },
    username: { stack: "username" },
    password: { ignored: "a secret under /etc/pve/priv (pbsPassword); password is in ignoreChanges" },
    "encryption-key": { ignored: STORAGE_IGNORED },
    "master-pubkey": { ignored: NO_INPUT },
    "prune-backups": { ignored: RETENTION_IGNORED },
    "max-protected-backups": { ignored: RETENTION_IGNORED },
    fingerprint: { stack: "fingerprint" },
  },
};

const JOB_IGNORED = "in the job resource's ignoreChanges (stacks/components/proxmox/backups.ts JOB_IGNORE_CHANGES)";

/** jobs.cfg keys of a vzdump job (pve-guest-common's vzdump options and job options). */
export const VZDUMP_KEYS: Readonly<Record<string, KeyClass>> = {
  enabled: { stack: "enabled" },
  schedule: { stack: "schedule" },
  comment: { ignored: NO_INPUT },
  "repeat-missed": { ignored: JOB_IGNORED },
  vmid: { stack: "guests" },
  node: { stack: "node" },
  all: { ignored: `${JOB_IGNORED}; a job with all 1 is counted as guests the stack cannot state` },
  stdexcludes: { ignored: JOB_IGNORED },
  compress: { stack: "compress" },
  pigz: { ignored: JOB_IGNORED },
  zstd: { ignored: JOB_IGNORED },
  quiet: { ignored: NO_INPUT },
  mode: { stack: "mode" },
  exclude: { ignored: JOB_IGNORED },
  "exclude-path": { ignored: JOB_IGNORED },
  mailto: { ignored: JOB_IGNORED },
  mailnotification: { ignored: JOB_IGNORED },
  "notification-mode": { ignored: NO_INPUT },
  tmpdir: { ignored: JOB_IGNORED },
  dumpdir: { ignored: NO_INPUT },
  script: { ignored: JOB_IGNORED },
  storage: { stack: "storage" },
  stop: { ignored: NO_INPUT },
  bwlimit: { ignored: JOB_IGNORED },
  ionice: { ignored: JOB_IGNORED },
  performance: { ignored: JOB_IGNORED },
  fleecing: { ignored: JOB_IGNORED },
  lockwait: { ignored: JOB_IGNORED },
  stopwait: { ignored: JOB_IGNORED },
  "prune-backups": { stack: "keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly (keep-all is counted)" },
  remove: { ignored: JOB_IGNORED },
  pool: { ignored: `${JOB_IGNORED}; a job on a pool is counted as guests the stack cannot state` },
  "notes-template": { stack: "notesTemplate" },
  protected: { ignored: JOB_IGNORED },
  "pbs-change-detection-mode": { ignored: JOB_IGNORED },
};

/** The counted keys of a storage.cfg or jobs.cfg section: keys the table does not know. */
export function countedSectionKeys(
  table: Readonly<Record<string, KeyClass>> | undefined,
  props: ReadonlyArray<readonly [string, string]>,
  what: string,
): CountedKey[] {
  if (!table) return [];
  return props
    .filter(([k]) => classifyKey(table, k) === undefined)
    .map(([k, v]) => ({
      key: k,
      live: v,
      why:
        `discover does not know the ${what} key ${k} (not in the Proxmox schema it was built from: tests/data/proxmox-storage-job-keys.json); ` +
        "find what the provider does with it before the first up, then classify it in stacks/discover/keys.ts",
    }));
}

import * as pulumi from "@pulumi/pulumi";
import type { NeveModel, VmModel } from "../../config";
import { guestHostname } from "../../config/guests";
import { ipv6Config } from "./container";
import type { CoverageTable } from "./coverage";
import { PROVIDER_BEHAVIOUR } from "./coverage";
import { type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

const ROOT_ONLY = "only the user root@pam itself may set it (qemu-server refuses an API token); never sent, so never removed";
const NOT_IN_STACK = "not part of the stack vocabulary: ignored so the first `up` never resets a live value to the provider's default";
const CREATION_ONLY = "only matters when the VM is created or cloned; after import the provider reads it back differently";

/**
 * Fields the program never changes on a VM: creation-only blocks, values the provider reads back
 * differently after import, root@pam-only settings, and settings outside the stack vocabulary. Each
 * one is explained in docs/discover.md (and checked there by tests/unit/provider-defaults.test.ts).
 */
export const VM_IGNORE_CHANGES: readonly string[] = [
  "clone",
  "disks",
  "efiDisk",
  "tpmState",
  "cdrom",
  "networkDevices[0].macAddress",
  "networkDevices[0].disconnected",
  "networkDevices[0].enabled",
  "initialization.userAccount",
  "initialization.datastoreId",
  "initialization.interface",
  "initialization.upgrade",
  "kvmArguments",
  "keyboardLayout",
  "cpu.architecture",
  "cpu.affinity",
  "cpu.flags",
  "cpu.hotplugged",
  "cpu.limit",
  "cpu.numa",
  "cpu.units",
  "memory.hugepages",
  "memory.keepHugepages",
  "memory.shared",
  "agent.timeout",
  "agent.trim",
  "agent.type",
  "agent.waitForIp",
  "amdSev",
  "audioDevice",
  "hostpcis",
  "usbs",
  "numas",
  "rngs",
  "serialDevices",
  "smbios",
  "watchdog",
  "hotplug",
  "protection",
  "startup",
  "bootOrders",
  "poolId",
  "hookScriptFileId",
];

/** How {@link vmArgs} covers every defaulted input of `proxmoxve.VmLegacy` (see coverage.ts). */
export const VM_INPUT_COVERAGE: CoverageTable = {
  acpi: { stack: "acpi" },
  "agent.enabled": { stack: "agent" },
  "agent.timeout": { ignored: NOT_IN_STACK },
  "agent.trim": { ignored: NOT_IN_STACK },
  "agent.type": { ignored: NOT_IN_STACK },
  "agent.waitForIp": { ignored: "what the provider waits for after start, not stored on the host" },
  amdSev: { ignored: ROOT_ONLY },
  audioDevice: { ignored: NOT_IN_STACK },
  bios: { stack: "bios" },
  bootOrders: { ignored: NOT_IN_STACK },
  cdrom: { ignored: CREATION_ONLY },
  clone: { ignored: CREATION_ONLY },
  "cpu.architecture": { ignored: ROOT_ONLY },
  "cpu.affinity": { ignored: ROOT_ONLY },
  "cpu.cores": { stack: "cores" },
  "cpu.flags": { ignored: NOT_IN_STACK },
  "cpu.hotplugged": { ignored: NOT_IN_STACK },
  "cpu.limit": { ignored: NOT_IN_STACK },
  "cpu.numa": { ignored: NOT_IN_STACK },
  "cpu.sockets": { stack: "sockets" },
  "cpu.type": { stack: "cpuType" },
  "cpu.units": { ignored: NOT_IN_STACK },
  deleteUnreferencedDisksOnDestroy: { behaviour: PROVIDER_BEHAVIOUR },
  description: { stack: "description" },
  disks: { ignored: "the disks exist; the provider reads them back differently after import (sizes, file ids)" },
  efiDisk: { ignored: CREATION_ONLY },
  hookScriptFileId: { ignored: ROOT_ONLY },
  hostpcis: { ignored: ROOT_ONLY },
  hotplug: { ignored: NOT_IN_STACK },
  "initialization.datastoreId": { ignored: CREATION_ONLY },
  "initialization.interface": { ignored: CREATION_ONLY },
  "initialization.upgrade": { ignored: CREATION_ONLY },
  keyboardLayout: {
    ignored:
      "Proxmox leaves `keyboard` unset (the datacenter default) where the provider would write en-us; `keyboard` in the stack applies when a VM is created",
  },
  kvmArguments: { ignored: ROOT_ONLY },
  machine: { stack: "machine" },
  "memory.dedicated": { stack: "memoryMiB" },
  "memory.floating": { stack: "balloonMiB" },
  "memory.hugepages": { ignored: ROOT_ONLY },
  "memory.keepHugepages": { ignored: ROOT_ONLY },
  "memory.shared": { ignored: NOT_IN_STACK },
  migrate: { behaviour: PROVIDER_BEHAVIOUR },
  name: { stack: "hostname" },
  "networkDevices[].bridge": { stack: "bridge" },
  "networkDevices[].disconnected": { ignored: NOT_IN_STACK },
  "networkDevices[].enabled": { ignored: "deprecated switch of the provider; the interface exists" },
  "networkDevices[].firewall": { stack: "firewall" },
  "networkDevices[].model": { stack: "nicModel" },
  numas: { ignored: NOT_IN_STACK },
  onBoot: { stack: "onBoot" },
  "operatingSystem.type": { stack: "osType" },
  poolId: { ignored: NOT_IN_STACK },
  protection: { ignored: "Proxmox's protection flag is not part of the stack vocabulary (Pulumi's protect guards running guests)" },
  purgeOnDestroy: { behaviour: PROVIDER_BEHAVIOUR },
  reboot: { behaviour: PROVIDER_BEHAVIOUR },
  rebootAfterUpdate: { stack: "restartOnUpdate" },
  rngs: { ignored: ROOT_ONLY },
  scsiHardware: { stack: "scsiHardware" },
  serialDevices: { ignored: NOT_IN_STACK },
  smbios: { ignored: "generated by Proxmox (uuid); not part of the stack vocabulary" },
  started: { stack: "running" },
  startup: { ignored: NOT_IN_STACK },
  stopOnDestroy: { behaviour: PROVIDER_BEHAVIOUR },
  tabletDevice: { stack: "tablet" },
  tags: { stack: "tags" },
  template: { stack: "template" },
  timeoutClone: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutCreate: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutMigrate: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutReboot: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutShutdownVm: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutStartVm: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutStopVm: { behaviour: PROVIDER_BEHAVIOUR },
  tpmState: { ignored: CREATION_ONLY },
  usbs: { ignored: ROOT_ONLY },
  "vga.clipboard": { stack: "vga.clipboard" },
  "vga.memory": { stack: "vga.memoryMiB" },
  "vga.type": { stack: "vga.type" },
  watchdog: { ignored: NOT_IN_STACK },
};

/** The DNS a cloud-init VM declares: its own nameserver/searchdomain when stated, else the IP plan's servers (one place for vmArgs and discover). */
export function vmDns(g: VmModel, model: NeveModel): { servers?: string[]; domain?: string } | undefined {
  // `nameserver: []` states "none" (a VM whose cloud-init sets no DNS server while the plan has some).
  const servers = g.nameserver ?? model.network.ipv4.dns ?? [];
  return servers.length || g.searchdomain ? { servers: servers.length ? [...servers] : undefined, domain: g.searchdomain } : undefined;
}

/**
 * The inputs of one VM: every field the stack states, nothing for a field it does not state (the
 * provider's default then applies, and discover --check reports it against the live value). Pure.
 */
export function vmArgs(g: VmModel, model: NeveModel, nodeName: string): proxmoxve.VmLegacyArgs {
  const plan = model.network.ipv4;
  const source = g.clone ? model.guests.find((t) => t.name === g.clone?.from) : undefined;
  const cpu = g.cores !== undefined || g.cpuType !== undefined || g.sockets !== undefined;
  return {
    nodeName,
    vmId: g.vmid,
    name: guestHostname(g),
    description: g.description,
    template: g.template,
    // A template never runs; Proxmox refuses to start one.
    started: g.template ? false : g.running,
    onBoot: g.onBoot ?? g.running,
    // Always sent (bpg's default is true): a running VM is restarted only when the stack allows it
    // (stacks/config/restart.ts); false makes bpg fail an update that needs the VM offline.
    rebootAfterUpdate: g.restartOnUpdate,
    memory: { dedicated: g.memoryMiB, floating: g.balloonMiB },
    cpu: cpu ? { cores: g.cores, type: g.cpuType, sockets: g.sockets } : undefined,
    agent: g.agent !== undefined ? { enabled: g.agent } : undefined,
    operatingSystem: g.osType !== undefined ? { type: g.osType } : undefined,
    bios: g.bios,
    machine: g.machine,
    scsiHardware: g.scsiHardware,
    vga: g.vga ? { type: g.vga.type, memory: g.vga.memoryMiB, clipboard: g.vga.clipboard } : undefined,
    acpi: g.acpi,
    tabletDevice: g.tablet,
    keyboardLayout: g.keyboard,
    tags: g.tags.length ? [...g.tags] : undefined,
    networkDevices: [{ bridge: g.bridge, model: g.nicModel ?? "virtio", firewall: g.firewall }],
    clone: source ? { vmId: source.vmid, full: g.clone?.full ?? true, nodeName } : undefined,
    initialization: g.cloudInit
      ? {
          datastoreId: g.cloudInitStorage ?? "vmdata",
          dns: vmDns(g, model),
          ipConfigs: [
            {
              ipv4: g.ipv4Cidr ? { address: g.ipv4Cidr, gateway: plan.gateway } : { address: "dhcp" },
              ipv6: ipv6Config(g, model),
            },
          ],
        }
      : undefined,
  };
}

/** Arguments of {@link QemuGuest}. */
export interface QemuGuestArgs {
  /** The VM or template. */
  readonly guest: VmModel;
  /** The whole model (templates to clone from, IP plan gateway). */
  readonly model: NeveModel;
  /** Provider, node and live objects. */
  readonly ctx: ProxmoxContext;
}

/** One QEMU VM or template (`proxmoxve.VmLegacy`, the provider's production VM resource). Child: `${name}-vm`. */
export class QemuGuest extends pulumi.ComponentResource {
  /** The VM resource. */
  public readonly vm: proxmoxve.VmLegacy;

  constructor(name: string, args: QemuGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:guests:Vm", name, {}, opts);
    const { guest: g, model, ctx } = args;
    this.vm = new proxmoxve.VmLegacy(
      `${name}-vm`,
      vmArgs(g, model, ctx.nodeName),
      proxmoxResourceOptions(this, ctx, {
        importId: `${ctx.nodeName}/${g.vmid}`,
        object: { kind: "guest", vmid: g.vmid },
        protect: g.protect,
        ignoreChanges: VM_IGNORE_CHANGES,
        guest: { kind: "vm", restartOnUpdate: g.restartOnUpdate, template: g.template },
      }),
    );
    this.registerOutputs({ vmId: this.vm.vmId });
  }
}

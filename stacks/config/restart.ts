/**
 * Which stack fields of a guest need a restart of the running guest when an `up` changes them: one
 * place for the schema's rule (stacks/config/rules/restart.ts), the VM resource's `rebootAfterUpdate`,
 * discover --check's marks and the plan's (scripts/lib/planRestarts.ts).
 *
 * Taken from bpg/terraform-provider-proxmox v0.111.1 (commit d6bd1ffe, the version
 * @muhlba91/pulumi-proxmoxve 8.6.0 bridges or a later one, whose vmLegacy.d.ts carries the same
 * `rebootAfterUpdate` text):
 * - VM, proxmoxtf/resource/vm/vm.go `vmUpdate`: `rebootRequired = true` on a change of acpi, kvm
 *   arguments (never sent by the program: `args` is root@pam-only and ignored, so not listed), bios, keyboard layout, machine, tablet device, agent, cpu (cores, sockets, type: every
 *   change but a hot-plugged vCPU count), initialization (cloud-init addresses and DNS), memory
 *   (anything but a hot-pluggable increase: counted as a restart here), operating system, vga and
 *   SCSI hardware; not on description, onboot, tags, startup, protection or the network device.
 *   Then `vmFinalizePowerState` reboots a running VM only when `reboot_after_update` is true (default
 *   true); when false, an update that needs the VM offline fails and one that leaves a pending change
 *   only warns (`rebootAfterUpdateDisabledWarning`).
 * - Container, proxmoxtf/resource/container/container.go `containerUpdate`: `rebootRequired = true`
 *   on a change of console, root disk mount options, environment, initialization DNS, hostname or
 *   entrypoint, memory (dedicated or swap), device passthrough, idmap, mount points, network
 *   interfaces or ip configs, and operating system; then `if !template && started && rebootRequired`
 *   it reboots the container. There is no option to turn that off (no `reboot_after_update` in the
 *   container schema): the only way to keep a running container up is not to declare such a change.
 */

/**
 * Where each restart field lands in the provider's inputs (vmArgs, stacks/components/proxmox/vm.ts):
 * provider input path (`[]` maps over a list) -> the stack fields it carries. The program's update
 * guard (stacks/guards/restart.ts) compares these paths between the old and new inputs; the stack
 * fields are what the refusal names. Several fields share one input (cloud-init's ipConfigs, dns).
 */
export const VM_RESTART_INPUTS: Readonly<Record<string, readonly string[]>> = {
  acpi: ["acpi"],
  bios: ["bios"],
  keyboardLayout: ["keyboard"],
  machine: ["machine"],
  tabletDevice: ["tablet"],
  "agent.enabled": ["agent"],
  "cpu.cores": ["cores"],
  "cpu.sockets": ["sockets"],
  "cpu.type": ["cpuType"],
  "initialization.ipConfigs": ["cloudInit", "ipv4", "ipv6", "ipv6Mode"],
  "initialization.dns": ["cloudInit", "nameserver", "searchdomain"],
  "memory.dedicated": ["memoryMiB"],
  "memory.floating": ["balloonMiB"],
  "operatingSystem.type": ["osType"],
  vga: ["vga"],
  scsiHardware: ["scsiHardware"],
};

/** The same for a container (ctArgs, stacks/components/proxmox/container.ts). */
export const CT_RESTART_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "memory.dedicated": ["memoryMiB"],
  "memory.swap": ["swapMiB"],
  "networkInterfaces[].bridge": ["bridge"],
  "networkInterfaces[].firewall": ["firewall"],
  "initialization.ipConfigs": ["ipv4", "ipv6", "ipv6Mode"],
  "initialization.hostname": ["hostname"],
  "initialization.dns": ["nameserver", "searchdomain"],
  "operatingSystem.type": ["osType"],
};

/** The stack fields of an input table, each once, in table order. */
function fieldsOf(inputs: Readonly<Record<string, readonly string[]>>): readonly string[] {
  return [...new Set(Object.values(inputs).flat())];
}

/** VM stack fields whose change makes bpg restart (or, with rebootAfterUpdate false, refuse or leave pending). */
export const VM_RESTART_FIELDS: readonly string[] = fieldsOf(VM_RESTART_INPUTS);

/** Container stack fields whose change makes bpg reboot a running container (no switch turns it off). */
export const CT_RESTART_FIELDS: readonly string[] = fieldsOf(CT_RESTART_INPUTS);

/**
 * True when changing `field` (a stack field below `guests.<name>`, the path discover --check prints;
 * `vga.type` counts as `vga`) restarts a running guest of that kind.
 */
export function needsRestart(kind: "vm" | "ct", field: string): boolean {
  const top = field.split(".")[0];
  return (kind === "vm" ? VM_RESTART_FIELDS : CT_RESTART_FIELDS).includes(top);
}

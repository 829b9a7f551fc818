import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { JOB_IGNORE_CHANGES, JOB_INPUT_COVERAGE } from "../../stacks/components/proxmox/backups";
import { CT_INPUT_COVERAGE, ctArgs, ctIgnoreChanges } from "../../stacks/components/proxmox/container";
import type { CoverageTable, InputCoverage } from "../../stacks/components/proxmox/coverage";
import { STORAGE_IGNORE_CHANGES, STORAGE_INPUT_COVERAGE } from "../../stacks/components/proxmox/storage";
import { VM_IGNORE_CHANGES, VM_INPUT_COVERAGE, vmArgs } from "../../stacks/components/proxmox/vm";
import type { CtModel, VmModel } from "../../stacks/config/model";
import { parseStackConfig } from "../../stacks/config/stack";
import { defaultedInputs, optionalInputs } from "./support/providerDefaults";

// Item 2 of issue 6: every provider input with a default is stated by the stack, ignored with a
// reason, or a provider-side behaviour switch. The defaulted inputs come from the SDK's own
// declarations, so a provider upgrade that adds a default makes this test fail until it is covered.

/**
 * Defaults bpg sets in code that the SDK's JSDoc does not mention (bpg/terraform-provider-proxmox,
 * proxmoxtf/resource/vm/vm.go: dvKVMArguments "", dvVGAClipboard "", dvDescription "", dvName "",
 * dvPoolID "", dvHookScript "", cpu flags [] and dvCPUAffinity "", boot_order DefaultFunc []).
 */
const VM_CODE_DEFAULTS = ["kvmArguments", "vga.clipboard", "description", "name", "poolId", "hookScriptFileId", "bootOrders", "cpu.flags", "cpu.affinity"];
const CT_CODE_DEFAULTS = ["description", "hookScriptFileId"];

/** The coverage entry of a path or of its nearest ancestor block. */
function coverageOf(table: CoverageTable, p: string): InputCoverage | undefined {
  const parts = p.split(".");
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join(".");
    if (table[key]) return table[key];
    const bare = key.replace(/\[\]$/, "");
    if (table[bare]) return table[bare];
  }
  return undefined;
}

/** True when ignoreChanges holds the path (first list element) or one of its ancestors. */
function ignored(list: readonly string[], p: string): boolean {
  const concrete = p.replace(/\[\]/g, "[0]");
  const parts = concrete.split(".");
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join(".");
    if (list.includes(key) || list.includes(key.replace(/\[0\]$/, ""))) return true;
  }
  return false;
}

/** Value at a provider path in an args object (`[]` = first element). */
function valueAt(args: unknown, p: string): unknown {
  let v: unknown = args;
  for (const seg of p.split(".")) {
    if (v === undefined || v === null) return undefined;
    const list = seg.endsWith("[]");
    v = (v as Record<string, unknown>)[list ? seg.slice(0, -2) : seg];
    if (list) v = Array.isArray(v) ? v[0] : undefined;
  }
  return v;
}

const docs = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "discover.md"), "utf8");

// A stack that states every field of the vocabulary, to prove that each "stack" entry is passed on.
const FULL = parse(`
adopt: true
proxmox: { nodeName: neve, endpoint: "https://neve:8006", version: "8.3.4" }
ssh: { host: 100.94.229.96 }
network:
  bridges:
    vmbr0: { ports: [enp5s0], ipv4: dhcp, public: true, recorded: true }
    vmbr1: { ipv4: 10.10.10.1/24, nat: true, recorded: true }
  ipv4: { bridge: vmbr1, subnet: 10.10.10.0/24, gateway: 10.10.10.1, dhcpRange: { start: 10.10.10.100, end: 10.10.10.200 }, cloneRange: { start: 10.10.10.91, end: 10.10.10.99 } }
  tailnet: { cidr: 100.64.0.0/10, hostAddress: 100.94.229.96 }
guests:
  full-vm:
    vmid: 1201
    kind: vm
    running: true
    onBoot: true
    template: false
    description: every field
    memoryMiB: 4096
    balloonMiB: 1024
    cores: 2
    sockets: 1
    cpuType: host
    osType: l26
    bios: ovmf
    machine: q35
    scsiHardware: virtio-scsi-single
    vga: { type: qxl, memoryMiB: 32, clipboard: vnc }
    nicModel: e1000
    firewall: true
    acpi: true
    tablet: false
    keyboard: de
    agent: true
    tags: [pbs]
    bridge: vmbr1
    args: "-vnc 127.0.0.1:81"
  full-ct:
    vmid: 200
    kind: ct
    running: true
    description: every field
    memoryMiB: 512
    swapMiB: 512
    cores: 1
    tags: [web]
    bridge: vmbr0
    firewall: true
    unprivileged: true
    features: { nesting: true, keyctl: true, fuse: true, mknod: true, mount: [nfs] }
storage: {}
tunnel: { id: 464de2f3-7058-4a1f-9f93-ae8425f0ffbe, ingress: [{ hostname: neve.example.org, service: "https://127.0.0.1:8006" }] }
firewall:
  recorded: true
  enabled: true
  inputPolicy: DROP
  rules:
    - { name: tailnet-ssh, action: ACCEPT, proto: tcp, source: 100.64.0.0/10, dports: [22] }
    - { name: tailnet-webui, action: ACCEPT, proto: tcp, source: 100.64.0.0/10, dports: [8006] }
`) as Record<string, unknown>;
const model = parseStackConfig(FULL);
const vm = model.guests.find((g) => g.kind === "vm") as VmModel;
const ct = model.guests.find((g) => g.kind === "ct") as CtModel;

interface Case {
  readonly resource: string;
  readonly inputs: readonly string[];
  readonly table: CoverageTable;
  readonly ignoreChanges: readonly string[];
  readonly args?: unknown;
}

const cases: Case[] = [
  {
    resource: "proxmoxve.VmLegacy",
    inputs: [...defaultedInputs("vmLegacy.d.ts", "VmLegacyArgs").map((d) => d.path), ...VM_CODE_DEFAULTS],
    table: VM_INPUT_COVERAGE,
    ignoreChanges: VM_IGNORE_CHANGES,
    args: vmArgs(vm, model, "neve"),
  },
  {
    resource: "proxmoxve.ContainerLegacy",
    inputs: [...defaultedInputs("containerLegacy.d.ts", "ContainerLegacyArgs").map((d) => d.path), ...CT_CODE_DEFAULTS],
    table: CT_INPUT_COVERAGE,
    ignoreChanges: ctIgnoreChanges(ct),
    args: ctArgs(ct, model, "neve"),
  },
  ...(["dir", "zfspool", "pbs"] as const).map((t) => ({
    resource: `proxmoxve.storage.${t}`,
    inputs: optionalInputs(`storage/${t === "dir" ? "directory" : t}.d.ts`, `${t === "dir" ? "Directory" : t === "zfspool" ? "Zfspool" : "Pbs"}Args`),
    table: STORAGE_INPUT_COVERAGE[t],
    ignoreChanges: STORAGE_IGNORE_CHANGES[t],
  })),
  { resource: "proxmoxve.backup.Job", inputs: optionalInputs("backup/job.d.ts", "JobArgs"), table: JOB_INPUT_COVERAGE, ignoreChanges: JOB_IGNORE_CHANGES },
];

describe.each(cases)("$resource", ({ inputs, table, ignoreChanges, args }) => {
  it("must find defaulted inputs in the SDK (the enumeration itself works)", () => {
    expect(inputs.length).toBeGreaterThan(3);
  });

  it("must state, ignore or classify every input with a provider default", () => {
    const uncovered = inputs.filter((p) => coverageOf(table, p) === undefined);
    expect(uncovered).toEqual([]);
  });

  it("must list every ignored input in the resource's ignoreChanges", () => {
    const missing = inputs.filter((p) => "ignored" in (coverageOf(table, p) ?? {})).filter((p) => !ignored(ignoreChanges, p));
    expect(missing).toEqual([]);
  });

  it("must give every ignored input a reason in docs/discover.md", () => {
    const undocumented = Object.entries(table)
      .filter(([, c]) => "ignored" in c)
      .map(([p]) => p)
      .filter((p) => !docs.includes(`\`${p}\``));
    expect(undocumented).toEqual([]);
  });

  if (args !== undefined) {
    it("must pass every stack-stated input when the stack states it", () => {
      const unset = inputs
        .filter((p) => "stack" in (coverageOf(table, p) ?? {}))
        // A `stack` entry for a whole block covers its nested defaults through the block's own fields.
        .filter((p) => table[p] !== undefined)
        .filter((p) => valueAt(args, p) === undefined);
      expect(unset).toEqual([]);
    });
  }
});

describe("root@pam-only fields", () => {
  it("must never send a VM's args (kvmArguments) and must ignore them", () => {
    expect(valueAt(vmArgs(vm, model, "neve"), "kvmArguments")).toBeUndefined();
    expect(VM_IGNORE_CHANGES).toContain("kvmArguments");
  });

  it.each([
    [true, ["features.keyctl", "features.fuse", "features.mknod", "features.mounts"]],
    [false, ["features.nesting", "features.keyctl", "features.fuse", "features.mknod", "features.mounts"]],
  ])("must ignore the restricted features of a container (unprivileged %s)", (unprivileged, expected) => {
    const list = ctIgnoreChanges({ ...ct, unprivileged } as CtModel);
    for (const f of expected) expect(list).toContain(f);
    if (unprivileged) expect(list).not.toContain("features.nesting");
  });
});

// `npm run guard` on preview documents shaped exactly as the Pulumi CLI writes them: display.PreviewDigest
// (pulumi/pulumi pkg/display/json.go), marshalled by pkg/backend/display/json.go ShowPreviewDigest with
// json.MarshalIndent(..., "", "    "); each state an apitype.ResourceV3 (sdk/go/common/apitype/core.go,
// JSON tags urn, custom, id, type, inputs, outputs, parent, protect, provider, importID, retainOnDelete,
// resourceHooks; omitempty except urn, custom, type); secrets as "[secret]" (MassageSecrets).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { DocumentError, previewStops, stateGaps } from "../../stacks/guards/preview";
import { editedStackFile } from "../support/stacks";
import { NEVE_LIVE } from "./support/adoption";

const run = promisify(execFile);
const STACK = "urn:pulumi:neve::neve-infra::";
const PROVIDER = `${STACK}pulumi:providers:proxmoxve::proxmox::04da6b54-80e4-46f7-96ec-b56ff0331ba9`;
const HOOKS = { BeforeCreate: ["neve-guard-create"], BeforeUpdate: ["neve-guard-update"], BeforeDelete: ["neve-guard-delete"] };

/** A ResourceV3 as stack.SerializeResource writes it for a preview step (omitempty fields left out when empty). */
function state(parentType: string, type: string, name: string, extra: Record<string, unknown> = {}) {
  const custom = !type.startsWith("neve:");
  return {
    urn: `${STACK}pulumi:pulumi:Stack$${parentType}$${type}::${name}`,
    custom,
    type,
    inputs: {},
    parent: `${STACK}pulumi:pulumi:Stack$${parentType}::${name.split("-")[0]}`,
    ...(custom && type.startsWith("proxmoxve:") ? { provider: PROVIDER, retainOnDelete: true, resourceHooks: HOOKS } : {}),
    ...extra,
  };
}

type StepState = ReturnType<typeof state>;
/** A PreviewStep: op, urn, provider, oldState/newState by op (json.go getPreviewMetadataStep), detailedDiff always present. */
function step(op: string, s: StepState, old?: StepState, diff?: { diffReasons?: string[]; replaceReasons?: string[] }) {
  const hasNew = !["delete", "delete-replaced", "discard", "discard-replaced", "remove-pending-replace"].includes(op);
  return {
    op,
    urn: s.urn,
    ...(s.custom ? { provider: PROVIDER } : {}),
    ...(old || !hasNew ? { oldState: old ?? s } : {}),
    ...(hasNew ? { newState: s } : {}),
    ...(diff?.diffReasons ? { diffReasons: diff.diffReasons } : {}),
    ...(diff?.replaceReasons ? { replaceReasons: diff.replaceReasons } : {}),
    detailedDiff: diff?.diffReasons ? Object.fromEntries(diff.diffReasons.map((k) => [k, { kind: "update", inputDiff: false }])) : null,
  };
}

const stackStep = { op: "same", urn: `${STACK}pulumi:pulumi:Stack::neve-infra-neve`, detailedDiff: null };

/** A preview document around `steps`, as MarshalIndent prints it. */
function doc(steps: unknown[], diagnostics: unknown[] = []): string {
  const changeSummary: Record<string, number> = {};
  for (const s of steps as { op: string }[]) changeSummary[s.op] = (changeSummary[s.op] ?? 0) + 1;
  return JSON.stringify(
    {
      config: { "neve-infra:proxmoxApiToken": "[secret]" },
      steps: [stackStep, ...steps],
      ...(diagnostics.length ? { diagnostics } : {}),
      duration: 4213000000,
      changeSummary,
    },
    null,
    4,
  );
}

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const BRIDGE = "proxmoxve:network/linux/bridge:Bridge";
const RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy";
const OPTIONS = "proxmoxve:cluster/firewallLegacy:FirewallLegacy";
const HOSTCONFIG = "pulumi-nodejs:dynamic/neve:HostConfig";
const etoile = state("neve:guests:Vm", VM, "etoile-vm", { id: "1201", importID: "neve/1201", protect: true, inputs: { vmId: 1201, nodeName: "neve" } });
const etoileNew = state("neve:guests:Vm", VM, "etoile-vm", { importID: "neve/1201", protect: true, inputs: { vmId: 1201, nodeName: "neve" } });
const clone = state("neve:guests:Vm", VM, "web-vm", { inputs: { vmId: 9107, nodeName: "neve", clone: { vmId: 9000 } } });
const handMade = state("neve:guests:Vm", VM, "francoise-vm", { importID: "neve/1207", inputs: { vmId: 1207 } });
const vmbr0 = state("neve:network:Bridges", BRIDGE, "network-vmbr0", { id: "neve:vmbr0", importID: "neve:vmbr0", protect: true, inputs: { name: "vmbr0" } });
const vmbr1 = state("neve:network:Bridges", BRIDGE, "network-vmbr1", { id: "neve:vmbr1", importID: "neve:vmbr1", protect: true, inputs: { name: "vmbr1" } });
const vmbr2 = state("neve:network:Bridges", BRIDGE, "network-vmbr2", { inputs: { name: "vmbr2", address: "10.20.0.1/24" } });
const rules = state("neve:firewall:ClusterFirewall", RULES, "firewall-rules", { id: "rule-8d1e", importID: "cluster", protect: true });
const options = state("neve:firewall:ClusterFirewall", OPTIONS, "firewall-options", { id: "cluster", importID: "cluster", protect: true });
const local = state("neve:storage:Storages", "proxmoxve:storage/directory:Directory", "storage-local", {
  id: "local",
  importID: "local",
  inputs: { resourceId: "local" },
});
const haproxy = state("neve:host:HostServices", HOSTCONFIG, "host-haproxy", { id: "neve:haproxy", inputs: { files: "[secret]" } });

/** One document per stop condition, and the op the guard's line starts with. */
const STOPS: [string, string, string, RegExp][] = [
  [
    "an import-replacement",
    doc([step("import-replacement", etoileNew, etoile), step("replace", etoileNew, etoile), step("delete-replaced", etoile)]),
    "import-replacement",
    /import-replacement: the engine imports the object and then deletes/,
  ],
  ["a replace", doc([step("replace", etoileNew, etoile, { replaceReasons: ["vmId"] })]), "replace", /a replacement of a Proxmox object/],
  [
    "a create-replacement",
    doc([step("create-replacement", etoileNew, etoile, { replaceReasons: ["vmId"] })]),
    "create-replacement",
    /a replacement of a Proxmox object/,
  ],
  ["a delete-replaced", doc([step("delete-replaced", etoile)]), "delete-replaced", /a replacement of a Proxmox object/],
  ["a delete of a guest", doc([step("delete", etoile)]), "delete", /a delete of a Proxmox object: this program never deletes one; .*pulumi state rename/],
  [
    "a delete of a bridge (the state still holds it after network.interfacesFile: true)",
    doc([step("delete", vmbr1)]),
    "delete",
    /a delete of a bridge: .*If network\.interfacesFile is now true .*pulumi state delete --force '<urn>'/,
  ],
  ["a bridge create", doc([step("create", vmbr2)]), "create", /a bridge create: bpg's provider reloads the node's whole network/],
  ["a bridge update (an existing private bridge)", doc([step("update", vmbr1, vmbr1, { diffReasons: ["comment"] })]), "update", /an update of a bridge/],
  [
    "an update of vmbr0",
    doc([step("import", vmbr0), step("update", vmbr0, vmbr0, { diffReasons: ["autostart"] })]),
    "update",
    /an update of a bridge: .*drops the public address/,
  ],
  [
    "an update of the firewall rules",
    doc([step("update", rules, rules, { diffReasons: ["rules"] })]),
    "update",
    /an update of an object the stack treats as read-only/,
  ],
  [
    "an update of the firewall options",
    doc([step("update", options, options, { diffReasons: ["enabled"] })]),
    "update",
    /an update of an object the stack treats as read-only/,
  ],
  ["an import that is not in adoption.live", doc([step("import", handMade)]), "import", /an import of an object that adoption.live does not list/],
  [
    "a create of an object in adoption.live",
    doc([step("create", state("neve:guests:Vm", VM, "cipher-vm", { inputs: { vmId: 9100 } }))]),
    "create",
    /a create of an object that exists on the host/,
  ],
  [
    "a failed preview (an error diagnostic)",
    doc([], [{ urn: etoile.urn, message: 'error: before hook "neve-guard-delete" failed: delete ...\n', severity: "error" }]),
    "error",
    /the preview failed: error: before hook "neve-guard-delete" failed/,
  ],
  ["a step kind the guard does not know", doc([step("teleport", etoile)]), "teleport", /a step kind this guard does not know/],
];

/** Previews that are safe to up. */
const SAFE: [string, string][] = [
  ["a new clone created", doc([step("create", clone)])],
  [
    "host files updated (and a host service created)",
    doc([step("update", haproxy, haproxy, { diffReasons: ["files"] }), step("create", state("neve:host:HostServices", HOSTCONFIG, "host-novnc-1202"))]),
  ],
  ["sames only", doc([step("same", etoile, etoile), step("same", vmbr0, vmbr0), step("same", rules, rules)])],
  [
    "imports of adoption.live objects (the first up)",
    doc([step("import", etoileNew), step("import", vmbr0), step("import", vmbr1), step("import", rules), step("import", options), step("import", local)]),
  ],
  [
    "an update of an adopted guest (an acknowledged difference)",
    doc([step("import", etoileNew), step("update", etoileNew, etoile, { diffReasons: ["memory"] })]),
  ],
  ["a delete of a host service (onDelete keep)", doc([step("delete", haproxy)])],
  ["a warning diagnostic", doc([step("same", etoile, etoile)], [{ message: "warning: something informative\n", severity: "warning" }])],
];

// The running-guest rule on update steps of guests, shaped as getPreviewMetadataStep writes them
// (pulumi/pulumi@1b5949891b pkg/backend/display/json.go): the old state is the recorded one (inputs
// and outputs, `started` as the last up or refresh read it); the new state is the program's goal
// (inputs, resourceHooks; no outputs: step_generator.go generateSteps sets them nil); detailedDiff
// keys are property paths, diffReasons top-level keys.
const CT = "proxmoxve:index/containerLegacy:ContainerLegacy";
const GUARDED_VM = { ...HOOKS, BeforeUpdate: ["neve-guard-update", "neve-guard-update-running-vm"] };
const GUARDED_CT = { ...HOOKS, BeforeUpdate: ["neve-guard-update", "neve-guard-update-running-ct"] };
const cipherInputs = {
  name: "cipher",
  nodeName: "neve",
  vmId: 9100,
  started: true,
  rebootAfterUpdate: false,
  description: "web",
  cpu: { cores: 2, type: "host" },
  memory: { dedicated: 4096 },
  networkDevices: [{ bridge: "vmbr1", model: "virtio" }],
};
const luneInputs = {
  nodeName: "neve",
  vmId: 201,
  started: true,
  memory: { dedicated: 2048, swap: 512 },
  networkInterfaces: [{ name: "eth0", bridge: "vmbr1" }],
  initialization: { hostname: "lune", ipConfigs: [{ ipv4: { address: "10.10.10.50/24", gateway: "10.10.10.1" } }] },
};

/** An update step of a guest: recorded old state (with outputs) against the program's new state. */
function guestUpdate(
  type: string,
  name: string,
  o: { oldInputs: Record<string, unknown>; newInputs: Record<string, unknown>; started: boolean; hooks: unknown; detailedDiff: Record<string, string> | null },
) {
  const base = state(type === VM ? "neve:guests:Vm" : "neve:guests:Container", type, name, { importID: `neve/${o.oldInputs.vmId}`, protect: true });
  const oldState = {
    ...base,
    id: String(o.oldInputs.vmId),
    inputs: o.oldInputs,
    outputs: { ...o.oldInputs, id: String(o.oldInputs.vmId), started: o.started },
  };
  const newState = { ...base, inputs: o.newInputs, resourceHooks: o.hooks };
  const diffReasons = o.detailedDiff ? [...new Set(Object.keys(o.detailedDiff).map((k) => k.split(/[.[]/)[0]))] : ["memory"];
  return {
    op: "update",
    urn: base.urn,
    provider: PROVIDER,
    oldState,
    newState,
    diffReasons,
    detailedDiff: o.detailedDiff ? Object.fromEntries(Object.entries(o.detailedDiff).map(([k, kind]) => [k, { kind, inputDiff: false }])) : null,
  };
}

const moreCores = { ...cipherInputs, cpu: { cores: 4, type: "host" } };
const RESTART_STOPS: [string, ReturnType<typeof guestUpdate>, RegExp][] = [
  [
    "a running VM whose cores change",
    guestUpdate(VM, "cipher-vm", { oldInputs: cipherInputs, newInputs: moreCores, started: true, hooks: GUARDED_VM, detailedDiff: { "cpu.cores": "update" } }),
    /^update \S+::cipher-vm: an update that restarts the running VM cipher \(9100\): it changes cpu\.cores \(stack field guests\.cipher\.cores\).*set guests\.cipher\.restartOnUpdate: true.*stop the guest, pulumi refresh.*put the live value back/,
  ],
  [
    "a running container whose bridge changes",
    guestUpdate(CT, "lune-ct", {
      oldInputs: luneInputs,
      newInputs: { ...luneInputs, networkInterfaces: [{ name: "eth0", bridge: "vmbr2" }] },
      started: true,
      hooks: GUARDED_CT,
      detailedDiff: { "networkInterfaces[0].bridge": "update" },
    }),
    /^update \S+::lune-ct: an update that restarts the running container lune \(201\): it changes networkInterfaces\[\]\.bridge \(stack field guests\.lune\.bridge\)/,
  ],
  [
    "a running VM whose memory differs from the refreshed state only (same inputs, the provider's diff)",
    guestUpdate(VM, "cipher-vm", {
      oldInputs: cipherInputs,
      newInputs: cipherInputs,
      started: true,
      hooks: GUARDED_VM,
      detailedDiff: { "memory.dedicated": "update" },
    }),
    /^update \S+::cipher-vm: an update that restarts the running VM cipher \(9100\): it changes memory\.dedicated \(stack field guests\.cipher\.memoryMiB\)/,
  ],
  [
    "a running container whose diff names only top-level keys (no detailed diff)",
    guestUpdate(CT, "lune-ct", { oldInputs: luneInputs, newInputs: luneInputs, started: true, hooks: GUARDED_CT, detailedDiff: null }),
    /^update \S+::lune-ct: an update that restarts the running container lune \(201\): it changes memory\.dedicated, memory\.swap/,
  ],
  [
    "a running VM whose new state records no hooks (cannot tell restartOnUpdate)",
    guestUpdate(VM, "cipher-vm", { oldInputs: cipherInputs, newInputs: moreCores, started: true, hooks: undefined, detailedDiff: { "cpu.cores": "update" } }),
    /an update that restarts the running VM cipher/,
  ],
];

const RESTART_SAFE: [string, ReturnType<typeof guestUpdate>][] = [
  [
    "a stopped VM whose cores change (the refreshed state says started false)",
    guestUpdate(VM, "cipher-vm", { oldInputs: cipherInputs, newInputs: moreCores, started: false, hooks: GUARDED_VM, detailedDiff: { "cpu.cores": "update" } }),
  ],
  [
    "a running VM whose description changes",
    guestUpdate(VM, "cipher-vm", {
      oldInputs: cipherInputs,
      newInputs: { ...cipherInputs, description: "public web" },
      started: true,
      hooks: GUARDED_VM,
      detailedDiff: { description: "update" },
    }),
  ],
  [
    "a running VM whose bridge changes (hot-plugged, no restart)",
    guestUpdate(VM, "cipher-vm", {
      oldInputs: cipherInputs,
      newInputs: { ...cipherInputs, networkDevices: [{ bridge: "vmbr0", model: "virtio" }] },
      started: true,
      hooks: GUARDED_VM,
      detailedDiff: { "networkDevices[0].bridge": "update" },
    }),
  ],
  [
    "a running VM whose stack entry says restartOnUpdate: true (no running-guest hook in its new state)",
    guestUpdate(VM, "cipher-vm", {
      oldInputs: cipherInputs,
      newInputs: { ...moreCores, rebootAfterUpdate: true },
      started: true,
      hooks: HOOKS,
      detailedDiff: { "cpu.cores": "update", rebootAfterUpdate: "update" },
    }),
  ],
  [
    "a running container whose stack entry says restartOnUpdate: true",
    guestUpdate(CT, "lune-ct", {
      oldInputs: luneInputs,
      newInputs: { ...luneInputs, memory: { dedicated: 4096, swap: 512 } },
      started: true,
      hooks: HOOKS,
      detailedDiff: { "memory.dedicated": "update" },
    }),
  ],
];

describe("npm run guard: an update that restarts a running guest (pure)", () => {
  it.each(RESTART_STOPS)("must refuse %s, naming the guest, the fields and the way out", (_name, s, why) => {
    const lines = previewStops(doc([s]), NEVE_LIVE);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(why);
  });

  it.each(RESTART_SAFE)("must pass %s", (_name, s) => {
    expect(previewStops(doc([s]), NEVE_LIVE)).toEqual([]);
  });
});

describe("npm run guard (pure)", () => {
  it.each(STOPS)("must refuse %s, one line naming the op, the urn and why", (_name, text, op, why) => {
    const lines = previewStops(text, NEVE_LIVE);
    const mine = lines.filter((l) => l.startsWith(`${op} `));
    expect(mine).toHaveLength(1);
    expect(mine[0].startsWith(`${op} ${STACK}`)).toBe(true);
    expect(mine[0]).toMatch(why);
  });

  it("must print one line per forbidden step: an import-replacement with its replace and delete-replaced is three", () => {
    const lines = previewStops(STOPS[0][1], NEVE_LIVE);
    expect(lines.map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([
      `import-replacement ${etoile.urn}:`,
      `replace ${etoile.urn}:`,
      `delete-replaced ${etoile.urn}:`,
    ]);
  });

  it.each(SAFE)("must pass %s", (_name, text) => {
    expect(previewStops(text, NEVE_LIVE)).toEqual([]);
  });

  it.each([
    ["not JSON", "Previewing update (neve):\n", /not JSON/],
    ["a list", "[]", /not a JSON object/],
    [
      "an object of another kind (pulumi stack export)",
      JSON.stringify({ version: 3, deployment: { resources: [] } }),
      /without steps, diagnostics or changeSummary/,
    ],
    ["steps that are not a list", JSON.stringify({ steps: {} }), /steps is not a list/],
    ["a step without op", JSON.stringify({ steps: [{ urn: "x" }] }), /steps\[0\] has no op and urn/],
  ])("must refuse %s as not a preview document", (_name, text, message) => {
    expect(() => previewStops(text, NEVE_LIVE)).toThrow(DocumentError);
    expect(() => previewStops(text, NEVE_LIVE)).toThrow(message);
  });
});

/** A `pulumi stack export` document (apitype.UntypedDeployment, version 3) around `resources`. */
function exported(resources: Record<string, unknown>[]): string {
  return JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-12-07T12:00:00Z", magic: "", version: "v3.276.0" }, resources } }, null, 4);
}

describe("npm run guard -- --state (pure)", () => {
  const stackRes = { urn: stackStep.urn, custom: false, type: "pulumi:pulumi:Stack" };
  const providerRes = { urn: PROVIDER.split("::").slice(0, -1).join("::"), custom: true, id: "04da", type: "pulumi:providers:proxmoxve" };

  it("must pass a state whose every Proxmox resource records retainOnDelete and the delete guard", () => {
    expect(stateGaps(exported([stackRes, providerRes, etoile, vmbr0, rules, haproxy]))).toEqual([]);
  });

  it.each([
    ["without retainOnDelete", { ...etoile, retainOnDelete: undefined }, /records no retainOnDelete \(a delete would reach the host\)/],
    ["without the delete guard (recorded by an older checkout)", { ...etoile, resourceHooks: undefined }, /records no the neve-guard-delete hook/],
  ])("must name a Proxmox resource %s", (_name, res, message) => {
    const lines = stateGaps(exported([stackRes, providerRes, res, vmbr0]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^state ${etoile.urn.replace(/[$.]/g, "\\$&")}: `));
    expect(lines[0]).toMatch(message);
  });

  it("must refuse a preview document as not a state export", () => {
    expect(() => stateGaps(doc([]))).toThrow(/no deployment.resources; expected the output of pulumi stack export/);
  });
});

describe("npm run guard (the command)", () => {
  let dir: string;
  let stack: { file: string; cleanup: () => void };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-guard-"));
    stack = editedStackFile((d) => {
      d.config["neve-infra:adoption"] = { live: NEVE_LIVE };
    });
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    stack.cleanup();
  });

  /** Run the command as `npm run guard -- ARGS` runs it; stdin from `input`. */
  async function guard(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = run(process.execPath, ["--require", "./scripts/register.js", "scripts/guard.ts", ...args], { cwd: REPO_ROOT });
    if (input !== undefined) p.child.stdin?.end(input);
    try {
      const { stdout, stderr } = await p;
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it("must exit 1 and print one line per forbidden step", async () => {
    const r = await guard([write("delete.json", doc([step("delete", etoile), step("create", vmbr2), step("same", vmbr0, vmbr0)])), "--config", stack.file]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^delete .*::etoile-vm: a delete of a Proxmox object/),
      expect.stringMatching(/^create .*::network-vmbr2: a bridge create/),
    ]);
    expect(r.stderr).toMatch(/2 step\(s\) on the stop list: do not pulumi up/);
  });

  it("must exit 1 on an update that restarts a running guest, 0 once its stack entry allows the restart", async () => {
    const refused = await guard(["-", "--config", stack.file], doc([RESTART_STOPS[0][1]]));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(RESTART_STOPS[0][2]);
    const allowed = await guard(["-", "--config", stack.file], doc([RESTART_SAFE[3][1]]));
    expect({ code: allowed.code, stdout: allowed.stdout }).toEqual({ code: 0, stdout: "" });
  });

  it("must exit 0 on a safe preview read from standard input (-)", async () => {
    const r = await guard(["-", "--config", stack.file], doc([step("create", clone), step("import", etoileNew)]));
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: "" });
    expect(r.stderr).toMatch(/no step on the stop list/);
  });

  it("must read adoption.live from the stack file: an import of a guest it does not list is refused", async () => {
    const r = await guard([write("import.json", doc([step("import", handMade)])), "--config", stack.file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^import .*::francoise-vm: an import of an object that adoption.live does not list/);
  });

  it.each([
    ["text that is not JSON", ["-"], "Previewing update (neve):\n", /^guard: not JSON .*pulumi preview --json --show-replacement-steps/],
    ["a missing file", [path.join(os.tmpdir(), "neve-guard-no-such-file.json")], undefined, /^guard: ENOENT/],
    ["no FILE", [], undefined, /^guard: no FILE given; usage: npm run guard/],
  ])("must exit 2 on %s", async (_name, args, input, message) => {
    const r = await guard([...args, "--config", stack.file], input);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: "" });
    expect(r.stderr).toMatch(message);
  });

  it("must exit 1 with --state on a state whose Proxmox resource lacks retainOnDelete, 0 once covered", async () => {
    const gap = await guard(["--state", write("gap.json", exported([{ ...etoile, retainOnDelete: undefined }, vmbr0]))]);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toMatch(/^state .*::etoile-vm: records no retainOnDelete/);
    const covered = await guard(["--state", write("covered.json", exported([etoile, vmbr0]))]);
    expect({ code: covered.code, stdout: covered.stdout }).toEqual({ code: 0, stdout: "" });
  });
});

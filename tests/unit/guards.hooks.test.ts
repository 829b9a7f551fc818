// The program refuses the stop list's steps itself: the program under @pulumi/pulumi/cmd/run, as the
// Pulumi CLI's language host starts it, against the test's own monitor and engine stand-in, which
// answers RegisterResourceHook and runs each step kind's hooks the way the engine does
// (tests/unit/support/cmdRun.ts says what it models and what it does not).
import { GUARDS } from "../../stacks/guards/hooks";
import { FIXTURE_STACK_FILE } from "../support/stacks";
import { NEW_CLONE, reconciled, stackSections } from "./support/adoption";
import { type CmdRunOptions, type CmdRunResult, type OldStateResource, runCmdRun } from "./support/cmdRun";

// The fixture stack file, reconciled as discover --write leaves it, with a new clone `nouvelle` (vmid 9107, not on the host).
const sections = stackSections();
sections.guests.nouvelle = NEW_CLONE;
const configOverrides = { ...reconciled(sections) };
const base: CmdRunOptions = { stackFile: FIXTURE_STACK_FILE, configOverrides, timeoutMs: 240000 };

const VM_URN = (name: string) => `urn:pulumi:neve::neve-infra::pulumi:pulumi:Stack$neve:guests:Vm$proxmoxve:index/vmLegacy:VmLegacy::${name}`;
/** A guest the old state holds and this run no longer declares (a removed or renamed key), as a run of this program recorded it. */
const removed = (name: string, recorded: boolean): OldStateResource => ({
  urn: VM_URN(name),
  type: "proxmoxve:index/vmLegacy:VmLegacy",
  name,
  id: "1207",
  hooks: recorded ? { beforeCreate: [GUARDS.create.hook], beforeUpdate: [GUARDS.update.hook], beforeDelete: [GUARDS.delete.hook] } : {},
});

/** Old inputs with the memory a guest had before this run (a restart field: memoryMiB, provider input memory.dedicated). */
const withMemory = (mib: number) => (n: Record<string, unknown>) => ({ ...n, memory: { ...(n.memory as object), dedicated: mib } });
/** Old inputs with another description (not a restart field). */
const withDescription = (n: Record<string, unknown>) => ({ ...n, description: "as it was" });
/** The same guests, with cipher's stack entry allowing a restart. */
const restartAllowed = structuredClone(sections);
restartAllowed.guests.cipher.restartOnUpdate = true;
/** Day-to-day updates of running and stopped guests, the live record (old outputs) saying which runs. */
const restartSteps: CmdRunOptions = {
  steps: { "cipher-vm": "update", "etoile-vm": "update", "atlas-ct": "update", "lune-ct": "update" },
  oldRecord: {
    // memoryMiB 2048 -> 4096 on a running VM: a restart.
    "cipher-vm": { inputs: withMemory(2048), outputs: { started: true } },
    // Only the description changes: no restart.
    "etoile-vm": { inputs: withDescription, outputs: { started: true } },
    // memoryMiB changes on a container the live record says is stopped: nothing to restart.
    "atlas-ct": { inputs: withMemory(256), outputs: { started: false } },
    "lune-ct": { inputs: withDescription, outputs: { started: true } },
  },
};

const runs: Record<string, Promise<CmdRunResult>> = {};
/** Start every run at once (each is a whole program under cmd/run); the tests await the one they read. */
const RUNS: Record<string, CmdRunOptions> = {
  vmbr0Update: { steps: { "network-vmbr0": "update" } },
  bridgeCreate: { steps: { "network-vmbr1": "create" } },
  rulesUpdate: { steps: { "firewall-rules": "update" } },
  liveCreate: { steps: { "etoile-vm": "create" } },
  importReplacement: { steps: { "etoile-vm": "import-replacement" } },
  replaceUp: { dryRun: false, steps: { "cipher-vm": "replace" } },
  restartVm: restartSteps,
  restartCt: { steps: { "lune-ct": "update" }, oldRecord: { "lune-ct": { inputs: withMemory(2048), outputs: { started: true } } } },
  restartAllowed: { ...restartSteps, configOverrides: { ...reconciled(restartAllowed) } },
  safe: {
    steps: { "nouvelle-vm": "create", "etoile-vm": "import", "cipher-vm": "update", "host-haproxy": "update", "storage-local": "same" },
    oldState: [removed("francoise-vm", true), removed("oldclone-vm", false)],
  },
};
beforeAll(() => {
  for (const [k, o] of Object.entries(RUNS)) runs[k] = runCmdRun({ ...base, ...o });
});

/** The single failed hook call of a run, and the run's ERROR logs. */
async function refused(run: string) {
  const r = await runs[run];
  const failed = r.hookCalls.filter((c) => c.error);
  expect(failed).toHaveLength(1);
  return { r, call: failed[0], errors: r.logs.filter((l) => l.severity === "ERROR").map((l) => l.message) };
}

describe("the program's guards (resource hooks), under cmd/run", () => {
  it("must register every guard hook with onDryRun, so that a preview runs it too", async () => {
    const r = await runs.safe;
    expect(r.registeredHooks).toEqual(Object.values(GUARDS).map((g) => ({ name: g.hook, onDryRun: true })));
  }, 300000);

  it("must give every Proxmox resource one guard per lifecycle point and deleteBeforeReplace, and no host resource any", async () => {
    const r = await runs.safe;
    const proxmox = r.registrations.filter((x) => x.type.startsWith("proxmoxve:"));
    expect(proxmox.length).toBeGreaterThan(15);
    for (const x of proxmox) {
      expect({ name: x.name, points: Object.keys(x.hooks).sort(), dbr: x.deleteBeforeReplace }).toEqual({
        name: x.name,
        points: ["beforeCreate", "beforeDelete", "beforeUpdate"],
        dbr: true,
      });
    }
    expect(r.registrations.find((x) => x.name === "network-vmbr0")?.hooks).toEqual({
      beforeCreate: [GUARDS.createLive.hook],
      beforeUpdate: [GUARDS.updateReadOnly.hook],
      beforeDelete: [GUARDS.delete.hook],
    });
    expect(r.registrations.find((x) => x.name === "nouvelle-vm")?.hooks.beforeCreate).toEqual([GUARDS.create.hook]);
    expect(r.registrations.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic") && Object.keys(x.hooks).length)).toEqual([]);
  }, 300000);

  it.each([
    ["an update of vmbr0", "vmbr0Update", "neve-guard-update-read-only", /update urn:\S+::network-vmbr0: an update of a bridge/],
    ["a bridge create", "bridgeCreate", "neve-guard-create-live", /create urn:\S+::network-vmbr1: a bridge create: .*--adopt bridge:<iface>/],
    [
      "an update of the firewall rules",
      "rulesUpdate",
      "neve-guard-update",
      /update urn:\S+::firewall-rules: an update of an object the stack treats as read-only/,
    ],
    [
      "a create of an object in adoption.live (its import id lost)",
      "liveCreate",
      "neve-guard-create-live",
      /create urn:\S+::etoile-vm: a create of an object that exists on the host/,
    ],
    [
      "an import-replacement (its delete half, hooks from the old state)",
      "importReplacement",
      "neve-guard-delete",
      /delete urn:\S+::etoile-vm: a delete of a Proxmox object: this program never deletes one; .*pulumi state delete/,
    ],
  ])(
    "must refuse %s in a preview, naming the resource and the way out",
    async (_name, run, hook, message) => {
      const { r, call, errors } = await refused(run);
      expect(call.hook).toBe(hook);
      expect(call.error).toMatch(new RegExp(`^before hook "${hook}" failed: `));
      expect(call.error).toMatch(message);
      // The registration failed with the engine's text: the program (and so the preview) fails.
      expect(r.code).not.toBe(0);
      expect(errors.some((e) => e.includes(`failed to register new resource`) && e.includes(`before hook "${hook}" failed`))).toBe(true);
    },
    300000,
  );

  it("must refuse a replacement in an up before its create half runs (deleteBeforeReplace: the delete guard first)", async () => {
    const { r, call } = await refused("replaceUp");
    expect(call).toMatchObject({ hook: GUARDS.delete.hook, point: "beforeDelete", step: "delete-replaced" });
    expect(call.urn).toBe(VM_URN("cipher-vm"));
    expect(r.hookCalls.filter((c) => c.urn === VM_URN("cipher-vm") && c.point === "beforeCreate")).toEqual([]);
    expect(r.code).not.toBe(0);
  }, 300000);

  it("must let a preview of safe steps through: a new clone created, an import, a guest and a host file updated", async () => {
    const r = await runs.safe;
    const calls = r.hookCalls.filter((c) => c.point !== "beforeDelete");
    expect(calls.map((c) => [c.urn.split("::").pop(), c.hook, c.error]).sort()).toEqual([
      ["cipher-vm", GUARDS.update.hook, undefined],
      ["cipher-vm", GUARDS.updateRunningVm.hook, undefined],
      ["nouvelle-vm", GUARDS.create.hook, undefined],
    ]);
    expect(r.registrations.some((x) => x.name === "host-haproxy")).toBe(true);
  }, 300000);

  it("must refuse the delete of a guest the old state holds (a removed key), after the program, with the hook recorded in that state", async () => {
    const r = await runs.safe;
    const deletes = r.hookCalls.filter((c) => c.point === "beforeDelete");
    expect(deletes).toEqual([
      {
        hook: GUARDS.delete.hook,
        point: "beforeDelete",
        step: "delete",
        urn: VM_URN("francoise-vm"),
        error: expect.stringMatching(/^before hook "neve-guard-delete" failed: delete urn:\S+::francoise-vm: a delete of a Proxmox object/),
      },
    ]);
    // What the hooks cannot cover: a delete whose old state recorded no hooks (an older checkout's run) runs none.
    // npm run guard (the preview's step kinds) and guard --state (the recorded hooks) cover it.
    expect(r.hookCalls.some((c) => c.urn === VM_URN("oldclone-vm"))).toBe(false);
  }, 300000);
  it("must refuse, in a preview, a day-to-day update that restarts a running VM its stack entry does not allow to restart, naming the guest, the field and the way out", async () => {
    const { r, call } = await refused("restartVm");
    expect(call).toMatchObject({ hook: GUARDS.updateRunningVm.hook, point: "beforeUpdate", step: "update", urn: VM_URN("cipher-vm") });
    expect(call.error).toMatch(
      /^before hook "neve-guard-update-running-vm" failed: update urn:\S+::cipher-vm: an update that restarts the running VM cipher \(9100\)/,
    );
    expect(call.error).toContain("memory.dedicated (stack field guests.cipher.memoryMiB)");
    expect(call.error).toContain("set guests.cipher.restartOnUpdate: true");
    expect(call.error).toContain("put the live value back in the stack file");
    expect(r.code).not.toBe(0);
    // A description change of a running VM and a restart field of a stopped container pass.
    const others = r.hookCalls.filter((c) => c.urn !== VM_URN("cipher-vm") && c.point === "beforeUpdate");
    expect(others.map((c) => [c.urn.split("::").pop(), c.hook, c.error]).sort()).toEqual(
      expect.arrayContaining([
        ["etoile-vm", GUARDS.updateRunningVm.hook, undefined],
        ["atlas-ct", GUARDS.updateRunningCt.hook, undefined],
      ]),
    );
  }, 300000);

  it("must refuse a restart of a running container the same way (bpg reboots one with no switch to turn it off)", async () => {
    const { call } = await refused("restartCt");
    expect(call.hook).toBe(GUARDS.updateRunningCt.hook);
    expect(call.error).toMatch(/update urn:\S+::lune-ct: an update that restarts the running container lune \(201\): it changes memory.dedicated/);
    expect(call.error).toContain("bpg reboots a running container");
  }, 300000);

  it("must let the restart through when the guest's stack entry asks for it (restartOnUpdate: true): no running-guest guard on it", async () => {
    const r = await runs.restartAllowed;
    expect(r.registrations.find((x) => x.name === "cipher-vm")?.hooks.beforeUpdate).toEqual([GUARDS.update.hook]);
    expect(r.hookCalls.filter((c) => c.error)).toEqual([]);
    expect(r.hookCalls.filter((c) => c.urn === VM_URN("cipher-vm")).map((c) => c.hook)).toEqual([GUARDS.update.hook]);
  }, 300000);
});

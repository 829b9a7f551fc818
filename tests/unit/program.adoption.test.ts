// The adoption gate and per-object adoption in the real program under Pulumi mocks. Each run gets
// its own module registry (Pulumi's mocks are process-global state of @pulumi/pulumi).
// Runs on the frozen fixture (no adoption record). The offline plan runs first, so the enforcing runs after it also prove that its switch is off again.
import type { ProgramRun, RunProgramOptions } from "../../scripts/lib/mockRunner";
import { BRIDGE_INPUT_FIELDS } from "../../stacks/components/proxmox/bridges";
import { FIXTURE_STACK_FILE, type Raw } from "../support/stacks";
import { NEVE_LIVE, NEW_CLONE, reconciled, stackSections } from "./support/adoption";

/** Run the program in a fresh module registry; resolves with the run, or with the error and the resources the monitor saw. */
async function runIsolated(opts: RunProgramOptions): Promise<{ run?: ProgramRun; error?: Error; registered: number }> {
  let result: { run?: ProgramRun; error?: Error; registered: number } = { registered: -1 };
  await jest.isolateModulesAsync(async () => {
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    const pulumi = await import("@pulumi/pulumi");
    try {
      const run = await runProgram({ stackFile: FIXTURE_STACK_FILE, ...opts });
      result = { run, registered: run.resources.length };
    } catch (e) {
      const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
      result = { error: e as Error, registered: monitor.resources.size };
    }
  });
  return result;
}

/** The sections as config overrides for runProgram. */
const overrides = (s: Raw) => ({ ...s });

describe("the offline plan's notice", () => {
  let r: Awaited<ReturnType<typeof runIsolated>>;
  beforeAll(async () => (r = await runIsolated({})));

  it("must run the whole program on the unreconciled stack file and say it is not yet reconciled with the host", () => {
    expect(r.error).toBeUndefined();
    expect(r.run?.adoptionNotice).toMatch(/^not yet reconciled with the host: neve-infra:adoption.live is missing/);
    expect(r.run?.resources.filter((x) => x.type.startsWith("proxmoxve:")).length).toBeGreaterThan(10);
  });

  it("must import nothing but the read-only access objects while nothing is recorded as live", () => {
    const imported = (r.run?.resources ?? [])
      .filter((x) => x.importId !== undefined)
      .map((x) => x.name)
      .sort();
    expect(imported).toEqual(["firewall-options", "network-vmbr0"]);
  });
});

describe("the adoption gate in the program (as under pulumi up)", () => {
  it("must refuse the stack file without an adoption record before registering any resource", async () => {
    const r = await runIsolated({ adoptionGate: "enforce" });
    expect(r.error?.message).toContain("neve-infra:adopt is true but the stack file is not yet reconciled with the host");
    expect(r.error?.message).toContain("neve-infra:adoption.live is missing");
    expect(r.error?.message).toContain("npm run discover -- --check");
    expect(r.registered).toBe(0);
  });

  it("must refuse a stack file without an adoption record with adopt: false too, before registering any resource", async () => {
    const r = await runIsolated({ adoptionGate: "enforce", configOverrides: { adopt: false } });
    expect(r.error?.message).toMatch(/^the stack file does not record the live host yet:/);
    expect(r.error?.message).toContain("a real run needs this record whatever neve-infra:adopt says");
    expect(r.registered).toBe(0);
  });

  it("must refuse after a guest field was edited since discover --check passed, before registering any resource", async () => {
    const s = reconciled(stackSections());
    s.guests.cipher.memoryMiB = 8192;
    const r = await runIsolated({ adoptionGate: "enforce", configOverrides: overrides(s) });
    expect(r.error?.message).toContain("changed since npm run discover -- --check last passed");
    expect(r.registered).toBe(0);
  });

  it("must refuse to create a public bridge that the host does not have", async () => {
    const s = reconciled(stackSections(), { ...NEVE_LIVE, bridges: ["vmbr1"] });
    const r = await runIsolated({ adoptionGate: "enforce", configOverrides: overrides(s) });
    expect(r.error?.message).toContain("network.bridges.vmbr0 is public but the host has no bridge vmbr0");
    expect(r.error?.message).toContain("never creates a public bridge");
  });
});

describe("per-object adoption with a reconciled stack file", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    const s = stackSections();
    s.guests.nouvelle = NEW_CLONE;
    const r = await runIsolated({ adoptionGate: "enforce", configOverrides: overrides(reconciled(s)) });
    if (!r.run) throw r.error;
    run = r.run;
  });
  const named = (name: string) => {
    const found = run.resources.filter((r) => r.custom && r.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it("must pass the gate and print no notice", () => {
    expect(run.adoptionNotice).toBeUndefined();
  });

  it("must create a guest that is not on the host yet (no import=neve/9107)", () => {
    expect(named("nouvelle-vm").importId).toBeUndefined();
  });

  it.each([
    ["debian12-cloud-vm", "neve/1200"],
    ["etoile-vm", "neve/1201"],
    ["ubuntu-2404-template-vm", "neve/9000"],
    ["cipher-vm", "neve/9100"],
    ["atlas-ct", "neve/200"],
    ["lune-ct", "neve/201"],
    ["network-vmbr0", "neve:vmbr0"],
    ["network-vmbr1", "neve:vmbr1"],
    ["storage-local", "local"],
    ["storage-vmdata", "vmdata"],
    ["storage-etoile", "etoile"],
    ["firewall-options", "cluster"],
    ["firewall-rules", "cluster"],
  ])("must import live object %s as %s", (name, id) => {
    expect(named(name).importId).toBe(id);
  });

  it("must retain every Proxmox resource on delete: removing, renaming or replacing one never deletes the object on the host", () => {
    const proxmox = run.resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:") && r.type !== "pulumi:providers:proxmoxve");
    expect(proxmox.length).toBeGreaterThan(15);
    expect(proxmox.filter((r) => !r.retainOnDelete).map((r) => r.name)).toEqual([]);
  });

  it.each(["network-vmbr0", "network-vmbr1"])(
    "must never let an up change bridge %s that exists on the host (any update reloads the whole network): protected, every field ignored",
    (name) => {
      const r = named(name);
      expect(r.protect).toBe(true);
      expect([...r.ignoreChanges].sort()).toEqual([...BRIDGE_INPUT_FIELDS].sort());
    },
  );

  it("must create the backup jobs, which are not in adoption.live.jobs", () => {
    for (const j of run.resources.filter((r) => r.type === "proxmoxve:backup/job:Job")) expect(j.importId).toBeUndefined();
  });
});

describe("after the adopting up (adopt: false): once adopted, always imported", () => {
  // The engine records each run's import option as the state's importID (pulumi/pulumi#19314); a run
  // without it erases it, and setting it again later is an import-replacement that deletes the live
  // guest (its ID is 1201, its import id neve/1201). So dropping adopt must not drop an import id.
  let adopting: ProgramRun;
  let after: ProgramRun;
  beforeAll(async () => {
    const s = stackSections();
    s.guests.nouvelle = NEW_CLONE;
    const a = await runIsolated({ adoptionGate: "enforce", configOverrides: overrides(reconciled(s)) });
    const b = await runIsolated({ adoptionGate: "enforce", configOverrides: { ...overrides(reconciled(s)), adopt: false } });
    if (!a.run) throw a.error;
    if (!b.run) throw b.error;
    adopting = a.run;
    after = b.run;
  });
  const importIds = (run: ProgramRun) =>
    run.resources
      .filter((r) => r.custom && r.type.startsWith("proxmoxve:"))
      .map((r) => `${r.name}=${r.importId ?? "(created)"}`)
      .sort();

  it("must carry exactly the import ids of the adopting run, for every resource", () => {
    expect(importIds(after).filter((x) => !x.endsWith("(created)")).length).toBeGreaterThanOrEqual(13);
    expect(importIds(after)).toEqual(importIds(adopting));
  });

  it("must still create, never import, what adoption.live does not list", () => {
    expect(after.resources.find((r) => r.custom && r.name === "nouvelle-vm")?.importId).toBeUndefined();
  });
});

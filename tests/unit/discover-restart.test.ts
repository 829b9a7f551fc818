import { vmArgs } from "../../stacks/components/proxmox/vm";
import type { VmModel } from "../../stacks/config/model";
import { CT_RESTART_FIELDS, needsRestart, VM_RESTART_FIELDS } from "../../stacks/config/restart";
import { checkStack, formatCheck } from "../../stacks/discover/check";
import type { GuestFacts, LiveFacts } from "../../stacks/discover/facts";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { base, run, STACK, set, withVm } from "./support/discoverHost";

// Issue 12, item 3: a pending change counts (an up would drop it) and says how to apply or revert it;
// an up never restarts a running guest unless the stack file says so for that guest.

const withPending =
  (vmid: number, pending: GuestFacts["pending"]) =>
  (l: LiveFacts): LiveFacts => ({ ...l, guests: l.guests.map((g) => (g.vmid === vmid ? { ...g, pending } : g)) });

describe("discover --check with a pending change on a declared guest", () => {
  const cases: Array<[name: string, vmid: number, pending: GuestFacts["pending"], texts: string[]]> = [
    [
      "etoile's memory changed while it runs ([PENDING])",
      1201,
      [["memory", "6144"]],
      [
        "guests.etoile (VM 1201) has pending changes Proxmox applies at the next restart: memory: 6144",
        "`qm pending 1201`",
        "`qm reboot 1201`",
        "`qm set 1201 --revert memory`",
      ],
    ],
    [
      "atlas's memory and a removed swap line ([pve:pending] with delete)",
      200,
      [
        ["memory", "1024"],
        ["delete", "swap"],
      ],
      ["guests.atlas (container 200) has pending changes", "`pct pending 200`", "`pct reboot 200`", "`pct set 200 --revert memory,swap`"],
    ],
  ];

  it.each(cases)("must exit 1 and say how to apply or revert it: %s", (_n, vmid, pending, texts) => {
    const { report, out } = run(withPending(vmid, pending)(base()));
    expect(report.code).toBe(1);
    expect(report.conflicts.map((c) => c.kind)).toEqual(["pending"]);
    for (const t of texts) expect(out).toContain(t);
  });

  it("must not let --write reconcile while the change is pending, and must exit 0 once it is resolved", () => {
    const facts = withPending(1201, [["memory", "6144"]])(base());
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(1);
    expect(written.choices.join("\n")).toContain("guests.etoile: left: guests.etoile (VM 1201) has pending changes");
    expect(modelFromText(written.text).adoption.reconciled).toBeUndefined();
    // The operator reverted it (qm set 1201 --revert memory): the pending section is gone.
    const again = writeStack(written.text, modelFromText(written.text), run(base()).live, { now: "2026-11-30T00:00:00Z" });
    expect(again.after.code).toBe(0);
    expect(modelFromText(again.text).adoption.reconciled).toMatch(/^sha256:/);
  });

  it("must only note a pending change of a guest the stack does not declare (no up touches it)", () => {
    const facts = base();
    const other: GuestFacts = { vmid: 9101, kind: "qemu", main: [["name", "francoise"]], pending: [["memory", "6144"]], snapshots: [], specialSections: [] };
    const text = STACK.replace("neve-infra:backups:", "neve-infra:adoption: { unmanaged: { guests: [9101] } }\n  neve-infra:backups:");
    const { report, out } = run({ ...facts, guests: [...facts.guests, other] }, text);
    expect(report.conflicts).toEqual([]);
    expect(out).toContain("Note: guest 9101 francoise has pending changes Proxmox applies at the next restart: memory: 6144");
    expect(report.code).toBe(0);
  });
});

describe("an up never restarts a running guest unless restartOnUpdate says so", () => {
  it("must mark a change that needs a restart of a running guest in --check", () => {
    const { out } = run(withVm(set("cpu", "host"))(base()));
    expect(out).toContain(
      "guests.etoile cpuType: live host, declared qemu64 (provider default) [needs a restart of the running guest: restartOnUpdate is false, so it cannot be acknowledged]",
    );
    const allowed = run(withVm(set("cpu", "host"))(base()), STACK.replace("      ipv4: 10.10.10.2\n", "      ipv4: 10.10.10.2\n      restartOnUpdate: true\n"));
    expect(allowed.out).toContain("guests.etoile cpuType: live host, declared qemu64 (provider default) [the up restarts the running guest: restartOnUpdate]");
  });

  it("must not mark a change that needs no restart (a description)", () => {
    const out = formatCheck(checkStack(modelFromText(STACK.replace("description: Proxmox Backup Server", "description: PBS")), run(base()).live));
    expect(out).toMatch(/guests\.etoile description: live Proxmox Backup Server, declared PBS\n/);
  });

  it("must refuse an acknowledged change that restarts a running guest without restartOnUpdate, naming the field and the fix", () => {
    const text = STACK.replace("neve-infra:backups:", "neve-infra:adoption: { acknowledge: [guests.atlas.memoryMiB] }\n  neve-infra:backups:");
    expect(() => modelFromText(text)).toThrow(
      /guests\.atlas\.restartOnUpdate: guests\.atlas\.memoryMiB is acknowledged \(adoption\.acknowledge\), so the up applies it, and changing memoryMiB restarts the running container .*set guests\.atlas\.restartOnUpdate: true/,
    );
    const allowed = text.replace("      unprivileged: true\n", "      unprivileged: true\n      restartOnUpdate: true\n");
    expect(modelFromText(allowed).guests.find((g) => g.name === "atlas")?.restartOnUpdate).toBe(true);
    // A change that needs no restart may be acknowledged as before.
    expect(() =>
      modelFromText(STACK.replace("neve-infra:backups:", "neve-infra:adoption: { acknowledge: [guests.atlas.tags] }\n  neve-infra:backups:")),
    ).not.toThrow();
  });

  it.each([
    [undefined, false],
    [true, true],
  ])("must send the VM's rebootAfterUpdate explicitly (restartOnUpdate %s -> %s; bpg's own default is true)", (stated, sent) => {
    const text = stated === undefined ? STACK : STACK.replace("      ipv4: 10.10.10.2\n", "      ipv4: 10.10.10.2\n      restartOnUpdate: true\n");
    const model = modelFromText(text);
    const etoile = model.guests.find((g) => g.name === "etoile") as VmModel;
    expect(vmArgs(etoile, model, "neve").rebootAfterUpdate).toBe(sent);
  });

  it("must classify the fields bpg restarts for, and only those", () => {
    expect(needsRestart("vm", "cpuType")).toBe(true);
    expect(needsRestart("vm", "vga.type")).toBe(true);
    expect(needsRestart("vm", "description")).toBe(false);
    expect(needsRestart("vm", "bridge")).toBe(false);
    expect(needsRestart("ct", "memoryMiB")).toBe(true);
    expect(needsRestart("ct", "cores")).toBe(false);
    expect(VM_RESTART_FIELDS).not.toContain("onBoot");
    expect(CT_RESTART_FIELDS).not.toContain("tags");
  });
});

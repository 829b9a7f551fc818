// The offline plan's restart rule per guest (table and --json `guests`): which declared fields need a restart
// if an up changes them while the guest runs, and the running-guest guard (hook name) its resource carries.
import { editedStackFile, FIXTURE_STACK_FILE } from "../support/stacks";

describe("plan: restart fields and the running-guest guard per guest", () => {
  let stack: { file: string; cleanup: () => void };
  beforeAll(() => {
    // cipher's entry allows an up to restart it; every other guest keeps the default (false).
    stack = editedStackFile((d) => {
      (d.config["neve-infra:guests"] as Record<string, Record<string, unknown>>).cipher.restartOnUpdate = true;
    }, FIXTURE_STACK_FILE);
  });
  afterAll(() => stack.cleanup());

  it("must show each guest's declared restart fields and the guard hook read from its registered resource, in the JSON and the table", async () => {
    const { checkStackFile } = await import("../../scripts/lib/planCheck");
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    const { planGuests, guestLines } = await import("../../scripts/lib/planGuests");
    const { planJson } = await import("../../scripts/lib/planJson");
    const model = checkStackFile(stack.file);
    const run = await runProgram({ stackFile: stack.file });
    const guests = planGuests(model, run.resources);
    const by = Object.fromEntries(guests.map((g) => [g.object, g]));

    expect(by["guests.etoile"]).toMatchObject({ kind: "vm", vmid: 1201, running: true, restartOnUpdate: false, guard: "neve-guard-update-running-vm" });
    expect(by["guests.etoile"].restartFields).toEqual(expect.arrayContaining(["memoryMiB", "cloudInit"]));
    expect(by["guests.etoile"].restartFields).not.toContain("description");
    expect(by["guests.cipher"]).toMatchObject({ running: true, restartOnUpdate: true, guard: null });
    expect(by["guests.lune"]).toMatchObject({ kind: "ct", vmid: 201, guard: "neve-guard-update-running-ct" });
    expect(by["guests.lune"].restartFields).toEqual(expect.arrayContaining(["memoryMiB", "bridge", "hostname"]));
    expect(by["guests.debian12-cloud"]).toMatchObject({ template: true, guard: null });

    // The guard is what the program registered: the guest's resource carries that beforeUpdate hook.
    const lune = run.resources.find((r) => r.type === "proxmoxve:index/containerLegacy:ContainerLegacy" && r.inputs.vmId === 201);
    expect(lune?.hooks?.beforeUpdate).toContain("neve-guard-update-running-ct");

    const json = JSON.parse(JSON.stringify(planJson(run, "Pulumi.neve.yaml", [], guests)));
    expect(json.guests).toEqual(guests);

    const lines = guestLines(guests);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}guests\.etoile \(VM 1201, running\): restart fields: .*memoryMiB.*; guard neve-guard-update-running-vm \(an up that changes one while it runs is refused\)$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}guests\.cipher \(VM 9100, running\): .*; no running-guest guard \(restartOnUpdate: true, the up may restart it\)$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}guests\.debian12-cloud \(VM 1200, template\): .*no running-guest guard \(a template never runs\)$/),
    );
  });
});

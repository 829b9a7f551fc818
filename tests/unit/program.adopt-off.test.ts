// Its own test file: Pulumi's mocks are process-global and the program runs once per module registry.
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { FIXTURE_STACK_FILE } from "../support/stacks";

let run: ProgramRun;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  run = await runProgram({ stackFile: FIXTURE_STACK_FILE, configOverrides: { adopt: false } });
});

describe("with neve-infra:adopt false", () => {
  it("must not carry any import id (resources are created, not adopted)", () => {
    const custom = run.resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:"));
    expect(custom.length).toBeGreaterThan(10);
    for (const r of custom) expect(r.importId).toBeUndefined();
  });

  it("must still protect running guests and vmbr0", () => {
    const protectedNames = run.resources.filter((r) => r.protect).map((r) => r.name).sort();
    expect(protectedNames).toEqual(["atlas-ct", "cipher-vm", "etoile-vm", "lune-ct", "network-vmbr0"]);
  });
});

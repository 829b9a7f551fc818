// Its own test file: Pulumi's mocks are process-global and the program runs once per module registry.
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { FIXTURE_STACK_FILE } from "../support/stacks";

let run: ProgramRun;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  // The offline plan (a real run refuses a stack file without adoption.live, program.adoption.test.ts).
  run = await runProgram({ stackFile: FIXTURE_STACK_FILE, configOverrides: { adopt: false } });
});

describe("with neve-infra:adopt false and nothing recorded as live (the offline plan)", () => {
  it("must say that a real run needs the live record", () => {
    expect(run.adoptionNotice).toContain("a real run needs this record whatever neve-infra:adopt says");
  });

  it("must not carry any import id but those of the read-only access objects while nothing is recorded as live", () => {
    const custom = run.resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:"));
    expect(custom.length).toBeGreaterThan(10);
    const imported = custom
      .filter((r) => r.importId !== undefined)
      .map((r) => `${r.name}=${r.importId}`)
      .sort();
    // The public bridge and the firewall options are never created: they always carry their import id.
    expect(imported).toEqual(["firewall-options=cluster", "network-vmbr0=neve:vmbr0"]);
  });

  it("must create a private bridge the host does not have, with nothing ignored but what DHCP leaves unmanaged", () => {
    const vmbr1 = run.resources.find((r) => r.custom && r.name === "network-vmbr1");
    expect(vmbr1?.importId).toBeUndefined();
    expect(vmbr1?.ignoreChanges).toEqual([]);
  });

  it("must still protect running guests, vmbr0 and the cluster firewall", () => {
    const protectedNames = run.resources
      .filter((r) => r.protect)
      .map((r) => r.name)
      .sort();
    expect(protectedNames).toEqual(["atlas-ct", "cipher-vm", "etoile-vm", "firewall-options", "firewall-rules", "lune-ct", "network-vmbr0"]);
  });
});

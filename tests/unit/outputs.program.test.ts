// The outputs as the real program exports them (Pulumi mocks, real stack file): live values come
// from the resources' outputs. The mock provider here reports MAC addresses the way bpg's provider
// does (VM networkDevices[].macAddress, container networkInterfaces[].macAddress); the config has none.
import type * as pulumi from "@pulumi/pulumi";
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { loadModelFromFile } from "../../scripts/lib/stackFile";
import { buildOutputs } from "../../stacks/neve/buildOutputs";
import { NEVE_OUTPUT_NAMES, type NeveStackOutputs } from "../../stacks/neve/outputs";

// Compile-time (npm run typecheck): the program's exports, resolved, are exactly the contract type.
// `typeof import()` is a type only: it does not run the program.
type ProgramExports = typeof import("../../stacks/neve/index");
type Exported = { [K in keyof ProgramExports]: pulumi.Unwrap<ProgramExports[K]> };
type SameKeys = [Exclude<keyof Exported, keyof NeveStackOutputs>, Exclude<keyof NeveStackOutputs, keyof Exported>] extends [never, never] ? true : false;
const exportsMatchContract: Exported extends NeveStackOutputs ? SameKeys : false = true;

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const CT = "proxmoxve:index/containerLegacy:ContainerLegacy";

/** A MAC per guest resource name, handed out in registration order, clearly made up (locally administered 02:...). */
const macs = new Map<string, string>();
const macOf = (name: string): string => {
  if (!macs.has(name)) macs.set(name, `02:00:00:00:00:${(macs.size + 1).toString(16).padStart(2, "0").toUpperCase()}`);
  return macs.get(name) as string;
};

let run: ProgramRun;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  run = await runProgram({
    mockState: (type, name, inputs) => {
      if (type === VM) return { networkDevices: (inputs.networkDevices as object[]).map((d) => ({ ...d, macAddress: macOf(name) })) };
      if (type === CT) return { networkInterfaces: (inputs.networkInterfaces as object[]).map((i) => ({ ...i, macAddress: macOf(name) })) };
      return undefined;
    },
  });
});

describe("outputs of the program", () => {
  it("must export exactly the outputs the contract names", () => {
    expect(exportsMatchContract).toBe(true);
    expect(Object.keys(run.outputs).sort()).toEqual([...NEVE_OUTPUT_NAMES].sort());
  });

  it("must take every guest's MAC addresses from its resource's outputs, not from the config", () => {
    const o = run.outputs as unknown as NeveStackOutputs;
    const model = loadModelFromFile();
    for (const g of model.guests) {
      expect(o.guests[g.name].macAddresses).toEqual([macOf(`${g.name}-${g.kind === "vm" ? "vm" : "ct"}`)]);
    }
  });

  it("must export every other output exactly as built from the stack file", () => {
    const expected = buildOutputs(loadModelFromFile());
    for (const k of NEVE_OUTPUT_NAMES) {
      if (k === "guests" || k === "ssh") continue;
      expect({ [k]: run.outputs[k] }).toEqual({ [k]: expected[k] });
    }
    for (const [name, g] of Object.entries(expected.guests)) expect(run.outputs.guests).toHaveProperty([name], { ...g, macAddresses: expect.any(Array) });
  });
});

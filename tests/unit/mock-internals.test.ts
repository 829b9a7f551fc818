// The offline plan reads resource options off @pulumi/pulumi's mock monitor (an SDK internal, see
// scripts/lib/mockInternals.ts). These tests pin that internal: after an SDK upgrade they fail here,
// with the reason, instead of a plan that quietly shows no protect, import or ignoreChanges.
import * as path from "node:path";
import { assertPatchableMockMonitor, assertRegisterRequest, REGISTER_REQUEST_GETTERS } from "../../scripts/lib/mockInternals";
import type { ProgramRun } from "../../scripts/lib/mockRunner";

let run: ProgramRun;

beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  run = await runProgram({ program: path.join(__dirname, "support", "optionsProgram.ts") });
});

describe("the mock monitor internals the plan relies on", () => {
  it("must see protect, import, ignoreChanges, parent and the explicit provider as the engine would", () => {
    const second = run.resources.find((r) => r.name === "probe-second");
    const parent = run.resources.find((r) => r.name === "probe-parent");
    const provider = run.resources.find((r) => r.name === "probe-provider");
    expect(second).toMatchObject({ type: "probe:index:Thing", custom: true, protect: true, importId: "probe-id-2", ignoreChanges: ["size"] });
    expect(second?.parent).toBe(parent?.urn);
    expect(second?.provider).toBe(`${provider?.urn}::probe-provider-id`);
    expect(run.resources.find((r) => r.name === "probe-first")).toMatchObject({ protect: false, importId: undefined, ignoreChanges: [] });
  });

  it("must find every RegisterResourceRequest getter the plan reads", async () => {
    // The generated protobuf class itself, not only the requests the runner happened to see.
    const { RegisterResourceRequest } = await import("@pulumi/pulumi/proto/resource_pb");
    const req = new RegisterResourceRequest();
    expect(REGISTER_REQUEST_GETTERS.filter((g) => typeof (req as unknown as Record<string, unknown>)[g] !== "function")).toEqual([]);
    expect(() => assertRegisterRequest(req)).not.toThrow();
  });

  it.each([
    [
      "a plain object instead of the MockMonitor",
      () => assertPatchableMockMonitor({ registerResource: (_a: unknown, _b: unknown) => undefined }),
      "is not the SDK's MockMonitor",
    ],
    ["a request without getters", () => assertRegisterRequest({ getType: () => "t" }), "has no getName, getCustom"],
  ])("must fail loudly, naming the file to fix, on %s", (_what, fn, text) => {
    expect(fn).toThrow(text);
    expect(fn).toThrow("scripts/lib/mockRunner.ts");
  });
});

// What `pulumi preview` runs is not the mock runner but the SDK's own entry point,
// @pulumi/pulumi/cmd/run, started by the Node language host. These tests start it the same way
// against a resource monitor of their own (tests/unit/support/cmdRun.ts) and hold it to what the
// offline plan shows under mocks: the same resources, and the same serialized dynamic providers.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { PULUMI_CLI_RANGE } from "../../stacks/neve/requirements";
import { REAL_STACK_FILE } from "../support/stacks";
import { reconciled, stackSections } from "./support/adoption";
import { type CmdRunResult, runCmdRun } from "./support/cmdRun";

let real: CmdRunResult;
let mocked: ProgramRun;
// The stack file with the adoption record `npm run discover -- --write` adds: without it the adoption
// gate refuses the real run (see the last test), while the offline plan only prints a notice.
const configOverrides = { adoption: reconciled(stackSections(REAL_STACK_FILE)).adoption };
// Both real runs serialize their providers afresh (no serialized-provider cache), so that comparing
// the fast transpile with ts-node compares two serializations, not one cache entry with itself; the
// mocked run may read the cache, which holds it to a fresh serialization too.
const uncached = { NEVE_PROVIDER_CACHE: "off" };

beforeAll(async () => {
  real = await runCmdRun({ configOverrides, env: uncached });
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  mocked = await runProgram({ configOverrides, adoptionGate: "enforce" });
}, 180000);

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
const dynamic = (r: { type: string }) => r.type.startsWith("pulumi-nodejs:dynamic");
/** A parent URN as `type::name`: the real run's URNs carry the stack type in the chain, the mocks' do not. */
const parentKey = (urn?: string) => (urn ? `${urn.split("::")[2].split("$").pop()}::${urn.split("::")[3]}` : "");

describe("the program under @pulumi/pulumi/cmd/run, as the Pulumi CLI runs it", () => {
  it("must run to the end without an error", () => {
    const errors = real.logs.filter((l) => l.severity === "ERROR");
    expect({ code: real.code, errors, stderr: real.stderr }).toEqual({ code: 0, errors: [], stderr: "" });
  });

  it("must declare exactly the resources it declares under mocks", () => {
    const declared = real.registrations
      .filter((r) => r.type !== "pulumi:pulumi:Stack")
      .map(key)
      .sort();
    expect(declared.length).toBeGreaterThan(20);
    expect(declared).toEqual(mocked.resources.map(key).sort());
  });

  it("must declare the same resource options as under mocks", () => {
    const pick = (r: {
      type: string;
      name: string;
      protect: boolean;
      retainOnDelete: boolean;
      importId?: string;
      ignoreChanges: readonly string[];
      parent?: string;
    }) => [key(r), r.protect, r.retainOnDelete, r.importId ?? "", [...r.ignoreChanges].sort().join(","), parentKey(r.parent)].join(" ");
    expect(
      real.registrations
        .filter((r) => r.type !== "pulumi:pulumi:Stack")
        .map(pick)
        .sort(),
    ).toEqual(mocked.resources.map(pick).sort());
  });

  it("must serialize every dynamic provider (__provider) to the same text as under mocks", () => {
    const providers = (rs: readonly { type: string; name: string; inputs: Record<string, unknown> }[]) =>
      Object.fromEntries(rs.filter(dynamic).map((r) => [key(r), r.inputs.__provider]));
    const fromRun = providers(real.registrations);
    expect(Object.keys(fromRun).length).toBeGreaterThan(5);
    for (const text of Object.values(fromRun)) expect(typeof text === "string" && text.includes("exports.handler")).toBe(true);
    expect(fromRun).toEqual(providers(mocked.resources));
  });

  it("must export the same stack outputs as under mocks", () => {
    expect(real.stackOutputs).toEqual(mocked.outputs);
  });
});

describe("the fast transpile (scripts/register.js) against Pulumi's own TypeScript path", () => {
  it("must serialize the same __provider as `typescript: true` (Pulumi's ts-node, transpile-only)", async () => {
    // What the language host does for `typescript: true` (main.go sets PULUMI_NODEJS_TYPESCRIPT);
    // cmd/run/run.js then registers ts-node with tsconfig.json. Transpile-only, as type checking
    // is not what is compared here.
    const viaTsNode = await runCmdRun({
      configOverrides,
      entry: "index.ts",
      env: { ...uncached, PULUMI_NODEJS_TYPESCRIPT: "true", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
    expect(viaTsNode.code).toBe(0);
    const providers = (rs: readonly { type: string; name: string; inputs: Record<string, unknown> }[]) =>
      Object.fromEntries(rs.filter(dynamic).map((r) => [key(r), r.inputs.__provider]));
    expect(Object.keys(providers(viaTsNode.registrations)).length).toBeGreaterThan(5);
    expect(providers(real.registrations)).toEqual(providers(viaTsNode.registrations));
  }, 180000);
});

describe("the Pulumi CLI version under @pulumi/pulumi/cmd/run", () => {
  it("must ask the engine for a CLI >= 3.252.0 (older engines delete an adopted guest after an import and an update)", () => {
    expect(real.requiredRanges).toEqual([">=3.252.0"]);
  });

  it("must name the same range in Pulumi.yaml (requiredPulumiVersion, which the CLI itself enforces)", () => {
    const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    expect(project.requiredPulumiVersion).toBe(PULUMI_CLI_RANGE);
    expect(real.requiredRanges).toEqual([PULUMI_CLI_RANGE]);
  });

  it("must refuse an older CLI before declaring any resource, naming the range and the fix", async () => {
    const old = await runCmdRun({ configOverrides, env: uncached, cliVersion: "3.251.9" });
    expect(old.code).not.toBe(0);
    const said = JSON.stringify(old.logs) + old.stderr;
    expect(said).toContain("this program needs the Pulumi CLI >=3.252.0");
    expect(said).toContain("Pulumi CLI version 3.251.9 does not satisfy the version range");
    expect(said).toContain("Upgrade the CLI");
    expect(old.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
  }, 180000);
});

describe("the adoption gate under @pulumi/pulumi/cmd/run", () => {
  it("must not let a real run treat an unreconciled stack file as the offline plan does: it refuses before any Proxmox resource", async () => {
    const refused = await runCmdRun();
    expect(refused.code).not.toBe(0);
    expect(JSON.stringify(refused.logs) + refused.stderr).toContain("not yet reconciled with the host");
    expect(refused.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
  }, 180000);
});

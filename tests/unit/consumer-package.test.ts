// examples/consumer is a package of its own that depends on this one through package.json, installed
// by the root's plain `npm ci` (npm workspace) and type-checked by `npm run typecheck`.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";

const CONSUMER = path.join(REPO_ROOT, "examples", "consumer");
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

describe("the consumer package", () => {
  const root = readJson(path.join(REPO_ROOT, "package.json"));
  const pkg = readJson(path.join(CONSUMER, "package.json"));

  it("must be a workspace of the root, so a plain npm ci installs it", () => {
    expect(root.workspaces).toContain("examples/consumer");
  });

  it("must depend on neve-infra through its package.json (file:), not on a relative import", () => {
    expect(pkg.dependencies[root.name]).toBe("file:../..");
    for (const f of fs.readdirSync(CONSUMER).filter((x) => x.endsWith(".ts"))) {
      const imports = [...fs.readFileSync(path.join(CONSUMER, f), "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
      expect(imports.filter((i) => i.startsWith("."))).toEqual([]);
      // Only the published entry, never a path into this repository's sources.
      expect(imports.filter((i) => i.startsWith(`${root.name}/`))).toEqual([`${root.name}/outputs`]);
    }
  });

  it("must get neve-infra's published shape: an exports map to compiled .js and .d.ts, the only files the package ships", () => {
    expect(root.exports["./outputs"]).toEqual({ types: "./dist/consumer/consumer.d.ts", default: "./dist/consumer/consumer.js" });
    expect(root.files).toEqual(["dist/consumer"]);
    expect(root.typesVersions).toEqual({ "*": { outputs: ["dist/consumer/consumer.d.ts"] } }); // the same entry for node10 resolution
    expect(fs.realpathSync(require.resolve(`${root.name}/outputs`, { paths: [CONSUMER] }))).toBe(
      path.join(fs.realpathSync(REPO_ROOT), "dist", "consumer", "consumer.js"),
    );
    expect(() => require.resolve(`${root.name}/stacks/neve/outputs`, { paths: [CONSUMER] })).toThrow(/Cannot resolve module/);
  });

  it("must resolve neve-infra to this repository once installed", () => {
    const resolved = require.resolve(`${root.name}/package.json`, { paths: [CONSUMER] });
    expect(fs.realpathSync(resolved)).toBe(fs.realpathSync(path.join(REPO_ROOT, "package.json")));
  });

  it("must be type-checked by npm run typecheck as its own project", () => {
    expect(root.scripts.typecheck).toContain("tsc --noEmit -p examples/consumer");
    expect(readJson(path.join(CONSUMER, "tsconfig.json")).compilerOptions.strict).toBe(true);
  });

  it("must be in package-lock.json, so npm ci installs exactly it", () => {
    const lock = readJson(path.join(REPO_ROOT, "package-lock.json"));
    expect(lock.packages["examples/consumer"]?.dependencies?.[root.name]).toBe("file:../..");
    expect(lock.packages[`node_modules/${root.name}`]).toEqual({ resolved: "", link: true });
  });
});

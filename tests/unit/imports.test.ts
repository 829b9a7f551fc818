// Layering of the source tree: no import cycles (type-only imports included: a cycle of types is
// still two modules that cannot be understood one without the other), and providers/ never imports stacks/.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";

const ROOTS = ["stacks", "providers", "scripts"];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a file (static `import`/`export ... from`, `import("...")` and `require("...")`), resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]);
  return specs.flatMap((s) => {
    const base = path.resolve(path.dirname(file), s);
    const hit = [`${base}.ts`, path.join(base, "index.ts")].find((c) => fs.existsSync(c));
    return hit ? [hit] : [];
  });
}

const files = ROOTS.flatMap((r) => sources(path.join(REPO_ROOT, r)));
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(REPO_ROOT, f);

describe("module graph", () => {
  it("must have no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "active" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "active");
      stack.push(f);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === "active") cycles.push([...stack.slice(stack.indexOf(g)), g].map(rel).join(" -> "));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("must import nothing outside providers/ from providers/, of any kind, nor the project itself as a package (the serialized-provider cache hashes providers/ only)", () => {
    const providers = files.filter((f) => rel(f).startsWith("providers/"));
    const outside = providers.flatMap((f) => {
      const text = fs.readFileSync(f, "utf8");
      const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
      return specs
        .filter((s) => (s.startsWith(".") ? !rel(path.resolve(path.dirname(f), s)).startsWith("providers/") : /^neve-infra(\/|$)/.test(s)))
        .map((s) => `${rel(f)} -> ${s}`);
    });
    expect(outside).toEqual([]);
  });

  it("must never import stacks/ or scripts/ from providers/ (arrows point down; a provider module is serialized into __provider)", () => {
    const providers = files.filter((f) => rel(f).startsWith("providers/"));
    expect(providers.length).toBeGreaterThan(20);
    const upward = providers.flatMap((f) => (graph.get(f) ?? []).filter((g) => !rel(g).startsWith("providers/")).map((g) => `${rel(f)} -> ${rel(g)}`));
    expect(upward).toEqual([]);
  });

  it("must keep stacks/config free of the layers above it (components, render, neve)", () => {
    const up = files
      .filter((f) => rel(f).startsWith("stacks/config/"))
      .flatMap((f) => (graph.get(f) ?? []).filter((g) => /^stacks\/(components|render|neve)\//.test(rel(g))).map((g) => `${rel(f)} -> ${rel(g)}`));
    expect(up).toEqual([]);
  });

  it("must keep discover (stacks/discover, a second application that reads the host and writes the stack file) out of the Pulumi program: no other module of stacks/ imports it, and none imports scripts/", () => {
    const program = files.filter((f) => rel(f).startsWith("stacks/") && !rel(f).startsWith("stacks/discover/"));
    expect(program.length).toBeGreaterThan(20);
    const into = program.flatMap((f) => (graph.get(f) ?? []).filter((g) => /^(stacks\/discover|scripts)\//.test(rel(g))).map((g) => `${rel(f)} -> ${rel(g)}`));
    expect(into).toEqual([]);
  });
});

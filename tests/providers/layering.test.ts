/**
 * Arrows point down (scripts -> stacks -> providers): nothing under providers/ imports stacks/ or scripts/,
 * and the providers' modules import each other without a cycle (a cycle makes the closure serializer of
 * `__provider` and a reader alike go round in circles).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const PROVIDERS = path.join(ROOT, "providers");

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a module (import/export ... from, require), resolved to files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|require\()\s*["'](\.[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => {
    const base = path.resolve(path.dirname(file), s);
    for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base])
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
    return base;
  });
}

describe("providers/ layering", () => {
  const files = tsFiles(PROVIDERS);

  it("must never import stacks/ or scripts/", () => {
    const upward = files.flatMap((f) =>
      importsOf(f)
        .filter((t) => !t.startsWith(PROVIDERS + path.sep))
        .map((t) => `${path.relative(ROOT, f)} -> ${path.relative(ROOT, t)}`),
    );
    expect(upward).toEqual([]);
  });

  it("must have no import cycle", () => {
    const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith(PROVIDERS + path.sep))]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(ROOT, x)).join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) visit(t, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(files.length).toBeGreaterThan(20);
    expect(cycles).toEqual([]);
  });
});

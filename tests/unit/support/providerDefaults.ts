import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/**
 * Reads the Pulumi SDK's generated declarations of @muhlba91/pulumi-proxmoxve and lists, for one
 * resource's `Args` interface, every input (nested blocks included) whose JSDoc says it has a default
 * ("defaults to `x`", "PVE defaults to", "The default is"). Those are the inputs that become a change
 * at the first `up` of an adopted object when the program does not state them. A provider upgrade that
 * adds a default adds a path here, and the coverage test fails until the component covers it.
 */

/** The SDK's package directory. */
export const SDK_DIR = path.dirname(require.resolve("@muhlba91/pulumi-proxmoxve/package.json"));

/** One input with a documented default. */
export interface DefaultedInput {
  /** Dotted path; list blocks as `name[]` (e.g. `networkDevices[].firewall`). */
  readonly path: string;
  /** The JSDoc text, whitespace collapsed. */
  readonly doc: string;
}

const DEFAULT_RE = /\bdefaults?\b|\bdefault is\b/i;

function interfacesOf(file: string): Map<string, ts.InterfaceDeclaration> {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out = new Map<string, ts.InterfaceDeclaration>();
  const visit = (n: ts.Node, prefix: string) => {
    if (ts.isInterfaceDeclaration(n)) out.set(prefix + n.name.text, n);
    if (ts.isModuleDeclaration(n) && n.body && ts.isModuleBlock(n.body)) {
      for (const s of n.body.statements) visit(s, `${prefix}${n.name.getText()}.`);
      return;
    }
    ts.forEachChild(n, (c) => visit(c, prefix));
  };
  visit(src, "");
  return out;
}

function docOf(m: ts.Node): string {
  const docs = (m as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs
    .map((d) => (typeof d.comment === "string" ? d.comment : (d.comment ?? []).map((c) => c.text).join("")))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Defaulted inputs of `argsInterface` declared in `file` (relative to the SDK), following nested
 * `inputs.<module>.<Type>` blocks in types/input.d.ts.
 */
export function defaultedInputs(file: string, argsInterface: string): DefaultedInput[] {
  const top = interfacesOf(path.join(SDK_DIR, file)).get(argsInterface);
  if (!top) throw new Error(`${file} has no interface ${argsInterface}`);
  const inputs = interfacesOf(path.join(SDK_DIR, "types", "input.d.ts"));
  const out: DefaultedInput[] = [];
  const walk = (iface: ts.InterfaceDeclaration, prefix: string, depth: number) => {
    for (const m of iface.members) {
      if (!ts.isPropertySignature(m) || !m.name) continue;
      const name = m.name.getText().replace(/^"|"$/g, "");
      const doc = docOf(m);
      const p = prefix + name;
      if (DEFAULT_RE.test(doc)) out.push({ path: p, doc });
      const typeText = m.type?.getText() ?? "";
      const ref = /inputs\.([A-Za-z0-9_.]+)(>?\[\])?/.exec(typeText);
      if (ref && depth < 3) {
        const nested = inputs.get(ref[1]);
        if (nested) walk(nested, `${p}${/\[\]/.test(typeText) ? "[]" : ""}.`, depth + 1);
      }
    }
  };
  walk(top, "", 0);
  return out;
}

/** Every optional top-level input of `argsInterface` (for resources whose SDK docs name no defaults). */
export function optionalInputs(file: string, argsInterface: string): string[] {
  const top = interfacesOf(path.join(SDK_DIR, file)).get(argsInterface);
  if (!top) throw new Error(`${file} has no interface ${argsInterface}`);
  return top.members.filter((m) => ts.isPropertySignature(m) && m.questionToken !== undefined).map((m) => (m.name as ts.Identifier).getText());
}

// The README works in every clone: its links resolve inside the repository, it names no issue
// numbers, it has a table of contents, and what it promises about commands and defaults is true.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs as guardArgs } from "../../scripts/guard";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { parseArgs as planArgs } from "../../scripts/plan";
import { stackConfigSchema } from "../../stacks/config/schema";
import { parseArgs as discoverArgs } from "../../stacks/discover/cli";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
/** The argument parser of each npm script the runbook passes arguments to: the command's own, which refuses an unknown flag. */
const PARSERS: Record<string, (argv: string[]) => unknown> = { discover: discoverArgs, guard: guardArgs, plan: planArgs };

/** The README's "Against the real host" section: the runbook. */
function runbookSection(text: string): string {
  const start = text.indexOf("## Against the real host\n");
  return text.slice(start, text.indexOf("\n## ", start + 1));
}

/**
 * Every npm command the runbook names, from its code spans: `npm run S -- ARGS` (also after a pipe) and
 * the short form `discover --flag` the text uses; placeholders such as `<vmid>` get a sample value.
 */
function runbookCommands(section: string): { script: string; args: string[]; span: string }[] {
  const out: { script: string; args: string[]; span: string }[] = [];
  for (const [, span] of section.matchAll(/`([^`\n]+)`/g)) {
    const m = /(?:^|\s)npm run (\S+)(?: -- (.*))?$/.exec(span) ?? /^(discover) (--.*)$/.exec(span);
    if (!m) continue;
    const args = (m[2] ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => a.replace(/<[a-z]+>/g, "1207"));
    out.push({ script: m[1], args, span });
  }
  return out;
}

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("README.md", () => {
  it("must link only to files inside the repository (no ../shared outside a clone)", () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect({ link: l, exists: fs.existsSync(path.join(REPO_ROOT, l)) }).toEqual({ link: l, exists: true });
    expect(readme).not.toContain("../shared");
    expect(fs.existsSync(path.join(REPO_ROOT, "docs", "neve.md"))).toBe(true);
  });

  it("must not refer to issue numbers", () => {
    expect(readme).not.toMatch(/\bissue\s*#?\d+|#\d+\b/i);
  });

  it("must have a table of contents whose anchors name real headings", () => {
    const anchors = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-");
    const headings = [...readme.matchAll(/^##+ (.+)$/gm)].map((m) => slug(m[1]));
    expect(anchors.length).toBeGreaterThanOrEqual(6);
    for (const a of anchors) expect(headings).toContain(a);
  });

  it("must warn that .ci/run installs system packages and give the root-free test command that exists", () => {
    expect(readme).toMatch(/\.ci\/run[^\n]*\n?[^\n]*(installs|apt-get install)/);
    expect(readme).toMatch(/throwaway machine/);
    expect(readme).toContain("npm run test:unit");
    expect(pkg.scripts["test:unit"]).toMatch(/^jest /);
    expect(pkg.scripts["test:unit"]).not.toContain("tests/host");
  });

  it("must state the adopt default once, and as the schema has it", () => {
    const defaultAdopt = stackConfigSchema.shape.adopt.parse(undefined);
    const statements = readme.match(/`neve-infra:adopt` defaults to `(true|false)`/g) ?? [];
    expect(statements).toEqual([`\`neve-infra:adopt\` defaults to \`${defaultAdopt}\``]);
    expect(readme).not.toMatch(/adopt: true` \(the default/);
  });

  it("must say how to change a route, a guest, a clone, a host service and a firewall rule", () => {
    const section = readme.slice(readme.indexOf("## How to change things"), readme.indexOf("## Architecture"));
    for (const what of ["a route", "a guest", "a clone", "a host service", "a firewall rule"]) expect(section).toContain(`| ${what}`);
    expect(section).toContain("stacks/components/host/registry.ts");
  });

  describe("its runbook (Against the real host)", () => {
    const section = runbookSection(readme);
    const commands = runbookCommands(section);

    it("must be a numbered list in which every step says what it proves and what to do when it is refused", () => {
      const steps = section.split(/\n(?=\d+\. \*\*)/).slice(1);
      expect(steps.length).toBeGreaterThanOrEqual(9);
      for (const [i, step] of steps.entries()) {
        expect({ step: step.slice(0, 60), n: step.startsWith(`${i + 1}. `) }).toEqual({ step: step.slice(0, 60), n: true });
        expect({ step: step.slice(0, 60), proves: /\*Proves[:*]/.test(step), refused: /\*Refused[:*]/.test(step) }).toEqual({
          step: step.slice(0, 60),
          proves: true,
          refused: true,
        });
      }
    });

    it("must name only npm scripts that exist, with arguments their own parser accepts", () => {
      // The runbook's core: discover --check and --write, the plan, the guard on a preview and on a state.
      for (const needed of ["discover --check", "discover --write", "plan", "guard -"]) {
        expect(commands.map((c) => [c.script, ...c.args].join(" "))).toEqual(expect.arrayContaining([expect.stringContaining(needed)]));
      }
      for (const c of commands) {
        expect({ span: c.span, script: c.script in pkg.scripts }).toEqual({ span: c.span, script: true });
        if (!c.args.length) continue;
        const parse = PARSERS[c.script];
        expect({ span: c.span, parser: parse !== undefined }).toEqual({ span: c.span, parser: true });
        let refused: string | undefined;
        try {
          parse(c.args);
        } catch (e) {
          refused = (e as Error).message;
        }
        expect({ span: c.span, refused }).toEqual({ span: c.span, refused: undefined });
      }
    });

    it("must fail on a command or a flag that does not exist (the check above can fail)", () => {
      const [bad] = runbookCommands("`npm run discover -- --check --no-such-flag`");
      expect(() => PARSERS[bad.script](bad.args)).toThrow(/unknown argument "--no-such-flag"/);
      const [guard] = runbookCommands("`pulumi stack export | npm run guard -- --stat -`");
      expect(() => PARSERS[guard.script](guard.args)).toThrow(/unknown argument "--stat"/);
      const [missing] = runbookCommands("`npm run preview`");
      expect(missing.script in pkg.scripts).toBe(false);
    });
  });
});

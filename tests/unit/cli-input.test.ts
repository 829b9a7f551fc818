// Bad input at every command ends in exit 2 with the file named and the fix: `npm run plan` and
// `npm run next-ip` as child processes (the command the npm scripts run), one row per kind of input.
// One loader (scripts/lib/stackFile.ts) and one argument/failure path (scripts/lib/cli.ts) serve both.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { MAX_ALIAS_COUNT, REPO_ROOT } from "../../scripts/lib/stackFile";

const run = promisify(execFile);

/** An alias bomb: each level is ten aliases of the one below, so it expands to 10^9 nodes. */
function aliasBomb(): string {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= 8; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\nconfig:\n  neve-infra:adopt: *a8\n`;
}

/** [case, stack file name, how to make it (undefined: leave it absent), what stderr must say after the file name]. */
const BAD_FILES: Array<[string, string, ((p: string) => void) | undefined, string]> = [
  ["a missing --config", "missing.yaml", undefined, ": no such file; name an existing stack file"],
  ["a directory as --config", "adir.yaml", (p) => fs.mkdirSync(p), " is a directory; name the stack file in it"],
  [
    "a tab in the indentation",
    "tab.yaml",
    (p) => fs.writeFileSync(p, "config:\n\tneve-infra:adopt: true\n"),
    " is not valid YAML (fix it, or restore it with git checkout): Tabs are not allowed as indentation at line 2",
  ],
  [
    "a key twice",
    "dup.yaml",
    (p) => fs.writeFileSync(p, "config:\n  neve-infra:adopt: true\n  neve-infra:adopt: false\n"),
    " is not valid YAML (fix it, or restore it with git checkout): Map keys must be unique at line 3",
  ],
  ["an empty document", "empty.yaml", (p) => fs.writeFileSync(p, "# nothing here\n"), " is empty; a stack file is a YAML map with a config: section"],
  ["a document that is not a map", "list.yaml", (p) => fs.writeFileSync(p, "- config\n"), " is not a YAML map; a stack file is a map with a config: section"],
  ["config that is not a map", "scalar.yaml", (p) => fs.writeFileSync(p, "config: 5\n"), ': "config" must be a map of keys to values'],
  [
    "an undefined alias",
    "alias.yaml",
    (p) => fs.writeFileSync(p, "config:\n  neve-infra:adopt: *nope\n"),
    " is not valid YAML (fix it, or restore it with git checkout): Unresolved alias (the anchor must be set before the alias): nope",
  ],
  [
    "an alias bomb",
    "bomb.yaml",
    (p) => fs.writeFileSync(p, aliasBomb()),
    ` is not valid YAML (fix it, or restore it with git checkout): Excessive alias count indicates a resource exhaustion attack (more than ${MAX_ALIAS_COUNT} alias expansions`,
  ],
  ["an invalid config", "invalid.yaml", (p) => fs.writeFileSync(p, "config:\n  neve-infra:adopt: true\n"), ": Invalid stack config (neve-infra:*), "],
];

const COMMANDS = [
  ["plan", "scripts/plan.ts", "usage: npm run plan [-- --config FILE] [--files DIR] [--json]"],
  ["next-ip", "scripts/next-ip.ts", "usage: npm run next-ip [-- --config FILE]"],
] as const;

/** [case, arguments, what stderr must say after `<command>: `]. */
const BAD_ARGS: Array<[string, string[], string]> = [
  ["an unknown flag", ["--bogus"], 'unknown argument "--bogus"; '],
  ["--config without a value", ["--config"], "--config needs a value; "],
  ["--config= with an empty value", ["--config="], "--config needs a value; "],
  ["--config given twice", ["--config", "a.yaml", "--config", "b.yaml"], "--config is given twice; "],
];

describe.each(COMMANDS)("npm run %s on bad input", (name, script, usage) => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), `neve-cli-${name}-`))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The command as its npm script runs it, from `cwd`, so messages show the file as the operator named it. */
  const command = (args: string[], cwd: string) =>
    run(process.execPath, ["--require", path.join(REPO_ROOT, "scripts", "register.js"), path.join(REPO_ROOT, script), ...args], { cwd }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it.each(BAD_FILES)("must exit 2 naming the file for %s", async (_case, file, make, says) => {
    make?.(path.join(dir, file));
    const r = await command(["--config", file], dir);
    expect(r).toEqual({ code: 2, stdout: "", stderr: expect.stringContaining(`${file}${says}`) });
    // The file name leads the message; no errno text, no stack trace.
    expect(r.stderr.startsWith(file)).toBe(true);
    expect(r.stderr).not.toMatch(/\bE[A-Z]{3,}\b|\n\s+at /);
  });

  it.each(BAD_ARGS)(`must exit 2 with the usage for %s`, async (_case, args, says) => {
    const r = await command(args, dir);
    expect(r).toEqual({ code: 2, stdout: "", stderr: `${name}: ${says}${usage}\n` });
  });
});

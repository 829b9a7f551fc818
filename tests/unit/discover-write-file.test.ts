/**
 * `discover --write` and the stack file on disk: a --write killed between its temp write and its
 * rename leaves a temp file that the next run removes; an edit of the stack file made while discover
 * was reading the host is never overwritten (exit 2, the file named, the fix). The kill is real and
 * happens at a fixed point: a child process runs discover's `main` with a hook that SIGKILLs the child
 * right after the temp file is written (no sleep, no race).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { main, removeStaleTemps, tempFileOf } from "../../stacks/discover/cli";

const FIXTURE = path.join(REPO_ROOT, "tests", "fixtures", "pve-neve");
const FIXTURE_STACK = path.join(REPO_ROOT, "tests", "fixtures", "Pulumi.fixture.yaml");

let dir: string;
let stack: string;
const temps = () => fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"));
const run = async (argv: string[], afterTempWrite?: (tmp: string) => void) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), now: () => "2026-01-01T00:00:00.000Z", afterTempWrite });
  return { code, out: out.join(""), err: err.join("") };
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-write-file-"));
  stack = path.join(dir, "Pulumi.neve.yaml");
  fs.copyFileSync(FIXTURE_STACK, stack);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a --write killed between its temp write and its rename", () => {
  it("must leave the stack file as it was, and the next run must remove the temp it left", async () => {
    const before = fs.readFileSync(stack, "utf8");
    const code = `require(${JSON.stringify(path.join(REPO_ROOT, "stacks/discover/cli.ts"))}).main(${JSON.stringify(["--root", FIXTURE, "--config", stack, "--write"])}, {
      out: () => {}, err: (t) => process.stderr.write(t), now: () => "2026-01-01T00:00:00.000Z",
      afterTempWrite: (tmp) => { process.stdout.write("TEMP " + tmp + "\\n"); process.kill(process.pid, "SIGKILL"); },
    })`;
    const child = spawnSync(process.execPath, ["--require", path.join(REPO_ROOT, "scripts/register.js"), "-e", code], { encoding: "utf8", cwd: REPO_ROOT });
    expect(child.signal).toBe("SIGKILL");
    expect(child.stdout).toBe(`TEMP ${tempFileOf(stack, child.pid)}\n`);
    // The fault happened where it should: the stale temp holds the new text, the stack file the old.
    expect(temps()).toEqual([path.basename(tempFileOf(stack, child.pid))]);
    expect(fs.readFileSync(stack, "utf8")).toBe(before);
    expect(fs.readFileSync(tempFileOf(stack, child.pid), "utf8")).not.toBe(before);

    const next = await run(["--root", FIXTURE, "--config", stack, "--check"]);
    expect(next.err).toContain(
      `discover: removed ${path.relative(process.cwd(), tempFileOf(stack, child.pid))}, left by a --write that was stopped before its rename\n`,
    );
    expect(temps()).toEqual([]);
    const write = await run(["--root", FIXTURE, "--config", stack, "--write"]);
    expect(write.code).toBe(0);
    expect(fs.readFileSync(stack, "utf8")).not.toBe(before);
    expect(temps()).toEqual([]);
  });

  it("must leave alone the temp of a --write that is still running, and remove one whose process is gone", () => {
    fs.writeFileSync(tempFileOf(stack, 111111), "running");
    fs.writeFileSync(tempFileOf(stack, 222222), "stale");
    fs.writeFileSync(path.join(dir, "Pulumi.other.yaml.discover-333333.tmp"), "another stack file's");
    fs.writeFileSync(path.join(dir, `${path.basename(stack)}.discover-x1.tmp`), "not a pid");
    expect(removeStaleTemps(stack, (pid) => pid === 111111)).toEqual([tempFileOf(stack, 222222)]);
    expect(temps().sort()).toEqual(["Pulumi.neve.yaml.discover-111111.tmp", "Pulumi.neve.yaml.discover-x1.tmp", "Pulumi.other.yaml.discover-333333.tmp"]);
  });
});

describe("an edit of the stack file while discover reads the host", () => {
  it("must refuse to write (exit 2), naming the file and the fix, keep the edit and leave no temp", async () => {
    const edited = `${fs.readFileSync(stack, "utf8")}# an edit made meanwhile\n`;
    const r = await run(["--root", FIXTURE, "--config", stack, "--write"], () => fs.writeFileSync(stack, edited));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(
        `^discover: ${path.relative(process.cwd(), stack).replace(/[.]/g, "\\.")} changed while discover was reading the host \\(sha256 [0-9a-f]{12} when read, [0-9a-f]{12} now\\), so it was not written and the change made meanwhile is kept\\. Run discover --write again: it starts from the file as it is now\\n$`,
      ),
    );
    expect(fs.readFileSync(stack, "utf8")).toBe(edited);
    expect(temps()).toEqual([]);
    // Run again, as the message says: it writes.
    expect((await run(["--root", FIXTURE, "--config", stack, "--write"])).code).toBe(0);
    expect(fs.readFileSync(stack, "utf8")).toContain("# an edit made meanwhile\n");
  });

  it("must refuse when the stack file was removed meanwhile, and write nothing", async () => {
    const r = await run(["--root", FIXTURE, "--config", stack, "--write"], () => fs.rmSync(stack));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/changed while discover was reading the host \(sha256 [0-9a-f]{12} when read, unreadable \(ENOENT\) now\)/);
    expect(fs.existsSync(stack)).toBe(false);
    expect(temps()).toEqual([]);
  });
});

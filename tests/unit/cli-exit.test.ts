// exitWhenFlushed (scripts/lib/cli.ts): a command's whole output reaches a reader slower than the command. With
// `process.exit` a pipe got what its buffer held when the command ended (`npm run plan -- --json | consumer` stopped
// at 64 KiB).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";

/** Writes `size` bytes to stdout, says so on stderr, then ends through exitWhenFlushed or process.exit. */
const WRITER = `
const { exitWhenFlushed } = require("./scripts/lib/cli");
const size = Number(process.argv[1]);
process.stdout.write("x".repeat(size));
process.stderr.write("written\\n");
if (process.argv[2] === "flushed") exitWhenFlushed(3); else process.exit(3);
`;

/** Run the writer with its stdout unread until it said it has written everything; then read all of it. */
function runSlowReader(size: number, how: "flushed" | "exit"): Promise<{ bytes: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", "./scripts/register.js", "-e", WRITER, String(size), how], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pause();
    let bytes = 0;
    let code: number | null = null;
    let closed = 0;
    const done = () => {
      if (++closed === 2) resolve({ bytes, code });
    };
    child.stdout.on("data", (d: Buffer) => {
      bytes += d.length;
    });
    child.stdout.on("end", done);
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      // The writer has written all it will and is ending now: only from here on is its output read.
      if (err.includes("written\n")) child.stdout.resume();
    });
    child.on("error", reject);
    child.on("exit", (c) => {
      code = c;
      done();
    });
  });
}

describe("exitWhenFlushed", () => {
  const SIZE = 4 * 1024 * 1024;

  it("must hand every byte to a reader that only starts reading once the command is ending, and keep the exit code", async () => {
    expect(await runSlowReader(SIZE, "flushed")).toEqual({ bytes: SIZE, code: 3 });
  }, 60000);

  it("must be needed: process.exit drops what the pipe had not taken yet (the control)", async () => {
    const r = await runSlowReader(SIZE, "exit");
    expect(r.code).toBe(3);
    expect(r.bytes).toBeLessThan(SIZE);
  }, 60000);
});

describe("the commands", () => {
  it("must end through exitWhenFlushed or process.exitCode, never process.exit", () => {
    const dir = path.join(REPO_ROOT, "scripts");
    const entries = fs.readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(entries).toEqual(expect.arrayContaining(["plan.ts", "discover.ts", "next-ip.ts", "guard.ts"]));
    for (const f of entries) expect({ f, exits: /process\.exit\(/.test(fs.readFileSync(path.join(dir, f), "utf8")) }).toEqual({ f, exits: false });
  });
});

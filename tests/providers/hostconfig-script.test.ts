/**
 * The generated scripts run by the real /bin/sh of this machine against files in a temp dir (no SSH): the
 * shell-level guarantees hold before any host test runs.
 */
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  BOOTSTRAP_COMMAND,
  buildApplyScript,
  buildReadScript,
  ApplyPlan,
  parseReport,
  stagedPath,
  substitutePlaceholders,
} from "../../providers/hostconfig/script";

function runScript(script: string): { code: number; stdout: string; stderr: string } {
  // BOOTSTRAP_COMMAND is what sshd hands to the user's shell: run it the same way, script on stdin.
  const r = spawnSync("/bin/sh", ["-c", BOOTSTRAP_COMMAND], { input: script, encoding: "utf8" });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe("HostConfig scripts under the real /bin/sh", () => {
  let dir: string;
  let n = 0;
  const plan = (over: Partial<ApplyPlan> = {}): ApplyPlan => ({
    service: "svc",
    stashDir: path.join(dir, "stash"),
    stashKeep: 3,
    files: [{ path: path.join(dir, "etc", "a b's $(x).conf"), content: "new\n", mode: "0640", owner: "root", group: "root", secret: false }],
    validate: [],
    activate: `echo activated >> ${path.join(dir, "log")}`,
    healthCheck: null,
    accessCritical: null,
    withhold: [],
    token: (++n).toString(16).padStart(8, "0"),
    stamp: `20260101T0000000${String(n).padStart(2, "0")}Z`,
    ...over,
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-script-"));
    fs.mkdirSync(path.join(dir, "etc"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = () => path.join(dir, "etc", "a b's $(x).conf");
  const log = () => (fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : "");
  const leftovers = () => fs.readdirSync(path.join(dir, "etc")).filter((f) => f.startsWith(".neve-"));

  it("must write, stash the adopted original, activate once and report hash and mode", () => {
    fs.writeFileSync(target(), "old\n");
    const r = runScript(buildApplyScript(plan()));
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(fs.readFileSync(target(), "utf8")).toBe("new\n");
    expect((fs.statSync(target()).mode & 0o7777).toString(8)).toBe("640");
    expect(log()).toBe("activated\n");
    expect(fs.readFileSync(path.join(dir, "stash", "svc", "original", "files", target()), "utf8")).toBe("old\n");
    const rep = parseReport(r.stdout);
    expect(rep.changed).toBe(true);
    expect(rep.files.get(0)).toMatchObject({ mode: "0640", owner: "root", group: "root", sha256: createHash("sha256").update("new\n").digest("hex") });
    expect(leftovers()).toEqual([]);
    // Second run: unchanged, no activation.
    const again = runScript(buildApplyScript(plan()));
    expect(parseReport(again.stdout).unchanged).toBe(true);
    expect(log()).toBe("activated\n");
  });

  it("must run nothing when the script arrives truncated (connection cut during upload)", () => {
    fs.writeFileSync(target(), "old\n");
    const script = buildApplyScript(plan({ files: [{ ...plan().files[0], content: "x".repeat(20000) }] }));
    for (const cut of [10, Math.floor(script.length / 2), script.length - 30]) {
      const r = runScript(script.slice(0, cut));
      expect(r.code).toBe(97);
      expect(r.stderr).toMatch(/incomplete script received/);
    }
    expect(fs.readFileSync(target(), "utf8")).toBe("old\n");
    expect(leftovers()).toEqual([]);
    expect(fs.existsSync(path.join(dir, "stash"))).toBe(false);
  });

  it("must move nothing when a validator fails, and carry its output", () => {
    fs.writeFileSync(target(), "old\n");
    const r = runScript(buildApplyScript(plan({ validate: ["grep -q valid {staged} || { echo 'line 1: not valid' >&2; exit 2; }"] })));
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/validation failed, nothing was changed: `grep -q valid \{staged\} \|\| .*` exited with 2:\nline 1: not valid/);
    expect(fs.readFileSync(target(), "utf8")).toBe("old\n");
    expect(log()).toBe("");
    expect(leftovers()).toEqual([]);
  });

  it("must restore the previous file and activate again when activation fails", () => {
    fs.writeFileSync(target(), "old\n");
    const act = `echo try >> ${path.join(dir, "log")}; grep -q old '${target().replace(/'/g, "'\\''")}'`;
    const r = runScript(buildApplyScript(plan({ activate: act })));
    expect(r.code).toBe(15);
    const rep = parseReport(r.stdout);
    expect(rep.rollback).toBe("ok");
    expect(rep.failed).toEqual({ what: "activate", code: 1 });
    expect(fs.readFileSync(target(), "utf8")).toBe("old\n");
    expect(log()).toBe("try\ntry\n");
  });

  it("must remove a file that did not exist before when rolling back", () => {
    const r = runScript(buildApplyScript(plan({ healthCheck: "exit 5" })));
    expect(r.code).toBe(16);
    expect(fs.existsSync(target())).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("must keep only the last N stashes and never the original", () => {
    for (let i = 0; i < 6; i++) {
      const p = plan();
      expect(runScript(buildApplyScript({ ...p, files: [{ ...p.files[0], content: `v${i}\n` }] })).code).toBe(0);
    }
    const names = fs.readdirSync(path.join(dir, "stash", "svc")).sort();
    expect(names.filter((x) => x !== "original")).toHaveLength(3);
    expect(names).toContain("original");
  });

  it("must report missing files in the read script", () => {
    fs.writeFileSync(target(), "x");
    const r = runScript(buildReadScript([target(), path.join(dir, "etc", "nope")]));
    const rep = parseReport(r.stdout);
    expect(rep.files.get(0)).toMatchObject({ sha256: "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" });
    expect(rep.files.get(1)).toBe("missing");
  });

  it("must substitute placeholders with quoted staged paths", () => {
    const files = [{ path: "/etc/a b" }, { path: "/etc/c" }];
    expect(substitutePlaceholders("check {staged:/etc/a b} {staged:/etc/c}", files, "0000abcd")).toBe(
      `check '${stagedPath("/etc/a b", "0000abcd")}' '/etc/.neve-stage-0000abcd-c'`,
    );
    expect(() => substitutePlaceholders("x {staged}", files, "0000abcd")).toThrow(/exactly one file/);
  });
});

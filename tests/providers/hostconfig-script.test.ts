/**
 * The generated scripts run by the real /bin/sh of this machine against files in a temp dir (no SSH): the
 * shell-level guarantees hold before any host test runs.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeFailure } from "../../providers/hostconfig/failure";
import {
  type ApplyPlan,
  BOOTSTRAP_COMMAND,
  bootstrapInput,
  buildApplyScript,
  buildDeleteScript,
  buildReadScript,
  describeSelfRestore,
  parseReport,
  pathJournalFile,
  pathLockFile,
  plainCommandWords,
  RELAYED_ACK,
  stagedPath,
  substitutePlaceholders,
} from "../../providers/hostconfig/script";

/** Wait until `cond` holds (an event: a file appears, a process waits on a lock), at most `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** True while some flock(1) process waits on (or holds) `lock` on its descriptor 3. */
function flockOn(lock: string): boolean {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "flock" && fs.readlinkSync(`/proc/${pid}/fd/3`) === lock) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/**
 * BOOTSTRAP_COMMAND is what sshd hands to the user's shell: run it the same way, script on stdin, followed by the
 * acknowledgement a push's client sends once it has read the end of the report (`ack: false`: none, stdin ends).
 */
function runScript(script: string, ack = true, env?: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  return runInput(bootstrapInput(script) + (ack ? RELAYED_ACK : ""), env);
}
/** The bootstrap with exactly `input` on stdin. */
function runInput(input: string, env?: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("/bin/sh", ["-c", BOOTSTRAP_COMMAND], { input, encoding: "utf8", env });
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

  it("must refuse (exit 20, guard only) a live file that is not absent, equal, acknowledged or a verified push's, with the path quoted safely", () => {
    fs.writeFileSync(target(), "old\n");
    const refused = runScript(buildApplyScript(plan({ guard: true })));
    expect(refused.code).toBe(20);
    expect(refused.stderr).toContain(`${target()} on the host is a live file whose content (sha256:${createHash("sha256").update("old\n").digest("hex")})`);
    expect(fs.readFileSync(target(), "utf8")).toBe("old\n");
    expect(leftovers()).toEqual([]);
    expect(fs.existsSync(path.join(dir, "stash", "svc"))).toBe(false);
    // The update (no guard) replaces it; the same create with the hash acknowledged does too.
    const ack = `sha256:${createHash("sha256").update("old\n").digest("hex")}`;
    expect(runScript(buildApplyScript(plan({ guard: true, files: [{ ...plan().files[0], acceptLive: [ack] }] }))).code).toBe(0);
    expect(fs.readFileSync(target(), "utf8")).toBe("new\n");
    // Now a verified push wrote it: a create with another content goes through without any acknowledgement.
    expect(runScript(buildApplyScript(plan({ guard: true, files: [{ ...plan().files[0], content: "newer\n" }] }))).code).toBe(0);
    fs.writeFileSync(target(), "hand edit\n");
    expect(runScript(buildApplyScript(plan({ guard: true }))).code).toBe(20);
    expect(runScript(buildApplyScript(plan())).code).toBe(0);
  });

  it("must find a create unchanged by the guard's hash of the live file when content, mode, owner and group are already right, and changed when the mode is not", () => {
    fs.writeFileSync(target(), "new\n", { mode: 0o640 });
    fs.chmodSync(target(), 0o640);
    const same = runScript(buildApplyScript(plan({ guard: true })));
    expect(same.code).toBe(0);
    expect(parseReport(same.stdout).unchanged).toBe(true);
    expect(log()).toBe("");
    fs.chmodSync(target(), 0o644);
    const mode = runScript(buildApplyScript(plan({ guard: true })));
    expect(parseReport(mode.stdout).changed).toBe(true);
    expect((fs.statSync(target()).mode & 0o7777).toString(8)).toBe("640");
    expect(log()).toBe("activated\n");
  });

  it("must run nothing when the script arrives truncated (connection cut during upload)", () => {
    fs.writeFileSync(target(), "old\n");
    const script = buildApplyScript(plan({ files: [{ ...plan().files[0], content: "x".repeat(20000) }] }));
    const input = bootstrapInput(script);
    for (const cut of [0, 3, 10, Math.floor(input.length / 2), input.length - 30]) {
      const r = runInput(input.slice(0, cut));
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
    // The original is kept by the push that gets past its validators (with the stash's own mkdir), and it is the same file.
    const original = path.join(dir, "stash", "svc", "original", "files", target());
    expect(fs.existsSync(original)).toBe(false);
    expect(runScript(buildApplyScript(plan())).code).toBe(0);
    expect(fs.readFileSync(original, "utf8")).toBe("old\n");
  });

  it("must run a command of plain words as timeout's own program (no second shell) with the same words, exit code and output as under sh -c", () => {
    // What counts as plain: words the script's shell takes exactly as `sh -c` would (no expansion, no operator).
    expect(plainCommandWords("systemctl reload haproxy")).toBe("systemctl reload haproxy");
    expect(plainCommandWords("dnsmasq --test --conf-file='/etc/dnsmasq.d/.neve-stage-1-a b.conf'")).toBe(
      "dnsmasq --test --conf-file='/etc/dnsmasq.d/.neve-stage-1-a b.conf'",
    );
    expect(plainCommandWords("  haproxy  -c -f '/x' ")).toBe("haproxy -c -f '/x'");
    for (const shellOnly of [
      "a; b",
      "a && b",
      "a | b",
      "a > f",
      "echo $HOME",
      "echo `id`",
      "ls *.conf",
      "cat ~/x",
      "X=1 env",
      "exit 3",
      "cd /",
      "if true",
      "grep -q x f # c",
      "grep 'it'\\''s' f",
      "'/usr/bin/true'",
      "a\nb",
      // sh keeps these in a word (only space, tab and newline split): a CRLF stack file's activation keeps its shell.
      "haproxy -c -f X \r",
      "true\u00a0",
      "",
    ]) {
      expect([shellOnly, plainCommandWords(shellOnly)]).toEqual([shellOnly, null]);
    }
    // In the script: the plain activation and validator run under timeout directly, the others in their own shell.
    const plainPath = path.join(dir, "etc", "plain.conf");
    const file = (content: string) => [{ path: plainPath, content, mode: "0644", owner: "root", group: "root", secret: false }];
    const act = `touch ${path.join(dir, "activated")}`;
    const script = buildApplyScript(plan({ files: file("new\n"), activate: act, validate: ["grep -q new {staged}", "grep -q new {staged} && true"] }));
    expect(script).toContain(`timeout -k 5 60 touch ${path.join(dir, "activated")} </dev/null`);
    expect(script).toContain(`timeout -k 5 60 grep -q new '${path.join(dir, "etc", ".neve-stage-")}`);
    expect(script).toContain("timeout -k 5 60 sh -c 'grep -q new '\\''");
    fs.writeFileSync(plainPath, "old\n");
    expect(runScript(script)).toMatchObject({ code: 0, stderr: "" });
    expect(fs.existsSync(path.join(dir, "activated"))).toBe(true);
    // A failing plain validator: its exit code and its output, as under sh -c; a missing program exits 127.
    const failed = runScript(buildApplyScript(plan({ files: file("newer\n"), validate: ["grep -c nomatch {staged}"] })));
    expect(failed.code).toBe(12);
    expect(failed.stderr).toMatch(/`grep -c nomatch \{staged\}` exited with 1:\n0\n/);
    const missing = runScript(buildApplyScript(plan({ files: file("newer\n"), validate: ["neve-no-such-program {staged}"] })));
    expect(missing.code).toBe(12);
    expect(missing.stderr).toContain("`neve-no-such-program {staged}` exited with 127:");
    expect(fs.readFileSync(plainPath, "utf8")).toBe("new\n");
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

  it("must show both activation attempts, each under its own heading, when activation fails again after the rollback", () => {
    fs.writeFileSync(target(), "old\n");
    const act = `if grep -q new '${target().replace(/'/g, "'\\''")}'; then echo 'first: new config refused'; else echo 'second: old config refused too'; fi; exit 3`;
    const r = runScript(buildApplyScript(plan({ activate: act })));
    expect(r.code).toBe(15);
    const rep = parseReport(r.stdout);
    expect(rep).toMatchObject({ rollback: "reactivate-failed", reactivateCode: 3, failed: { what: "activate", code: 3 } });
    const message = describeFailure({ activate: "act", healthCheck: null }, r.code, r.stderr, rep);
    expect(message).toMatch(
      /^activation `act` failed \(exit 3\)\.\nRolled back the files from \S+, but activation failed again \(exit 3\): the service needs attention\.\n--- activation after the change \(exit 3\):\nfirst: new config refused\n--- activation after restoring the previous files \(exit 3\):\nsecond: old config refused too$/,
    );
  });

  it("must keep the output of validators, activation and health check on the host when the files include a secret", () => {
    const secret = "TUNNEL-SECRET-0123456789abcdef";
    const creds = path.join(dir, "etc", "creds.json");
    const files = [{ path: creds, content: JSON.stringify({ TunnelSecret: secret }), mode: "0600", owner: "root", group: "root", secret: true }];
    const leaks = [
      // pretty-printed, in part, base64-encoded
      `python3 -m json.tool {staged}; exit 1`,
      `cut -c 20-30 {staged}; exit 1`,
      `base64 {staged} >&2; exit 1`,
    ];
    for (const v of leaks) {
      const r = runScript(buildApplyScript(plan({ files, validate: [v], withhold: [creds] })));
      expect(r.code).toBe(12);
      expect(r.stderr).toContain(`exited with 1:\noutput withheld: the command can read ${creds}, a secret file`);
      for (const piece of [
        secret,
        secret.slice(8, 20),
        Buffer.from(JSON.stringify({ TunnelSecret: secret }))
          .toString("base64")
          .slice(0, 24),
      ]) {
        expect(r.stdout + r.stderr).not.toContain(piece);
      }
    }
    const h = runScript(
      buildApplyScript(plan({ files, validate: [], activate: `cat '${creds}'`, healthCheck: `base64 '${creds}'; exit 7`, withhold: [creds] })),
    );
    expect(h.code).toBe(16);
    expect(parseReport(h.stdout).failed).toEqual({ what: "health", code: 7 });
    expect(h.stderr).toContain("output withheld: the command can read");
    expect(h.stdout + h.stderr).not.toContain(secret);
    expect(h.stdout + h.stderr).not.toContain(
      Buffer.from(JSON.stringify({ TunnelSecret: secret }))
        .toString("base64")
        .slice(0, 24),
    );
  });

  it("must remove, with onDelete remove or restore, the directories the first push created (only where empty)", () => {
    const deep = path.join(dir, "etc", "new", "sub", "x.conf");
    const other = path.join(dir, "etc", "new", "y.conf");
    const files = [deep, other].map((p) => ({ ...plan().files[0], path: p }));
    expect(runScript(buildApplyScript(plan({ files }))).code).toBe(0);
    expect(fs.existsSync(deep)).toBe(true);
    for (const mode of ["remove", "restore"] as const) {
      const p = plan();
      expect(runScript(buildApplyScript(plan({ files }))).code).toBe(0);
      const del = runScript(
        buildDeleteScript({ mode, service: "svc", stashDir: p.stashDir, paths: [deep, other], activate: null, withhold: [], token: p.token, stamp: p.stamp }),
      );
      expect(del).toMatchObject({ code: 0, stderr: "" });
      expect(fs.existsSync(path.join(dir, "etc", "new"))).toBe(false);
      expect(fs.existsSync(path.join(dir, "etc"))).toBe(true);
    }
    // A directory that holds something else stays.
    expect(runScript(buildApplyScript(plan({ files }))).code).toBe(0);
    fs.writeFileSync(path.join(dir, "etc", "new", "sub", "mine"), "operator's\n");
    const p = plan();
    expect(
      runScript(
        buildDeleteScript({
          mode: "remove",
          service: "svc",
          stashDir: p.stashDir,
          paths: [deep, other],
          activate: null,
          withhold: [],
          token: p.token,
          stamp: p.stamp,
        }),
      ).code,
    ).toBe(0);
    expect(fs.existsSync(deep)).toBe(false);
    expect(fs.readFileSync(path.join(dir, "etc", "new", "sub", "mine"), "utf8")).toBe("operator's\n");
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

  it("must report every file of several with one sha256sum and one stat, whatever their names (quote, backslash, newline)", () => {
    const names = ["a b's $(x)", "back\\slash", "new\nline", "nope", "sub"];
    const paths = names.map((n) => path.join(dir, "etc", n));
    const contents = ["one\n", "two", "three\n"];
    contents.forEach((c, i) => {
      fs.writeFileSync(paths[i], c, { mode: 0o640 });
    });
    fs.mkdirSync(paths[4]);
    const rep = parseReport(runScript(buildReadScript(paths)).stdout);
    contents.forEach((c, i) => {
      expect(rep.files.get(i)).toEqual({ sha256: createHash("sha256").update(c).digest("hex"), mode: "0640", owner: "root", group: "root" });
    });
    expect(rep.files.get(3)).toBe("missing");
    expect(rep.files.get(4)).toBe("notfile");
  });

  it("must stage a content the shell cannot hold in a word (a NUL byte) byte for byte, and the others alike", () => {
    const other = path.join(dir, "etc", "plain's");
    const files = [
      { path: target(), content: "a\0b\n", mode: "0600", owner: "root", group: "root", secret: false },
      { path: other, content: "it's $(not) `run`\\n\n", mode: "0644", owner: "root", group: "root", secret: false },
    ];
    const r = runScript(buildApplyScript(plan({ files })));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(target())).toEqual(Buffer.from("a\0b\n"));
    expect(fs.readFileSync(other, "utf8")).toBe("it's $(not) `run`\\n\n");
    expect(fs.statSync(target()).mode & 0o7777).toBe(0o600);
    expect(fs.statSync(other).mode & 0o7777).toBe(0o644);
  });

  it("must give every staged copy its final mode, owner and group, never more readable on the way, with chown and chmod only where needed", () => {
    // A setgid directory of another group: what the shell creates there has that group, so chown must run.
    const g = path.join(dir, "etc", "g");
    fs.mkdirSync(g);
    fs.chownSync(g, 0, 65534);
    fs.chmodSync(g, 0o2755);
    const f = (name: string, mode: string, secret = false) => ({
      path: path.join(dir, "etc", name),
      content: `${name}\n`,
      mode,
      owner: "root",
      group: "root",
      secret,
    });
    const files = [
      f("plain.conf", "0644"),
      f("secret.json", "0600", true),
      f("g/app.conf", "0640"),
      f("run.sh", "0755"),
      f("su", "4755"),
      f("g/pub.conf", "0644"),
    ];
    // Wrappers in front of the real programs: each records the state of every staged copy when it starts (the
    // moments between creation and the swap), and which program ran on which staged copy.
    const bin = path.join(dir, "bin");
    const rec = path.join(dir, "rec");
    fs.mkdirSync(bin);
    for (const prog of ["stat", "chown", "chmod", "cmp", "mv"]) {
      const real = spawnSync("sh", ["-c", `command -v ${prog}`], { encoding: "utf8" }).stdout.trim();
      fs.writeFileSync(
        path.join(bin, prog),
        `#!/bin/sh\necho "run ${prog} $*" >> '${rec}'\nfor s in '${dir}'/etc/.neve-stage-* '${g}'/.neve-stage-*; do [ -e "$s" ] && ${spawnSync("sh", ["-c", "command -v stat"], { encoding: "utf8" }).stdout.trim()} -c 'seen %a %G %n' -- "$s" >> '${rec}'; done\nexec ${real} "$@"\n`,
        { mode: 0o755 },
      );
    }
    const r = runScript(buildApplyScript(plan({ files, activate: null })), true, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    for (const x of files) {
      const st = fs.statSync(x.path);
      expect([x.path, (st.mode & 0o7777).toString(8).padStart(4, "0"), st.uid, st.gid]).toEqual([x.path, x.mode, 0, 0]);
      expect(fs.readFileSync(x.path, "utf8")).toBe(x.content);
    }
    const lines = fs.readFileSync(rec, "utf8").trim().split("\n");
    const seen = lines.filter((l) => l.startsWith("seen "));
    expect(seen.length).toBeGreaterThan(0);
    for (const l of seen) {
      const [, mode, group, name] = /^seen (\d+) (\S+) (.*)$/.exec(l) ?? [];
      const x = files.find((y) => path.basename(y.path) === name.replace(/^.*\.neve-stage-[0-9a-f]{8}-/, ""));
      if (!x) throw new Error(`unknown staged copy ${name}`);
      const m = parseInt(mode, 8);
      const fm = parseInt(x.mode, 8);
      // Others never get more than the final file gives others; the group only what the final file gives it, when it
      // is the final group, else what it gives others.
      expect([name, m & 7 & ~(fm & 7)]).toEqual([name, 0]);
      expect([name, (m >> 3) & 7 & ~(group === x.group ? (fm >> 3) & 7 : fm & 7)]).toEqual([name, 0]);
      if (x.secret) expect([name, m & 0o077]).toEqual([name, 0]);
    }
    const ran = (prog: string, name: string) => lines.some((l) => l.startsWith(`run ${prog} `) && l.includes(`-${name}`));
    // Created as they must be (root:root in a plain directory, no execute or special bit): neither chown nor chmod.
    for (const name of ["plain.conf", "secret.json"]) expect([name, ran("chown", name), ran("chmod", name)]).toEqual([name, false, false]);
    // The setgid directory's group: chown (and chmod after it); execute and special bits, 0640: chmod.
    for (const name of ["app.conf", "pub.conf"]) expect([name, ran("chown", name), ran("chmod", name)]).toEqual([name, true, true]);
    for (const name of ["run.sh", "su"]) expect([name, ran("chown", name), ran("chmod", name)]).toEqual([name, false, true]);
    // The scripts' own umask is back for everything after the staging: the stash is the push user's alone.
    const svc = path.join(dir, "stash", "svc");
    for (const d of fs.readdirSync(svc)) expect([d, (fs.statSync(path.join(svc, d)).mode & 0o777).toString(8)]).toEqual([d, "700"]);
  });

  it("must substitute placeholders with quoted staged paths", () => {
    const files = [{ path: "/etc/a b" }, { path: "/etc/c" }];
    expect(substitutePlaceholders("check {staged:/etc/a b} {staged:/etc/c}", files, "0000abcd")).toBe(
      `check '${stagedPath("/etc/a b", "0000abcd")}' '/etc/.neve-stage-0000abcd-c'`,
    );
    expect(() => substitutePlaceholders("x {staged}", files, "0000abcd")).toThrow(/exactly one file/);
  });
  it("must re-run activation and health check for a path whose last push never ended (journal), even with identical content", () => {
    fs.writeFileSync(target(), "old\n");
    // The health check kills the push's detached part (its session's leader group; the check itself runs in the group of
    // its `timeout`), as a host crash would: the new file is live, unverified.
    const killer = `echo hc >> ${path.join(dir, "log")}; [ -e ${path.join(dir, "crashed")} ] && exit 0; : > ${path.join(dir, "crashed")}; kill -9 -$(ps -o sid= -p $$ | tr -d ' ')`;
    const first = runScript(buildApplyScript(plan({ healthCheck: killer })));
    expect(first.code).toBe(137);
    expect(fs.readFileSync(target(), "utf8")).toBe("new\n");
    const journal = pathJournalFile(path.join(dir, "stash"), target());
    expect(fs.readFileSync(journal, "utf8")).toMatch(/\/stash\/svc\/\d{8}T\d{9}Z-[0-9a-f]{8}\n$/);
    // A read reports the path as pending.
    const read = parseReport(runScript(buildReadScript([target()], path.join(dir, "stash"))).stdout);
    expect(read.pending).toEqual([0]);
    // The same push again is not "unchanged": activation and health check run, then the journal is gone.
    const again = runScript(buildApplyScript(plan({ healthCheck: killer })));
    expect(again).toMatchObject({ code: 0, stderr: "" });
    const rep = parseReport(again.stdout);
    expect(rep).toMatchObject({ changed: true, unchanged: false, reverify: [0] });
    expect(log()).toBe("activated\nhc\nactivated\nhc\n");
    expect(fs.existsSync(journal)).toBe(false);
    // Its stash holds the file from before the unfinished push, not the unverified one.
    expect(fs.readFileSync(path.join(rep.stash!, "files", target()), "utf8")).toBe("old\n");
  });

  it("must keep the run's record when the client did not acknowledge the end of the report, and remove it when it did", () => {
    fs.writeFileSync(target(), "old\n");
    const runs = path.join(dir, "stash", "svc", ".runs");
    // Stdin ends without the acknowledgement (a half-open connection: the report's end never reached the client).
    const first = runScript(buildApplyScript(plan()), false);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^@@neve relayed [0-9a-f]{8}$/m);
    expect(fs.readdirSync(runs)).toHaveLength(1);
    // A refresh and the next push say how that run ended; the push, acknowledged, leaves no record behind.
    const lost = /^@@neve lost-run \d{8}T\d{9}Z-[0-9a-f]{8} 0 @@neve changed $/m;
    expect(runScript(buildReadScript([target()], path.join(dir, "stash"), "svc")).stdout).toMatch(lost);
    expect(runScript(buildApplyScript(plan())).stdout).toMatch(lost);
    expect(fs.readdirSync(runs)).toEqual([]);
    // A push that changes the file, acknowledged, removes its own record.
    expect(runScript(buildApplyScript(plan({ files: [{ ...plan().files[0], content: "newer\n" }] }))).code).toBe(0);
    expect(fs.existsSync(runs)).toBe(false);
  });

  it("must keep what a push reported of earlier runs until that push's own report reached the client", () => {
    fs.writeFileSync(target(), "old\n");
    const runs = path.join(dir, "stash", "svc", ".runs");
    const changeTo = (content: string) => buildApplyScript(plan({ files: [{ ...plan().files[0], content }] }));
    const lostNames = (out: string) => [...out.matchAll(/^@@neve lost-run (\S+) /gm)].map((m) => m[1]);
    // A first run whose end the client never saw.
    expect(runScript(changeTo("one\n"), false).code).toBe(0);
    const [firstRun] = fs.readdirSync(runs);
    // The next push reports it, but its own end does not reach the client either: the news of the first run must not
    // be lost with it, so both runs are still there for the refresh to report.
    const second = runScript(changeTo("two\n"), false);
    expect(lostNames(second.stdout)).toEqual([firstRun]);
    expect(fs.readdirSync(runs)).toHaveLength(2);
    const refresh = runScript(buildReadScript([target()], path.join(dir, "stash"), "svc")).stdout;
    expect(lostNames(refresh)).toHaveLength(2);
    expect(lostNames(refresh)).toContain(firstRun);
    // A push whose report is acknowledged settles them: reported once more, then gone.
    expect(lostNames(runScript(changeTo("three\n")).stdout)).toHaveLength(2);
    expect(fs.existsSync(runs)).toBe(false);
  });

  it("must not roll back over a file that changed during the push (not what this push wrote), and say so", () => {
    fs.writeFileSync(target(), "old\n");
    const t = target().replace(/'/g, "'\\''");
    // The health check stands for a hand edit made while the push ran, then fails.
    const r = runScript(buildApplyScript(plan({ healthCheck: `echo 'edited by hand' > '${t}'; exit 4` })));
    expect(r.code).toBe(16);
    const rep = parseReport(r.stdout);
    expect(rep).toMatchObject({ rollback: "superseded", superseded: [0], failed: { what: "health", code: 4 } });
    expect(fs.readFileSync(target(), "utf8")).toBe("edited by hand\n");
    expect(describeFailure({ activate: "act", healthCheck: "hc", files: [{ path: target() }] }, r.code, r.stderr, rep)).toMatch(
      new RegExp(`NOT rolled back: ${target().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} changed on the host since this push wrote it`),
    );
    // The push did not end verified: its journal stays, so the next push re-verifies.
    expect(fs.existsSync(pathJournalFile(path.join(dir, "stash"), target()))).toBe(true);
  });

  it("must not let a process that activation leaves behind hold the path's lock", () => {
    const pidFile = path.join(dir, "bg.pid");
    const r = runScript(buildApplyScript(plan({ activate: `sleep 600 >/dev/null 2>&1 & echo $! > '${pidFile}'` })));
    try {
      expect(r.code).toBe(0);
      // The next push takes the lock at once (flock -n would fail while the background process held it).
      const lock = pathLockFile(path.join(dir, "stash"), target());
      const probe = spawnSync("flock", ["-n", lock, "true"]);
      expect(probe.status).toBe(0);
    } finally {
      const pid = Number(fs.readFileSync(pidFile, "utf8"));
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });

  it("must make the dead-man restore wait for the path's lock, and then restore nothing over a file this push no longer owns", async () => {
    fs.writeFileSync(target(), "old\n");
    const stash = path.join(dir, "stash");
    const reached = path.join(dir, "reached");
    const gate = path.join(dir, "gate");
    spawnSync("mkfifo", [reached, gate]);
    // The push arms its 2 s timer, then holds the path's lock in its health check until the test opens the gate.
    const script = buildApplyScript(plan({ accessCritical: { confirmSeconds: 2, api: null }, healthCheck: `echo r > '${reached}'; cat '${gate}' >/dev/null` }));
    const child = spawn("/bin/sh", ["-c", BOOTSTRAP_COMMAND], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const done = new Promise<number>((resolve) => child.on("close", (c: number) => resolve(c)));
    child.stdin.end(bootstrapInput(script) + RELAYED_ACK);
    await fs.promises.readFile(reached);
    // The timer fired meanwhile and its restore waits on the lock of the path, which the push still holds ...
    expect(await until(() => flockOn(pathLockFile(stash, target())), 20000)).toBe(true);
    // ... while the file changes under it (what a later push of the path would leave there).
    fs.writeFileSync(target(), "later\n");
    await fs.promises.writeFile(gate, "go\n");
    expect(await done).toBe(0);
    const S = parseReport(stdout).stash!;
    // Once it has the lock, the restore finds the file is no longer this push's and puts nothing back.
    expect(await until(() => fs.existsSync(path.join(S, "SUPERSEDED")), 20000)).toBe(true);
    expect(fs.existsSync(path.join(S, "SELF-RESTORED"))).toBe(false);
    expect(fs.readFileSync(target(), "utf8")).toBe("later\n");
  });
});

describe("how a dead-man restore ended, as the next push or refresh reports it", () => {
  const name = "20261207T101010101Z-0123abcd";
  it.each([
    [`restore 0 activate 0`, /was undone by the host, which restored the previous files by itself and re-ran activation, which succeeded$/],
    [`restore 0 activate 1`, /restored the previous files by itself, but re-running activation failed \(exit 1\)$/],
    [
      `restore 1 activate 0`,
      /tried to restore the previous files by itself, but putting them back failed \(some files may be new, some old\); activation then exited 0$/,
    ],
    [`restore 0 activate none`, /which restored the previous files by itself$/],
    [`unknown`, /how it ended was not recorded/],
    [`superseded`, /was not undone by the host: a later push had changed the files, so its restore put nothing back$/],
  ])("%s", (outcome, text) => {
    const r = parseReport(`@@neve self-restore ${name} ${outcome}\n`);
    expect(r.selfRestores).toHaveLength(1);
    expect(describeSelfRestore(r.selfRestores[0])).toMatch(new RegExp(`^the push of ${name}, whose access was not confirmed in time, `));
    expect(describeSelfRestore(r.selfRestores[0])).toMatch(text);
  });
});

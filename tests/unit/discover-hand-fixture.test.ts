import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dnsmasqMeaningDiff } from "../../stacks/discover/hostfiles/dnsmasq";
import { haproxyMeaningDiff } from "../../stacks/discover/hostfiles/haproxy";
import { unitMeaningDiff } from "../../stacks/discover/hostfiles/units";
import { run as runTool, scratchDir, which, writeIn } from "../render/tools";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 12's "done when" for the host-file classes, offline: on a copy of neve's files whose managed host
// files a year of hand edits shaped (tests/fixtures/pve-neve with tests/fixtures/pve-neve-hand laid over
// it: haproxy's send-proxy-v2, check timings, a server keyword without a typed field, hand directives;
// websockify's --heartbeat; a fix-up that renews only near expiry; a weekly timer), `discover --check`
// exits 1 and names each; after `--write` each of these files is equal in meaning to its render and not
// counted, and once the files discover has no reader for are acknowledged `--check` exits 0; then
// `npm run plan -- --files DIR` renders each equal in meaning to the live one, the real `haproxy -c`
// accepts haproxy.cfg; and the copy was not modified.

const REPO = path.resolve(__dirname, "..", "..");
const BASE = path.join(REPO, "tests", "fixtures", "pve-neve");
const HAND = path.join(REPO, "tests", "fixtures", "pve-neve-hand");
const HAPROXY = which("haproxy");

const HAND_FILES = [
  "/etc/dnsmasq.d/neve-vmbr1.conf",
  "/etc/haproxy/haproxy.cfg",
  "/etc/systemd/system/novnc-1201.service",
  "/etc/systemd/system/fix-pve-certs.service",
  "/etc/systemd/system/fix-pve-certs.timer",
];

const node = (script: string, ...args: string[]) => runScript(script, ...args);

/** The `--check` report of one host file: its status line up to the next file's. */
function fileBlock(out: string, p: string): string {
  const lines = out.slice(out.indexOf("\nHost files")).split("\n");
  const i = lines.findIndex((l) => new RegExp(`^ {2}\\S+ +${p.replace(/[.]/g, "\\.")} \\(`).test(l));
  if (i < 0) return "";
  const j = lines.findIndex((l, k) => k > i && /^ {2}\S/.test(l));
  return lines.slice(i, j < 0 ? undefined : j).join("\n");
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "discover-hand-"));
const root = path.join(tmp, "root");
const stack = path.join(tmp, "Pulumi.neve.yaml");
let before = { root: "", base: "", hand: "" };

beforeAll(() => {
  fs.cpSync(BASE, root, { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(HAND, "etc"), path.join(root, "etc"), { recursive: true });
  fs.copyFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), stack);
  before = { root: treeHash(root), base: treeHash(BASE), hand: treeHash(HAND) };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("discover on a hand-shaped copy of neve's host files (pve-neve + pve-neve-hand)", () => {
  let first: Awaited<ReturnType<typeof node>>;
  let write: Awaited<ReturnType<typeof node>>;
  let afterWrite: Awaited<ReturnType<typeof node>>;
  let acked: Awaited<ReturnType<typeof node>>;
  let plan: Awaited<ReturnType<typeof node>>;
  let counted: string[] = [];
  const out = path.join(tmp, "out");
  beforeAll(async () => {
    first = await node("discover.ts", "--root", root, "--check", "--config", stack);
    write = await node("discover.ts", "--root", root, "--write", "--config", stack);
    afterWrite = await node("discover.ts", "--root", root, "--check", "--config", stack);
    counted = [...afterWrite.stdout.matchAll(/counted: the up would replace (\S+);/g)].map((m) => m[1]);
    await node("discover.ts", "--root", root, "--write", "--config", stack, ...counted.flatMap((f) => ["--acknowledge-file", f]));
    acked = await node("discover.ts", "--root", root, "--check", "--config", stack);
    plan = await node("plan.ts", "--config", stack, "--files", out);
  }, 180_000);

  it.each(HAND_FILES)("--check on the stack as written must count %s", (p) => {
    expect(first.stderr).toBe("");
    expect(first.code).toBe(1);
    expect(fileBlock(first.stdout, p)).toContain(`counted: the up would replace ${p};`);
  });

  it.each([
    ["PROXY protocol on cipher's 443 server", "/etc/haproxy/haproxy.cfg", "send-proxy-v2"],
    ["the health check's port and timings", "/etc/haproxy/haproxy.cfg", "check port 443 inter 10s rise 2 fall 3"],
    ["a server keyword without a typed field", "/etc/haproxy/haproxy.cfg", "on-marked-down shutdown-sessions"],
    ["a global directive the model lacks", "/etc/haproxy/haproxy.cfg", "tune.bufsize 32768"],
    ["websockify's heartbeat", "/etc/systemd/system/novnc-1201.service", "--heartbeat=30"],
    ["a renewal only near expiry", "/etc/systemd/system/fix-pve-certs.service", "ExecCondition="],
    ["the weekly timer", "/etc/systemd/system/fix-pve-certs.timer", "OnCalendar=Sun *-*-* 04:00"],
  ])("--check must show the live %s the up would drop", (_what, p, text) => {
    expect(
      fileBlock(first.stdout, p)
        .split("\n")
        .filter((l) => l.startsWith("-") && l.includes(text)),
    ).not.toEqual([]);
  });

  it("--write must state every live directive of these files (no line left) and say each renders equal in meaning", () => {
    expect(write.stderr).toBe("");
    expect(write.stdout).not.toMatch(/left: \/etc\/(haproxy|systemd)/);
    expect(write.stdout).toMatch(
      /host files read \((?=[^)]*\/etc\/dnsmasq\.d\/neve-vmbr1\.conf)(?=[^)]*\/etc\/haproxy\/haproxy\.cfg)[^)]*\): each renders equal in meaning to the live file/,
    );
    expect(write.stdout).toContain(
      'routes[0].httpServer: {"check":{"inter":"10s"},"weight":100,"extra":["on-marked-down shutdown-sessions"]} (live server line of http_cipher_wenzelarifiandi_com)',
    );
  });

  it.each(HAND_FILES)("after --write, --check must find %s equal in meaning and not count it", (p) => {
    expect(fileBlock(afterWrite.stdout, p)).toMatch(
      /\n {12}equal in meaning: the render differs from the live file only in comments, white space, order or spelling; the up replaces it; not counted\n/,
    );
    expect(counted).not.toContain(p);
  });

  it("after the files without a reader are acknowledged, --check must exit 0", () => {
    expect(acked.stdout).toContain("Result: nothing that exists on the host would change (exit 0).");
    expect(acked.code).toBe(0);
  });

  it.each(HAND_FILES)("npm run plan -- --files must render %s equal in meaning to the live one", (p) => {
    expect(plan.code).toBe(0);
    const live = fs.readFileSync(path.join(root, p), "utf8");
    const rendered = fs.readFileSync(path.join(out, p), "utf8");
    const diff = p.endsWith(".cfg") ? haproxyMeaningDiff : p.endsWith(".conf") ? dnsmasqMeaningDiff : unitMeaningDiff;
    expect(diff(live, rendered)).toEqual([]);
  });

  it("the real haproxy -c must accept the rendered haproxy.cfg", () => {
    if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run this test");
    const { dir, cleanup } = scratchDir("haproxy-hand-plan");
    try {
      const r = runTool(HAPROXY, ["-c", "-f", writeIn(dir, "haproxy.cfg", fs.readFileSync(path.join(out, "etc", "haproxy", "haproxy.cfg"), "utf8"))]);
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.stringContaining("Configuration file is valid") });
    } finally {
      cleanup();
    }
  });

  it("must not modify the copy of the host's files, nor the fixtures it was made from", () => {
    expect({ root: treeHash(root), base: treeHash(BASE), hand: treeHash(HAND) }).toEqual(before);
  });
});

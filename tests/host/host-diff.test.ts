/**
 * The host files comparison (formerly `npm run host-diff`, now the "host files" section of
 * `npm run discover -- --check`) against a REAL sshd test host: the program runs under mocks with the real
 * Pulumi.neve.yaml (host key pinned to the test host's, a distinctive fake tunnel secret), and its
 * HostConfig / LxcRawConfig declarations are compared, read-only, with the files live on the host.
 */

import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { Declared, HostDiffResult } from "../../scripts/lib/hostDiff";
import { startTestHost, type TestHost } from "./harness/testHost";

const REPO = path.resolve(__dirname, "..", "..");
// Exact values (cipher's route, the declared files) come from the frozen fixture, not the operator's stack file.
const FIXTURE_STACK_FILE = path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml");
const HAPROXY = "/etc/haproxy/haproxy.cfg";
const STASH = "/root/etc-pve.stash";
const DECLARED_SECRET = `DECLARED-TUNNEL-SECRET-${crypto.randomBytes(10).toString("hex")}`;
const LIVE_SECRET = `LIVE-TUNNEL-SECRET-${crypto.randomBytes(10).toString("hex")}`;
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

let host: TestHost;
let declared: Declared;
let lib: typeof import("../../scripts/lib/hostDiff");
let tunnelId: string;
let credsPath: string;
const credsOf = (secret: string) => JSON.stringify({ AccountTag: "acct-test", TunnelSecret: secret, TunnelID: tunnelId });

beforeAll(async () => {
  lib = await import("../../scripts/lib/hostDiff");
  const { readStackConfig } = await import("../../scripts/lib/stackFile");
  tunnelId = String((readStackConfig(FIXTURE_STACK_FILE)["neve-infra:tunnel"] as { id: string }).id);
  credsPath = `/etc/cloudflared/${tunnelId}.json`;
  host = await startTestHost({ haproxy: true });
  declared = await lib.loadDeclared({
    stackFile: FIXTURE_STACK_FILE,
    hostKey: host.hostKeyFingerprint,
    secrets: { tunnelCredentials: credsOf(DECLARED_SECRET) },
  });
  await host.writeFile(credsPath, credsOf(LIVE_SECRET), "0600");
  // host-diff reads through discover, which reads guest configs under /etc/pve/nodes/<node> (the stack's
  // proxmox.nodeName): lay the node out as pmxcfs shows it, /etc/pve/lxc being a link into it.
  await host.exec("mkdir -p /etc/pve/nodes/neve/lxc /etc/pve/nodes/neve/qemu-server && ln -sfn nodes/neve/lxc /etc/pve/lxc");
}, 120000);

afterAll(async () => {
  await host?.stop();
});

/** host-diff against the test host (its address and port instead of the stack's), key from the harness. */
function diff(over: Partial<import("../../scripts/lib/hostDiff").ConnectOptions> = {}): Promise<HostDiffResult> {
  return lib.runHostDiff(declared, { host: host.address, port: host.port, privateKey: host.clientPrivateKey, connectTimeoutMs: 5000, ...over });
}

/** The line host-diff prints for one path. */
function lineOf(out: string, p: string): string {
  const line = out.split("\n").find((l) => / {2}\S.* \/.* \(/.test(l) && l.includes(` ${p} (`));
  if (!line) throw new Error(`no line for ${p} in:\n${out}`);
  return line;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe("the host files comparison (discover's read, scripts/lib/hostDiff.ts) against a real host", () => {
  it("must show the harness's haproxy.cfg lines as removed and neve's as added, and exit 1", async () => {
    const r = await diff();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, HAPROXY)).toMatch(/^ {2}differs +\/etc\/haproxy\/haproxy\.cfg \(host-haproxy\)$/);
    expect(r.stdout).toContain(`--- live:${HAPROXY}\n+++ declared:${HAPROXY}\n`);
    expect(r.stdout).toContain("\n-# Minimal valid haproxy.cfg written by the test harness (tests/host/harness/testHost.ts).\n");
    expect(r.stdout).toContain("\n+    use_backend tls_cipher_wenzelarifiandi_com if { req.ssl_sni -i cipher.wenzelarifiandi.com }\n");
    // The test host has no dnsmasq drop-in yet: absent, and the whole declared file as added lines.
    expect(lineOf(r.stdout, "/etc/dnsmasq.d/neve-vmbr1.conf")).toMatch(/^ {2}absent /);
    expect(r.stdout).toMatch(/Summary: \d+ same, \d+ differ, \d+ absent/);
  });

  it("must report haproxy.cfg as same once the host holds the declared content and mode", async () => {
    const f = declared.groups[0].files.find((x) => x.path === HAPROXY)!;
    await host.writeFile(HAPROXY, f.content, f.mode);
    await host.exec(`chown ${f.owner}:${f.group} ${HAPROXY}`);
    const r = await diff();
    expect(lineOf(r.stdout, HAPROXY)).toMatch(/^ {2}same +\/etc\/haproxy\/haproxy\.cfg /);
    expect(r.stdout).not.toContain(`live:${HAPROXY}`);
    // Same content, other mode: a mode line, no diff.
    await host.exec(`chmod 0640 ${HAPROXY}`);
    const m = await diff();
    expect(lineOf(m.stdout, HAPROXY)).toContain("[content same]");
    expect(m.stdout).toContain(`mode live 0640, declared ${f.mode}`);
    expect(m.stdout).not.toContain(`live:${HAPROXY}`);
    await host.exec(`chmod ${f.mode} ${HAPROXY}`);
  });

  it("must say a secret file differs without printing the live or the declared secret, or their hashes", async () => {
    const r = await diff();
    const line = lineOf(r.stdout, credsPath);
    expect(line).toMatch(/^ {2}differs /);
    expect(line).toContain("[secret: content differs, compared by hash, not shown]");
    for (const leak of [
      LIVE_SECRET,
      DECLARED_SECRET,
      credsOf(LIVE_SECRET),
      credsOf(DECLARED_SECRET),
      sha256(credsOf(LIVE_SECRET)),
      sha256(credsOf(DECLARED_SECRET)),
      Buffer.from(credsOf(LIVE_SECRET)).toString("base64").slice(0, 40),
    ]) {
      expect(r.stdout + r.stderr).not.toContain(leak);
    }
    // The comparison is real: the declared credentials on the host make it "same".
    await host.writeFile(credsPath, credsOf(DECLARED_SECRET), "0600");
    const same = await diff();
    expect(lineOf(same.stdout, credsPath)).toMatch(/^ {2}same /);
    await host.writeFile(credsPath, credsOf(LIVE_SECRET), "0600");
  });

  it("must compare the raw lxc lines of the container config's main section only", async () => {
    const lxc = declared.groups[0].lxc[0];
    const conf = `/etc/pve/lxc/${lxc.vmid}.conf`;
    await host.writeFile(conf, ["arch: amd64", "hostname: lune", lxc.rawLines[0], "", "[snap1]", "lxc.cgroup2.devices.allow: c 10:229 rwm", ""].join("\n"));
    const r = await diff();
    expect(lineOf(r.stdout, conf)).toMatch(/^ {2}differs /);
    expect(r.stdout).toContain(`+${lxc.rawLines[1]}\n`);
    expect(r.stdout).not.toContain("-lxc.cgroup2.devices.allow");
    await host.writeFile(conf, ["arch: amd64", "hostname: lune", ...lxc.rawLines, ""].join("\n"));
    expect(lineOf((await diff()).stdout, conf)).toMatch(/^ {2}same /);
    await host.exec(`rm -f ${conf}`);
    expect(lineOf((await diff()).stdout, conf)).toMatch(/^ {2}absent /);
  });

  it("must refuse a host whose key is not the pinned one before sending anything, exit 2, naming both fingerprints", async () => {
    const other = `SHA256:${crypto.createHash("sha256").update("not the test host").digest("base64").replace(/=+$/, "")}`;
    const before = await host.sshdLog();
    const r = await diff({ hostKey: other });
    const log = (await host.sshdLog()).slice(before.length);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`host key mismatch for root@${host.address}:${host.port}: expected ${other}, got ${host.hostKeyFingerprint}`);
    expect(r.stderr).not.toContain("PRIVATE KEY");
    expect(count(log, /Accepted publickey|Failed publickey|Postponed publickey|Starting session/g)).toBe(0);
  });

  it("must report a refused key as an auth error, exit 2, without key material", async () => {
    const r = await diff({ privateKey: host.otherPrivateKey });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`SSH authentication refused for root@${host.address}:${host.port}`);
    for (const line of host.otherPrivateKey.split("\n").filter((l) => l.length > 20)) expect(r.stderr).not.toContain(line);
  });

  it("must write nothing on the host: managed files' stat and mtime unchanged, no stash dir, no staged files", async () => {
    const dirs = ["/etc/haproxy", "/etc/cloudflared", "/etc/dnsmasq.d", "/etc/systemd/system", "/etc/sysctl.d", "/etc/nftables.d", "/etc/pve", "/root"];
    const snapshot = async () =>
      (await host.exec(`find ${dirs.join(" ")} -printf '%p %m %u %g %s %T@ %C@\\n' | sort; [ -e ${STASH} ] && echo STASH-EXISTS || echo no-stash`)).stdout;
    const before = await snapshot();
    expect(before).toContain(`${HAPROXY} 644 root root`);
    expect(before).toContain(`${credsPath} 600 root root`);
    expect(before).toContain("no-stash");
    const r = await diff();
    expect(r.code).toBe(1);
    expect(await snapshot()).toBe(before);
  });

  it("must open one connection and one session for the host", async () => {
    const before = await host.sshdLog();
    const r = await diff();
    expect(r.code).toBe(1);
    const log = (await host.sshdLog()).slice(before.length);
    expect(count(log, /Accepted publickey/g)).toBe(1);
    expect(count(log, /Starting session:/g)).toBe(1);
    expect(declared.groups).toHaveLength(1);
    expect(declared.groups[0].files.length).toBeGreaterThan(5);
  });
});

/** Run discover as the operator would (like `npm run discover --`), collecting its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--require", "./scripts/register.js", "scripts/discover.ts", ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", SSH_AUTH_SOCK: "", ...env },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** The "Host files" section of discover --check's output. */
const hostFilesOf = (out: string) => out.slice(out.indexOf("\nHost files ("));

describe("npm run discover -- --check as a command (the host files section, formerly npm run host-diff)", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-check-"));
  });
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("must diff the (fixture) stack's host files against the host with --key, --host, --host-key and --secret, exit 1 with --fail-on-files, and show every file same once all matches", async () => {
    const key = path.join(dir, "id_ed25519");
    const creds = path.join(dir, "creds.json");
    fs.writeFileSync(key, host.clientPrivateKey, { mode: 0o600 });
    fs.writeFileSync(creds, `${credsOf(DECLARED_SECRET)}\n`, { mode: 0o600 });
    const args = [
      "--check",
      "--fail-on-files",
      "--config",
      FIXTURE_STACK_FILE,
      "--key",
      key,
      "--host",
      host.address,
      "--port",
      String(host.port),
      "--host-key",
      host.hostKeyLine,
      "--secret",
      `tunnelCredentials=${creds}`,
    ];
    const r = await cli(args);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(lineOf(hostFilesOf(r.stdout), credsPath)).toMatch(/^ {2}differs /);
    for (const leak of [LIVE_SECRET, DECLARED_SECRET, ...host.clientPrivateKey.split("\n").filter((l) => l.length > 20)]) expect(r.stdout).not.toContain(leak);
    // Put every declared file and the container's raw lines in place: nothing left to differ.
    for (const f of declared.groups[0].files) {
      await host.writeFile(f.path, f.content, f.mode);
      await host.exec(`chown ${f.owner}:${f.group} '${f.path}'`);
    }
    const lxc = declared.groups[0].lxc[0];
    await host.writeFile(`/etc/pve/lxc/${lxc.vmid}.conf`, ["arch: amd64", ...lxc.rawLines, ""].join("\n"));
    const same = await cli(args);
    expect(same.stderr).toBe("");
    const section = hostFilesOf(same.stdout);
    for (const f of declared.groups[0].files) expect(lineOf(section, f.path)).toMatch(/^ {2}same /);
    expect(lineOf(section, `/etc/pve/lxc/${lxc.vmid}.conf`)).toMatch(/^ {2}same /);
    // The Proxmox part decides the exit status now (this test host has no Proxmox objects).
    expect(same.code).toBe(same.stdout.includes("Result: nothing that exists on the host would change (exit 0).") ? 0 : 1);
  }, 120000);

  it("must exit 2 when the stack pins no ssh.hostKey and no --host-key is given (never trust on first use)", async () => {
    const doc = parse(fs.readFileSync(FIXTURE_STACK_FILE, "utf8")) as { config: Record<string, Record<string, unknown>> };
    delete doc.config["neve-infra:ssh"].hostKey;
    const stackFile = path.join(dir, "Pulumi.neve.yaml");
    fs.writeFileSync(stackFile, stringify(doc));
    const { code, stdout, stderr } = await cli(["--check", "--config", stackFile]);
    expect(code).toBe(2);
    expect(stderr).toContain("ssh.hostKey is not pinned (no trust on first use)");
    expect(stderr).toContain("--host-key");
    expect(stdout).toBe("");
  }, 60000);
});

/**
 * `npm run discover -- --check --fail-on-files`, its "host files" section, against a REAL sshd test host
 * (tests/host/harness): discover's own entry point (`main` of stacks/discover/cli.ts, which
 * scripts/discover.ts calls) runs the program under mocks on the frozen fixture stack file (host key
 * pinned with --host-key, a distinctive fake tunnel secret with --secret) and compares its HostConfig /
 * LxcRawConfig declarations, read-only, with the files live on the host.
 *
 * The fixture stack's Proxmox part on this host (an empty node: every guest, storage and bridge is a
 * creation, which is allowed) exits 0, so with --fail-on-files the exit status is the host files' alone:
 * each case asserts that first.
 */

import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { DeclaredHosts } from "../../stacks/discover/declared";
import { startTestHost, type TestHost } from "./harness/testHost";

const REPO = path.resolve(__dirname, "..", "..");
// Exact values (cipher's route, the declared files) come from the frozen fixture, not the operator's stack file.
const FIXTURE_STACK_FILE = path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml");
const HAPROXY = "/etc/haproxy/haproxy.cfg";
const DNSMASQ = "/etc/dnsmasq.d/neve-vmbr1.conf";
const STASH = "/root/etc-pve.stash";
/** Main section of lune's config (container 201) as the fixture stack declares it, raw lines aside. */
const LUNE_AS_DECLARED = [
  "arch: amd64",
  "cores: 1",
  "features: fuse=1",
  "hostname: lune",
  "memory: 4096",
  "net0: name=eth0,bridge=vmbr1,gw=10.10.10.1,ip=10.10.10.50/24,type=veth",
  "onboot: 1",
  "ostype: ubuntu",
  "rootfs: vmdata:subvol-201-disk-0,size=32G",
  "swap: 0",
];
const PROXMOX_PART_EXIT_0 = "Result: nothing that exists on the host would change (exit 0).";
// The closing line while the Proxmox part is clean but a host file is counted.
const FILES_COUNTED = "Result: the first `pulumi up` would replace the host files counted above (exit 1)";
const PROXMOX_PART_CLEAN = "Changes the first `pulumi up` would make (or recorded fields that differ): 0";
const DECLARED_SECRET = `DECLARED-TUNNEL-SECRET-${crypto.randomBytes(10).toString("hex")}`;
const LIVE_SECRET = `LIVE-TUNNEL-SECRET-${crypto.randomBytes(10).toString("hex")}`;
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

let host: TestHost;
let declared: DeclaredHosts;
let dir: string;
let tunnelId: string;
let credsPath: string;
const credsOf = (secret: string) => JSON.stringify({ AccountTag: "acct-test", TunnelSecret: secret, TunnelID: tunnelId });
const keyFile = (name: string) => path.join(dir, name);

beforeAll(async () => {
  const { readStackConfig } = await import("../../scripts/lib/stackFile");
  tunnelId = String((readStackConfig(FIXTURE_STACK_FILE)["neve-infra:tunnel"] as { id: string }).id);
  credsPath = `/etc/cloudflared/${tunnelId}.json`;
  host = await startTestHost({ haproxy: true });
  // The bridges the fixture stack declares, as pve-manager writes them (no up creates a bridge, so a
  // declared bridge the host lacks is a counted conflict): rendered by the project's own renderer.
  const { renderInterfaces, INTERFACES_PATH } = await import("../../stacks/render/interfaces");
  const net = (parse(fs.readFileSync(FIXTURE_STACK_FILE, "utf8")) as { config: Record<string, any> }).config["neve-infra:network"];
  const bridges = Object.entries(net.bridges as Record<string, any>).map(([name, b]) => ({
    name,
    ipv4: b.ipv4,
    ipv6: b.ipv6 ?? null,
    ports: b.ports ?? [],
    comment: b.comment ?? null,
    hostNat: false,
  }));
  await host.writeFile(INTERFACES_PATH, renderInterfaces({ bridges }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-check-files-"));
  fs.writeFileSync(keyFile("id_ed25519"), host.clientPrivateKey, { mode: 0o600 });
  fs.writeFileSync(keyFile("other_ed25519"), host.otherPrivateKey, { mode: 0o600 });
  fs.writeFileSync(keyFile("creds.json"), `${credsOf(DECLARED_SECRET)}\n`, { mode: 0o600 });
  // What the program declares, from discover's own loader, in a registry of its own (see runMain).
  await isolated(async () => {
    const { loadDeclaredHosts } = await import("../../stacks/discover/declared");
    declared = await loadDeclaredHosts({
      stackFile: FIXTURE_STACK_FILE,
      hostKey: host.hostKeyFingerprint,
      secrets: { tunnelCredentials: credsOf(DECLARED_SECRET) },
      placeholderHostKey: false,
    });
  });
  await host.writeFile(credsPath, credsOf(LIVE_SECRET), "0600");
  // discover reads guest configs under /etc/pve/nodes/<node> (the stack's proxmox.nodeName): lay the
  // node out as pmxcfs shows it, /etc/pve/lxc being a link into it.
  await host.exec("mkdir -p /etc/pve/nodes/neve/lxc /etc/pve/nodes/neve/qemu-server && ln -sfn nodes/neve/lxc /etc/pve/lxc");
}, 120000);

afterAll(async () => {
  await host?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** What one discover run printed and returned. */
interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `fn` in a fresh module registry: the program under Pulumi's mocks runs once per registry
 * (scripts/lib/mockRunner.ts), as it does once per `npm run discover` process. Each registry loads
 * Pulumi's runtime anew, and each load adds its promise-leak detector as an 'exit' listener
 * (@pulumi/pulumi runtime/debuggable.js, once per module instance): the discarded registry's one is removed.
 */
async function isolated(fn: () => Promise<void>): Promise<void> {
  const before = new Set(process.listeners("exit"));
  try {
    await jest.isolateModulesAsync(fn);
  } finally {
    for (const l of process.listeners("exit")) if (!before.has(l)) process.off("exit", l);
  }
}

/** discover's `main` with argv, as `npm run discover --` runs it (see {@link isolated}). */
async function runMain(argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  let code: number | null = null;
  await isolated(async () => {
    const { main } = await import("../../stacks/discover/cli");
    code = await main(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t), now: () => "2026-11-30T00:00:00Z" });
  });
  return { code, stdout, stderr };
}

/** The operator's arguments for the test host: its address, port and host key, the harness's key, the declared tunnel secret. */
function argsFor(over: { key?: string; hostKey?: string; secret?: boolean; failOnFiles?: boolean } = {}): string[] {
  return [
    "--check",
    ...(over.failOnFiles === false ? [] : ["--fail-on-files"]),
    "--config",
    FIXTURE_STACK_FILE,
    "--key",
    over.key ?? keyFile("id_ed25519"),
    "--host",
    host.address,
    "--port",
    String(host.port),
    "--host-key",
    over.hostKey ?? host.hostKeyFingerprint,
    ...(over.secret === false ? [] : ["--secret", `tunnelCredentials=${keyFile("creds.json")}`]),
  ];
}

/** `discover --check --fail-on-files` against the test host. */
const check = (over: Parameters<typeof argsFor>[0] = {}) => runMain(argsFor(over));

/** The "Host files" section of discover --check's output (it fails when there is none). */
function hostFilesOf(out: string): string {
  const at = out.indexOf("\nHost files (");
  if (at < 0) throw new Error(`no host files section in:\n${out}`);
  return out.slice(at);
}

/** The line the host files section prints for one path. */
function lineOf(out: string, p: string): string {
  const line = hostFilesOf(out)
    .split("\n")
    .find((l) => / {2}\S.* \/.* \(/.test(l) && l.includes(` ${p} (`));
  if (!line) throw new Error(`no line for ${p} in:\n${out}`);
  return line;
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe("discover --check --fail-on-files: the host files section against a real host", () => {
  it("must show the harness's haproxy.cfg lines as removed and neve's as added, a missing file as absent, and exit 1 (also without --fail-on-files, now a no-op)", async () => {
    const r = await check();
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(PROXMOX_PART_CLEAN);
    expect(r.stdout).toContain(FILES_COUNTED);
    expect(r.code).toBe(1);
    expect(hostFilesOf(r.stdout)).toMatch(
      /^\nHost files \(.*; counted in the exit status unless equal in meaning or acknowledged at the live content's hash, absent files are creations\):\n/,
    );
    expect(lineOf(r.stdout, HAPROXY)).toMatch(/^ {2}differs +\/etc\/haproxy\/haproxy\.cfg \(host-haproxy\)$/);
    expect(r.stdout).toContain(`--- live:${HAPROXY}\n+++ declared:${HAPROXY}\n`);
    expect(r.stdout).toContain("\n-# Minimal valid haproxy.cfg written by the test harness (tests/host/harness/testHost.ts).\n");
    expect(r.stdout).toContain("\n+    use_backend tls_cipher_wenzelarifiandi_com if { req.ssl_sni -i cipher.wenzelarifiandi.com }\n");
    // The test host has no dnsmasq drop-in yet: absent, and the whole declared file as added lines.
    expect(lineOf(r.stdout, DNSMASQ)).toMatch(/^ {2}absent +\/etc\/dnsmasq\.d\/neve-vmbr1\.conf \(host-dnsmasq-vmbr1\)$/);
    expect(r.stdout).toContain(`--- live:${DNSMASQ}\t(absent)\n+++ declared:${DNSMASQ}\n`);
    expect(r.stdout).toContain("\n+dhcp-range=10.10.10.100,10.10.10.200,255.255.255.0,12h\n");
    // Without --fail-on-files (now a no-op) the same differences count: differing host files always do.
    const plain = await check({ failOnFiles: false });
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(1);
    expect(hostFilesOf(plain.stdout)).toMatch(/^\nHost files \(.*; counted in the exit status unless equal in meaning or acknowledged/);
    expect(plain.stdout).toContain(`counted: the up would replace ${HAPROXY}; state its directives in the stack file`);
  });

  it("must report haproxy.cfg as same once the host holds the declared content and mode, and a mode-only difference without a diff", async () => {
    const f = declared.groups[0].files.find((x) => x.path === HAPROXY)!;
    await host.writeFile(HAPROXY, f.content, f.mode);
    await host.exec(`chown ${f.owner}:${f.group} ${HAPROXY}`);
    const r = await check();
    expect(r.stderr).toBe("");
    expect(lineOf(r.stdout, HAPROXY)).toMatch(/^ {2}same +\/etc\/haproxy\/haproxy\.cfg \(host-haproxy\)$/);
    expect(r.stdout).not.toContain(`live:${HAPROXY}`);
    // Same content, other mode: a mode line, no diff.
    await host.exec(`chmod 0640 ${HAPROXY}`);
    const m = await check();
    expect(lineOf(m.stdout, HAPROXY)).toMatch(/^ {2}differs +\/etc\/haproxy\/haproxy\.cfg \(host-haproxy\) \[content same\]$/);
    expect(m.stdout).toContain(`[content same]\n            counted: the up would replace ${HAPROXY}; `);
    expect(m.stdout).toContain(`\n            mode live 0640, declared ${f.mode}\n`);
    expect(m.stdout).not.toContain(`live:${HAPROXY}`);
    await host.exec(`chmod ${f.mode} ${HAPROXY}`);
  });

  it("must say a secret file differs without printing the live or the declared secret, or their hashes, and leave it unchecked without --secret", async () => {
    const r = await check();
    expect(r.stderr).toBe("");
    expect(lineOf(r.stdout, credsPath)).toMatch(/^ {2}differs .* \[secret: content differs, compared by hash, not shown\]$/);
    const leaks = [
      LIVE_SECRET,
      DECLARED_SECRET,
      credsOf(LIVE_SECRET),
      credsOf(DECLARED_SECRET),
      sha256(credsOf(LIVE_SECRET)),
      sha256(credsOf(DECLARED_SECRET)),
      sha256(`${credsOf(DECLARED_SECRET)}\n`),
      Buffer.from(credsOf(LIVE_SECRET)).toString("base64").slice(0, 40),
      Buffer.from(credsOf(DECLARED_SECRET)).toString("base64").slice(0, 40),
    ];
    for (const leak of leaks) expect(r.stdout + r.stderr).not.toContain(leak);
    // The comparison is real: the declared credentials on the host make it "same", still unshown.
    await host.writeFile(credsPath, credsOf(DECLARED_SECRET), "0600");
    const same = await check();
    expect(lineOf(same.stdout, credsPath)).toMatch(/^ {2}same .* \[secret: compared by hash, not shown\]$/);
    for (const leak of leaks) expect(same.stdout + same.stderr).not.toContain(leak);
    await host.writeFile(credsPath, credsOf(LIVE_SECRET), "0600");
    // Without the real value the program holds a placeholder: nothing to compare, said so.
    const unchecked = await check({ secret: false });
    expect(unchecked.stderr).toBe("");
    expect(lineOf(unchecked.stdout, credsPath)).toMatch(
      /^ {2}unchecked .* \[secret: the declared value is a placeholder; pass the real one with --secret KEY=FILE to compare\]$/,
    );
    for (const leak of [LIVE_SECRET, sha256(credsOf(LIVE_SECRET))]) expect(unchecked.stdout).not.toContain(leak);
  });

  it("must compare the raw lxc lines of the container config's main section only", async () => {
    const lxc = declared.groups[0].lxc[0];
    const conf = `/etc/pve/lxc/${lxc.vmid}.conf`;
    // The second declared line stands only in a snapshot section: it counts as missing.
    await host.writeFile(conf, ["arch: amd64", "hostname: lune", lxc.rawLines[0], "", "[snap1]", lxc.rawLines[1], ""].join("\n"));
    const r = await check();
    expect(r.stderr).toBe("");
    expect(lineOf(r.stdout, conf)).toMatch(/^ {2}differs .* \[raw lxc lines of the main section\]$/);
    expect(r.stdout).toContain(`\n+${lxc.rawLines[1]}\n`);
    expect(r.stdout).not.toContain(`\n-${lxc.rawLines[1]}\n`);
    await host.writeFile(conf, ["arch: amd64", "hostname: lune", ...lxc.rawLines, "", "[snap1]", "lxc.cgroup2.devices.allow: c 10:229 rwm", ""].join("\n"));
    expect(lineOf((await check()).stdout, conf)).toMatch(/^ {2}same /);
    await host.exec(`rm -f ${conf}`);
    expect(lineOf((await check()).stdout, conf)).toMatch(/^ {2}absent .* \[no such container config\]$/);
  });

  it("must refuse a host whose key is not the pinned one before sending anything, exit 2, naming both fingerprints", async () => {
    const other = `SHA256:${crypto.createHash("sha256").update("not the test host").digest("base64").replace(/=+$/, "")}`;
    const before = await host.sshdLog();
    const r = await check({ hostKey: other });
    const log = (await host.sshdLog()).slice(before.length);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`host key mismatch for root@${host.address}:${host.port}: expected ${other}, got ${host.hostKeyFingerprint}`);
    expect(r.stderr).not.toContain("PRIVATE KEY");
    expect(count(log, /Accepted publickey|Failed publickey|Postponed publickey|Starting session/g)).toBe(0);
  });

  it("must report a refused key as an auth error, exit 2, without key material", async () => {
    const r = await check({ key: keyFile("other_ed25519") });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
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
    const r = await check();
    expect(r.code).toBe(1);
    expect(await snapshot()).toBe(before);
  });

  it("must read the Proxmox files and the host files over one connection and one session", async () => {
    const before = await host.sshdLog();
    const r = await check();
    expect(r.code).toBe(1);
    const log = (await host.sshdLog()).slice(before.length);
    expect(count(log, /Accepted publickey/g)).toBe(1);
    expect(count(log, /Starting session:/g)).toBe(1);
    expect(count(log, /subsystem request for sftp/g)).toBe(0);
    // ...and that one session covered every declared file.
    expect(declared.groups).toHaveLength(1);
    expect(declared.groups[0].files.length).toBeGreaterThan(5);
    for (const f of declared.groups[0].files) lineOf(r.stdout, f.path);
  });
});

/** Run discover as the operator would (like `npm run discover --`), collecting its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
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

describe("npm run discover -- --check --fail-on-files as a command (scripts/discover.ts)", () => {
  it("must exit 1 while a host file differs and 0 once every declared file and the raw lxc lines are in place", async () => {
    // The full host key line this time (ssh.hostKey takes either form).
    const args = argsFor({ hostKey: host.hostKeyLine });
    const r = await cli(args);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(PROXMOX_PART_CLEAN);
    expect(r.stdout).toContain(FILES_COUNTED);
    expect(r.code).toBe(1);
    expect(lineOf(r.stdout, credsPath)).toMatch(/^ {2}differs /);
    for (const leak of [LIVE_SECRET, DECLARED_SECRET, ...host.clientPrivateKey.split("\n").filter((l) => l.length > 20)]) expect(r.stdout).not.toContain(leak);
    // Put every declared file and the container's raw lines in place: nothing left to differ.
    for (const f of declared.groups[0].files) {
      await host.writeFile(f.path, f.content, f.mode);
      await host.exec(`chown ${f.owner}:${f.group} '${f.path}'`);
    }
    // The container config as the fixture stack declares lune (so the Proxmox part still exits 0), with its raw lines.
    const lxc = declared.groups[0].lxc[0];
    await host.writeFile(`/etc/pve/lxc/${lxc.vmid}.conf`, [...LUNE_AS_DECLARED, ...lxc.rawLines, ""].join("\n"));
    const same = await cli(args);
    expect(same.stderr).toBe("");
    for (const f of declared.groups[0].files) expect(lineOf(same.stdout, f.path)).toMatch(/^ {2}same /);
    expect(lineOf(same.stdout, `/etc/pve/lxc/${lxc.vmid}.conf`)).toMatch(/^ {2}same /);
    expect(same.stdout).toContain(PROXMOX_PART_EXIT_0);
    expect(same.code).toBe(0);
  }, 120000);

  it("must count, over SSH, a live file beside a managed one (the same service under another name) and skip what the service skips", async () => {
    // After the previous case every declared file is in place (exit 0); now the host grows files beside them.
    const beside: Record<string, string> = {
      "/etc/dnsmasq.d/local.conf": "server=1.1.1.1\n",
      "/etc/haproxy/conf.d/legacy.cfg": "frontend legacy\n    bind :8080\n",
      "/etc/systemd/system/cloudflared.service.d/override.conf": "[Service]\nExecStart=\n",
      "/run/systemd/system/fix-pve-certs.timer.d/override.conf": "[Timer]\nOnCalendar=weekly\n",
    };
    const skipped = ["/etc/dnsmasq.d/local.conf~", "/etc/dnsmasq.d/.hidden", "/etc/haproxy/conf.d/README"];
    for (const [p, text] of Object.entries(beside)) {
      await host.exec(`mkdir -p '${path.dirname(p)}'`);
      await host.writeFile(p, text);
    }
    for (const p of skipped) await host.writeFile(p, "skipped\n");
    try {
      const r = await check({ hostKey: host.hostKeyLine });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(1);
      const lines = hostFilesOf(r.stdout)
        .split("\n")
        .filter((l) => l.startsWith("  beside "));
      expect(lines.map((l) => l.split(/\s+/)[2]).sort()).toEqual(Object.keys(beside).sort());
      for (const p of Object.keys(beside)) expect(r.stdout).toContain(`npm run discover -- --write --acknowledge-file ${p}`);
      for (const p of skipped) expect(r.stdout).not.toContain(p);
      expect(r.stdout).not.toContain("server=1.1.1.1");
    } finally {
      await host.exec(
        `rm -rf ${[...Object.keys(beside), ...skipped].map((p) => `'${p}'`).join(" ")} /etc/systemd/system/cloudflared.service.d /run/systemd/system/fix-pve-certs.timer.d`,
      );
    }
    const clean = await check({ hostKey: host.hostKeyLine });
    expect(hostFilesOf(clean.stdout)).not.toContain("  beside ");
    expect(clean.code).toBe(0);
  }, 120000);

  it("must exit 2 when the stack pins no ssh.hostKey and no --host-key is given (never trust on first use)", async () => {
    const doc = parse(fs.readFileSync(FIXTURE_STACK_FILE, "utf8")) as { config: Record<string, Record<string, unknown>> };
    delete doc.config["neve-infra:ssh"].hostKey;
    const stackFile = path.join(dir, "Pulumi.neve.yaml");
    fs.writeFileSync(stackFile, stringify(doc));
    const { code, stdout, stderr } = await cli(["--check", "--fail-on-files", "--config", stackFile]);
    expect(code).toBe(2);
    expect(stderr).toContain("ssh.hostKey is not pinned (no trust on first use)");
    expect(stderr).toContain("--host-key");
    expect(stdout).toBe("");
  }, 60000);
});

/**
 * `npm run bench`: what a deployment of neve's host configuration costs through the real dynamic provider host,
 * against a real sshd test host (tests/host/harness), compared in the same run with the floor.
 *
 * Six files like neve's in four HostConfig resources (haproxy, dnsmasq, cloudflared, three systemd units).
 * Phases, each repeated BENCH_REPS times (default 7), medians reported:
 * - firstPush: check + create of every resource (the target files do not exist yet, except the test host's own
 *   haproxy.cfg, which is adopted as on the live host), fresh provider host process;
 * - noop: check + diff of every resource with nothing changed, fresh provider host process;
 * - update: one file changed (haproxy.cfg): check + diff everywhere, update of that one resource;
 * - refresh: read of every resource, fresh provider host process;
 * - floor: one SSH connection and one exec that writes all six files (staged, validated, renamed into place)
 *   and runs the validators: the least any tool could do. Measured from a fresh node process (timed from before
 *   `require("ssh2")`), because the provider host is a fresh process on every deployment too; also reported from
 *   the bench's warm process (floorWarmMs) and with every activation and health check added (floorWithActivationMs).
 * The provider host runs the resources of a phase concurrently, as the engine does for independent resources.
 * Timers cover the provider operations only: spawning the provider host and running the program under mocks are
 * outside them (the engine's own costs); the first call of each phase still deserializes `__provider`.
 *
 * Counting is done on the test host's side, from its sshd log (LogLevel VERBOSE), never by trusting the client:
 * connections = "Accepted publickey" lines; round trips = "Starting session:" lines (one per exec or subsystem
 * channel, i.e. per remote command). sftp requests, if any, are counted separately (internal-sftp -l INFO).
 *
 * The last line of output is one JSON object (see `Summary`).
 */

import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "ssh2";
import { startSsh } from "../providers/ssh/socket";
import { type CapturedResource, captureResources } from "../tests/host/harness/capture";
import { type ProviderHost, startProviderHost, urnFor } from "../tests/host/harness/providerHost";
import { startTestHost, type TestHost } from "../tests/host/harness/testHost";

const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 7));
const STASH_DIR = "/root/etc-pve.stash";
const REPO_ROOT = path.resolve(__dirname, "..");

/** One file of the bench set. */
interface BenchFile {
  path: string;
  content: string;
  mode?: string;
}

/** One HostConfig of the bench set. */
interface BenchResource {
  name: string;
  service: string;
  files: BenchFile[];
  validate: string[];
  activate: string;
  healthCheck?: string;
}

function haproxyCfg(address: string, variant: number): string {
  return `# Managed by neve-infra (bench). Revision ${variant}.
global
    daemon
    maxconn 2048

defaults
    log global
    mode tcp
    option dontlognull
    timeout connect 5s
    timeout client 1m
    timeout server 1m
    timeout tunnel 1h

frontend tls_in
    mode tcp
    bind ${address}:443
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend cipher_tls if { req.ssl_sni -i cipher.wenzelarifiandi.com }
    default_backend drop_tls

frontend http_in
    mode http
    option httplog
    option forwardfor
    timeout http-request 10s
    bind ${address}:80
    use_backend cipher_http if { req.hdr(host),host_only -i cipher.wenzelarifiandi.com }
    default_backend not_found

frontend stats
    mode http
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
    stats refresh 10s

backend cipher_tls
    mode tcp
    server cipher 10.10.10.90:443 check

backend drop_tls
    mode tcp
    tcp-request content reject

backend cipher_http
    mode http
    server cipher 10.10.10.90:80 check

backend not_found
    mode http
    http-request return status 404 content-type text/plain string "no route"
`;
}

const DNSMASQ_CONF = `# Managed by neve-infra (bench). Apply with \`systemctl restart dnsmasq\`.
interface=vmbr1
bind-interfaces
except-interface=lo
domain-needed
bogus-priv
dhcp-authoritative
dhcp-range=10.10.10.100,10.10.10.200,255.255.255.0,12h
dhcp-option=option:router,10.10.10.1
dhcp-option=option:dns-server,10.10.10.1
`;

const CLOUDFLARED_CONFIG = `# Managed by neve-infra (bench). Apply with \`systemctl restart cloudflared\`.
tunnel: 464de2f3-7058-4a1f-9f93-ae8425f0ffbe
credentials-file: /etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json
ingress:
  - hostname: neve.wenzelarifiandi.com
    service: https://127.0.0.1:8006
    originRequest:
      noTLSVerify: true
  - service: http_status:404
`;

const unit = (description: string, execStart: string) => `# Managed by neve-infra (bench).
[Unit]
Description=${description}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${execStart}
Restart=on-failure
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;

function benchSet(address: string, variant: number): BenchResource[] {
  return [
    {
      name: "haproxy",
      service: "haproxy",
      files: [{ path: "/etc/haproxy/haproxy.cfg", content: haproxyCfg(address, variant) }],
      validate: ["haproxy -c -q -f {staged}"],
      activate: "systemctl reload haproxy",
      healthCheck: "systemctl is-active --quiet haproxy",
    },
    {
      name: "dnsmasq",
      service: "dnsmasq",
      files: [{ path: "/etc/dnsmasq.d/vmbr1.conf", content: DNSMASQ_CONF }],
      validate: ["dnsmasq --test --conf-file={staged}"],
      activate: "systemctl restart dnsmasq",
      healthCheck: "systemctl is-active --quiet dnsmasq",
    },
    {
      name: "cloudflared",
      service: "cloudflared",
      files: [{ path: "/etc/cloudflared/config.yml", content: CLOUDFLARED_CONFIG, mode: "0640" }],
      validate: [],
      activate: "systemctl restart cloudflared",
    },
    {
      name: "units",
      service: "units",
      files: [
        {
          path: "/etc/systemd/system/novnc-1201.service",
          content: unit("noVNC web console for VM 1201 (etoile) on port 6081", "/usr/bin/websockify --web /usr/share/novnc 0.0.0.0:6081 127.0.0.1:5901"),
        },
        {
          path: "/etc/systemd/system/spiceproxy-socat.service",
          content: unit("Forward TCP 61001 to the local SPICE proxy", "/usr/bin/socat TCP-LISTEN:61001,fork,reuseaddr TCP:127.0.0.1:3128"),
        },
        {
          path: "/etc/systemd/system/fix-pve-certs.service",
          content: unit("Fix up Proxmox certificates after renewal", "/usr/bin/pvecm updatecerts --force"),
        },
      ],
      validate: [],
      activate: "systemctl daemon-reload",
    },
  ];
}

/** The program: one HostConfig per bench resource, run under mocks to get what the engine would send. */
async function capture(host: TestHost, set: BenchResource[]): Promise<CapturedResource[]> {
  // Required here, not imported at the top: the bench must still report clearly when the provider is missing.
  const { HostConfig } = require("../providers/hostconfig");
  return captureResources(() => {
    for (const r of set) {
      new HostConfig(r.name, {
        connection: {
          host: host.address,
          port: host.port,
          username: host.username,
          hostKey: host.hostKeyFingerprint,
          privateKey: pulumi.secret(host.clientPrivateKey),
        },
        service: r.service,
        files: r.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode ?? "0644", owner: "root", group: "root" })),
        validate: r.validate,
        activate: r.activate,
        healthCheck: r.healthCheck,
        stashDir: STASH_DIR,
        stashKeep: 5,
        onDelete: "keep",
      });
    }
  });
}

/** State of one resource as the engine keeps it. */
interface ResourceState {
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}
type StackState = Map<string, ResourceState>;

interface OpCounts {
  create: number;
  update: number;
  same: number;
}

/** `pulumi up`, provider side: check, then create (new) or diff (+ update when something changed). */
async function up(ph: ProviderHost, caps: CapturedResource[], prev: StackState | null): Promise<{ state: StackState; ops: OpCounts; mutateMs: number }> {
  const state: StackState = new Map();
  const ops: OpCounts = { create: 0, update: 0, same: 0 };
  // Wall time from the first create/update sent to the last one answered: the push itself, without check/diff
  // (where the provider host deserializes `__provider` on its first call).
  let mutateStart: bigint | null = null;
  let mutateEnd: bigint | null = null;
  const mutate = async <T>(op: () => Promise<T>): Promise<T> => {
    const t = process.hrtime.bigint();
    if (mutateStart === null || t < mutateStart) mutateStart = t;
    const r = await op();
    const e = process.hrtime.bigint();
    if (mutateEnd === null || e > mutateEnd) mutateEnd = e;
    return r;
  };
  await Promise.all(
    caps.map(async (c) => {
      const urn = urnFor(c.type, c.name);
      const old = prev?.get(c.name);
      const checked = await ph.check(urn, old?.inputs ?? {}, c.inputs);
      if (checked.failures.length > 0) {
        throw new Error(`check of ${c.name} failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      }
      if (!old) {
        const r = await mutate(() => ph.create(urn, checked.inputs));
        ops.create++;
        state.set(c.name, { id: r.id, inputs: checked.inputs, outputs: r.properties });
        return;
      }
      const d = await ph.diff(old.id, urn, old.outputs, checked.inputs);
      if (d.replaces.length > 0) throw new Error(`${c.name}: unexpected replacement of ${d.replaces.join(", ")}`);
      if (d.changes === "none") {
        ops.same++;
        state.set(c.name, { ...old, inputs: checked.inputs });
        return;
      }
      const u = await mutate(() => ph.update(old.id, urn, old.outputs, checked.inputs));
      ops.update++;
      state.set(c.name, { id: old.id, inputs: checked.inputs, outputs: u.properties });
    }),
  );
  const mutateMs = mutateStart !== null && mutateEnd !== null ? Number((mutateEnd as bigint) - (mutateStart as bigint)) / 1e6 : 0;
  return { state, ops, mutateMs };
}

/** `pulumi refresh`, provider side: read every resource. */
async function refresh(ph: ProviderHost, caps: CapturedResource[], prev: StackState): Promise<StackState> {
  const state: StackState = new Map();
  await Promise.all(
    caps.map(async (c) => {
      const old = prev.get(c.name)!;
      const r = await ph.read(old.id, urnFor(c.type, c.name), old.outputs);
      state.set(c.name, { id: r.id, inputs: old.inputs, outputs: r.properties });
    }),
  );
  return state;
}

/** Counters read from the test host's sshd log. */
interface SshdCounts {
  connections: number;
  roundTrips: number;
  sftpRequests: number;
}

async function sshdCounts(host: TestHost): Promise<SshdCounts> {
  const log = await host.sshdLog();
  const count = (re: RegExp) => log.match(re)?.length ?? 0;
  return {
    connections: count(/Accepted publickey for /g),
    roundTrips: count(/Starting session: /g),
    // internal-sftp -l INFO: one line per open/close/opendir/rename/remove/set ... request it served
    sftpRequests: count(/sftp-server\[\d+\]: (open|close|opendir|closedir|rename|remove|set|mkdir|rmdir|posix-rename|lstat|stat)/g),
  };
}

interface Sample extends SshdCounts {
  ms: number;
  /** create/update part only (see `up`). */
  mutateMs?: number;
}

/** What a measured step may report itself: its own duration (cold floor) or its create/update part. */
interface StepTimes {
  ms?: number;
  mutateMs?: number;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a phase that measures nothing of its own just returns
async function measure(host: TestHost, fn: () => Promise<StepTimes | void>): Promise<Sample> {
  const before = await sshdCounts(host);
  const t0 = process.hrtime.bigint();
  const own = (await fn()) ?? {};
  const ms = own.ms ?? Number(process.hrtime.bigint() - t0) / 1e6;
  const mutateMs = own.mutateMs;
  // sshd writes its lines before it answers; a short pause lets the last "Closed"/session lines land anyway.
  await new Promise((r) => setTimeout(r, 50));
  const after = await sshdCounts(host);
  return {
    ms,
    connections: after.connections - before.connections,
    roundTrips: after.roundTrips - before.roundTrips,
    sftpRequests: after.sftpRequests - before.sftpRequests,
    ...(typeof mutateMs === "number" ? { mutateMs } : {}),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface PhaseSummary {
  ms: number;
  connections: number;
  roundTrips: number;
  sftpRequests: number;
  samplesMs: number[];
  /** Median of the create/update part, when measured. */
  mutateMs: number | null;
}

function summarize(samples: Sample[]): PhaseSummary {
  return {
    ms: Math.round(median(samples.map((s) => s.ms)) * 10) / 10,
    connections: median(samples.map((s) => s.connections)),
    roundTrips: median(samples.map((s) => s.roundTrips)),
    sftpRequests: median(samples.map((s) => s.sftpRequests)),
    samplesMs: samples.map((s) => Math.round(s.ms)),
    mutateMs: samples.every((s) => s.mutateMs !== undefined) ? Math.round(median(samples.map((s) => s.mutateMs!)) * 10) / 10 : null,
  };
}

/** Put the test host back to "before the first deployment": original haproxy.cfg, no other file, no stash. */
async function resetHost(host: TestHost, originalHaproxy: string, set: BenchResource[]): Promise<void> {
  const paths = set.flatMap((r) => r.files.map((f) => f.path)).filter((p) => p !== "/etc/haproxy/haproxy.cfg");
  const r = await host.exec(`rm -rf ${STASH_DIR} ${paths.map((p) => `'${p}'`).join(" ")}`);
  if (r.code !== 0) throw new Error(`reset failed: ${r.stderr}`);
  await host.writeFile("/etc/haproxy/haproxy.cfg", originalHaproxy, "0644");
  const reload = await host.exec("systemctl reload haproxy");
  if (reload.code !== 0) throw new Error(`reset reload failed: ${reload.stderr}`);
}

function sshConnect(host: TestHost): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on("ready", () => resolve(c));
    c.on("error", reject);
    startSsh(c, {
      host: host.address,
      port: host.port,
      username: host.username,
      privateKey: host.clientPrivateKey,
      readyTimeout: 10000,
      hostVerifier: (key: Buffer) => `SHA256:${crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}` === host.hostKeyFingerprint,
    });
  });
}

/** The floor: one script over one exec that stages all six files, validates, and renames them into place. */
function floorScript(set: BenchResource[], withActivation: boolean): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const files = set.flatMap((r) => r.files.map((f) => ({ ...f, staged: f.path.replace(/[^/]+$/, (b) => `.${b}.floor`) })));
  const lines = ["set -e", "umask 077"];
  for (const f of files) {
    lines.push(`mkdir -p "$(dirname ${q(f.path)})"`);
    lines.push(`printf %s ${q(Buffer.from(f.content).toString("base64"))} | base64 -d > ${q(f.staged)}`);
    lines.push(`chmod ${f.mode ?? "0644"} ${q(f.staged)}`);
  }
  for (const r of set) {
    for (const v of r.validate) {
      lines.push(v.replace(/\{staged(?::([^}]*))?\}/g, (_m, p?: string) => q(files.find((f) => f.path === (p ?? r.files[0].path))!.staged)));
    }
  }
  for (const f of files) lines.push(`mv -f ${q(f.staged)} ${q(f.path)}`);
  if (withActivation) {
    for (const r of set) {
      lines.push(r.activate);
      if (r.healthCheck) lines.push(r.healthCheck);
    }
  }
  return `${lines.join("\n")}\n`;
}

async function floorPush(host: TestHost, script: string): Promise<void> {
  const c = await sshConnect(host);
  try {
    await new Promise<void>((resolve, reject) => {
      c.exec("sh -s", (err, stream) => {
        if (err) return reject(err);
        let stderr = "";
        stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        stream.on("data", () => undefined);
        stream.on("error", reject);
        stream.on("close", (code: number) => (code === 0 ? resolve() : reject(new Error(`floor script failed (${code}): ${stderr}`))));
        stream.end(script);
      });
    });
  } finally {
    c.end();
  }
}

/**
 * The floor from a fresh node process, as the provider host is fresh on every `pulumi up`: the child times itself
 * from before `require("ssh2")` to the end of the exec (node's own start-up excluded, as the provider host's is).
 */
const COLD_FLOOR = `
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const t0 = process.hrtime.bigint();
const { Client } = require("ssh2");
const { startSsh } = require("./providers/ssh/socket");
const crypto = require("crypto");
const c = new Client();
c.on("error", (e) => { console.error(e.message); process.exit(2); });
c.on("ready", () => c.exec("sh -s", (err, stream) => {
  if (err) { console.error(err.message); process.exit(2); }
  let stderr = "";
  stream.stderr.on("data", (d) => (stderr += d));
  stream.resume();
  stream.on("close", (code) => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    c.end();
    if (code !== 0) { console.error("floor script failed (" + code + "): " + stderr); process.exit(3); }
    console.log(JSON.stringify({ ms }));
  });
  stream.end(input.script);
}));
startSsh(c, {
  host: input.host, port: input.port, username: input.username, privateKey: input.privateKey, readyTimeout: 10000,
  hostVerifier: (key) => "SHA256:" + crypto.createHash("sha256").update(key).digest("base64").replace(/=+$/, "") === input.fingerprint,
});
`;

async function coldFloorPush(host: TestHost, script: string): Promise<StepTimes> {
  const input = JSON.stringify({
    host: host.address,
    port: host.port,
    username: host.username,
    privateKey: host.clientPrivateKey,
    fingerprint: host.hostKeyFingerprint,
    script,
  });
  const r = spawnSync(process.execPath, ["--require", "./scripts/register.js", "-e", COLD_FLOOR], { cwd: REPO_ROOT, input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cold floor failed (exit ${r.status}): ${r.stderr}`);
  return { ms: (JSON.parse(r.stdout.trim().split("\n").pop()!) as { ms: number }).ms };
}

async function withProviderHost<T>(fn: (ph: ProviderHost) => Promise<T>): Promise<T> {
  const ph = await startProviderHost();
  try {
    return await fn(ph);
  } finally {
    await ph.stop();
  }
}

/** The figures tracked from run to run (last line of output). */
interface Summary {
  /** check + create of every resource, fresh provider host process (cold: includes loading `__provider`). */
  firstPushMs: number;
  /** The create calls alone (first sent to last answered). */
  firstPushCreateMs: number;
  /** One connection, one exec: write six files (staged, renamed), run the validators; fresh node process. */
  floorMs: number;
  /** The same from the bench's own, warm process (ssh2 loaded, crypto warmed up). */
  floorWarmMs: number;
  firstPushVsFloor: number;
  /** The floor plus every activation and health check in the same exec (what a create must do at least). */
  floorWithActivationMs: number;
  firstPushVsFloorWithActivation: number;
  noopUpSshConnections: number;
  refreshRoundTrips: number;
  connectionsOpened: number;
  noopMs: number;
  updateMs: number;
  updatePushMs: number;
  refreshMs: number;
  firstPushRoundTrips: number;
  updateRoundTrips: number;
  updateSshConnections: number;
  refreshSshConnections: number;
  floorRoundTrips: number;
  resources: number;
  files: number;
  hosts: number;
  reps: number;
  targets: Record<string, boolean>;
}

async function main(): Promise<void> {
  const host = await startTestHost({ haproxy: true, dnsmasq: true });
  try {
    const original = (await host.readFile("/etc/haproxy/haproxy.cfg"))!;
    const set0 = benchSet(host.address, 0);
    const resources = set0.length;
    const files = set0.reduce((n, r) => n + r.files.length, 0);
    let caps0: CapturedResource[];
    try {
      caps0 = await capture(host, set0);
    } catch (e) {
      throw new Error(`cannot declare the HostConfig resources (providers/hostconfig): ${(e as Error).message}`);
    }

    // Floor and first push alternate, so that both see the same load of this (shared) machine.
    const floor: Sample[] = [];
    const floorWarm: Sample[] = [];
    const floorAct: Sample[] = [];
    const first: Sample[] = [];
    const script = floorScript(set0, false);
    const scriptAct = floorScript(set0, true);
    let state: StackState | null = null;
    for (let i = 0; i < REPS; i++) {
      await resetHost(host, original, set0);
      floor.push(await measure(host, () => coldFloorPush(host, script)));
      await resetHost(host, original, set0);
      floorWarm.push(await measure(host, () => floorPush(host, script)));
      await resetHost(host, original, set0);
      floorAct.push(await measure(host, () => coldFloorPush(host, scriptAct)));
      await resetHost(host, original, set0);
      state = await withProviderHost(async (ph) => {
        let s: StackState | null = null;
        first.push(
          await measure(host, async () => {
            const r = await up(ph, caps0, null);
            if (r.ops.create !== resources) throw new Error(`first push created ${r.ops.create} of ${resources}`);
            s = r.state;
            return { mutateMs: r.mutateMs };
          }),
        );
        return s!;
      });
    }
    const f = summarize(floor);
    const fw = summarize(floorWarm);
    const fa = summarize(floorAct);

    const noop: Sample[] = [];
    for (let i = 0; i < REPS; i++) {
      await withProviderHost(async (ph) => {
        noop.push(
          await measure(host, async () => {
            const r = await up(ph, caps0, state);
            if (r.ops.same !== resources) throw new Error(`no-op up changed something: ${JSON.stringify(r.ops)}`);
          }),
        );
      });
    }

    const update: Sample[] = [];
    for (let i = 0; i < REPS; i++) {
      const caps = await capture(host, benchSet(host.address, i + 1));
      await withProviderHost(async (ph) => {
        update.push(
          await measure(host, async () => {
            const r = await up(ph, caps, state);
            if (r.ops.update !== 1 || r.ops.same !== resources - 1) throw new Error(`one-file change did ${JSON.stringify(r.ops)}`);
            state = r.state;
            return { mutateMs: r.mutateMs };
          }),
        );
      });
    }
    const live = await host.readFile("/etc/haproxy/haproxy.cfg");
    if (!live?.includes(`Revision ${REPS}.`)) throw new Error("the one-file change did not reach the host");

    const refreshes: Sample[] = [];
    for (let i = 0; i < REPS; i++) {
      await withProviderHost(async (ph) => {
        refreshes.push(
          await measure(host, async () => {
            state = await refresh(ph, caps0, state!);
          }),
        );
      });
    }

    const p = summarize(first);
    const n = summarize(noop);
    const u = summarize(update);
    const r = summarize(refreshes);
    const rows: [string, PhaseSummary][] = [
      ["floor (1 conn, 1 exec)", f],
      ["floor, warm process", fw],
      ["floor + activate + health", fa],
      ["first push (create)", p],
      ["no-op up (diff)", n],
      ["one-file change (update)", u],
      ["refresh (read)", r],
    ];
    console.log(`bench: ${resources} resources, ${files} files, 1 host, ${REPS} repetitions, medians (sshd-side counts)`);
    console.log(`${"phase".padEnd(26)} ${"ms".padStart(7)}  conns  round trips  sftp req  push ms  samples ms`);
    for (const [name, s] of rows) {
      console.log(
        `${name.padEnd(26)} ${String(s.ms).padStart(7)}  ${String(s.connections).padStart(5)}  ${String(s.roundTrips).padStart(11)}  ${String(s.sftpRequests).padStart(8)}  ${String(s.mutateMs ?? "-").padStart(9)}  ${s.samplesMs.join(" ")}`,
      );
    }
    const ratio = Math.round((p.ms / f.ms) * 100) / 100;
    const summary: Summary = {
      firstPushMs: p.ms,
      firstPushCreateMs: p.mutateMs ?? 0,
      floorMs: f.ms,
      floorWarmMs: fw.ms,
      firstPushVsFloor: ratio,
      floorWithActivationMs: fa.ms,
      firstPushVsFloorWithActivation: Math.round((p.ms / fa.ms) * 100) / 100,
      noopUpSshConnections: n.connections,
      refreshRoundTrips: r.roundTrips,
      connectionsOpened: p.connections,
      noopMs: n.ms,
      updateMs: u.ms,
      updatePushMs: u.mutateMs ?? 0,
      refreshMs: r.ms,
      firstPushRoundTrips: p.roundTrips,
      updateRoundTrips: u.roundTrips,
      updateSshConnections: u.connections,
      refreshSshConnections: r.connections,
      floorRoundTrips: f.roundTrips,
      resources,
      files,
      hosts: 1,
      reps: REPS,
      targets: {
        firstPushWithin1_5xFloor: ratio <= 1.5,
        noopOpensNoConnection: n.connections === 0,
        refreshOneRoundTripPerResource: r.roundTrips === resources && r.sftpRequests === 0,
        refreshOneConnectionPerHost: r.connections === 1,
        connectionsPerDeploymentEqualHosts: p.connections === 1 && u.connections === 1,
      },
    };
    console.log(JSON.stringify(summary));
  } finally {
    await host.stop();
  }
}

let finished = false;
process.on("beforeExit", () => {
  // The loop ran dry while main() was still waiting: a bug (e.g. an awaited child handle was unref'd). Never exit 0.
  if (!finished) {
    console.error("bench failed: the event loop emptied before the bench finished");
    process.exit(1);
  }
});
main().then(
  () => {
    finished = true;
    process.exit(0);
  },
  (e) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);

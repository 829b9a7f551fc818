/**
 * A real SSH test host for the provider tests: Debian's sshd, haproxy and (optionally) dnsmasq running in their own
 * network namespace and a private mount namespace on this machine.
 *
 * Layout inside the test host (mount namespace of the holder process):
 * - /etc, /var and /usr/local are overlays whose upper layer lives in a tmpfs: writes never reach this machine.
 * - tmpfs over the managed dirs (/etc/haproxy, /etc/dnsmasq.d, /etc/cloudflared, /etc/systemd/system, /etc/sysctl.d,
 *   /etc/nftables.d, /etc/pve), over /root (clean home: only .ssh/authorized_keys, so no slow shell start-up files),
 *   /run (so /run/systemd/system does not exist), /tmp, /var/tmp and /usr/local/sbin (the stand-in `systemctl`).
 * - The host's private state dir (keys, sshd log, pid files, systemctl log) is bind-mounted at /run/nevetest.
 *
 * Network: netns `nevetest-<pid>-<seq>`, a veth pair `nvt<n>` (root side, 10.254.<n>.1/30) <-> `vmbr0` (host side,
 * 10.254.<n>.2/30). No default route inside: the test host can reach nothing but the root side of its veth.
 *
 * Cleanup: `stop()` (idempotent), a process 'exit' handler, a detached watchdog that cleans up when the test process
 * dies without running its exit handlers (SIGKILL), and a sweep of stale namespaces/dirs of dead runs at each start.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onProcessExit, realProcess } from "./exitHook";

/** Options of {@link startTestHost}. */
export interface TestHostOptions {
  /** start a real haproxy inside the host (with a minimal valid /etc/haproxy/haproxy.cfg). Default true. */
  haproxy?: boolean;
  /** start a real dnsmasq inside the host on `vmbr1` (a bridge with 10.10.10.1/24 inside the netns; this kernel has no dummy links). Default false. */
  dnsmasq?: boolean;
  /**
   * Put the SSH address on a Linux bridge, as on neve: inside the netns the veth end is `nic0`, the only port of
   * the bridge `vmbr0`, which holds 10.254.<n>.2/30 (default: the address sits on the veth end, named `vmbr0`).
   * With it, an /etc/network/interfaces that ifupdown2 applies inside the netns manages the interface SSH uses.
   */
  bridgedSsh?: boolean;
}

/** The veth end inside the netns that is `vmbr0`'s port with {@link TestHostOptions.bridgedSsh}. */
export const BRIDGED_SSH_PORT = "nic0";

/** Result of a command run inside the test host. */
export interface ExecResult {
  /** Exit code (128 + signal number when killed by a signal). */
  code: number;
  /** Standard output, UTF-8. */
  stdout: string;
  /** Standard error, UTF-8. */
  stderr: string;
}

/** A running test host. */
export interface TestHost {
  /** IPv4 of the sshd, inside the test host's own netns, reachable from the root netns over a veth pair. */
  address: string;
  /** SSH port: 22. */
  port: number;
  /** SSH user: "root". */
  username: string;
  /** OpenSSH private key (ed25519) authorized for root on the test host. */
  clientPrivateKey: string;
  /** A key that is NOT authorized (wrong-key tests). */
  otherPrivateKey: string;
  /** "SHA256:..." exactly as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** "ssh-ed25519 AAAA..." (known_hosts style, without host name). */
  hostKeyLine: string;
  /** Name of the network namespace (for diagnostics). */
  netns: string;
  /**
   * `sha256:<hex>` of the /etc/haproxy/haproxy.cfg the harness writes at start: a test that adopts that live file
   * acknowledges exactly this content (HostConfig `files[].acceptLive`), as an operator does with discover.
   */
  initialHaproxyCfgHash: string;
  /** Run a shell command as root INSIDE the host's mount+net namespaces (nsenter; NOT over ssh). */
  exec(cmd: string): Promise<ExecResult>;
  /** Content of a file inside the host; null when absent. */
  readFile(path: string): Promise<string | null>;
  /** Write a file inside the host (parent dirs created), optionally chmod to `mode` (e.g. "0644"). */
  writeFile(path: string, content: string, mode?: string): Promise<void>;
  /** Lines recorded by the stand-in systemctl, oldest first, e.g. "reload haproxy". */
  systemctlCalls(): Promise<string[]>;
  /** Forget the recorded systemctl calls. */
  clearSystemctlCalls(): Promise<void>;
  /** Make the next calls of `systemctl <verb> <unit>` fail (exit 1) until cleared. */
  failSystemctl(verb: string, unit: string, fail: boolean): Promise<void>;
  /** PID of the running haproxy (the one in the pid file, if alive), else null. */
  haproxyPid(): Promise<number | null>;
  /** nft rule in the host's own netns that drops NEW tcp connections to port 22 (established ones survive). */
  blockSsh(): Promise<void>;
  /** Remove the rule of {@link blockSsh}. */
  unblockSsh(): Promise<void>;
  /**
   * The sshd log so far (LogLevel VERBOSE): one "Accepted publickey" line per authenticated connection, one
   * "Starting session: command ..." per exec channel, "subsystem request for sftp" per sftp channel.
   */
  sshdLog(): Promise<string>;
  /** Kill every process of the host, delete the netns and temp dirs. Idempotent. */
  stop(): Promise<void>;
}

const NETNS_PREFIX = "nevetest-";
const LINK_PREFIX = "nvt";
/** Mount point of the host's state dir inside the host. */
const STATE_IN_HOST = "/run/nevetest";
const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

let seq = 0;
const live = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  onProcessExit(() => {
    for (const stop of [...live]) stop();
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function runSync(cmd: string, args: string[], input?: string): ExecResult {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", env: { PATH: HOST_PATH, LANG: "C" } });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { code: r.status ?? 128, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function mustSync(cmd: string, args: string[], input?: string): string {
  const r = runSync(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: "/", env: opts.env ?? { PATH: HOST_PATH, LANG: "C" } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? 128 + (signal ? os.constants.signals[signal] : 0),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** True while the process exists and is not a zombie (this machine's init may reap orphans late). */
export function pidAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

function netnsPids(ns: string): number[] {
  const r = runSync("ip", ["netns", "pids", ns]);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** Kill everything in the netns, delete it and its root-side link, remove the state dir. Synchronous for 'exit'. */
function teardownSync(ns: string, link: string | null, dir: string | null, extraPids: number[]): void {
  for (const pid of extraPids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 50; i++) {
    const pids = netnsPids(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    sleepSync(40);
  }
  runSync("ip", ["netns", "delete", ns]);
  if (link) runSync("ip", ["link", "delete", link]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Remove namespaces and state dirs left behind by test runs whose process is gone. */
function sweepStale(): void {
  const list = runSync("ip", ["netns", "list"]);
  for (const line of list.stdout.split("\n")) {
    const name = line.split(" ")[0];
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-\\d+$`).exec(name);
    if (m && !pidAlive(Number(m[1]))) teardownSync(name, null, null, []);
  }
  for (const entry of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)-`).exec(entry);
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
  }
}

function keygen(file: string, comment: string): void {
  mustSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
}

/** Stand-in for systemd's systemctl, installed as /usr/local/sbin/systemctl inside the test host. */
function systemctlScript(): string {
  return `#!/bin/sh
# TEST STAND-IN for systemd's systemctl (neve-infra test harness, tests/host/harness/testHost.ts).
# The test host has no systemd as PID 1. This script records each call (one line, its arguments) in
# ${STATE_IN_HOST}/systemctl.log and performs the real action for the services the tests run for real:
#   haproxy: start, stop, restart, reload (graceful: new process with -sf old pids; exit code is the new
#            haproxy's, so a bad config or a failed bind fails the reload and the old process keeps running),
#            reload-or-restart, try-reload-or-restart, is-active, status
#   dnsmasq: start, stop, restart, reload (SIGHUP), is-active, status
# Any other unit or verb (daemon-reload, enable, units without a real process): recorded, exit 0.
# Failures are injected by the file ${STATE_IN_HOST}/systemctl-fail/<verb>@<unit> (unit without .service).
S=${STATE_IN_HOST}
echo "$*" >> "$S/systemctl.log"

HAPROXY_PID="$S/haproxy.pid"
DNSMASQ_PID="$S/dnsmasq.pid"

running() { # pid; a zombie is not running (this machine's init may reap late)
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
alive() { # pidfile
  [ -s "$1" ] || return 1
  for p in $(cat "$1"); do running "$p" && return 0; done
  return 1
}
stop_pidfile() { # pidfile
  [ -s "$1" ] || return 0
  pids=$(cat "$1")
  kill $pids 2>/dev/null
  i=0
  while [ $i -lt 500 ]; do
    still=""
    for p in $pids; do running "$p" && still=1; done
    [ -z "$still" ] && break
    sleep 0.01; i=$((i + 1))
  done
  kill -9 $pids 2>/dev/null
  rm -f "$1"
  return 0
}
haproxy_launch() { # extra args; the pid file is only replaced when the new process started
  rm -f "$HAPROXY_PID.new"
  haproxy -D -f /etc/haproxy/haproxy.cfg -p "$HAPROXY_PID.new" "$@" || { rc=$?; rm -f "$HAPROXY_PID.new"; return $rc; }
  mv -f "$HAPROXY_PID.new" "$HAPROXY_PID"
}
haproxy_do() {
  case "$1" in
    start) alive "$HAPROXY_PID" || haproxy_launch ;;
    stop) stop_pidfile "$HAPROXY_PID" ;;
    restart) stop_pidfile "$HAPROXY_PID"; haproxy_launch ;;
    reload)
      if ! alive "$HAPROXY_PID"; then echo "Job for haproxy.service failed: haproxy is not active, cannot reload." >&2; return 1; fi
      haproxy_launch -sf $(cat "$HAPROXY_PID") ;;
    reload-or-restart|try-reload-or-restart|try-restart)
      if alive "$HAPROXY_PID"; then haproxy_launch -sf $(cat "$HAPROXY_PID"); elif [ "$1" = reload-or-restart ]; then haproxy_launch; fi ;;
    is-active|status) if alive "$HAPROXY_PID"; then echo active; else echo inactive; return 3; fi ;;
    *) return 0 ;;
  esac
}
dnsmasq_launch() {
  dnsmasq -x "$DNSMASQ_PID" --conf-dir=/etc/dnsmasq.d,.dpkg-dist,.dpkg-old,.dpkg-new,.bak
}
dnsmasq_do() {
  case "$1" in
    start) alive "$DNSMASQ_PID" || dnsmasq_launch ;;
    stop) stop_pidfile "$DNSMASQ_PID" ;;
    restart|reload-or-restart|try-restart) stop_pidfile "$DNSMASQ_PID"; dnsmasq_launch ;;
    reload) alive "$DNSMASQ_PID" || { echo "dnsmasq is not active, cannot reload." >&2; return 1; }; kill -HUP $(cat "$DNSMASQ_PID") ;;
    is-active|status) if alive "$DNSMASQ_PID"; then echo active; else echo inactive; return 3; fi ;;
    *) return 0 ;;
  esac
}

verb=""
units=""
for a in "$@"; do
  case "$a" in
    -*) ;;
    *) if [ -z "$verb" ]; then verb="$a"; else units="$units $a"; fi ;;
  esac
done
if [ -z "$units" ]; then
  if [ -e "$S/systemctl-fail/$verb@" ]; then echo "systemctl (test stand-in): injected failure of $verb" >&2; exit 1; fi
  exit 0
fi
rc=0
for u in $units; do
  unit="\${u%.service}"
  if [ -e "$S/systemctl-fail/$verb@$unit" ]; then
    echo "Job for $unit.service failed (systemctl test stand-in: injected failure of $verb $unit)." >&2
    rc=1
    continue
  fi
  case "$unit" in
    haproxy) haproxy_do "$verb" || rc=$? ;;
    dnsmasq) dnsmasq_do "$verb" || rc=$? ;;
    *) ;;
  esac
done
exit $rc
`;
}

function haproxyConfig(address: string): string {
  return `# Minimal valid haproxy.cfg written by the test harness (tests/host/harness/testHost.ts).
global
    maxconn 256

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe_http
    bind ${address}:80
    http-request return status 200 content-type text/plain string "test host"

listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
`;
}

function sshdConfig(address: string): string {
  return `# sshd_config of a neve-infra test host (tests/host/harness/testHost.ts).
Port 22
ListenAddress ${address}
HostKey ${STATE_IN_HOST}/ssh_host_ed25519_key
PidFile ${STATE_IN_HOST}/sshd.pid
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
# VERBOSE logs "Accepted publickey" per connection and "Starting session: ..." per exec channel (counted by the bench).
LogLevel VERBOSE
# -l INFO makes internal-sftp log each file operation too.
Subsystem sftp internal-sftp -l INFO
MaxStartups 100:30:200
MaxSessions 64
ClientAliveInterval 0
`;
}

/** Runs inside `ip netns exec NS unshare --mount --propagation private`: builds the host, prints READY, then waits. */
function holderScript(dir: string, opts: Required<TestHostOptions>): string {
  const managed = [
    "/etc/haproxy",
    "/etc/dnsmasq.d",
    "/etc/cloudflared",
    "/etc/systemd/system",
    "/etc/sysctl.d",
    "/etc/nftables.d",
    "/etc/pve",
    "/usr/local/sbin",
    "/var/tmp",
  ];
  return `set -eu
cd /
D='${dir}'
echo $$ > "$D/holder.pid"
# Overlays with their upper layers in a tmpfs private to this mount namespace: writes never reach the machine.
mount -t tmpfs -o mode=0700 nevetest-upper "$D/upper"
for d in etc var usr/local; do
  n=$(echo "$d" | tr / _)
  mkdir -p "$D/upper/$n.up" "$D/upper/$n.work"
  if ! mount -t overlay overlay -o "lowerdir=/$d,upperdir=$D/upper/$n.up,workdir=$D/upper/$n.work" "/$d"; then
    # no overlayfs: a tmpfs holding a copy
    mkdir -p "$D/upper/$n.copy"; cp -a "/$d/." "$D/upper/$n.copy/"
    mount -t tmpfs -o mode=0755 "nevetest-$n" "/$d"; cp -a "$D/upper/$n.copy/." "/$d/"
  fi
done
mount -t tmpfs -o mode=0755 nevetest-run /run
mkdir -p ${STATE_IN_HOST} /run/sshd
# ifupdown2 takes its lock /run/network/.lock (ifupdown/main.py, Debian ifupdown2 3.0.0-1.1: without the directory it says
# "Another instance of this program is already running") and keeps its state there; at boot sbin/start-networking makes it.
mkdir -p /run/network
chmod 0755 /run/sshd
mount --bind "$D" ${STATE_IN_HOST}
mount -t tmpfs -o mode=1777 nevetest-tmp /tmp
mount -t tmpfs -o mode=0700 nevetest-root /root
for d in ${managed.join(" ")}; do
  mkdir -p "$d"
  mount -t tmpfs -o mode=0755 nevetest "$d"
done
chmod 1777 /var/tmp
mkdir -p /root/.ssh
chmod 0700 /root/.ssh
cp ${STATE_IN_HOST}/authorized_keys /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
install -m 0755 ${STATE_IN_HOST}/systemctl /usr/local/sbin/systemctl
install -m 0644 ${STATE_IN_HOST}/haproxy.cfg.initial /etc/haproxy/haproxy.cfg
export PATH=${HOST_PATH} HOME=/root
/usr/sbin/sshd -f ${STATE_IN_HOST}/sshd_config -E ${STATE_IN_HOST}/sshd.log
${opts.haproxy ? "systemctl start haproxy" : ":"}
${
  opts.dnsmasq
    ? `ip link add vmbr1 type bridge
ip link add vmbr1p0 type veth peer name vmbr1p1
ip link set vmbr1p0 master vmbr1
ip link set vmbr1p0 up
ip link set vmbr1p1 up
ip addr add 10.10.10.1/24 dev vmbr1
ip link set vmbr1 up
systemctl start dnsmasq`
    : ":"
}
: > ${STATE_IN_HOST}/systemctl.log
echo "READY $$"
exec sleep infinity > /dev/null 2>&1 < /dev/null
`;
}

/** Create the netns and a veth pair with a free 10.254.<n>.0/30; the link name reserves n atomically. */
function createNetwork(ns: string, bridged: boolean): { n: number; link: string } {
  mustSync("ip", ["netns", "add", ns]);
  const start = (process.pid + seq * 7) % 254;
  for (let i = 0; i < 254; i++) {
    const n = ((start + i) % 254) + 1;
    const link = `${LINK_PREFIX}${n}`;
    if (runSync("ip", ["-4", "route", "show", `10.254.${n}.0/30`]).stdout.trim() !== "") continue;
    const r = runSync("ip", ["link", "add", link, "type", "veth", "peer", "name", bridged ? BRIDGED_SSH_PORT : "vmbr0", "netns", ns]);
    if (r.code !== 0) {
      if (/exists/i.test(r.stderr)) continue;
      runSync("ip", ["netns", "delete", ns]);
      throw new Error(`ip link add ${link} failed: ${r.stderr.trim()}`);
    }
    mustSync("ip", ["addr", "add", `10.254.${n}.1/30`, "dev", link]);
    mustSync("ip", ["link", "set", link, "up"]);
    if (bridged) {
      // STP off (the kernel's default): the port forwards at once, as `bridge-stp off` / `bridge-fd 0` leave it.
      mustSync("ip", ["-n", ns, "link", "add", "vmbr0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
      mustSync("ip", ["-n", ns, "link", "set", BRIDGED_SSH_PORT, "master", "vmbr0"]);
      mustSync("ip", ["-n", ns, "link", "set", BRIDGED_SSH_PORT, "up"]);
    }
    mustSync("ip", ["-n", ns, "addr", "add", `10.254.${n}.2/30`, "dev", "vmbr0"]);
    mustSync("ip", ["-n", ns, "link", "set", "vmbr0", "up"]);
    mustSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    return { n, link };
  }
  runSync("ip", ["netns", "delete", ns]);
  throw new Error("no free 10.254.<n>.0/30 for a test host: too many test hosts alive?");
}

/** Detached watchdog: when the test process dies without its exit handlers, it tears the host down. */
function startWatchdog(ns: string, link: string, dir: string): number {
  const script = `
while kill -0 ${realProcess.pid} 2>/dev/null; do sleep 1; done
for i in 1 2 3 4 5; do p=$(ip netns pids ${ns} 2>/dev/null); [ -z "$p" ] && break; kill -9 $p; sleep 0.1; done
ip netns delete ${ns} 2>/dev/null
ip link delete ${link} 2>/dev/null
rm -rf '${dir}'
`;
  const child = spawn("/bin/sh", ["-c", script], { cwd: "/", detached: true, stdio: "ignore", env: { PATH: HOST_PATH } });
  child.unref();
  return child.pid ?? 0;
}

function waitReady(child: ChildProcess, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => fail(new Error("test host did not get ready within 60 s")), 60000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      let log = "";
      try {
        log = fs.readFileSync(logFile, "utf8");
      } catch {
        // no log
      }
      reject(new Error(`${e.message}\n${log}`));
    };
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const m = /READY (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.stdout!.destroy();
        child.unref();
        resolve(Number(m[1]));
      }
    });
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`test host setup failed (exit ${code})`)));
  });
}

/** Start a test host. Call `stop()` in afterAll; a process 'exit' handler stops forgotten ones too. */
export async function startTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const opts: Required<TestHostOptions> = {
    haproxy: options.haproxy ?? true,
    dnsmasq: options.dnsmasq ?? false,
    bridgedSsh: options.bridgedSsh ?? false,
  };
  installExitHook();
  sweepStale();
  seq++;
  const ns = `${NETNS_PREFIX}${process.pid}-${seq}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${NETNS_PREFIX}${process.pid}-`));
  fs.chmodSync(dir, 0o700);
  fs.mkdirSync(path.join(dir, "upper"));
  fs.mkdirSync(path.join(dir, "systemctl-fail"));

  let link: string | null = null;
  let holderPid = 0;
  let watchdogPid = 0;
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    live.delete(stopSync);
    teardownSync(
      ns,
      link,
      dir,
      [watchdogPid, holderPid].filter((p) => p > 0),
    );
  };
  live.add(stopSync);

  try {
    keygen(path.join(dir, "ssh_host_ed25519_key"), "nevetest-host");
    keygen(path.join(dir, "client_key"), "nevetest-client");
    keygen(path.join(dir, "other_key"), "nevetest-other");
    const hostPub = fs.readFileSync(path.join(dir, "ssh_host_ed25519_key.pub"), "utf8").trim().split(/\s+/);
    const hostKeyLine = `${hostPub[0]} ${hostPub[1]}`;
    const fingerprint = mustSync("ssh-keygen", ["-lf", path.join(dir, "ssh_host_ed25519_key.pub")]).split(/\s+/)[1];
    fs.copyFileSync(path.join(dir, "client_key.pub"), path.join(dir, "authorized_keys"));

    const net = createNetwork(ns, opts.bridgedSsh);
    link = net.link;
    const address = `10.254.${net.n}.2`;
    fs.writeFileSync(path.join(dir, "sshd_config"), sshdConfig(address));
    fs.writeFileSync(path.join(dir, "systemctl"), systemctlScript(), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "haproxy.cfg.initial"), haproxyConfig(address));
    fs.writeFileSync(path.join(dir, "systemctl.log"), "");
    fs.writeFileSync(path.join(dir, "holder.sh"), holderScript(dir, opts));
    watchdogPid = startWatchdog(ns, link, dir);

    const logFile = path.join(dir, "holder.log");
    const logFd = fs.openSync(logFile, "a");
    const child = spawn(
      "ip",
      ["netns", "exec", ns, "unshare", "--mount", "--propagation", "private", "/bin/sh", path.join(dir, "holder.sh")],
      // cwd "/": the repo may live under /tmp, which the host hides under its own tmpfs, and haproxy
      // (chroot) must be able to return to its start directory.
      { cwd: "/", detached: true, stdio: ["ignore", "pipe", logFd], env: { PATH: HOST_PATH, LANG: "C" } },
    );
    fs.closeSync(logFd);
    holderPid = child.pid ?? 0;
    holderPid = await waitReady(child, logFile);

    const nsenter = (cmd: string, input?: string) =>
      run("nsenter", ["-t", String(holderPid), "-m", "-n", "--", "/bin/sh", "-c", cmd], {
        input,
        env: { PATH: HOST_PATH, HOME: "/root", LANG: "C" },
      });
    const must = async (cmd: string, what: string, input?: string) => {
      const r = await nsenter(cmd, input);
      if (r.code !== 0) throw new Error(`${what} failed on test host (exit ${r.code}): ${r.stderr.trim()}`);
      return r;
    };
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

    const host: TestHost = {
      address,
      port: 22,
      username: "root",
      clientPrivateKey: fs.readFileSync(path.join(dir, "client_key"), "utf8"),
      otherPrivateKey: fs.readFileSync(path.join(dir, "other_key"), "utf8"),
      hostKeyFingerprint: fingerprint,
      initialHaproxyCfgHash: `sha256:${createHash("sha256").update(haproxyConfig(address), "utf8").digest("hex")}`,
      hostKeyLine,
      netns: ns,
      exec: (cmd) => nsenter(cmd),
      async readFile(p) {
        const r = await nsenter(`if [ -e ${q(p)} ]; then cat -- ${q(p)}; else exit 44; fi`);
        if (r.code === 44) return null;
        if (r.code !== 0) throw new Error(`readFile ${p} failed on test host: ${r.stderr.trim()}`);
        return r.stdout;
      },
      async writeFile(p, content, mode) {
        const chmod = mode ? ` && chmod ${q(mode)} ${q(p)}` : "";
        await must(`mkdir -p "$(dirname ${q(p)})" && cat > ${q(p)}${chmod}`, `writeFile ${p}`, content);
      },
      async systemctlCalls() {
        return fs.readFileSync(path.join(dir, "systemctl.log"), "utf8").split("\n").filter(Boolean);
      },
      async clearSystemctlCalls() {
        fs.writeFileSync(path.join(dir, "systemctl.log"), "");
      },
      async failSystemctl(verb, unit, fail) {
        const f = path.join(dir, "systemctl-fail", `${verb}@${unit.replace(/\.service$/, "")}`);
        if (fail) fs.writeFileSync(f, "");
        else fs.rmSync(f, { force: true });
      },
      async haproxyPid() {
        let text: string;
        try {
          text = fs.readFileSync(path.join(dir, "haproxy.pid"), "utf8");
        } catch {
          return null;
        }
        const pid = Number(text.split("\n")[0]);
        return pid > 0 && pidAlive(pid) ? pid : null;
      },
      async blockSsh() {
        // Only a SYN without ACK is dropped: new connections hang (as after a real lock-out), established ones live.
        await must(
          "nft -f -",
          "blockSsh",
          `table inet nevetest_block {
  chain input {
    type filter hook input priority -300; policy accept;
    tcp dport 22 tcp flags & (syn | ack) == syn drop
  }
}
`,
        );
      },
      async unblockSsh() {
        await nsenter("nft delete table inet nevetest_block");
      },
      async sshdLog() {
        return fs.readFileSync(path.join(dir, "sshd.log"), "utf8");
      },
      async stop() {
        stopSync();
      },
    };
    return host;
  } catch (e) {
    stopSync();
    throw e;
  }
}

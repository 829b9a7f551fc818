/**
 * The SSH layer under HostConfig, through the REAL provider host against a REAL sshd: host key pinning, auth errors,
 * unreachable hosts, a connection cut in the middle of a push, path injection, and one pooled connection per host.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { close, exec } from "../../providers/ssh/client";
import { MAX_CHANNELS, withConnection } from "../../providers/ssh/pool";
import { conn, create, declare, haproxyCfg, haproxyConfigArgs, hostGate, type State, statOf, up, waitFor } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";
const OTHER_FP = `SHA256:${"A".repeat(43)}`;

function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, "g")) ?? []).length;
}

describe("HostConfig over SSH (real provider host, real sshd)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    // No agent in this provider host: auth is by connection.privateKey only, unless a test says otherwise.
    [host, ph] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost({ env: { SSH_AUTH_SOCK: undefined } })]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const args = (content: string, over: Partial<HostConfigArgs> = {}) => haproxyConfigArgs(host, content, over);

  it("must refuse a host key mismatch before authenticating, showing expected and actual fingerprints, writing nothing", async () => {
    const before = await statOf(host, CFG);
    const logBefore = await host.sshdLog();
    const d = await declare("haproxy", args(haproxyCfg(host, "mismatch"), { connection: conn(host, { hostKey: OTHER_FP }) }));
    const err = create(ph, d);
    await expect(err).rejects.toThrow(
      `host key mismatch for root@${host.address}:22: expected ${OTHER_FP}, got ${host.hostKeyFingerprint} (ssh-ed25519); refused before authentication`,
    );
    expect(await statOf(host, CFG)).toBe(before);
    const newLog = (await host.sshdLog()).slice(logBefore.length);
    expect(newLog).not.toMatch(/Accepted publickey|Failed publickey|Starting session|Postponed publickey/);
  });

  it("must report a pinned key of another type as a host key mismatch naming the expected and offered types", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-rsa-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", path.join(dir, "k")]);
      const rsaLine = fs.readFileSync(path.join(dir, "k.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
      const rsaFp = execFileSync("ssh-keygen", ["-lf", path.join(dir, "k.pub")], { encoding: "utf8" }).split(" ")[1];
      const before = await statOf(host, CFG);
      const d = await declare("haproxy", args(haproxyCfg(host, "rsa pin"), { connection: conn(host, { hostKey: rsaLine }) }));
      await expect(create(ph, d)).rejects.toThrow(
        `host key mismatch for root@${host.address}:22: expected the ssh-rsa key ${rsaFp}, but the host offers only ssh-ed25519; refused before authentication`,
      );
      expect(await statOf(host, CFG)).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("must accept the pin as a known_hosts-style key line", async () => {
    const d = await declare("pinline", {
      connection: conn(host, { hostKey: host.hostKeyLine }),
      service: "pinline",
      files: [{ path: "/etc/haproxy/pinline.txt", content: "pinned by key line\n" }],
    });
    await create(ph, d);
    expect(await host.readFile("/etc/haproxy/pinline.txt")).toBe("pinned by key line\n");
  });

  it("must report a refused key as an authentication error naming user@host:port, writing nothing", async () => {
    const before = await statOf(host, CFG);
    const d = await declare("haproxy", args(haproxyCfg(host, "wrong key"), { connection: conn(host, { privateKey: host.otherPrivateKey }) }));
    await expect(create(ph, d)).rejects.toThrow(`SSH authentication refused for root@${host.address}:22 (publickey from connection.privateKey)`);
    expect(await statOf(host, CFG)).toBe(before);
  });

  it("must report an unreachable port as such, naming user@host:port", async () => {
    const d = await declare("haproxy", args(haproxyCfg(host, "x"), { connection: conn(host, { port: 2222 }) }));
    await expect(create(ph, d)).rejects.toThrow(`cannot reach root@${host.address}:2222: connection refused`);
  });

  let state: State;

  it("must keep the target file intact when the connection drops in the middle of a push, and reconnect next time", async () => {
    state = await create(ph, await declare("haproxy", args(haproxyCfg(host, "before drop"))));
    const before = await statOf(host, CFG);
    const pid = await host.haproxyPid();
    await host.clearSystemctlCalls();
    // The first validator waits at a gate until the test lets it go; meanwhile every established SSH connection of the
    // host is killed on the host side. The test waits for the push to reach the gate, not for an amount of time.
    const gate = hostGate(host, "drop-during-validation");
    const d = await declare("haproxy", args(haproxyCfg(host, "after drop"), { validate: [gate.command, "haproxy -c -f {staged}"] }));
    const push = up(ph, state, d);
    const pushErr = push.then(
      () => null,
      (e: Error) => e,
    );
    expect(await gate.reached()).toBe(true);
    expect((await host.exec("ls -A /etc/haproxy")).stdout).toContain(".neve-stage-");
    const killed = await host.exec(
      `pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids; echo "$pids"`,
    );
    expect(killed.stdout.trim()).not.toBe("");
    const e = await pushErr;
    expect(e).not.toBeNull();
    expect(e!.message).toMatch(new RegExp(`HostConfig haproxy on root@${host.address.replace(/\./g, "\\.")}:22: .*(lost|without an exit status)`));
    // Let the orphaned script go on: once it notices the dead connection, it stops before the swap and removes its staged copy.
    await gate.release();
    expect(await waitFor(async () => !(await host.exec("ls -A /etc/haproxy")).stdout.includes(".neve-stage-"))).toBe(true);
    expect(await statOf(host, CFG)).toBe(before);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before drop"));
    expect(await host.haproxyPid()).toBe(pid);
    expect(await host.systemctlCalls()).toEqual([]);
    // The pool noticed the dead connection: the next push opens a new one and succeeds.
    const { state: next } = await up(ph, state, await declare("haproxy", args(haproxyCfg(host, "after reconnect"))));
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "after reconnect"));
    state = next;
  });

  it("must say the host finishes the push on its own, and that the next up finds the files as the host left them, when the connection is lost after the swap", async () => {
    await host.clearSystemctlCalls();
    // Activation waits at a gate; the connection is killed once the push is there (the new file is in place by then).
    const gate = hostGate(host, "cut-during-activation");
    const d = await declare("haproxy", args(haproxyCfg(host, "swapped, then cut"), { activate: `${gate.command}; systemctl reload haproxy` }));
    const pushErr = up(ph, state, d).then(
      () => null,
      (e: Error) => e,
    );
    expect(await gate.reached()).toBe(true);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "swapped, then cut"));
    await host.exec(`pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids`);
    const e = await pushErr;
    await gate.release();
    expect(e?.message).toMatch(
      /was lost while running the push of haproxy, after the swap had begun: the host finishes the push on its own, activation, health check and rollback included \(the previous files are in \/root\/etc-pve\.stash\/haproxy\/\S+\), and marks the files until it ends verified\. The next `pulumi up` finds the files as the host left them, says how this push ended, and re-runs activation and health check for any file whose push did not end verified\./,
    );
    // The next up does: the host finished the push (activation included), so the live file holds the new text; the resource records it.
    const { state: next } = await up(ph, state, d);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "swapped, then cut"));
    state = next;
  });

  it("must never run more channels at once on one pooled connection than its limit, however many are asked for", async () => {
    const target = { host: host.address, port: 22, username: "root", hostKey: host.hostKeyFingerprint, privateKey: host.clientPrivateKey };
    let inside = 0;
    let peak = 0;
    const one = () =>
      withConnection(target, async (s) => {
        inside++;
        peak = Math.max(peak, inside);
        try {
          return await exec(s, "sleep 0.3; echo ok", { label: "a channel" });
        } finally {
          inside--;
        }
      });
    const results = await Promise.all(Array.from({ length: 3 * MAX_CHANNELS }, one));
    expect(results.every((r) => r.code === 0 && r.stdout === "ok\n")).toBe(true);
    expect(peak).toBe(MAX_CHANNELS);
    await withConnection(target, async (s) => close(s));
  });

  it("must pass a hostile path to the shell as one literal word: the file gets that exact name, nothing else runs", async () => {
    const evil = `/etc/haproxy/x $(touch /etc/haproxy/PWNED1) \`touch /etc/haproxy/PWNED2\` '; touch /etc/haproxy/PWNED3; ' "q".cfg`;
    const d = await declare("evil", {
      connection: conn(host),
      service: "evil",
      files: [{ path: evil, content: "literal\n" }],
      validate: ["test -s {staged}", `grep -q literal {staged:${evil}}`],
      activate: "true",
    });
    const s = await create(ph, d);
    const listing = await host.exec("ls -A /etc/haproxy");
    expect(listing.stdout).not.toMatch(/PWNED/);
    expect(await host.readFile(evil)).toBe("literal\n");
    // And back out again on delete ("remove"), still literal.
    await ph.delete(s.id, d.urn, { ...s.outputs, onDelete: "remove" });
    expect(await host.readFile(evil)).toBeNull();
    expect((await host.exec("ls -A /etc/haproxy")).stdout).not.toMatch(/PWNED/);
  });

  it("must reuse one pooled connection per host: a refresh of several resources opens no new connection, one exec each", async () => {
    const a = await create(ph, await declare("pool-a", { connection: conn(host), service: "pool-a", files: [{ path: "/etc/haproxy/a.txt", content: "a\n" }] }));
    const b = await create(ph, await declare("pool-b", { connection: conn(host), service: "pool-b", files: [{ path: "/etc/haproxy/b.txt", content: "b\n" }] }));
    const log0 = await host.sshdLog();
    await Promise.all([ph.read(a.id, "", a.outputs), ph.read(b.id, "", b.outputs), ph.read(state.id, "", state.outputs)]);
    const fresh = (await host.sshdLog()).slice(log0.length);
    expect(count(fresh, /Accepted publickey/)).toBe(0);
    expect(count(fresh, /Starting session: command/)).toBe(3);
  });

  describe("auth by ssh-agent (SSH_AUTH_SOCK)", () => {
    let dir: string;
    let agent: ChildProcess | undefined;
    let phAgent: ProviderHost | undefined;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-agent-"));
      const sock = path.join(dir, "agent.sock");
      agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
      if (!(await waitFor(() => fs.existsSync(sock)))) throw new Error(`ssh-agent did not create ${sock}`);
      const keyFile = path.join(dir, "id");
      fs.writeFileSync(keyFile, host.clientPrivateKey, { mode: 0o600 });
      execFileSync("ssh-add", ["-q", keyFile], { env: { SSH_AUTH_SOCK: sock, PATH: process.env.PATH }, stdio: "ignore" });
      fs.rmSync(keyFile);
      phAgent = await startProviderHost({ env: { SSH_AUTH_SOCK: sock } });
    });
    afterAll(async () => {
      await phAgent?.stop();
      if (agent?.pid) process.kill(agent.pid, "SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("must authenticate through the agent when no privateKey is given", async () => {
      const { privateKey: _k, ...noKey } = conn(host);
      const d = await declare("agent", { connection: noKey, service: "agent", files: [{ path: "/etc/haproxy/agent.txt", content: "via agent\n" }] });
      await create(phAgent!, d);
      expect(await host.readFile("/etc/haproxy/agent.txt")).toBe("via agent\n");
    });

    it("must say how to fix it when there is neither a key nor an agent", async () => {
      const { privateKey: _k, ...noKey } = conn(host);
      const d = await declare("noauth", { connection: noKey, service: "noauth", files: [{ path: "/etc/haproxy/noauth.txt", content: "x" }] });
      await expect(create(ph, d)).rejects.toThrow(
        `no SSH credentials for root@${host.address}:22: set connection.privateKey (as a Pulumi secret) or run an ssh-agent`,
      );
    });
  });
});

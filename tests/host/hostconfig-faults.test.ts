/**
 * Faults in the middle of a push, through the REAL provider host against a REAL sshd test host with a real haproxy:
 * the SSH connection cut at each point of a push (after the swap, during activation, during the health check, during
 * the rollback), made half-open (every packet dropped, no FIN or RST) before the push's last line, the host-side push
 * killed outright, and two provider host processes pushing one path at once.
 *
 * Each fault happens at an exact point, never after an amount of time: the command at that point blocks on a FIFO
 * inside the test host (`gate`), the test waits until it is reached, makes the fault, then opens the gate. The end of
 * the host-side push is the release of its path lock (`flock` on the lock file returns).
 */

import { sha256Hex } from "../../providers/common/shell";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { pathJournalFile, pathLockFile } from "../../providers/hostconfig/script";
import { create, declare, filesOf, haproxyCfg, haproxyConfigArgs, type State, up, waitFor } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";
const STASH = "/root/etc-pve.stash";
const GATES = "/tmp/gates";

describe("HostConfig under faults mid-push (real provider host, real sshd, real haproxy)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  let ph2: ProviderHost;
  beforeAll(async () => {
    [host, ph, ph2] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost(), startProviderHost()]);
    await host.exec(`mkdir -p ${GATES}`);
  });
  afterAll(async () => {
    await ph2?.stop();
    await ph?.stop();
    await host?.stop();
  });

  const args = (content: string, over: Partial<HostConfigArgs> = {}) => haproxyConfigArgs(host, content, over);

  /**
   * A shell fragment that stops a command at this point until the test opens the gate: it first writes to the FIFO
   * `<name>.reached` (blocks until the test reads it: "the push is here"), then reads `<name>.go`.
   */
  async function gate(name: string): Promise<string> {
    await host.exec(`rm -f ${GATES}/${name}.reached ${GATES}/${name}.go; mkfifo ${GATES}/${name}.reached ${GATES}/${name}.go`);
    return `echo reached > ${GATES}/${name}.reached; cat ${GATES}/${name}.go >/dev/null;`;
  }
  /** Resolves once the push has reached the gate. */
  const reached = (name: string) => host.exec(`cat ${GATES}/${name}.reached`);
  /** Lets the push go on from the gate. */
  const open = (name: string) => host.exec(`echo go > ${GATES}/${name}.go`);
  /** Kill every established SSH connection on the host side (the sshd processes holding them, with kill -9). */
  async function cutConnections(): Promise<void> {
    const r = await host.exec(
      `pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids; echo "$pids"`,
    );
    expect(r.stdout.trim()).not.toBe("");
  }
  /**
   * Make the SSH connection half-open (`on`), or whole again: drop every packet to and from port 22 inside the host's
   * netns, so the host's writes only reach its kernel's buffer and nothing from the client arrives (no FIN, no RST).
   */
  async function halfOpen(on: boolean): Promise<void> {
    await host.exec(
      on
        ? `nft -f - <<'EOF'
table inet nevetest_halfopen {
  chain input { type filter hook input priority -300; policy accept; tcp dport 22 drop; }
  chain output { type filter hook output priority -300; policy accept; tcp sport 22 drop; }
}
EOF`
        : "nft delete table inet nevetest_halfopen",
    );
  }
  /** The run records of the haproxy pushes on the host (a push removes its own once the client acknowledged its end). */
  const runRecords = async () => (await host.exec(`ls -A ${STASH}/haproxy/.runs 2>/dev/null || :`)).stdout.split("\n").filter(Boolean);
  /** Resolves once no push of CFG runs on the host any more: its lock is free. */
  const pushEnded = () => host.exec(`flock ${pathLockFile(STASH, CFG)} true`);
  const journalOf = () => host.readFile(pathJournalFile(STASH, CFG));
  /** True once a push waits on the lock of `path` (a flock(1) process whose descriptor 3 is that lock file). */
  const waitsOnLock = (path: string) =>
    waitFor(async () => {
      const r = await host.exec(`for p in $(pgrep -x flock); do readlink /proc/$p/fd/3; done`);
      return r.stdout.split("\n").includes(pathLockFile(STASH, path));
    }, 20000);
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: Error) => e,
    );

  let state: State;
  beforeEach(async () => {
    // Each case starts from a verified "before" on the host and a state that records it.
    state = await create(ph, await declare("haproxy", args(haproxyCfg(host, "before"))));
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    await host.clearSystemctlCalls();
  });

  it("must finish the push on the host when the connection is cut right after the swap, and the next up must find it verified", async () => {
    const g = await gate("swap");
    const d = await declare("haproxy", args(haproxyCfg(host, "after swap"), { activate: `${g} systemctl reload haproxy` }));
    const push = failureOf(up(ph, state, d));
    await reached("swap");
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "after swap"));
    await cutConnections();
    const e = await push;
    expect(e?.message).toMatch(
      /after the swap had begun: the host finishes the push on its own, activation, health check and rollback included \(the previous files are in \/root\/etc-pve\.stash\/haproxy\/\S+\), and marks the files until it ends verified\./,
    );
    await open("swap");
    await pushEnded();
    // The host ran the activation after the cut, and the push ended verified: no journal.
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    expect(await journalOf()).toBeNull();
    // A refresh says how the lost push ended (and leaves that record for the push).
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toEqual([
      expect.stringMatching(/, ended fine on the host: activation and health check passed$/),
    ]);
    // The next up finds the verified file and records it without activating again, and says how the lost push ended.
    const { state: next } = await up(ph, state, await declare("haproxy", args(haproxyCfg(host, "after swap"))));
    expect(filesOf(next)[0].sha256).toBe(sha256Hex(haproxyCfg(host, "after swap")));
    expect(next.outputs.lostRuns).toEqual([
      expect.stringMatching(/^the push of \S+, whose connection was lost before it reported its end, ended fine on the host/),
    ]);
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
  });

  it("must still roll back on the host when the connection is cut during a failing activation", async () => {
    const g = await gate("activate");
    await host.exec(`touch ${GATES}/fail-activation`);
    // Fails once (the new file), after the cut; the rollback's activation of the previous file succeeds.
    const activate = `if [ -e ${GATES}/fail-activation ]; then rm -f ${GATES}/fail-activation; ${g} echo 'refused after the cut' >&2; exit 3; fi; systemctl reload haproxy`;
    const push = failureOf(up(ph, state, await declare("haproxy", args(haproxyCfg(host, "bad activation"), { activate }))));
    await reached("activate");
    await cutConnections();
    expect((await push)?.message).toMatch(/after the swap had begun: the host finishes the push on its own/);
    await open("activate");
    await pushEnded();
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    expect(await journalOf()).toBeNull();
  });

  it("must still roll back on the host when the connection is cut during a failing health check, and the next up must fail it again", async () => {
    const g = await gate("health");
    await host.exec(`touch ${GATES}/gate-health`);
    const healthCheck = `if [ -e ${GATES}/gate-health ]; then rm -f ${GATES}/gate-health; ${g} fi; echo 'unhealthy' >&2; exit 7`;
    const d = await declare("haproxy", args(haproxyCfg(host, "unhealthy"), { healthCheck }));
    const push = failureOf(up(ph, state, d));
    await reached("health");
    await cutConnections();
    expect((await push)?.message).toMatch(/after the swap had begun: the host finishes the push on its own/);
    await open("health");
    await pushEnded();
    // Restored and re-activated on the host, although nobody was listening any more.
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect(await journalOf()).toBeNull();
    // The same declaration again is not "unchanged": it is pushed, checked, and refused again, and the error says how
    // the lost push had ended (reported once: the push clears that record on the host).
    await expect(up(ph, state, d)).rejects.toThrow(
      /health check `.*` failed \(exit 7\): unhealthy\nRolled back: the previous files were restored from \S+ and activation ran again successfully\. Before this push: the push of \S+, whose connection was lost before it reported its end, failed its health check \(exit 7\) on the host and was rolled back: the previous files were restored and activation ran again\.$/,
    );
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toBeNull();
  });

  it("must finish the rollback on the host when the connection is cut during it", async () => {
    const g = await gate("rollback");
    await host.exec(`touch ${GATES}/gate-rollback`);
    // The gate sits in the activation that runs after the previous file was put back.
    const activate = `if grep -q '"before"' ${CFG} && [ -e ${GATES}/gate-rollback ]; then rm -f ${GATES}/gate-rollback; ${g} fi; systemctl reload haproxy`;
    const push = failureOf(up(ph, state, await declare("haproxy", args(haproxyCfg(host, "fails health"), { activate, healthCheck: "exit 9" }))));
    await reached("rollback");
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    await cutConnections();
    expect((await push)?.message).toMatch(/after the swap had begun: the host finishes the push on its own/);
    await open("rollback");
    await pushEnded();
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    // Activation of the new file, then the rollback's activation of the previous one, which completed after the cut.
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect(await journalOf()).toBeNull();
  });

  it("must keep the record of a push whose end never reached the client (half-open connection), and the next up must report it and check the file again", async () => {
    const g = await gate("halfopen");
    await host.exec(`touch ${GATES}/gate-halfopen; rm -f ${GATES}/health.log`);
    const healthCheck = `echo run >> ${GATES}/health.log; if [ -e ${GATES}/gate-halfopen ]; then rm -f ${GATES}/gate-halfopen; ${g} fi; echo 'unhealthy' >&2; exit 7`;
    const d = await declare("haproxy", args(haproxyCfg(host, "half-open"), { healthCheck }));
    const push = failureOf(up(ph, state, d));
    await reached("halfopen");
    // From here on the client hears nothing and says nothing: the host fails the health check, rolls back and writes
    // the whole report, last line included, into the kernel's buffer of a connection whose client is as good as gone.
    await halfOpen(true);
    try {
      await open("halfopen");
      // The host side ends (its lock is free) without the client's acknowledgement: the run keeps its record.
      await pushEnded();
      expect(await runRecords()).toHaveLength(1);
      expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
      // The client notices through its keepalives that the connection is dead.
      expect((await push)?.message).toMatch(/SSH connection to \S+ was lost while running the push of haproxy/);
    } finally {
      await halfOpen(false);
    }
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect(await journalOf()).toBeNull();
    // A refresh says how the unacknowledged push ended, and the file is not reported as the new one.
    const r = await ph.read(state.id, "", state.outputs);
    expect(r.properties.lostRuns).toEqual([
      expect.stringMatching(/, failed its health check \(exit 7\) on the host and was rolled back: the previous files were restored/),
    ]);
    expect(filesOf({ ...state, outputs: r.properties })[0].sha256).toBe(sha256Hex(haproxyCfg(host, "before")));
    // The next up with the same declaration runs activation and the health check again, fails it again and says how
    // the lost push had ended: the unhealthy file is never reported fine.
    await host.clearSystemctlCalls();
    await expect(up(ph, state, d)).rejects.toThrow(
      /health check `.*` failed \(exit 7\): unhealthy\nRolled back: the previous files were restored from \S+ and activation ran again successfully\. Before this push: the push of \S+, whose connection was lost before it reported its end, failed its health check \(exit 7\) on the host and was rolled back/,
    );
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect((await host.readFile(`${GATES}/health.log`))?.trim().split("\n")).toEqual(["run", "run"]);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    // That push was acknowledged: no record is left, and a refresh reports nothing lost.
    expect(await runRecords()).toEqual([]);
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toBeNull();
  });

  it("must re-verify on the next up a push that the host never finished (its process killed), and never report the unhealthy file as fine", async () => {
    const g = await gate("killed");
    await host.exec(`touch ${GATES}/gate-killed; rm -f ${GATES}/health.log`);
    const healthCheck = `echo run >> ${GATES}/health.log; if [ -e ${GATES}/gate-killed ]; then rm -f ${GATES}/gate-killed; echo $$ > ${GATES}/health.pid; ${g} fi; exit 7`;
    const d = await declare("haproxy", args(haproxyCfg(host, "never verified"), { healthCheck }));
    const push = failureOf(up(ph, state, d));
    await reached("killed");
    // The host goes down mid-push, as far as this push can tell: its session and its detached part die (kill -9).
    await cutConnections();
    // The detached part leads the health check's session (setsid made it a session and group leader; the health
    // check itself runs in the process group of its `timeout`): kill that session's leader group.
    const killed = await host.exec(`g=$(ps -o sid= -p "$(cat ${GATES}/health.pid)" | tr -d ' '); [ -n "$g" ] && kill -9 "-$g" && echo "killed $g"`);
    expect(killed.stdout).toMatch(/^killed \d+$/m);
    expect(await push).not.toBeNull();
    await pushEnded();
    // The unverified file is live and the journal says so.
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "never verified"));
    expect(await journalOf()).toMatch(/^\/root\/etc-pve\.stash\/haproxy\/\S+\n$/);
    // A refresh records the live hash, and still the next up must not find "nothing to do".
    const r = await ph.read(state.id, "", state.outputs);
    expect(r.properties.lostRuns).toEqual([
      expect.stringMatching(/, was stopped on the host before it ended \(killed, or the host went down\): no exit code was recorded$/),
    ]);
    const refreshed: State = { ...state, outputs: r.properties };
    expect(filesOf(refreshed)[0]).toMatchObject({ sha256: sha256Hex(haproxyCfg(host, "never verified")), pending: true });
    await host.clearSystemctlCalls();
    // The next up with the very same declaration runs activation and the health check again, and rolls back to
    // the file from before the unfinished push.
    await expect(up(ph, refreshed, d)).rejects.toThrow(
      /health check `.*` failed \(exit 7\)[\s\S]*Rolled back: the previous files were restored from \S+ and activation ran again successfully\./,
    );
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "before"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect((await host.readFile(`${GATES}/health.log`))?.trim().split("\n")).toEqual(["run", "run"]);
    expect(await journalOf()).toBeNull();
    const again = await ph.read(state.id, "", state.outputs);
    expect(filesOf({ ...state, outputs: again.properties })[0].pending).toBeUndefined();
  });

  it("must serialise two provider hosts pushing one path: a rollback never puts the original back over the other push", async () => {
    const g = await gate("first");
    const first = failureOf(up(ph, state, await declare("haproxy", args(haproxyCfg(host, "first, unhealthy"), { healthCheck: `${g} exit 5` }))));
    await reached("first");
    // The second provider host pushes the same path while the first push holds its lock in the health check.
    const second = up(ph2, state, await declare("haproxy", args(haproxyCfg(host, "second"))));
    expect(await waitsOnLock(CFG)).toBe(true);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "first, unhealthy"));
    await open("first");
    expect((await first)?.message).toMatch(/health check `.*` failed \(exit 5\)[\s\S]*Rolled back: the previous files were restored/);
    const { state: s2 } = await second;
    // The second push ran after the first one's rollback: its file is live, and its state records what is live.
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "second"));
    expect(filesOf(s2)[0].sha256).toBe(sha256Hex(haproxyCfg(host, "second")));
    expect(await host.readFile(`${s2.outputs.lastStash as string}/files${CFG}`)).toBe(haproxyCfg(host, "before"));
  });

  it("must serialise two first pushes of one path: the original is kept once, no raw cp error", async () => {
    const path = "/etc/haproxy/race.cfg";
    await host.writeFile(path, "operator's original\n");
    const ORIGINAL_HASH = `sha256:${sha256Hex("operator's original\n")}`;
    const g = await gate("race");
    const race = (ph0: ProviderHost, content: string, validate: string[]) =>
      // Both are first pushes over the operator's file, acknowledged by its hash (the adoption guard, checked under the lock:
      // b hashes the file only once a has ended, and finds a's verified push there).
      declare("race", { connection: args("").connection, service: "race", files: [{ path, content, acceptLive: [ORIGINAL_HASH] }], validate }).then((d) =>
        create(ph0, d),
      );
    const a = race(ph, "from a\n", [`${g} true`]);
    await reached("race");
    const b = race(ph2, "from b\n", []);
    expect(await waitsOnLock(path)).toBe(true);
    await open("race");
    await expect(a).resolves.toBeDefined();
    await expect(b).resolves.toBeDefined();
    expect(await host.readFile(path)).toBe("from b\n");
    expect(await host.readFile(`${STASH}/race/original/files${path}`)).toBe("operator's original\n");
  });

  it("must fail with 'another push of <path> is running' after the bounded wait, changing nothing", async () => {
    const g = await gate("held");
    const holder = up(ph, state, await declare("haproxy", args(haproxyCfg(host, "holder"), { activate: `${g} systemctl reload haproxy` })));
    await reached("held");
    const waiter = up(ph2, state, await declare("haproxy", args(haproxyCfg(host, "waiter"))));
    await expect(waiter).rejects.toThrow(
      /HostConfig haproxy on root@[\d.]+:22: another push of \/etc\/haproxy\/haproxy\.cfg is running on \S+: its lock \/root\/etc-pve\.stash\/\.neve-paths\/[0-9a-f]{64}\.lock was not free within 30s; nothing was changed, run again once that push has ended/,
    );
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "holder"));
    await open("held");
    await holder;
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "holder"));
    expect((await host.exec("ls -A /etc/haproxy")).stdout).not.toMatch(/\.neve-stage-/);
  }, 90000);
});

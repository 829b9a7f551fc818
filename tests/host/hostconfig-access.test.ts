/**
 * Access-critical changes (`commit confirmed`): a timer armed ON THE HOST restores the previous files and re-activates
 * unless a NEW SSH connection proves access after activation. Real nft inside the test host's own netns cuts SSH.
 */

import { probeApi } from "../../providers/common/apiProbe";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { conn, create, declare, type State, up, waitFor } from "../providers/support/hostconfigCase";
import { startApiStandIn } from "./harness/apiStandin";
import { freshLogin } from "./harness/freshLogin";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { pidAlive, startTestHost, type TestHost } from "./harness/testHost";

const NFT = "/etc/nftables.d/neve-test.nft";

/** A ruleset file that replaces its own table; `blockNewSsh` adds the lock-out (new connections to 22 dropped), `blockApi` drops 8006. */
function ruleset(comment: string, blockNewSsh: boolean, blockApi = false): string {
  return `# ${comment}
table inet neve_fw
delete table inet neve_fw
table inet neve_fw {
  chain input {
    type filter hook input priority 0; policy accept;
${blockNewSsh ? "    tcp dport 22 tcp flags & (syn | ack) == syn drop\n" : ""}${blockApi ? "    tcp dport 8006 drop\n" : ""}  }
}
`;
}

describe("HostConfig access-critical changes (dead-man timer on the host)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const args = (content: string, confirmSeconds: number, api = false): HostConfigArgs => ({
    connection: conn(host),
    service: "firewall",
    files: [{ path: NFT, content, mode: "0600" }],
    validate: ["nft -c -f {staged}"],
    activate: `nft -f ${NFT}`,
    accessCritical: { confirmSeconds, ...(api ? { api: { host: host.address, port: 8006 } } : {}) },
  });

  let state: State;

  // A window of 30 s gives the access check its longest wait (15 s), so a loaded machine cannot make the new
  // connection miss it; instead of sleeping past the deadline, the test fires the restore itself, as a late timer would.
  it("must confirm a safe change over a new connection and disarm the timer (the change stays after the deadline)", async () => {
    state = await create(ph, await declare("fw", args(ruleset("v1", false), 30)));
    const { state: next } = await up(ph, state, await declare("fw", args(ruleset("v1b", false), 30)));
    state = next;
    const stash = state.outputs.lastStash as string;
    expect(await host.readFile(NFT)).toBe(ruleset("v1b", false));
    expect(await host.exec(`test -d ${stash}/confirm.lock`)).toMatchObject({ code: 0 });
    // The timer process is gone, not just late (killed by the confirmation; a zombie not yet reaped counts as gone).
    const pid = Number((await host.readFile(`${stash}/timer.pid`))!.trim());
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
    // The restore the timer would have run at the deadline finds access confirmed and changes nothing.
    expect(await host.exec(`sh ${stash}/restore.sh`)).toMatchObject({ code: 0 });
    expect(await host.readFile(NFT)).toBe(ruleset("v1b", false));
    expect(await host.readFile(`${stash}/SELF-RESTORED`)).toBeNull();
  });

  it("must let the host heal itself when the change cuts SSH: previous rules back, SSH works again, the resource fails", async () => {
    const started = Date.now();
    // 10 s: the rest of the push (swap, activation, report) cannot outlast the window even on a loaded machine,
    // so the access check (half the window) is what meets the lock-out.
    const push = up(ph, state, await declare("fw", args(ruleset("v2 locks out ssh", true), 10)));
    await expect(push).rejects.toThrow(
      /access check failed after activation: a new SSH connection could not be opened \(cannot reach root@[\d.]+:22: no SSH handshake within 5s \(host down, firewalled, or wrong address\/port\)\)\. The host restored the previous files by itself and re-ran activation, which succeeded \(from \/root\/etc-pve\.stash\/firewall\/\S+\); SSH access works again\./,
    );
    // The host did it on its own, after the deadline, not the provider.
    expect(Date.now() - started).toBeGreaterThanOrEqual(10000);
    expect(await host.readFile(NFT)).toBe(ruleset("v1b", false));
    const rules = await host.exec("nft list ruleset");
    expect(rules.stdout).toContain("neve_fw");
    expect(rules.stdout).not.toMatch(/dport 22/);
    // A brand-new connection from here works again.
    expect(await freshLogin(host)).toMatchObject({ code: 0, stdout: "ok\n" });
  });

  it("must report on the next refresh and push how the host's own restore ended, once", async () => {
    const healed =
      /^the push of \S+, whose access was not confirmed in time, was undone by the host, which restored the previous files by itself and re-ran activation, which succeeded$/;
    // A refresh reports it and leaves the record for the push.
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toEqual([expect.stringMatching(healed)]);
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toEqual([expect.stringMatching(healed)]);
    // The next push reports it in its outputs and marks it reported: the refresh after says nothing more.
    const { state: next } = await up(ph, state, await declare("fw", args(ruleset("v2b", false), 30)));
    state = next;
    expect(state.outputs.lostRuns).toEqual([expect.stringMatching(healed)]);
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toBeNull();
  });

  it("must say so when the host's own restore could not bring the previous state back (its activation failed)", async () => {
    // The live file was edited by hand into one that activation refuses; the push stashes it, locks SSH out, and the
    // host's restore puts the hand-edited file back, whose activation then fails.
    const poisoned = (a: HostConfigArgs): HostConfigArgs => ({ ...a, activate: `nft -f ${NFT} && ! grep -q poison ${NFT}` });
    await host.writeFile(NFT, ruleset("v2c hand-edited poison", false), "0600");
    const push = up(ph, state, await declare("fw", poisoned(args(ruleset("v5 locks out ssh", true), 10))));
    await expect(push).rejects.toThrow(
      /The host restored the previous files by itself, but re-running activation failed \(exit 1\) \(from \/root\/etc-pve\.stash\/firewall\/\S+\); SSH access works again\./,
    );
    expect(await host.readFile(NFT)).toBe(ruleset("v2c hand-edited poison", false));
    expect((await ph.read(state.id, "", state.outputs)).properties.lostRuns).toEqual([
      expect.stringMatching(/was undone by the host, which restored the previous files by itself, but re-running activation failed \(exit 1\)$/),
    ]);
    // Back to a state the later tests build on (the push marks the record reported).
    const { state: next } = await up(ph, state, await declare("fw", args(ruleset("v2d", false), 30)));
    state = next;
    expect(state.outputs.lostRuns).toEqual([expect.stringMatching(/re-running activation failed \(exit 1\)$/)]);
  });

  describe("confirmed only after a fresh SSH login AND a fresh TLS handshake with the API port", () => {
    beforeAll(async () => {
      await startApiStandIn(host);
    });

    it("must confirm a change when both SSH and the API port answer afterwards (the change stays)", async () => {
      const { state: next } = await up(ph, state, await declare("fw", args(ruleset("v3 api checked", false), 30, true)));
      state = next;
      const stash = state.outputs.lastStash as string;
      expect(await host.readFile(NFT)).toBe(ruleset("v3 api checked", false));
      expect(await host.exec(`test -d ${stash}/confirm.lock`)).toMatchObject({ code: 0 });
      expect(await host.exec(`sh ${stash}/restore.sh`)).toMatchObject({ code: 0 });
      expect(await host.readFile(NFT)).toBe(ruleset("v3 api checked", false));
      expect(await host.readFile(`${stash}/SELF-RESTORED`)).toBeNull();
    });

    it("must let the host heal itself when the change cuts the API port while SSH still works, and fail naming the object and the API", async () => {
      const started = Date.now();
      const push = up(ph, state, await declare("fw", args(ruleset("v4 drops 8006", false, true), 10, true)));
      await expect(push).rejects.toThrow(
        /HostConfig firewall on root@[\d.]+:22: access check failed after activation: a fresh request to the API port could not be completed \(the API port [\d.]+:8006 did not complete a TLS handshake within 5s \(firewalled, down, or unreachable\)\); the confirm timer was left armed\. The host restored the previous files by itself and re-ran activation, which succeeded \(from \/root\/etc-pve\.stash\/firewall\/\S+\); SSH access works again\./,
      );
      // The SSH login alone would have succeeded: it was the API that kept the timer armed, and the host restored by itself.
      expect(Date.now() - started).toBeGreaterThanOrEqual(10000);
      expect(await host.readFile(NFT)).toBe(ruleset("v3 api checked", false));
      expect((await host.exec("nft list ruleset")).stdout).not.toMatch(/dport 8006/);
      await expect(probeApi({ host: host.address, port: 8006 }, 5000)).resolves.toBeUndefined();
    });
  });
});

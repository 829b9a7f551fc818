/**
 * Access-critical changes (`commit confirmed`): a timer armed ON THE HOST restores the previous files and re-activates
 * unless a NEW SSH connection proves access after activation. Real nft inside the test host's own netns cuts SSH.
 */

import type { HostConfigArgs } from "../../providers/hostconfig";
import { close, connect, exec } from "../../providers/ssh/client";
import { conn, create, declare, type State, up } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const NFT = "/etc/nftables.d/neve-test.nft";

/** A ruleset file that replaces its own table; `blockNewSsh` adds the lock-out (new connections to 22 dropped). */
function ruleset(comment: string, blockNewSsh: boolean): string {
  return `# ${comment}
table inet neve_fw
delete table inet neve_fw
table inet neve_fw {
  chain input {
    type filter hook input priority 0; policy accept;
${blockNewSsh ? "    tcp dport 22 tcp flags & (syn | ack) == syn drop\n" : ""}  }
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

  const args = (content: string, confirmSeconds: number): HostConfigArgs => ({
    connection: conn(host),
    service: "firewall",
    files: [{ path: NFT, content, mode: "0600" }],
    validate: ["nft -c -f {staged}"],
    activate: `nft -f ${NFT}`,
    accessCritical: { confirmSeconds },
  });

  let state: State;

  it("must confirm a safe change over a new connection and disarm the timer (the change stays after the deadline)", async () => {
    state = await create(ph, await declare("fw", args(ruleset("v1", false), 3)));
    const { state: next } = await up(ph, state, await declare("fw", args(ruleset("v1b", false), 3)));
    state = next;
    const stash = state.outputs.lastStash as string;
    await new Promise((r) => setTimeout(r, 4500));
    expect(await host.readFile(NFT)).toBe(ruleset("v1b", false));
    expect(await host.readFile(`${stash}/SELF-RESTORED`)).toBeNull();
    expect(await host.exec(`test -d ${stash}/confirm.lock`)).toMatchObject({ code: 0 });
    // The timer process is gone, not just late.
    const pid = (await host.readFile(`${stash}/timer.pid`))!.trim();
    expect((await host.exec(`kill -0 ${pid} 2>/dev/null && echo alive || echo gone`)).stdout.trim()).toBe("gone");
  });

  it("must let the host heal itself when the change cuts SSH: previous rules back, SSH works again, the resource fails", async () => {
    const started = Date.now();
    const push = up(ph, state, await declare("fw", args(ruleset("v2 locks out ssh", true), 6)));
    await expect(push).rejects.toThrow(
      /access check failed after activation: a new SSH connection could not be opened \(cannot reach root@[\d.]+:22: no SSH handshake within 3s \(host down, firewalled, or wrong address\/port\)\)\. The host restored the previous files from \/root\/etc-pve\.stash\/firewall\/\S+ and re-ran activation by itself; SSH access works again\./,
    );
    // The host did it on its own, after the deadline, not the provider.
    expect(Date.now() - started).toBeGreaterThanOrEqual(6000);
    expect(await host.readFile(NFT)).toBe(ruleset("v1b", false));
    const rules = await host.exec("nft list ruleset");
    expect(rules.stdout).toContain("neve_fw");
    expect(rules.stdout).not.toMatch(/dport 22/);
    // A brand-new connection from here works again.
    const s = await connect({
      host: host.address,
      port: 22,
      username: "root",
      hostKey: host.hostKeyFingerprint,
      privateKey: host.clientPrivateKey,
      connectTimeoutMs: 5000,
    });
    try {
      expect(await exec(s, "echo ok")).toMatchObject({ code: 0, stdout: "ok\n" });
    } finally {
      close(s);
    }
  }, 60000);
});

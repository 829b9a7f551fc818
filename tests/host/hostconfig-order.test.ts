/**
 * Push order of access-critical services, through the REAL provider host against a REAL sshd: three services
 * ordered by the program's own rule (pushDependencies) and run in the engine's order (tests/support/engineOrder.ts);
 * the second one locks SSH out. It must fail under its own name while the first stays confirmed, and the third must
 * never begin. Real nft inside the test host's own netns cuts SSH, as in hostconfig-access.test.ts.
 */

import { sha256Hex } from "../../providers/common/shell";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { pushDependencies } from "../../stacks/components/host/pushOrder";
import { conn, create, declare, waitFor } from "../providers/support/hostconfigCase";
import { runInEngineOrder } from "../support/engineOrder";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { pidAlive, startTestHost, type TestHost } from "./harness/testHost";

/** A ruleset file that replaces its own table; `blockNewSsh` adds the lock-out (new connections to 22 dropped). */
function ruleset(table: string, blockNewSsh: boolean): string {
  return `table inet ${table}
delete table inet ${table}
table inet ${table} {
  chain input {
    type filter hook input priority 0; policy accept;
${blockNewSsh ? "    tcp dport 22 tcp flags & (syn | ack) == syn drop\n" : ""}  }
}
`;
}

describe("HostConfig push order: access-critical services one after another, each confirmed first", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const firewall = (service: string, blockNewSsh: boolean, confirmSeconds: number, acceptLive: string[] = []): HostConfigArgs => ({
    connection: conn(host),
    service,
    files: [{ path: `/etc/nftables.d/${service}.nft`, content: ruleset(service.replace(/-/g, "_"), blockNewSsh), mode: "0600", acceptLive }],
    validate: ["nft -c -f {staged}"],
    activate: `nft -f /etc/nftables.d/${service}.nft`,
    accessCritical: { confirmSeconds },
  });

  it("must report a lock-out by the second service under its name, keep the first confirmed and never begin the third", async () => {
    // The first window is long (its access check may wait 15 s: a loaded machine cannot make it miss), the second
    // shorter, so the host heals the lock-out while the test waits.
    const services: { service: string; args: HostConfigArgs }[] = [
      { service: "order-first", args: firewall("order-first", false, 30) },
      {
        service: "order-second",
        // Its live file is adopted: acknowledged by the hash of exactly that content (the adoption guard).
        args: firewall("order-second", true, 10, [`sha256:${sha256Hex(ruleset("order_second", false))}`]),
      },
      {
        service: "order-third",
        args: { connection: conn(host), service: "order-third", files: [{ path: "/etc/nftables.d/order-third.txt", content: "third\n" }] },
      },
    ];
    // The second's file exists on the host before (made by hand, adopted): the host's self-restore puts it back.
    await host.writeFile("/etc/nftables.d/order-second.nft", ruleset("order_second", false), "0600");
    expect((await host.exec("nft -f /etc/nftables.d/order-second.nft")).code).toBe(0);
    const waits = pushDependencies(services.map((s) => ({ accessCritical: s.args.accessCritical !== undefined })));
    expect(waits).toEqual([[], [0], [1]]);
    const steps = services.map((s, i) => ({ key: s.service, deps: waits[i].map((j) => services[j].service), args: s.args }));
    const stashOf: Record<string, string> = {};
    const run = await runInEngineOrder(steps, async (s) => {
      const state = await create(ph, await declare(s.key, s.args));
      stashOf[s.key] = state.outputs.lastStash as string;
    });

    expect(run.failed?.key).toBe("order-second");
    expect(run.failed?.message).toMatch(
      /^HostConfig order-second on root@[\d.]+:22: access check failed after activation: a new SSH connection could not be opened .*The host restored the previous files by itself and re-ran activation, which succeeded \(from \/root\/etc-pve\.stash\/order-second\/\S+\); SSH access works again\./,
    );
    expect(run.events).toEqual(["begin order-first", "end order-first", "begin order-second", "failed order-second"]);

    // The first: live, confirmed, its timer gone; the restore its timer would run finds access confirmed.
    const first = stashOf["order-first"];
    expect(await host.readFile("/etc/nftables.d/order-first.nft")).toBe(ruleset("order_first", false));
    expect(await host.exec(`test -d ${first}/confirm.lock`)).toMatchObject({ code: 0 });
    const timerPid = Number((await host.readFile(`${first}/timer.pid`))!.trim());
    expect(await waitFor(() => !pidAlive(timerPid))).toBe(true);
    expect(await host.exec(`sh ${first}/restore.sh`)).toMatchObject({ code: 0 });
    expect(await host.readFile(`${first}/SELF-RESTORED`)).toBeNull();
    expect((await host.exec("nft list table inet order_first")).code).toBe(0);

    // The second: healed by the host itself (the file it found is back and loaded), SSH back.
    expect(await host.readFile("/etc/nftables.d/order-second.nft")).toBe(ruleset("order_second", false));
    expect((await host.exec("nft list ruleset")).stdout).not.toMatch(/dport 22/);
    // The third: never begun.
    expect(await host.readFile("/etc/nftables.d/order-third.txt")).toBeNull();
  });
});

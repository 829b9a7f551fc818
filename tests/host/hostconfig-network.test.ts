/**
 * The bridges as /etc/network/interfaces under the commit-confirmed net, against the REAL sshd test host with the
 * REAL ifupdown2 (ifup --syntax-check, ifreload -a) applying the file inside the test host's own netns. The SSH
 * address lives on `vmbr0`, a bridge whose only port is the veth end `nic0` (`bridgedSsh`), so the file this
 * service pushes manages the very interface SSH uses: a change that moves vmbr0's address cuts the operator's path.
 * The spec (files, validators, activation, health check) is the registry's own network-interfaces entry.
 */
import { createHash } from "node:crypto";

import { validators } from "../../stacks/components/host/declarations";
import { HOST_SERVICES } from "../../stacks/components/host/registry";
import type { InterfacesBridgeModel, InterfacesModel } from "../../stacks/render/interfaces";
import { INTERFACES_PATH } from "../../stacks/render/interfaces";
import { conn, create, declare, type State, up, waitFor } from "../providers/support/hostconfigCase";
import { startApiStandIn } from "./harness/apiStandin";
import { freshLogin } from "./harness/freshLogin";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { BRIDGED_SSH_PORT, startTestHost, type TestHost } from "./harness/testHost";

const entry = HOST_SERVICES["network-interfaces"];
const GATES = "/tmp/gates";

const bridge = (name: string, ipv4: string, ports: string[], comment: string | null = null): InterfacesBridgeModel => ({
  name,
  ipv4,
  ipv6: null,
  ports,
  comment,
  hostNat: false,
});

describe("bridges as /etc/network/interfaces under the commit-confirmed net (real ifupdown2 in the test host's netns)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  let vmbr0: InterfacesBridgeModel;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false, bridgedSsh: true }), startProviderHost()]);
    await startApiStandIn(host);
    await host.exec(`mkdir -p ${GATES}`);
    vmbr0 = bridge("vmbr0", `${host.address}/30`, [BRIDGED_SSH_PORT], "public bridge (SSH and the API)");
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  /** The HostConfig the stack declares for `model` (the registry's spec), with the test host's connection and API port. */
  function args(model: InterfacesModel, confirmSeconds: number, activatePrefix = "", acceptLive?: string[]) {
    const spec = entry.spec(model);
    return {
      connection: conn(host),
      service: spec.name,
      files: spec.files.map((f) => ({ path: f.path, content: entry.render(model, f.role), mode: f.mode, ...(acceptLive ? { acceptLive } : {}) })),
      validate: validators(spec),
      activate: `${activatePrefix}${spec.activate}`,
      healthCheck: spec.healthCheck ?? undefined,
      accessCritical: { confirmSeconds, api: { host: host.address, port: 8006 } },
    };
  }
  const rendered = (model: InterfacesModel) => entry.render(model, "config");
  const addressesOf = async (dev: string) => (await host.exec(`ip -4 -o addr show dev ${dev} | awk '{print $4}'`)).stdout.trim();
  const linkExists = async (dev: string) => (await host.exec(`ip link show dev ${dev}`)).code === 0;
  async function sshWorks(): Promise<void> {
    expect(await freshLogin(host)).toMatchObject({ code: 0, stdout: "ok\n" });
  }

  let state: State;
  let current: InterfacesModel;

  it("must take over the live network with a file that states it, confirmed by SSH and the API port (nothing changes)", async () => {
    current = { bridges: [vmbr0] };
    // The live file the harness wrote, acknowledged as the operator does with discover (the adoption guard refuses otherwise).
    const live = (await host.readFile(INTERFACES_PATH)) ?? "";
    const acceptLive = [`sha256:${createHash("sha256").update(live, "utf8").digest("hex")}`];
    state = await create(ph, await declare("net", args(current, 30, "", acceptLive)));
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(current));
    expect(await addressesOf("vmbr0")).toBe(`${host.address}/30`);
    const stash = state.outputs.lastStash as string;
    expect(await host.exec(`test -d ${stash}/confirm.lock`)).toMatchObject({ code: 0 });
  });

  it("must confirm a good change (a new private bridge): ifreload creates it, it stays after the deadline", async () => {
    const next: InterfacesModel = { bridges: [vmbr0, bridge("vmbr1", "10.10.10.1/24", [], "private")] };
    const r = await up(ph, state, await declare("net", args(next, 30)));
    state = r.state;
    current = next;
    const stash = state.outputs.lastStash as string;
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(next));
    expect(await addressesOf("vmbr1")).toBe("10.10.10.1/24");
    expect(await host.exec(`test -d ${stash}/confirm.lock`)).toMatchObject({ code: 0 });
    // The restore a late timer would run finds access confirmed and changes nothing.
    expect(await host.exec(`sh ${stash}/restore.sh`)).toMatchObject({ code: 0 });
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(next));
    expect(await host.readFile(`${stash}/SELF-RESTORED`)).toBeNull();
    expect(await addressesOf("vmbr1")).toBe("10.10.10.1/24");
  });

  it("must let the host heal itself when the change moves the address SSH uses off vmbr0: file and address back, SSH works, the up fails naming the service", async () => {
    const started = Date.now();
    const moved = bridge("vmbr0", "10.253.253.2/30", [BRIDGED_SSH_PORT], "public bridge (SSH and the API)");
    const push = up(ph, state, await declare("net", args({ bridges: current.bridges.map((b) => (b.name === "vmbr0" ? moved : b)) }, 10)));
    await expect(push).rejects.toThrow(
      // Moving the address stalls this push's own connection too (its route goes with the address): its report comes back
      // only once the host's restore brings the address back.
      /HostConfig network-interfaces on root@[\d.]+:22: the change cut the path: this push's own report only came back \d+s after it began, after the host's 10s confirm window\. The host restored the previous files by itself and re-ran activation, which succeeded \(from \/root\/etc-pve\.stash\/network-interfaces\/\S+\); SSH access works again\./,
    );
    // The host did it on its own, at the deadline.
    expect(Date.now() - started).toBeGreaterThanOrEqual(10000);
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(current));
    expect(await addressesOf("vmbr0")).toBe(`${host.address}/30`);
    expect(await addressesOf("vmbr1")).toBe("10.10.10.1/24");
    await sshWorks();
  });

  it("must restore on the host a change whose connection is cut right after the swap: nothing confirms it", async () => {
    await host.exec(`rm -f ${GATES}/swap.reached ${GATES}/swap.go; mkfifo ${GATES}/swap.reached ${GATES}/swap.go`);
    // One-shot: it stops the push's activation once; the restore runs the same activation and must pass through.
    const gate = `if [ -p ${GATES}/swap.go ]; then echo reached > ${GATES}/swap.reached; cat ${GATES}/swap.go >/dev/null; rm -f ${GATES}/swap.reached ${GATES}/swap.go; fi; `;
    const half: InterfacesModel = { bridges: [...current.bridges, bridge("vmbr2", "10.20.20.1/24", [], "cut half way")] };
    const push = up(ph, state, await declare("net", args(half, 10, gate))).then(
      () => null,
      (e: Error) => e,
    );
    await host.exec(`cat ${GATES}/swap.reached`);
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(half));
    const cut = await host.exec(
      `pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids; echo "$pids"`,
    );
    expect(cut.stdout.trim()).not.toBe("");
    const e = await push;
    const m = /\(the previous files are in (\/root\/etc-pve\.stash\/network-interfaces\/\S+)\)/.exec(e?.message ?? "");
    expect(e?.message).toMatch(/after the swap had begun: the host finishes the push on its own/);
    await host.exec(`echo go > ${GATES}/swap.go`);
    // The host finishes the push (ifreload creates vmbr2), then no login confirms it: the timer restores.
    const stash = m![1];
    expect(await waitFor(async () => (await host.readFile(`${stash}/SELF-RESTORED`)) !== null)).toBe(true);
    expect(await host.readFile(INTERFACES_PATH)).toBe(rendered(current));
    expect(await waitFor(async () => !(await linkExists("vmbr2")))).toBe(true);
    expect(await addressesOf("vmbr0")).toBe(`${host.address}/30`);
    await sshWorks();
  });
});

/**
 * The firewall files (host service pve-firewall, `firewall.filesManaged`) under the commit-confirmed net, on the real
 * sshd test host: cluster.fw and host.fw rendered by the stack's renderer, pushed with the registry's own files,
 * validators, activation and health check by the real provider host, applied into nftables inside the test host's
 * netns by a STAND-IN for pve-firewall (tests/host/harness/pveFirewallStandin.ts: what it does not prove is listed
 * there). The operator's path here is the veth 10.254.0.0/16 -> the host's sshd and the API stand-in on 8006.
 */
import type { HostConfigArgs } from "../../providers/hostconfig";
import { validators } from "../../stacks/components/host/declarations";
import { HOST_SERVICES } from "../../stacks/components/host/registry";
import type { FirewallFilesModel, FwRuleModel } from "../../stacks/render";
import { conn, create, declare, type State, up, waitFor } from "../providers/support/hostconfigCase";
import { startApiStandIn } from "./harness/apiStandin";
import { freshLogin } from "./harness/freshLogin";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { installPveFirewallStandin, pveFirewallRestarts } from "./harness/pveFirewallStandin";
import { startTestHost, type TestHost } from "./harness/testHost";

const NODE = "neve";
const OPERATOR = "10.254.0.0/16";
const CLUSTER_FW = "/etc/pve/firewall/cluster.fw";
const HOST_FW = `/etc/pve/nodes/${NODE}/host.fw`;

const rule = (name: string, over: Partial<FwRuleModel>): FwRuleModel => ({
  name,
  action: "ACCEPT",
  direction: "in",
  macro: null,
  group: null,
  proto: "tcp",
  source: null,
  dest: null,
  dports: [],
  sports: [],
  log: null,
  icmpType: null,
  iface: null,
  comment: null,
  enabled: true,
  ...over,
});

/** The operator's SSH and API from the veth range, under INPUT DROP; `extra` cluster rules after them, `hostRules` before all. */
function firewall(extra: FwRuleModel[] = [], hostRules: FwRuleModel[] = []): FirewallFilesModel & { node: string } {
  return {
    node: NODE,
    enabled: true,
    inputPolicy: "DROP",
    outputPolicy: "ACCEPT",
    aliases: { operator: OPERATOR },
    ipsets: { admins: ["operator"] },
    rules: [
      rule("operator-ssh", { macro: "SSH", source: "+admins", comment: "SSH from the operator's path" }),
      rule("operator-api", { source: "operator", dports: [8006], comment: "API from the operator's path" }),
      ...extra,
    ],
    hostRules,
    groups: {},
    options: {},
    hostOptions: {},
  };
}

describe("the firewall files under the commit-confirmed net (pve-firewall stand-in)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
    await installPveFirewallStandin(host, NODE);
    await startApiStandIn(host);
  }, 120_000);
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  /** The HostConfig inputs the program declares for this model (the registry's spec, rendered files, the net). */
  const args = (m: FirewallFilesModel & { node: string }, confirmSeconds: number, over: { activate?: string } = {}): HostConfigArgs => {
    const entry = HOST_SERVICES["pve-firewall"];
    const spec = entry.spec(m);
    return {
      connection: conn(host),
      service: spec.name,
      files: spec.files.map((f) => ({ path: f.path, content: entry.render(m, f.role), mode: f.mode, owner: f.owner, group: f.group })),
      validate: validators(spec),
      activate: over.activate ?? spec.activate ?? undefined,
      healthCheck: spec.healthCheck ?? undefined,
      onDelete: "keep",
      accessCritical: { confirmSeconds, api: { host: host.address, port: 8006 } },
    };
  };
  const rendered = (m: FirewallFilesModel & { node: string }) => args(m, 30).files as { path: string; content: string }[];
  const ruleset = async () => (await host.exec("nft list table inet pve_fw_standin")).stdout;

  let state: State;
  const good = firewall([rule("web", { dports: [80, 443], comment: "edge proxy" })]);

  it("must apply a good change, confirm it over a fresh SSH login and API handshake, and keep it after the deadline", async () => {
    state = await create(ph, await declare("fw", args(firewall(), 30)));
    expect(await ruleset()).toMatch(/policy drop/);
    const { state: next } = await up(ph, state, await declare("fw", args(good, 30)));
    state = next;
    expect(await host.readFile(CLUSTER_FW)).toBe(rendered(good)[0].content);
    expect(await host.exec(`stat -c '%a %U %G' ${CLUSTER_FW} ${HOST_FW}`)).toMatchObject({ stdout: "640 root www-data\n640 root www-data\n" });
    expect(await ruleset()).toMatch(/tcp dport \{ 80, 443 \} accept/);
    expect((await host.exec("pve-firewall status")).stdout).toBe("Status: enabled/running\n");
    // The restore the timer would run at its deadline finds access confirmed and changes nothing.
    const stash = state.outputs.lastStash as string;
    expect(await host.exec(`sh ${stash}/restore.sh`)).toMatchObject({ code: 0 });
    expect(await host.readFile(CLUSTER_FW)).toBe(rendered(good)[0].content);
    expect(await host.readFile(`${stash}/SELF-RESTORED`)).toBeNull();
  }, 120_000);

  it("must let the host restore the previous files when a host.fw rule drops SSH from the operator's path, and fail naming the service", async () => {
    const lockout = firewall([rule("web", { dports: [80, 443], comment: "edge proxy" })], [rule("oops", { action: "DROP", source: OPERATOR, dports: [22] })]);
    const started = Date.now();
    const push = up(ph, state, await declare("fw", args(lockout, 10)));
    await expect(push).rejects.toThrow(
      /HostConfig pve-firewall on root@[\d.]+:22: access check failed after activation: a new SSH connection could not be opened .*The host restored the previous files by itself and re-ran activation, which succeeded \(from \/root\/etc-pve\.stash\/pve-firewall\/\S+\); SSH access works again\./,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(10000);
    expect(await host.readFile(HOST_FW)).toBe(rendered(good)[1].content);
    expect(await host.readFile(CLUSTER_FW)).toBe(rendered(good)[0].content);
    expect(await ruleset()).not.toMatch(/dport \{ 22 \} drop/);
    expect((await host.exec("pve-firewall status")).stdout).toBe("Status: enabled/running\n");
    expect(await freshLogin(host)).toMatchObject({ code: 0, stdout: "ok\n" });
  }, 120_000);

  it("must roll back, with nothing applied, a change pve-firewall's compile warns about (a rule on an IP set the file lacks)", async () => {
    const restarts = (await pveFirewallRestarts(host)).length;
    const bad = firewall([rule("web", { dports: [80, 443], comment: "edge proxy" }), rule("ghost", { source: "+nosuchset", dports: [25] })]);
    await expect(up(ph, state, await declare("fw", args(bad, 30)))).rejects.toThrow(
      /pve-firewall compile warned \(a line it would skip\):[\s\S]*no such ipset nosuchset/,
    );
    expect(await host.readFile(CLUSTER_FW)).toBe(rendered(good)[0].content);
    // The rollback's activation applied the previous files again; the bad ruleset was never applied.
    expect((await pveFirewallRestarts(host)).length).toBe(restarts + 1);
    expect(await ruleset()).not.toMatch(/dport \{ 25 \}/);
  }, 120_000);

  it("must restore on the host when the connection is cut right after the swap (nothing confirms the change)", async () => {
    const gate = "/tmp/neve-fw-gate";
    await host.exec(`rm -f ${gate}.reached ${gate}.go`);
    const spec = HOST_SERVICES["pve-firewall"].spec(good);
    const gated = `touch ${gate}.reached; i=0; until [ -e ${gate}.go ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 2400 ] || exit 1; done; ${spec.activate}`;
    const changed = firewall([rule("web", { dports: [80, 443, 8080], comment: "edge proxy and 8080" })]);
    const before = (await pveFirewallRestarts(host)).length;
    const push = up(ph, state, await declare("fw", args(changed, 10, { activate: gated }))).then(
      () => null,
      (e: Error) => e,
    );
    expect(await waitFor(async () => (await host.exec(`test -e ${gate}.reached`)).code === 0)).toBe(true);
    expect(await host.readFile(CLUSTER_FW)).toBe(rendered(changed)[0].content);
    const cut = await host.exec(
      `pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids; echo "$pids"`,
    );
    expect(cut.stdout.trim()).not.toBe("");
    await host.exec(`touch ${gate}.go`);
    const e = await push;
    expect(e?.message).toMatch(/HostConfig pve-firewall/);
    // The change was applied after the cut, then the unconfirmed net put the previous files back and applied them again.
    expect(await waitFor(async () => (await host.readFile(CLUSTER_FW)) === rendered(good)[0].content, 60_000)).toBe(true);
    expect(await waitFor(async () => !/8080/.test(await ruleset()) && (await pveFirewallRestarts(host)).length >= before + 2, 30_000)).toBe(true);
    expect(await freshLogin(host)).toMatchObject({ code: 0, stdout: "ok\n" });
  }, 180_000);
});

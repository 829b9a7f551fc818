// Push order of the host services: the access-critical ones (forwarding, NAT, the tunnel) go one after another
// in the registry's order, each alone and confirmed before anything after it begins, so a lock-out fails only
// the service that caused it. Checked on the rule itself (table), on the dependencies `npm run plan -- --json`
// shows, and on a run of those dependencies by a scheduler that starts resources the way the engine does.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { PlanJson } from "../../scripts/lib/planJson";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { pushDependencies } from "../../stacks/components/host/pushOrder";
import { HOST_SERVICE_KINDS } from "../../stacks/components/host/registry";
import { runInEngineOrder } from "../support/engineOrder";
import { FIXTURE_STACK_FILE } from "../support/stacks";

const HOST_CONFIG = "pulumi-nodejs:dynamic/neve:HostConfig";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const SECRETS = {
  proxmoxApiToken: "root@pam!unit=9f0e8d7c-6b5a-4c3d-8e2f-1a2b3c4d5e6f",
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-private-key-material-order\n-----END OPENSSH PRIVATE KEY-----\n",
  tunnelCredentials: JSON.stringify({ AccountTag: "unit-account", TunnelSecret: "dW5pdA==", TunnelID: "464de2f3-7058-4a1f-9f93-ae8425f0ffbe" }),
  pbsPassword: "unit-test-pbs-password-order",
};
const HOST_KEY = { ssh: { host: "100.94.229.96", port: 22, user: "root", hostKey: "SHA256:uO2YrKm6bWk9h0Oq1oX3b9zVxR2mX0Q1y8m0aVbQ5Ys" } };

describe("pushDependencies (the rule)", () => {
  const A = { accessCritical: true };
  const n = { accessCritical: false };
  it.each<[string, { accessCritical: boolean }[], number[][]]>([
    ["no service", [], []],
    ["no access-critical service: all at once", [n, n, n], [[], [], []]],
    ["access-critical ones only: a chain", [A, A, A], [[], [0], [1]]],
    ["neve's shape: forwarding, NAT, dnsmasq, haproxy, tunnel, units", [A, A, n, n, A, n, n], [[], [0], [1], [1], [1, 2, 3], [4], [4]]],
    ["others first: the access-critical one waits for all of them", [n, n, A, n], [[], [], [0, 1], [2]]],
  ])("must order %s", (_, services, expected) => {
    expect(pushDependencies(services)).toEqual(expected);
  });
});

/** HostConfig resources of a plan, with each one's HostConfig dependencies (by URN) and its service name. */
function hostConfigsOf(plan: PlanJson) {
  const hc = plan.resources.filter((r) => r.type === HOST_CONFIG);
  const urns = new Set(hc.map((r) => r.urn));
  return hc.map((r) => ({
    urn: r.urn,
    key: r.urn,
    service: r.inputs.service as string,
    critical: r.inputs.accessCritical !== null && r.inputs.accessCritical !== undefined,
    deps: r.dependencies.filter((d) => urns.has(d)),
  }));
}
type Hc = ReturnType<typeof hostConfigsOf>[number];

/** True when `a` waits for `b`, directly or through others. */
function waitsFor(all: readonly Hc[], a: Hc, b: Hc): boolean {
  const byUrn = new Map(all.map((h) => [h.urn, h]));
  const seen = new Set<string>();
  const stack = [...a.deps];
  while (stack.length) {
    const u = stack.pop()!;
    if (u === b.urn) return true;
    if (seen.has(u)) continue;
    seen.add(u);
    stack.push(...(byUrn.get(u)?.deps ?? []));
  }
  return false;
}

/** A push that yields to the event loop a few times, so that anything allowed to run beside it does. */
async function pushTakingTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

// One program run per test file (the program module runs once per module registry): the fixture in process,
// the real Pulumi.neve.yaml through the command itself.
let fixture: Hc[];
let real: Hc[];
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  const { planJson } = await import("../../scripts/lib/planJson");
  fixture = hostConfigsOf(planJson(await runProgram({ stackFile: FIXTURE_STACK_FILE, secrets: SECRETS, configOverrides: HOST_KEY }), FIXTURE_STACK_FILE));
  const { stdout } = await promisify(execFile)(npm, ["run", "-s", "plan", "--", "--json"], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  real = hostConfigsOf(JSON.parse(stdout) as PlanJson);
});

describe.each<[string, () => Hc[]]>([
  ["the fixture stack file (program under mocks, plan document)", () => fixture],
  ["the real Pulumi.neve.yaml (`npm run plan -- --json`)", () => real],
])("the host services of %s", (_, hostConfigs) => {
  let hcs: Hc[];
  beforeAll(() => {
    hcs = hostConfigs();
  });

  it("must chain the access-critical services in the registry's order, each depending on the one before", () => {
    const critical = hcs.filter((h) => h.critical);
    const kindOf = (service: string) => HOST_SERVICE_KINDS.findIndex((k) => service === k || service.startsWith(`${k}-`));
    const ranks = critical.map((h) => kindOf(h.service));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    for (const [i, h] of critical.slice(1).entries()) expect(h.deps).toContain(critical[i].urn);
  });

  it("must never push an access-critical service beside another host service: one of the two always waits for the other", () => {
    const beside: string[] = [];
    for (const a of hcs.filter((h) => h.critical)) {
      for (const b of hcs) if (a !== b && !waitsFor(hcs, a, b) && !waitsFor(hcs, b, a)) beside.push(`${a.service} / ${b.service}`);
    }
    expect(beside).toEqual([]);
  });

  it("must name only resources declared before it as dependencies (the document lists them in order)", () => {
    const order = new Map(hcs.map((h, i) => [h.urn, i]));
    for (const h of hcs) for (const d of h.deps) expect(order.get(d)).toBeLessThan(order.get(h.urn)!);
  });

  it("must, run as the engine runs it, begin each access-critical push alone, after the one before has ended", async () => {
    const r = await runInEngineOrder(hcs, pushTakingTurns);
    expect(r.failed).toBeNull();
    expect(r.peak).toBeGreaterThan(1); // the others do run in parallel: the order costs only what it must
    for (const h of hcs.filter((x) => x.critical)) expect(r.beside.get(h.urn)).toEqual([]);
    const critical = hcs.filter((h) => h.critical).map((h) => h.urn);
    for (const [i, u] of critical.slice(1).entries()) expect(r.events.indexOf(`begin ${u}`)).toBeGreaterThan(r.events.indexOf(`end ${critical[i]}`));
    expect(r.events.filter((e) => e.startsWith("end "))).toHaveLength(hcs.length);
  });
});

describe("the host services of the fixture stack file, run as the engine runs them", () => {
  let hcs: Hc[];
  beforeAll(() => {
    hcs = fixture;
  });

  it("must chain forwarding, NAT and the tunnel, in that order", () => {
    const critical = hcs.filter((h) => h.critical);
    expect(critical.map((h) => h.service)).toEqual(["sysctl-forwarding", "nat", "cloudflared"]);
    expect(critical.map((h) => h.deps.length > 0)).toEqual([false, true, true]);
    expect(fixture.length).toBe(8);
  });

  it("must, when the second access-critical service cuts access, fail under its name with the first confirmed and nothing after begun", async () => {
    const critical = hcs.filter((h) => h.critical);
    const culprit = critical[1];
    const r = await runInEngineOrder(hcs, async (h) => {
      await pushTakingTurns();
      if (h === culprit) throw new Error(`HostConfig ${h.service} on root@100.94.229.96:22: access check failed after activation`);
    });
    expect(r.failed).toEqual({ key: culprit.urn, message: expect.stringContaining(`HostConfig ${culprit.service} on`) });
    expect(r.events.filter((e) => e.startsWith("failed "))).toEqual([`failed ${culprit.urn}`]);
    expect(r.events.indexOf(`end ${critical[0].urn}`)).toBeLessThan(r.events.indexOf(`begin ${culprit.urn}`));
    // Nothing was in flight beside it, and nothing begins after it.
    expect(r.beside.get(culprit.urn)).toEqual([]);
    const at = r.events.indexOf(`begin ${culprit.urn}`);
    expect(r.events.slice(at)).toEqual([`begin ${culprit.urn}`, `failed ${culprit.urn}`]);
  });
});

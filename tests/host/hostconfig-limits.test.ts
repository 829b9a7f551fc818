/**
 * Host-side time limits of a push, on a REAL sshd test host with a real haproxy: a validator or health check that
 * hangs is stopped by `timeout` (coreutils) on the host after its limit, the error names the command and the limit,
 * and the push ends as every failed push does (nothing moved for a validator, a rollback for the health check).
 * The script is the provider's own (`buildApplyScript`), sent over the providers' SSH client as a push sends it;
 * only the limits are set small here (`commandLimits`), so the test does not wait out the real ones.
 */

import { type ApplyPlan, ackOnRelayed, BOOTSTRAP_COMMAND, bootstrapInput, buildApplyScript, EXIT } from "../../providers/hostconfig/script";
import { exec } from "../../providers/ssh/client";
import { withConnection } from "../../providers/ssh/pool";
import { SSH_FIXED, SSH_TIMEOUT_DEFAULTS } from "../../providers/ssh/timeouts";
import { haproxyCfg } from "../providers/support/hostconfigCase";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";
const LIMITS = { validate: 2, activate: 2, health: 2 };

describe("HostConfig host-side time limits (real sshd, real haproxy)", () => {
  let host: TestHost;
  let n = 0;
  beforeAll(async () => {
    host = await startTestHost({ haproxy: true });
  });
  afterAll(async () => {
    await host?.stop();
  });

  const plan = (content: string, over: Partial<ApplyPlan> = {}): ApplyPlan => ({
    service: "haproxy",
    stashDir: "/root/etc-pve.stash",
    stashKeep: 3,
    files: [{ path: CFG, content, mode: "0644", owner: "root", group: "root", secret: false }],
    validate: ["haproxy -c -f {staged}"],
    activate: "systemctl reload haproxy",
    healthCheck: null,
    accessCritical: null,
    withhold: [],
    token: (0xa000 + ++n).toString(16).padStart(8, "0"),
    stamp: `20261207T1700000${String(n).padStart(2, "0")}Z`,
    commandLimits: LIMITS,
    ...over,
  });
  const push = (p: ApplyPlan) =>
    withConnection({ host: host.address, port: 22, username: "root", hostKey: host.hostKeyFingerprint, privateKey: host.clientPrivateKey }, (s) =>
      exec(s, BOOTSTRAP_COMMAND, { stdin: bootstrapInput(buildApplyScript(p)), answer: ackOnRelayed(p.token), timeoutMs: 60000, label: "the push" }),
    );
  /** The hung commands' marker processes still running on the host (the limit must have stopped their whole group; the bracket keeps pgrep from matching its own shell). */
  const hung = async () => (await host.exec("pgrep -f '[n]eve-hang-' || :")).stdout.trim();

  it("must stop a hanging validator at its limit, name the command and the limit, and change nothing", async () => {
    const before = await host.readFile(CFG);
    await host.clearSystemctlCalls();
    const v = "sleep 600 # neve-hang-validate";
    const r = await push(plan(haproxyCfg(host, "validator hangs"), { validate: [v] }));
    expect(r.code).toBe(EXIT.validate);
    expect(r.stderr).toContain(`validator \`${v}\` did not end within 2s on the host and was stopped`);
    expect(r.stderr).toContain("SSH_FIXED.hostCommandSeconds.validate");
    expect(await host.readFile(CFG)).toBe(before);
    expect(await host.systemctlCalls()).toEqual([]);
    expect(await hung()).toBe("");
  });

  it("must stop a hanging validator of plain words (run by timeout itself, no shell between) at its limit, with its whole group", async () => {
    const before = await host.readFile(CFG);
    await host.clearSystemctlCalls();
    // flock runs sleep as its child: both must go (the marker is in flock's own command line).
    const v = "flock -n /run/neve-hang-plain.lock sleep 600";
    const r = await push(plan(haproxyCfg(host, "plain validator hangs"), { validate: [v] }));
    expect(r.code).toBe(EXIT.validate);
    expect(r.stderr).toContain(`validator \`${v}\` did not end within 2s on the host and was stopped`);
    expect(await host.readFile(CFG)).toBe(before);
    expect(await host.systemctlCalls()).toEqual([]);
    expect(await hung()).toBe("");
  });

  it("must stop a hanging health check at its limit, roll back, and say which command hung", async () => {
    const good = haproxyCfg(host, "health before");
    expect((await push(plan(good))).code).toBe(0);
    await host.clearSystemctlCalls();
    const h = "sleep 600 # neve-hang-health";
    const r = await push(plan(haproxyCfg(host, "health hangs"), { healthCheck: h }));
    expect(r.code).toBe(EXIT.health);
    expect(r.stderr).toContain(`health check \`${h}\` did not end within 2s on the host and was stopped`);
    expect(r.stdout).toContain("@@neve rollback ok");
    expect(await host.readFile(CFG)).toBe(good);
    // Activated for the new file, then again for the restored one.
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
    expect(await hung()).toBe("");
  });

  it("must keep the default limits inside the default change limit, whatever the network (a hung command ends in a rollback the client sees)", () => {
    const l = SSH_FIXED.hostCommandSeconds;
    expect(l.validate + 2 * l.activate + l.health).toBeLessThan(SSH_TIMEOUT_DEFAULTS.change);
    expect(Math.min(l.validate, l.activate, l.health)).toBeGreaterThanOrEqual(30);
  });
});

/**
 * End to end for the files neve really gets: the program runs under mocks with the real
 * Pulumi.neve.yaml, and the HostConfig resources it declares for haproxy and dnsmasq (their rendered
 * content, validators, activation, health checks and serialized provider, exactly as the engine
 * would receive them) are pushed through the REAL provider host onto a REAL sshd test host, where
 * the real haproxy and dnsmasq must accept and run them. Only the connection is swapped for the
 * test host's.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import type { CapturedResource } from "../../scripts/lib/mockRunner";
import { type ProviderHost, startProviderHost, urnFor } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const TYPE = "pulumi-nodejs:dynamic/neve:HostConfig";
const SIG = "4dabf18193072939515e22adb298388d";

let host: TestHost;
let ph: ProviderHost;
let declared: CapturedResource[];

beforeAll(async () => {
  [host, ph] = await Promise.all([startTestHost({ haproxy: true, dnsmasq: true }), startProviderHost()]);
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  // Exact values (cipher's route, vmbr1's range) come from the frozen fixture, not the operator's stack file. The
  // first push replaces the harness's own haproxy.cfg: the copy acknowledges exactly that live content, as
  // `discover --write --acknowledge-file` would (neve-infra:adoption.files, the HostConfig adoption guard).
  const { FIXTURE_STACK_FILE } = await import("../support/stacks");
  const doc = parseDocument(fs.readFileSync(FIXTURE_STACK_FILE, "utf8"));
  doc.setIn(["config", "neve-infra:adoption", "files", "/etc/haproxy/haproxy.cfg"], host.initialHaproxyCfgHash);
  const stackFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "neve-services-")), "Pulumi.neve.yaml");
  fs.writeFileSync(stackFile, doc.toString());
  const run = await runProgram({ stackFile });
  declared = run.resources.filter((r) => r.type === TYPE);
  // systemd creates /run/haproxy for haproxy.service (RuntimeDirectory=); the test host has no systemd.
  await host.exec("mkdir -p /run/haproxy");
}, 120000);

afterAll(async () => {
  await ph?.stop();
  await host?.stop();
});

/** The declared inputs of one service, pointed at the test host. */
function inputsFor(service: string): Record<string, unknown> {
  const r = declared.find((d) => d.inputs.service === service);
  if (!r) throw new Error(`the program declares no HostConfig for ${service}`);
  const unwrap = (v: unknown): unknown => (v && typeof v === "object" && SIG in (v as object) ? (v as { value: unknown }).value : v);
  return {
    ...r.inputs,
    files: (unwrap(r.inputs.files) as unknown[]).map(unwrap),
    connection: { host: host.address, port: host.port, username: host.username, hostKey: host.hostKeyFingerprint, privateKey: host.clientPrivateKey },
  };
}

async function push(service: string) {
  const urn = urnFor(TYPE, `host-${service}`);
  const checked = await ph.check(urn, {}, inputsFor(service));
  expect(checked.failures).toEqual([]);
  const created = await ph.create(urn, checked.inputs);
  return { urn, inputs: checked.inputs, created };
}

describe("neve's own rendered files on a real host", () => {
  it("must put neve's haproxy.cfg live: haproxy -c passes, haproxy reloads and serves 80, 443 and the stats page", async () => {
    const pidBefore = await host.haproxyPid();
    await host.clearSystemctlCalls();
    const { created } = await push("haproxy");
    expect(created.id).toBe(`${host.address}:haproxy`);
    const live = await host.readFile("/etc/haproxy/haproxy.cfg");
    expect(live).toContain("req.ssl_sni -i cipher.wenzelarifiandi.com");
    expect(await host.systemctlCalls()).toEqual(expect.arrayContaining(["reload haproxy"]));
    const pid = await host.haproxyPid();
    expect(pid).not.toBeNull();
    expect(pid).not.toBe(pidBefore);
    const listening = (await host.exec("ss -Hltn")).stdout;
    for (const port of ["0.0.0.0:443", "0.0.0.0:80", "127.0.0.1:8404", "[::]:443", "[::]:80"]) expect(listening).toContain(port);
    const stats = await host.exec("timeout 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8404; printf \"GET /stats;csv HTTP/1.0\\r\\n\\r\\n\" >&3; cat <&3'");
    expect(stats.stdout).toContain("tls_cipher_wenzelarifiandi_com");
  });

  it("must find nothing to change on the next run of the same program (no-op diff)", async () => {
    const service = "haproxy";
    const urn = urnFor(TYPE, `host-${service}`);
    const state = await ph.read(`${host.address}:${service}`, urn, (await ph.check(urn, {}, inputsFor(service))).inputs);
    const checked = await ph.check(urn, state.inputs, inputsFor(service));
    const diff = await ph.diff(`${host.address}:${service}`, urn, state.properties, checked.inputs);
    expect(diff.changes).toBe("none");
  });

  it("must put neve's dnsmasq drop-in live on vmbr1: dnsmasq --test passes, dnsmasq restarts and answers DNS on 10.10.10.1", async () => {
    await host.clearSystemctlCalls();
    await push("dnsmasq-vmbr1");
    expect(await host.readFile("/etc/dnsmasq.d/neve-vmbr1.conf")).toContain("dhcp-range=10.10.10.100,10.10.10.200");
    expect(await host.systemctlCalls()).toEqual(expect.arrayContaining(["restart dnsmasq"]));
    const listening = (await host.exec("ss -Hlnu")).stdout;
    expect(listening).toContain("10.10.10.1:53");
  });
});

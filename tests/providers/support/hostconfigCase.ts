/**
 * Helpers shared by the host tests of the dynamic providers (tests/host/hostconfig-*.test.ts, lxcraw-*.test.ts): declare a resource under
 * mocks to get exactly what the engine would send (inputs + `__provider`), then drive the REAL provider host
 * through the engine's sequence (check -> create, or check -> diff -> update).
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostConfigOutputs } from "../../../providers/hostconfig";
import { HostConfig, type HostConfigArgs } from "../../../providers/hostconfig";
import { captureResources } from "../../host/harness/capture";
import type { ProviderHost } from "../../host/harness/providerHost";
import { urnFor } from "../../host/harness/providerHost";
import type { TestHost } from "../../host/harness/testHost";

export const TYPE = "pulumi-nodejs:dynamic/neve:HostConfig";

/** A declared resource as the engine receives it. */
export interface Declared {
  urn: string;
  inputs: Record<string, unknown>;
  secretPaths: string[];
}

/** Run `construct` (which declares the resource `name` of `type`) under mocks and return that registration. */
export async function declareResource(type: string, name: string, construct: () => void): Promise<Declared> {
  const captured = await captureResources(construct);
  const r = captured.find((c) => c.type === type && c.name === name);
  if (!r) throw new Error(`no ${type} named ${name} was registered; got ${captured.map((c) => c.type).join(", ")}`);
  return { urn: urnFor(type, name), inputs: r.inputs, secretPaths: r.secretPaths };
}

/** Run `new HostConfig(name, args)` under mocks and return its registration. */
export async function declare(name: string, args: HostConfigArgs): Promise<Declared> {
  return declareResource(TYPE, name, () => {
    new HostConfig(name, args);
  });
}

/** Connection args for the test host (pinned by fingerprint, authorized key). */
export function conn(h: TestHost, over: Partial<HostConfigArgs["connection"] & object> = {}) {
  return { host: h.address, port: h.port, username: h.username, hostKey: h.hostKeyFingerprint, privateKey: h.clientPrivateKey, ...over };
}

/** Connection args for the test host with the private key given as a Pulumi secret, as a real program does. */
export function secretConn(h: TestHost) {
  return { ...conn(h), privateKey: pulumi.secret(h.clientPrivateKey) };
}

/**
 * A HostConfig of the test host's haproxy.cfg: validated by `haproxy -c`, activated by a reload. Its first push
 * adopts the harness's initial haproxy.cfg, so it acknowledges exactly that content (`acceptLive`); any other
 * live file there is refused (the adoption guard, tests/host/hostconfig-adoption-guard.test.ts).
 */
export function haproxyConfigArgs(h: TestHost, content: string, over: Partial<HostConfigArgs> = {}): HostConfigArgs {
  return {
    connection: conn(h),
    service: "haproxy",
    files: [{ path: "/etc/haproxy/haproxy.cfg", content, acceptLive: [h.initialHaproxyCfgHash] }],
    validate: ["haproxy -c -f {staged}"],
    activate: "systemctl reload haproxy",
    ...over,
  };
}

/** check; fails the test with the provider's reasons when check refuses. */
export async function check(ph: ProviderHost, d: Declared, olds: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const r = await ph.check(d.urn, olds, d.inputs);
  if (r.failures.length) throw new Error(`check failed: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  return r.inputs;
}

/** A resource in "state": id, outputs and the inputs they came from. */
export interface State {
  id: string;
  outputs: Record<string, unknown>;
  inputs: Record<string, unknown>;
}

/** First `pulumi up` of a declaration: check + create. */
export async function create(ph: ProviderHost, d: Declared): Promise<State> {
  const inputs = await check(ph, d);
  const r = await ph.create(d.urn, inputs);
  return { id: r.id, outputs: r.properties, inputs };
}

/** Later `pulumi up`: check + diff, and update when the diff says so. Returns the diff and the new state. */
export async function up(ph: ProviderHost, prev: State, d: Declared) {
  const inputs = await check(ph, d, prev.inputs);
  const diff = await ph.diff(prev.id, d.urn, prev.outputs, inputs);
  let state = prev;
  if (diff.changes === "some" && diff.replaces.length === 0) {
    const r = await ph.update(prev.id, d.urn, prev.outputs, inputs);
    state = { id: prev.id, outputs: r.properties, inputs };
  }
  return { diff, state };
}

/** The files output, typed. */
export function filesOf(s: State): HostConfigOutputs["files"] {
  return s.outputs.files as HostConfigOutputs["files"];
}

/** stat inside the host: "mode:owner:group:mtime-ns:inode" or "missing". */
export async function statOf(h: TestHost, path: string): Promise<string> {
  const q = `'${path.replace(/'/g, "'\\''")}'`;
  const r = await h.exec(`if [ -e ${q} ]; then stat -c '%a:%U:%G:%.9Y:%i' -- ${q}; else echo missing; fi`);
  return r.stdout.trim();
}

/**
 * Bound of a wait for an event on the test host: generous, so that it only ends a wait that hangs. The
 * suite must pass beside a second full run of itself on a loaded 2-core machine, where a step that takes
 * milliseconds on a quiet one can take seconds.
 */
export const HOST_WAIT_MS = 30000;

/** Wait until `cond` holds or `ms` pass (a bound for a hang, not a duration); returns the last value of `cond`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = HOST_WAIT_MS): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/** A command that stops a push at one point until the test lets it go on: see {@link hostGate}. */
export interface HostGate {
  /** Shell command for a validator or an activation: marks that it was reached, then waits for {@link release}. */
  command: string;
  /** True once the push has reached the command (waited for, within {@link HOST_WAIT_MS}). */
  reached(): Promise<boolean>;
  /** Let the command (and every later run of it) go on. */
  release(): Promise<void>;
}

/**
 * A gate inside a push: the command waits on the host until the test releases it, so a test that must act
 * while the push is at that point (cut the connection during validation or activation) waits for that
 * event instead of racing a fixed `sleep`. The gate gives up by itself after about two minutes (exit 1),
 * so a test that fails before releasing it leaves no command waiting forever.
 */
export function hostGate(h: TestHost, name: string): HostGate {
  const at = `/tmp/neve-gate-${name}`;
  return {
    command: `touch ${at}.reached; i=0; until [ -e ${at}.go ]; do sleep 0.05; i=$((i + 1)); [ $i -lt 2400 ] || exit 1; done`,
    reached: () => waitFor(async () => (await h.exec(`test -e ${at}.reached`)).code === 0),
    release: async () => {
      await h.exec(`touch ${at}.go`);
    },
  };
}

/** A haproxy.cfg that `haproxy -c` accepts, answering `body` on the host's port 80. */
export function haproxyCfg(h: TestHost, body: string, extra = ""): string {
  return `global
    maxconn 256

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend fe_http
    bind ${h.address}:80
    http-request return status 200 content-type text/plain string "${body}"
${extra}
listen stats
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
`;
}

/**
 * The REAL Pulumi dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider/index.js`), spawned as the engine
 * spawns it and spoken to over gRPC with the stubs shipped in `@pulumi/pulumi/proto` (ResourceProviderClient).
 *
 * Properties are plain JS objects in and out; the google.protobuf.Struct conversion happens here, with the
 * `google-protobuf` instance that the proto stubs themselves load (resolved from @pulumi/pulumi's directory), so
 * there is exactly one protobuf runtime. As the engine does for a provider that says acceptSecrets=false, secret
 * values are unwrapped before sending; `undefined` is stripped (the host rejects it: "Unexpected struct type").
 *
 * `wire` is the same protocol on bytes, for the bench: properties are google.protobuf.Struct bytes, encoded once by
 * the caller (`encodeStruct`), and requests and responses are framed and split at the wire level (wire.ts) without
 * converting any Struct, as the Go engine marshals them at memcpy speed. Decode with `decodeStruct` where a plain
 * value is needed.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { onProcessExit, realProcess } from "./exitHook";
import { FIELDS, fields, lastField, message } from "./wire";

/** Result of `check`. */
export interface CheckResult {
  /** The inputs the provider returned (with `__provider`). */
  inputs: Record<string, unknown>;
  /** Check failures: property path and reason. */
  failures: { property: string; reason: string }[];
}

/** Result of `diff`. */
export interface DiffResult {
  /** What the provider said: DIFF_NONE, DIFF_SOME or DIFF_UNKNOWN. */
  changes: "none" | "some" | "unknown";
  /** Properties whose change forces a replacement. */
  replaces: string[];
  /** Whether the old resource must be deleted before the new one is created. */
  deleteBeforeReplace: boolean;
  /** Changed properties, if the host reports them (the Node dynamic provider host does not). */
  diffs: string[];
  /** Detailed diff, if the host reports one (kind: ADD, UPDATE, DELETE, ..._REPLACE). */
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }>;
}

/** google.protobuf.Struct bytes: properties as the engine holds and forwards them. */
export type StructBytes = Buffer;

/**
 * The provider calls on Struct bytes (the bench's engine stand-in): nothing is converted on the way, only framed.
 * Results equal the object API's after `decodeStruct`.
 */
export interface WireProvider {
  /** ResourceProvider.Check; `inputs` are the response's Struct bytes as they came. */
  check(urn: string, olds: StructBytes, news: StructBytes): Promise<{ inputs: StructBytes; failures: CheckResult["failures"] }>;
  /** ResourceProvider.Diff. */
  diff(id: string, urn: string, olds: StructBytes, news: StructBytes): Promise<DiffResult>;
  /** ResourceProvider.Create. */
  create(urn: string, props: StructBytes): Promise<{ id: string; properties: StructBytes }>;
  /** ResourceProvider.Read (refresh). `inputs` is empty bytes when the provider returned none. */
  read(id: string, urn: string, props: StructBytes): Promise<{ id: string; properties: StructBytes; inputs: StructBytes }>;
  /** ResourceProvider.Update. */
  update(id: string, urn: string, olds: StructBytes, news: StructBytes): Promise<{ properties: StructBytes }>;
}

/** A running provider host process and a gRPC client to it. */
export interface ProviderHost {
  /** PID of the host process. */
  pid: number;
  /** ResourceProvider.Check. */
  check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult>;
  /** ResourceProvider.Diff. */
  diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult>;
  /** ResourceProvider.Create. */
  create(urn: string, props: Record<string, unknown>): Promise<{ id: string; properties: Record<string, unknown> }>;
  /** ResourceProvider.Read (refresh). `inputs` is empty when the provider returned none. */
  read(id: string, urn: string, props: Record<string, unknown>): Promise<{ id: string; properties: Record<string, unknown>; inputs: Record<string, unknown> }>;
  /** ResourceProvider.Update. */
  update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ properties: Record<string, unknown> }>;
  /** ResourceProvider.Delete. */
  delete(id: string, urn: string, props: Record<string, unknown>): Promise<void>;
  /** The same calls on Struct bytes, over the same client (see {@link WireProvider}). */
  wire: WireProvider;
  /** stdout+stderr the host process printed so far (for secret-leak assertions). */
  output(): string;
  /** Close the client and kill the process. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startProviderHost}. */
export interface ProviderHostOptions {
  /** Stack config passed to Configure (keys like "neve-infra:foo"). Default: none. */
  config?: Record<string, unknown>;
  /** Extra environment of the host process (merged over this process's environment). */
  env?: Record<string, string | undefined>;
}

/** The project and stack names the host reports to providers. */
export const PROJECT = "neve-infra";
export const STACK = "neve";

/** URN of a resource of this stack: urn:pulumi:neve::neve-infra::<type>::<name>. */
export function urnFor(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Plain JSON-able copy: secrets unwrapped, `undefined` properties dropped (in arrays: null, as JSON does). */
export function toWire(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toWire(v)));
  const obj = value as Record<string, unknown>;
  if (obj[SECRET_SIG_KEY] === SECRET_SIG) return toWire(obj.value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const w = toWire(v);
    if (w !== undefined) out[k] = w;
  }
  return out;
}

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [repoRoot] }));
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));

/* eslint-disable @typescript-eslint/no-explicit-any */
const grpc: typeof import("@grpc/grpc-js") = fromPulumi("@grpc/grpc-js");
const structpb: any = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const provpb: any = require(path.join(pulumiDir, "proto", "provider_pb"));
const provgrpc: any = require(path.join(pulumiDir, "proto", "provider_grpc_pb"));

const KIND_NAMES = ["ADD", "ADD_REPLACE", "DELETE", "DELETE_REPLACE", "UPDATE", "UPDATE_REPLACE"];
const live = new Set<() => void>();
let exitHookInstalled = false;

function struct(props: Record<string, unknown>): any {
  return structpb.Struct.fromJavaScript(toWire(props) as Record<string, unknown>);
}

function plain(s: any): Record<string, unknown> {
  return s ? (s.toJavaScript() as Record<string, unknown>) : {};
}

/** Properties as google.protobuf.Struct bytes (secrets unwrapped, `undefined` stripped), as the object path sends them. */
export function encodeStruct(props: Record<string, unknown>): StructBytes {
  return Buffer.from(struct(props).serializeBinary());
}

/** Plain properties from Struct bytes (empty bytes: `{}`). */
export function decodeStruct(bytes: Uint8Array): Record<string, unknown> {
  return plain(structpb.Struct.deserializeBinary(bytes));
}

function diffResult(resp: any): DiffResult {
  const changes = resp.getChanges();
  const C = provpb.DiffResponse.DiffChanges;
  const detailedDiff: DiffResult["detailedDiff"] = {};
  resp.getDetaileddiffMap().forEach((v: any, k: string) => {
    detailedDiff[k] = { kind: KIND_NAMES[v.getKind()] ?? String(v.getKind()), inputDiff: v.getInputdiff() };
  });
  return {
    changes: changes === C.DIFF_NONE ? "none" : changes === C.DIFF_SOME ? "some" : "unknown",
    replaces: resp.getReplacesList(),
    deleteBeforeReplace: resp.getDeletebeforereplace(),
    diffs: resp.getDiffsList(),
    detailedDiff,
  };
}

function failuresOf(resp: any): CheckResult["failures"] {
  return resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() }));
}

/** A failed gRPC call as an Error with the status's details and its code (both paths, object and byte). */
function rpcError(err: any): Error {
  const e = new Error(err.details || err.message);
  (e as any).code = err.code;
  return e;
}

/** Start the provider host from the repo root and connect to it. Call `stop()` in afterAll. */
export async function startProviderHost(opts: ProviderHostOptions = {}): Promise<ProviderHost> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    onProcessExit(() => {
      for (const kill of [...live]) kill();
    });
  }
  const entry = path.join(pulumiDir, "cmd", "dynamic-provider", "index.js");
  const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PULUMI_NODEJS_PROJECT: PROJECT,
      PULUMI_NODEJS_STACK: STACK,
      PULUMI_NODEJS_ORGANIZATION: "organization",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid ?? 0;
  let out = "";
  let exited = false;
  const kill = () => {
    live.delete(kill);
    if (!exited) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  live.add(kill);

  // A detached watchdog kills the host when this process dies without running its exit handlers.
  const watchdog = spawn("/bin/sh", ["-c", `while kill -0 ${realProcess.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider host printed no port within 60 s:\n${out}`)), 60000);
    child.stdout!.on("data", (d: Buffer) => {
      const before = out;
      out += d.toString("utf8");
      if (!before.includes("\n")) {
        const m = /^(\d+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("exit", (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`provider host exited (code ${code}) before printing its port:\n${out}`));
    });
  }).catch((e) => {
    kill();
    throw e;
  });

  // A forgotten stop() must not keep the test process alive: the 'exit' hook (or the watchdog) kills the host.
  // Only now, after the port was read: while waiting for it these handles are all that keeps the loop alive.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();

  const client = new provgrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: any): Promise<T> =>
    new Promise((resolve, reject) => {
      client[method](req, (err: any, resp: T) => (err ? reject(rpcError(err)) : resolve(resp)));
    });

  const configure = new provpb.ConfigureRequest();
  configure.setArgs(struct(opts.config ?? {}));
  configure.setAcceptsecrets(true);
  configure.setAcceptresources(true);
  await call("configure", configure).catch((e) => {
    kill();
    throw e;
  });

  // The byte path: the same client, grpc-js's generic unary call with identity (de)serializers.
  const identity = (b: Buffer) => b;
  const raw = (method: string, req: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(`/pulumirpc.ResourceProvider/${method}`, identity, identity, req, (err: any, resp?: Buffer) =>
        err ? reject(rpcError(err)) : resolve(resp ?? Buffer.alloc(0)),
      );
    });
  const wire: WireProvider = {
    async check(urn, olds, news) {
      const F = FIELDS.check;
      const resp = await raw(
        "Check",
        message([
          [F.urn, urn],
          [F.olds, olds],
          [F.news, news],
        ]),
      );
      const f = fields(resp);
      const R = FIELDS.checkResponse;
      // Failures are rare and small: the stubs decode them (and the inputs with them), so a failing check reads as usual.
      const failures = f.has(R.failures) ? failuresOf(provpb.CheckResponse.deserializeBinary(resp)) : [];
      return { inputs: lastField(f, R.inputs), failures };
    },
    async diff(id, urn, olds, news) {
      const F = FIELDS.diff;
      const resp = await raw(
        "Diff",
        message([
          [F.id, id],
          [F.urn, urn],
          [F.olds, olds],
          [F.news, news],
        ]),
      );
      return diffResult(provpb.DiffResponse.deserializeBinary(resp));
    },
    async create(urn, props) {
      const F = FIELDS.create;
      const f = fields(
        await raw(
          "Create",
          message([
            [F.urn, urn],
            [F.properties, props],
          ]),
        ),
      );
      const R = FIELDS.createResponse;
      return { id: lastField(f, R.id).toString("utf8"), properties: lastField(f, R.properties) };
    },
    async read(id, urn, props) {
      const F = FIELDS.read;
      const f = fields(
        await raw(
          "Read",
          message([
            [F.id, id],
            [F.urn, urn],
            [F.properties, props],
          ]),
        ),
      );
      const R = FIELDS.readResponse;
      return { id: lastField(f, R.id).toString("utf8"), properties: lastField(f, R.properties), inputs: lastField(f, R.inputs) };
    },
    async update(id, urn, olds, news) {
      const F = FIELDS.update;
      const f = fields(
        await raw(
          "Update",
          message([
            [F.id, id],
            [F.urn, urn],
            [F.olds, olds],
            [F.news, news],
          ]),
        ),
      );
      return { properties: lastField(f, FIELDS.updateResponse.properties) };
    },
  };

  let stopped = false;
  const host: ProviderHost = {
    pid,
    wire,
    async check(urn, olds, news) {
      const req = new provpb.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp: any = await call("check", req);
      return { inputs: plain(resp.getInputs()), failures: failuresOf(resp) };
    },
    async diff(id, urn, olds, news) {
      const req = new provpb.DiffRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      return diffResult(await call("diff", req));
    },
    async create(urn, props) {
      const req = new provpb.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(props));
      const resp: any = await call("create", req);
      return { id: resp.getId(), properties: plain(resp.getProperties()) };
    },
    async read(id, urn, props) {
      const req = new provpb.ReadRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(struct(props));
      const resp: any = await call("read", req);
      return { id: resp.getId(), properties: plain(resp.getProperties()), inputs: plain(resp.getInputs()) };
    },
    async update(id, urn, olds, news) {
      const req = new provpb.UpdateRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const resp: any = await call("update", req);
      return { properties: plain(resp.getProperties()) };
    },
    async delete(id, urn, props) {
      const req = new provpb.DeleteRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(struct(props));
      await call("delete", req);
    },
    output: () => out,
    async stop() {
      if (stopped) return;
      stopped = true;
      client.close();
      child.ref(); // keep the loop alive until the exit is seen
      const gone = new Promise<void>((resolve) => {
        if (exited || child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      kill();
      await gone;
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (watchdog.pid) {
        try {
          process.kill(watchdog.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    },
  };
  return host;
}

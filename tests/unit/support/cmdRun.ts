/**
 * Runs the program the way `pulumi preview` does, without the Pulumi CLI: `@pulumi/pulumi/cmd/run`
 * (the SDK's own entry point) started as the Node language host starts it, talking to a minimal
 * resource monitor and engine of our own that record every registration.
 *
 * How the language host launches it (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go,
 * `constructArguments`, `constructConfig`, `execRuntime`): `node [nodeargs] <@pulumi/pulumi/cmd/run>
 * --monitor ADDR --engine ADDR --project P --root-directory ROOT --stack S --pwd PROGRAMDIR
 * [--dry-run] ENTRY`, with PULUMI_CONFIG (JSON, keys `namespace:config:name`) and
 * PULUMI_CONFIG_SECRET_KEYS (JSON list of `namespace:name`) in the environment, in the program
 * directory. For `main: stacks/neve/main.js` the CLI's program directory is stacks/neve and the
 * entry is `main.js` (pkg/engine/project.go `getPwdMain`).
 *
 * The monitor answers as the SDK's MockMonitor does (runtime/mocks.js) where it matters for the
 * comparison: no outputValues (inputs arrive as plain values), ids `<import id>` or `<name>-id`, the
 * inputs echoed as state, invokes echoed; so a registration here can be compared one to one with
 * `runProgram` under mocks. It advertises only the features the program uses (secrets, resource
 * references, alias specs, deletedWith) and answers UNIMPLEMENTED to what it does not serve.
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as resourceRpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { buildConfig, type RunProgramOptions } from "../../../scripts/lib/mockRunner";
import { REPO_ROOT } from "../../../scripts/lib/stackFile";
import { QUALIFIED_SECRET_KEYS } from "../../../stacks/config/secrets";

/** Project and stack, as in Pulumi.yaml and Pulumi.neve.yaml. */
export const PROJECT = "neve-infra";
export const STACK = "neve";
/** What the CLI makes of Pulumi.yaml `main: stacks/neve/main.js`. */
export const PROGRAM_DIR = path.join(REPO_ROOT, "stacks", "neve");
export const ENTRY = "main.js";

/** One RegisterResource call the program made. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  readonly parent?: string;
  readonly provider?: string;
  readonly protect: boolean;
  readonly importId?: string;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  /** Inputs, deserialized as the mock monitor deserializes them (secrets stay wrapped). */
  readonly inputs: Record<string, unknown>;
}

/** What one run of cmd/run did. */
export interface CmdRunResult {
  /** Exit code of the node process. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every registration, in order. */
  readonly registrations: readonly Registration[];
  /** Outputs registered on the stack resource (the program's exports), deserialized. */
  readonly stackOutputs?: Record<string, unknown>;
  /** Engine log messages (severity name and text). */
  readonly logs: readonly { severity: string; message: string }[];
  /** The version ranges the program asked the engine for (`RequirePulumiVersion`). */
  readonly requiredRanges: readonly string[];
  /** Wall time from spawn to exit, in ms. */
  readonly ms: number;
}

/** Options of {@link runCmdRun}. */
export interface CmdRunOptions extends Pick<RunProgramOptions, "stackFile" | "configOverrides" | "secrets" | "placeholderHostKey"> {
  /** `--dry-run` (preview). Defaults to true. */
  readonly dryRun?: boolean;
  /** Extra arguments for node before cmd/run (Pulumi.yaml `nodeargs`). */
  readonly nodeArgs?: readonly string[];
  /** Entry to run, relative to {@link PROGRAM_DIR}. Defaults to {@link ENTRY}. */
  readonly entry?: string;
  /** Extra environment (e.g. `PULUMI_NODEJS_TYPESCRIPT`, which the language host sets for `typescript: true`). */
  readonly env?: Record<string, string>;
  /**
   * The CLI version the engine reports to `RequirePulumiVersion`. Defaults to accepting any range.
   * The check here is a stand-in for the engine's (blang/semver ParseRange): only `>=X.Y.Z` ranges.
   */
  readonly cliVersion?: string;
  /** Kill the run after this many ms. Defaults to 120000. */
  readonly timeoutMs?: number;
}

const ALL_FEATURES = [
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
];

function urnOf(parent: string, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
  return `urn:pulumi:${STACK}::${PROJECT}::${qualified}::${name}`;
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => void;

/**
 * The engine's answer to `RequirePulumiVersion` for `version` and `range`, as its message reads
 * (pkg/resource/plugin: "Pulumi CLI version X does not satisfy the version range "R""), or undefined.
 * A stand-in: only `>=X.Y.Z` ranges are understood.
 */
function cliVersionProblem(version: string, range: string): string | undefined {
  const m = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (!m) throw new Error(`the test engine understands only >=X.Y.Z ranges, not ${range}`);
  const v = version.split(".").map(Number);
  const min = m.slice(1).map(Number);
  const cmp = v[0] - min[0] || v[1] - min[1] || v[2] - min[2];
  return cmp >= 0 ? undefined : `Pulumi CLI version ${version} does not satisfy the version range "${range}"`;
}

/** Start the monitor + engine server, run cmd/run against it, stop the server. */
export async function runCmdRun(opts: CmdRunOptions = {}): Promise<CmdRunResult> {
  const registrations: Registration[] = [];
  const logs: { severity: string; message: string }[] = [];
  const requiredRanges: string[] = [];
  const pending: Promise<unknown>[] = [];
  let stackUrn = "";
  let stackOutputs: Record<string, unknown> | undefined;
  let rootResource = "";

  const unimplemented =
    (name: string): Unary<unknown, unknown> =>
    (_call, cb) =>
      cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the test monitor` });

  const monitor = {
    getDeploymentInfo: ((_call, cb) => {
      const r = new resourcePb.DeploymentInfo();
      r.setSupportedfeaturesList(ALL_FEATURES);
      cb(null, r);
    }) as Unary<Empty, resourcePb.DeploymentInfo>,
    supportsFeature: ((call, cb) => {
      const r = new resourcePb.SupportsFeatureResponse();
      r.setHassupport(["secrets", "resourceReferences", "aliasSpecs", "deletedWith"].includes(call.request.getId()));
      cb(null, r);
    }) as Unary<resourcePb.SupportsFeatureRequest, resourcePb.SupportsFeatureResponse>,
    registerResource: ((call, cb) => {
      const req = call.request;
      const urn = urnOf(req.getParent(), req.getType(), req.getName());
      const object = req.getObject();
      const work = (async () => {
        const inputs = object ? ((await deserializeProperties(object)) as Record<string, unknown>) : {};
        const parent = req.getParent();
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          urn,
          custom: req.getCustom(),
          // Under mocks no stack resource exists: a top-level resource has no parent there.
          parent: parent && parent !== stackUrn ? parent : undefined,
          provider: req.getProvider() || undefined,
          protect: req.getProtect() === true,
          importId: req.getImportid() || undefined,
          retainOnDelete: req.getRetainondelete() === true,
          ignoreChanges: req.getIgnorechangesList(),
          inputs,
        });
      })();
      pending.push(work);
      if (req.getType() === "pulumi:pulumi:Stack") stackUrn = urn;
      const r = new resourcePb.RegisterResourceResponse();
      r.setUrn(urn);
      r.setId(req.getCustom() ? req.getImportid() || `${req.getName()}-id` : "");
      if (object) r.setObject(object);
      work.then(
        () => cb(null, r),
        (e: unknown) => cb({ code: grpc.status.INTERNAL, details: String(e) }),
      );
    }) as Unary<resourcePb.RegisterResourceRequest, resourcePb.RegisterResourceResponse>,
    registerResourceOutputs: ((call, cb) => {
      const outputs = call.request.getOutputs();
      try {
        if (call.request.getUrn() === stackUrn && outputs) stackOutputs = deserializeProperties(outputs) as Record<string, unknown>;
        cb(null, new Empty());
      } catch (e) {
        cb({ code: grpc.status.INTERNAL, details: String(e) });
      }
    }) as Unary<resourcePb.RegisterResourceOutputsRequest, Empty>,
    invoke: ((call, cb) => {
      const r = new resourcePb.ResourceInvokeResponse();
      const args = call.request.getArgs();
      if (args) r.setReturn(args);
      cb(null, r);
    }) as Unary<resourcePb.ResourceInvokeRequest, resourcePb.ResourceInvokeResponse>,
    registerPackage: ((_call, cb) => {
      const r = new resourcePb.RegisterPackageResponse();
      r.setRef("test-monitor-package");
      cb(null, r);
    }) as Unary<resourcePb.RegisterPackageRequest, resourcePb.RegisterPackageResponse>,
    signalAndWaitForShutdown: ((_call, cb) => cb(null, new Empty())) as Unary<Empty, Empty>,
    call: unimplemented("Call"),
    readResource: unimplemented("ReadResource"),
    existsResource: unimplemented("ExistsResource"),
    registerStackTransform: unimplemented("RegisterStackTransform"),
    registerStackInvokeTransform: unimplemented("RegisterStackInvokeTransform"),
    registerResourceHook: unimplemented("RegisterResourceHook"),
    registerErrorHook: unimplemented("RegisterErrorHook"),
  };
  const severities = Object.fromEntries(Object.entries(enginePb.LogSeverity).map(([k, v]) => [v, k]));
  const engine = {
    log: ((call, cb) => {
      logs.push({ severity: severities[call.request.getSeverity()] ?? String(call.request.getSeverity()), message: call.request.getMessage() });
      cb(null, new Empty());
    }) as Unary<enginePb.LogRequest, Empty>,
    getRootResource: ((_call, cb) => {
      const r = new enginePb.GetRootResourceResponse();
      r.setUrn(rootResource);
      cb(null, r);
    }) as Unary<enginePb.GetRootResourceRequest, enginePb.GetRootResourceResponse>,
    setRootResource: ((call, cb) => {
      rootResource = call.request.getUrn();
      cb(null, new enginePb.SetRootResourceResponse());
    }) as Unary<enginePb.SetRootResourceRequest, enginePb.SetRootResourceResponse>,
    requirePulumiVersion: ((call, cb) => {
      const range = call.request.getPulumiVersionRange();
      requiredRanges.push(range);
      const problem = opts.cliVersion === undefined ? undefined : cliVersionProblem(opts.cliVersion, range);
      if (problem) cb({ code: grpc.status.UNKNOWN, details: problem, metadata: new grpc.Metadata() } as grpc.ServiceError, null);
      else cb(null, new enginePb.RequirePulumiVersionResponse());
    }) as Unary<enginePb.RequirePulumiVersionRequest, enginePb.RequirePulumiVersionResponse>,
    startDebugging: unimplemented("StartDebugging"),
  };

  const server = new grpc.Server();
  server.addService(resourceRpc.ResourceMonitorService, monitor as unknown as grpc.UntypedServiceImplementation);
  server.addService(engineRpc.EngineService, engine as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;

  try {
    const { config } = buildConfig(opts);
    // The language host hands config over in the old key format `namespace:config:name`.
    const envConfig: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
      const i = k.indexOf(":");
      envConfig[`${k.slice(0, i)}:config:${k.slice(i + 1)}`] = v;
    }
    const args = [
      ...(opts.nodeArgs ?? []),
      require.resolve("@pulumi/pulumi/cmd/run"),
      "--monitor",
      address,
      "--engine",
      address,
      "--project",
      PROJECT,
      "--root-directory",
      REPO_ROOT,
      "--stack",
      STACK,
      "--pwd",
      PROGRAM_DIR,
      ...(opts.dryRun === false ? [] : ["--dry-run"]),
      opts.entry ?? ENTRY,
    ];
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd: PROGRAM_DIR,
      env: { ...process.env, ...opts.env, PULUMI_CONFIG: JSON.stringify(envConfig), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(QUALIFIED_SECRET_KEYS) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    });
    clearTimeout(timer);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await Promise.all(pending);
    return { code, stdout, stderr, registrations, stackOutputs, logs, requiredRanges, ms };
  } finally {
    server.forceShutdown();
  }
}

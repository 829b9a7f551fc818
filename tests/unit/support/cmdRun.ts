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
 * references, alias specs, deletedWith, resource hooks) and answers UNIMPLEMENTED to what it does not serve.
 *
 * Resource hooks, as the engine runs them (pulumi/pulumi v3.259: pkg/resource/deploy/source_eval.go
 * `RegisterResourceHook` and `wrapResourceHookCallback`, deployment.go `RunHooks`, step.go): the
 * monitor records each `RegisterResourceHook` (name, callback target and token, onDryRun; a second
 * registration of a name is refused), and for the step kind a test assigns to a resource
 * ({@link CmdRunOptions.steps}) it runs that step's before-hooks before answering its registration:
 * `create` and `create-replacement` the new registration's beforeCreate (id "", new inputs), `update`
 * beforeUpdate (the old id; old inputs = new inputs unless {@link CmdRunOptions.oldRecord} says otherwise, old outputs from there), `import` and `replace` none, a delete or delete-replaced
 * beforeDelete with the hook names of the **old state** ({@link CmdRunOptions.oldState}: by default
 * what this run registered, as a previous run of the same program recorded it). A replacement of a
 * `deleteBeforeReplace` resource runs its delete half first, an import-replacement runs the delete half
 * only; a plain delete (a resource of the old state this run does not declare) runs while the program
 * waits in `SignalAndWaitForShutdown`, as the engine's deletes do. Each hook is called over the
 * program's own callback server (`Callbacks.Invoke` with a `ResourceHookRequest`, the answer a
 * `ResourceHookResponse`), skipped in a preview unless `onDryRun`; an unknown name fails with
 * `hook "<name>" was not registered`, a hook's error with `before hook "<name>" failed: <error>`, which
 * fails the registration (an ERROR log, as the CLI prints the failed step).
 *
 * What the stand-in does not model: the step kinds themselves (the engine derives them from the old
 * state and the provider's Diff; here the test names them), the provider's Check (new inputs are the
 * inputs as the program sent them), the hooks' old/new options and new outputs (not set; the guards do not
 * read them), after-hooks and error hooks, and how the real engine reports a failed step to the
 * program (here the RegisterResource call fails with the hook's message).
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as callbackRpc from "@pulumi/pulumi/proto/callback_grpc_pb";
import * as callbackPb from "@pulumi/pulumi/proto/callback_pb";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as resourceRpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { buildConfig, hooksOf, type RunProgramOptions } from "../../../scripts/lib/mockRunner";
import { REPO_ROOT } from "../../../scripts/lib/stackFile";
import { QUALIFIED_SECRET_KEYS } from "../../../stacks/config/secrets";
import { headCommit } from "../../../stacks/guards/deployment";

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
  /** Resource hook names by lifecycle point (`beforeCreate`, `beforeUpdate`, `beforeDelete`; points without hooks left out). */
  readonly hooks: Readonly<Record<string, readonly string[]>>;
  /** `deleteBeforeReplace` resource option. */
  readonly deleteBeforeReplace: boolean;
}

/** A step kind the engine stand-in can be told to take for a resource (the engine's display ops). */
export type StandInStep = "same" | "create" | "create-replacement" | "update" | "import" | "import-replacement" | "replace";

/** A resource as the old state records it: what a delete's hooks come from. */
export interface OldStateResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly id: string;
  /** Hook names by lifecycle point, as recorded (`resourceHooks`). */
  readonly hooks: Readonly<Record<string, readonly string[]>>;
}

/** One hook the stand-in called (or found missing), and what came of it. */
export interface HookCall {
  readonly hook: string;
  readonly point: "beforeCreate" | "beforeUpdate" | "beforeDelete";
  /** The step kind it ran for. */
  readonly step: StandInStep | "delete" | "delete-replaced";
  readonly urn: string;
  /** The engine's error text when the step failed (`before hook "<name>" failed: ...`), else undefined. */
  readonly error?: string;
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
  /** Every RegisterResourceHook the program made. */
  readonly registeredHooks: readonly { readonly name: string; readonly onDryRun: boolean }[];
  /** Every hook the stand-in ran for a step, in order. */
  readonly hookCalls: readonly HookCall[];
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
  /** The step the engine stand-in takes per resource name (default: none, no hook runs). */
  readonly steps?: Readonly<Record<string, StandInStep>>;
  /**
   * The old state, for the hooks of a delete (by resource name). Defaults to this run's own
   * registrations (the state a previous run of the same program recorded). A resource listed here
   * that this run does not declare is deleted after the program, as the engine does.
   */
  readonly oldState?: readonly OldStateResource[];
  /**
   * The stack outputs of the last completed deployment, as the engine's builtin
   * `pulumi:pulumi:readStackOutputs` returns them for this stack. Default: a deployment from this
   * checkout's HEAD that adopted this run's `adoption.live` (the everyday case); `{}` is a stack that
   * has never deployed.
   */
  readonly previousOutputs?: Record<string, unknown>;
  /**
   * The old state's inputs and outputs of a resource an `update` step acts on (by resource name), for its
   * beforeUpdate hooks: `inputs` derives the old inputs from the new ones (default: equal), `outputs` the
   * old outputs (default: none). The engine passes both from the old state (ResourceHookArgs).
   */
  readonly oldRecord?: Readonly<
    Record<string, { readonly inputs?: (newInputs: Record<string, unknown>) => Record<string, unknown>; readonly outputs?: Record<string, unknown> }>
  >;
}

const ALL_FEATURES = [
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
  resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
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

  const dryRun = opts.dryRun !== false;
  const hookRegistry = new Map<string, { target: string; token: string; onDryRun: boolean }>();
  const registeredHooks: { name: string; onDryRun: boolean }[] = [];
  const hookCalls: HookCall[] = [];
  const callbackClients = new Map<string, callbackRpc.CallbacksClient>();

  /** deployment.go RunHooks: each named hook in order; the first failure fails the step. */
  async function runHooks(
    names: readonly string[],
    point: HookCall["point"],
    step: HookCall["step"],
    target: { urn: string; id: string; name: string; type: string; newInputs?: Struct; oldInputs?: Struct; oldOutputs?: Struct },
  ): Promise<string | undefined> {
    for (const hook of names) {
      const reg = hookRegistry.get(hook);
      if (!reg) {
        const error = `hook "${hook}" was not registered`;
        hookCalls.push({ hook, point, step, urn: target.urn, error });
        return error;
      }
      if (dryRun && !reg.onDryRun) continue;
      const req = new resourcePb.ResourceHookRequest();
      req.setUrn(target.urn);
      req.setId(target.id);
      req.setName(target.name);
      req.setType(target.type);
      if (target.newInputs) req.setNewInputs(target.newInputs);
      if (target.oldInputs) req.setOldInputs(target.oldInputs);
      if (target.oldOutputs) req.setOldOutputs(target.oldOutputs);
      const invoke = new callbackPb.CallbackInvokeRequest();
      invoke.setToken(reg.token);
      invoke.setRequest(req.serializeBinary());
      let client = callbackClients.get(reg.target);
      if (!client) {
        client = new callbackRpc.CallbacksClient(reg.target, grpc.credentials.createInsecure());
        callbackClients.set(reg.target, client);
      }
      const c = client;
      const answer = await new Promise<callbackPb.CallbackInvokeResponse>((resolve, reject) =>
        c.invoke(invoke, (err, res) => (err ? reject(err) : resolve(res))),
      );
      const failure = resourcePb.ResourceHookResponse.deserializeBinary(answer.getResponse_asU8()).getError();
      const error = failure ? `before hook "${hook}" failed: ${failure}` : undefined;
      hookCalls.push({ hook, point, step, urn: target.urn, error });
      if (error) {
        logs.push({ severity: "ERROR", message: error });
        return error;
      }
    }
    return undefined;
  }

  /** The old state's record of a resource (for a delete's hooks). */
  const oldOf = (name: string, urn: string, type: string, hooks: Record<string, string[]>): OldStateResource =>
    opts.oldState?.find((o) => o.name === name) ?? { urn, type, name, id: `${name}-id`, hooks };

  /** The hooks the engine runs for `step` of one registration, in the engine's order (step.go, step_generator.go). */
  async function runStep(req: resourcePb.RegisterResourceRequest, urn: string, step: StandInStep): Promise<string | undefined> {
    const hooks = hooksOf(req);
    const name = req.getName();
    const type = req.getType();
    const newInputs = req.getObject();
    const old = oldOf(name, urn, type, hooks);
    const create = () => runHooks(hooks.beforeCreate ?? [], "beforeCreate", step, { urn, id: "", name, type, newInputs });
    const deleteOld = () =>
      runHooks(old.hooks.beforeDelete ?? [], "beforeDelete", "delete-replaced", { urn: old.urn, id: old.id, name, type, oldInputs: newInputs });
    switch (step) {
      case "same":
      case "import":
        return undefined;
      case "create":
        return create();
      case "update": {
        const rec = opts.oldRecord?.[name];
        const plain = (newInputs?.toJavaScript() ?? {}) as Record<string, unknown>;
        const oldInputs = rec?.inputs ? Struct.fromJavaScript(rec.inputs(structuredClone(plain)) as never) : newInputs;
        const oldOutputs = rec?.outputs ? Struct.fromJavaScript(rec.outputs as never) : undefined;
        return runHooks(hooks.beforeUpdate ?? [], "beforeUpdate", step, { urn, id: old.id, name, type, newInputs, oldInputs, oldOutputs });
      }
      case "import-replacement":
        // ImportStep and ReplaceStep run no hooks; the old resource's delete-replaced does, from the old state.
        return deleteOld();
      case "create-replacement":
      case "replace":
        // deleteBeforeReplace: delete-replaced, replace, create-replacement; otherwise create first.
        if (req.getDeletebeforereplace()) return (await deleteOld()) ?? create();
        return (await create()) ?? deleteOld();
      default: {
        const never: never = step;
        throw new Error(`unknown stand-in step ${never}`);
      }
    }
  }

  const monitor = {
    getDeploymentInfo: ((_call, cb) => {
      const r = new resourcePb.DeploymentInfo();
      r.setSupportedfeaturesList(ALL_FEATURES);
      cb(null, r);
    }) as Unary<Empty, resourcePb.DeploymentInfo>,
    supportsFeature: ((call, cb) => {
      const r = new resourcePb.SupportsFeatureResponse();
      r.setHassupport(["secrets", "resourceReferences", "aliasSpecs", "deletedWith", "resourceHooks"].includes(call.request.getId()));
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
          hooks: hooksOf(req),
          deleteBeforeReplace: req.getDeletebeforereplace(),
        });
        const step = opts.steps?.[req.getName()];
        const refused = step ? await runStep(req, urn, step) : undefined;
        if (refused) throw new Error(refused);
      })();
      pending.push(work);
      if (req.getType() === "pulumi:pulumi:Stack") stackUrn = urn;
      const r = new resourcePb.RegisterResourceResponse();
      r.setUrn(urn);
      r.setId(req.getCustom() ? req.getImportid() || `${req.getName()}-id` : "");
      if (object) r.setObject(object);
      work.then(
        () => cb(null, r),
        (e: unknown) => cb({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) }),
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
      if (call.request.getTok() === "pulumi:pulumi:readStackOutputs") {
        // builtins.go readStackReference: name, outputs, secretOutputNames (no secrets here).
        const name = args?.toJavaScript().name;
        r.setReturn(Struct.fromJavaScript({ name: String(name), outputs: (opts.previousOutputs ?? sameCheckout) as never, secretOutputNames: [] }));
      } else if (args) r.setReturn(args);
      cb(null, r);
    }) as Unary<resourcePb.ResourceInvokeRequest, resourcePb.ResourceInvokeResponse>,
    registerPackage: ((_call, cb) => {
      const r = new resourcePb.RegisterPackageResponse();
      r.setRef("test-monitor-package");
      cb(null, r);
    }) as Unary<resourcePb.RegisterPackageRequest, resourcePb.RegisterPackageResponse>,
    // The engine's deletes run while the program waits here (settings.js disconnect: "wait until the monitor has completed all steps, including deletion steps").
    signalAndWaitForShutdown: ((_call, cb) => {
      (async () => {
        await Promise.allSettled(pending);
        const declared = new Set(registrations.map((r) => r.name));
        for (const old of opts.oldState ?? []) {
          if (declared.has(old.name)) continue;
          await runHooks(old.hooks.beforeDelete ?? [], "beforeDelete", "delete", { urn: old.urn, id: old.id, name: old.name, type: old.type });
        }
      })().then(
        () => cb(null, new Empty()),
        (e: unknown) => cb({ code: grpc.status.INTERNAL, details: String(e) }),
      );
    }) as Unary<Empty, Empty>,
    call: unimplemented("Call"),
    readResource: unimplemented("ReadResource"),
    existsResource: unimplemented("ExistsResource"),
    registerStackTransform: unimplemented("RegisterStackTransform"),
    registerStackInvokeTransform: unimplemented("RegisterStackInvokeTransform"),
    registerResourceHook: ((call, cb) => {
      const req = call.request;
      const callback = req.getCallback();
      // pkg/resource/deploy/resource_hooks.go RegisterResourceHook: a name is registered once.
      if (hookRegistry.has(req.getName())) return cb({ code: grpc.status.UNKNOWN, details: `resource hook already registered for name "${req.getName()}"` });
      if (!callback) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "RegisterResourceHook without a callback" });
      hookRegistry.set(req.getName(), { target: callback.getTarget(), token: callback.getToken(), onDryRun: req.getOnDryRun() });
      registeredHooks.push({ name: req.getName(), onDryRun: req.getOnDryRun() });
      cb(null, new Empty());
    }) as Unary<resourcePb.RegisterResourceHookRequest, Empty>,
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

  const { config } = buildConfig(opts);
  const adoption = config["neve-infra:adoption"] ? (JSON.parse(config["neve-infra:adoption"]) as { live?: unknown }) : undefined;
  const sameCheckout = { deployment: { commit: headCommit() ?? "unknown", live: adoption?.live ?? null } };
  try {
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
      // The language host passes the backend's organization (main.go constructArguments); a self-managed backend's is "organization".
      "--organization",
      "organization",
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
    await Promise.allSettled(pending);
    return { code, stdout, stderr, registrations, stackOutputs, logs, requiredRanges, ms, registeredHooks, hookCalls };
  } finally {
    for (const c of callbackClients.values()) c.close();
    server.forceShutdown();
  }
}

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { beginOfflinePlan, endOfflinePlan } from "../../stacks/adoption/offlinePlan";
import { CONFIG_NAMESPACE, QUALIFIED_SECRET_KEYS, SECRET_KEYS, type SecretKey } from "../../stacks/config/secrets";
import { assertPatchableMockMonitor, assertRegisterRequest } from "./mockInternals";
import { DEFAULT_STACK_FILE, REPO_ROOT, readStackConfig } from "./stackFile";

/**
 * Runs the real program (stacks/neve/index.ts) in-process under `pulumi.runtime.setMocks`, fed a
 * real stack file, and records what it declares. Shared by `npm run plan` and tests/unit.
 *
 * Pulumi's mocks are process-global and a module runs once per module registry: call
 * `runProgram` once per process (plan) or once per jest module registry (one test file, or inside
 * `jest.isolateModulesAsync` that also requires this module).
 */

/** One resource the program registered, as the engine would have received it. */
export interface CapturedResource {
  /** Type token, e.g. `proxmoxve:index/vmLegacy:VmLegacy` or `neve:guests:Vm`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** URN the mock monitor assigned. */
  readonly urn: string;
  /** True for custom (provider-managed) resources, false for components. */
  readonly custom: boolean;
  /** Inputs, deserialized (secrets unwrapped by the mock layer). */
  readonly inputs: Record<string, unknown>;
  /** `protect` resource option. */
  readonly protect: boolean;
  /** `import` id, when set. */
  readonly importId?: string;
  /** `retainOnDelete` resource option: a delete only forgets the resource, the object stays. */
  readonly retainOnDelete: boolean;
  /** Parent URN, when the resource has a parent. */
  readonly parent?: string;
  /** Provider reference (`urn::id`), when explicit. */
  readonly provider?: string;
  /** `ignoreChanges` resource option. */
  readonly ignoreChanges: readonly string[];
  /**
   * URNs this resource depends on, as the SDK sends them to the engine: `dependsOn` (a component
   * expanded to the resources inside it) plus the resources its inputs come from. Always set by
   * `runProgram`; optional so hand-made test fixtures need not list it.
   */
  readonly dependencies?: readonly string[];
  /** The same dependencies per input property (only properties that have any). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  /**
   * Resource hooks by lifecycle point (`beforeCreate`, `beforeUpdate`, `beforeDelete`, ...), hook names
   * as the engine receives them (points without hooks left out): the guards of stacks/guards.
   * Always set by `runProgram`; optional so hand-made test fixtures need not list it.
   */
  readonly hooks?: Readonly<Record<string, readonly string[]>>;
}

/** Result of {@link runProgram}. */
export interface ProgramRun {
  /** Every registered resource, in registration order. */
  readonly resources: readonly CapturedResource[];
  /** Stack outputs (the program module's exports), fully resolved. */
  readonly outputs: Record<string, unknown>;
  /** The secret values the program was given (real or placeholder), for leak assertions. */
  readonly secretValues: Readonly<Record<SecretKey, string>>;
  /** The adoption gate's finding when the stack file is not reconciled with the host (the plan prints it). */
  readonly adoptionNotice?: string;
  /** Every resource hook the program registered with the engine (name, and whether it runs in a preview). */
  readonly registeredHooks: readonly { readonly name: string; readonly onDryRun: boolean }[];
}

/** Options of {@link runProgram}. */
export interface RunProgramOptions {
  /** Stack file to read. Defaults to the repository's Pulumi.neve.yaml. */
  readonly stackFile?: string;
  /**
   * Config values to replace, keyed `section` or `namespace:key` (e.g. `{ adopt: false }`);
   * `undefined` removes a key. Values are YAML-shaped (objects stay objects).
   */
  readonly configOverrides?: Record<string, unknown>;
  /** Secret values to use instead of the placeholders. */
  readonly secrets?: Partial<Record<SecretKey, string>>;
  /** Fill `ssh.hostKey` with PLACEHOLDER_HOST_KEY when the stack file pins none. Defaults to true. */
  readonly placeholderHostKey?: boolean;
  /** Program module to import. Defaults to stacks/neve/index.ts. */
  readonly program?: string;
  /**
   * Extra state the mock provider reports for a resource (merged over its echoed inputs), e.g.
   * values only a real provider knows, such as MAC addresses. Defaults to none.
   */
  readonly mockState?: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined;
  /**
   * The adoption gate: `notice` (default, the offline plan) records its finding in `adoptionNotice`
   * and lets the program carry on; `enforce` lets it refuse, as under `pulumi up`.
   */
  readonly adoptionGate?: "notice" | "enforce";
}

/** Clearly fake secret values so the plan runs on a machine without any secret. */
export const PLACEHOLDER_SECRETS: Readonly<Record<SecretKey, string>> = {
  proxmoxApiToken: "PLACEHOLDER-NOT-A-TOKEN@pam!plan=00000000-0000-0000-0000-000000000000",
  sshPrivateKey: "-----BEGIN PLACEHOLDER NOT A KEY-----\nplan\n-----END PLACEHOLDER NOT A KEY-----\n",
  // TunnelID is filled in from the stack's tunnel.id by buildConfig.
  tunnelCredentials: '{"AccountTag":"PLACEHOLDER","TunnelSecret":"PLACEHOLDER-NOT-A-SECRET","TunnelID":"TUNNEL-ID"}',
  pbsPassword: "PLACEHOLDER-NOT-A-PASSWORD",
};

/**
 * Stand-in for `ssh.hostKey` when the stack file does not pin one yet (the real value is read off
 * the host): the offline plan never connects, so it needs no real key. Not a valid key of any host.
 */
export const PLACEHOLDER_HOST_KEY = "SHA256:PLACEHOLDERofflinePlanNotTheHostKey00000000";

/** Default program entry. */
const PROGRAM_ENTRY = path.join(REPO_ROOT, "stacks", "neve", "index.ts");

/** The config map (`namespace:key` -> string) the engine would pass to the program. */
export function buildConfig(opts: RunProgramOptions = {}): {
  config: Record<string, string>;
  secretValues: Record<SecretKey, string>;
} {
  const values = readStackConfig(opts.stackFile ?? DEFAULT_STACK_FILE);
  for (const [k, v] of Object.entries(opts.configOverrides ?? {})) {
    const key = k.includes(":") ? k : `${CONFIG_NAMESPACE}:${k}`;
    if (v === undefined) delete values[key];
    else values[key] = v;
  }
  const ssh = values[`${CONFIG_NAMESPACE}:ssh`] as Record<string, unknown> | undefined;
  if (opts.placeholderHostKey !== false && ssh && typeof ssh === "object" && ssh.hostKey === undefined)
    values[`${CONFIG_NAMESPACE}:ssh`] = { ...ssh, hostKey: PLACEHOLDER_HOST_KEY };
  const tunnel = values[`${CONFIG_NAMESPACE}:tunnel`] as { id?: unknown } | undefined;
  const placeholders = {
    ...PLACEHOLDER_SECRETS,
    tunnelCredentials: PLACEHOLDER_SECRETS.tunnelCredentials.replace("TUNNEL-ID", String(tunnel?.id ?? "")),
  };
  const secretValues = { ...placeholders, ...(opts.secrets ?? {}) } as Record<SecretKey, string>;
  for (const k of SECRET_KEYS) values[`${CONFIG_NAMESPACE}:${k}`] = secretValues[k];
  const config: Record<string, string> = {};
  // The engine hands structured config to programs as JSON text.
  for (const [k, v] of Object.entries(values)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
  return { config, secretValues };
}

/** Register request fields we read (a subset of the generated protobuf class). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getImportid(): string;
  getRetainondelete(): boolean | undefined;
  getParent(): string;
  getProvider(): string;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getHooks(): HooksBinding | undefined;
}

/** The RegisterResourceRequest's hook binding (proto/resource_pb ResourceHooksBinding), the getters read. */
interface HooksBinding {
  getBeforeCreateList(): string[];
  getAfterCreateList(): string[];
  getBeforeUpdateList(): string[];
  getAfterUpdateList(): string[];
  getBeforeDeleteList(): string[];
  getAfterDeleteList(): string[];
}

/**
 * The hook names of a register request by lifecycle point (points without hooks left out); shared by the
 * mock runner and the recording monitor of the cmd/run tests.
 */
export function hooksOf(req: Pick<RegisterRequest, "getHooks">): Record<string, string[]> {
  const b = req.getHooks();
  if (!b) return {};
  const all: Record<string, string[]> = {
    beforeCreate: b.getBeforeCreateList(),
    afterCreate: b.getAfterCreateList(),
    beforeUpdate: b.getBeforeUpdateList(),
    afterUpdate: b.getAfterUpdateList(),
    beforeDelete: b.getBeforeDeleteList(),
    afterDelete: b.getAfterDeleteList(),
  };
  return Object.fromEntries(Object.entries(all).filter(([, names]) => names.length));
}

/** The request's per-property dependencies as a plain record (properties without any left out). */
function propertyDependenciesOf(req: RegisterRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    const urns = deps.getUrnsList();
    if (urns.length) out[key] = urns;
  });
  return out;
}

/** Resolve an Output (or a structure of them) to its plain value. */
function resolveValue(v: unknown): Promise<unknown> {
  return new Promise((resolve) => (pulumi.output(v as pulumi.Input<unknown>) as pulumi.Output<unknown>).apply((x: unknown) => resolve(x)));
}

/** Run the program under mocks with the stack file's config and record what it declares. */
export async function runProgram(opts: RunProgramOptions = {}): Promise<ProgramRun> {
  const { config, secretValues } = buildConfig(opts);
  const inputsByUrn = new Map<string, Record<string, unknown>>();
  const captured: (Omit<CapturedResource, "urn" | "inputs"> & { key: string })[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        inputsByUrn.set(`${args.type}::${args.name}`, args.inputs);
        return { id: args.id ? args.id : `${args.name}-id`, state: { ...args.inputs, ...(opts.mockState?.(args.type, args.name, args.inputs) ?? {}) } };
      },
      call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        return args.inputs;
      },
    },
    CONFIG_NAMESPACE,
    "neve",
    false,
  );

  // The mock monitor hides resource options from `newResource`; read them off the raw request.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, res: unknown) => void): Promise<void>;
    registerResourceHook?(req: { getName(): string; getOnDryRun(): boolean }, cb: (err: unknown, res: unknown) => void): void;
  };
  assertPatchableMockMonitor(monitor);
  // The SDK's MockMonitor has no RegisterResourceHook (3.276): record each hook as the engine would, and accept it.
  const registeredHooks: { name: string; onDryRun: boolean }[] = [];
  monitor.registerResourceHook = (req, cb) => {
    registeredHooks.push({ name: req.getName(), onDryRun: req.getOnDryRun() });
    cb(null, {});
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    assertRegisterRequest(req);
    captured.push({
      key: `${req.getType()}::${req.getName()}`,
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      protect: req.getProtect() === true,
      importId: req.getImportid() || undefined,
      retainOnDelete: req.getRetainondelete() === true,
      parent: req.getParent() || undefined,
      provider: req.getProvider() || undefined,
      ignoreChanges: req.getIgnorechangesList(),
      dependencies: req.getDependenciesList(),
      propertyDependencies: propertyDependenciesOf(req),
      hooks: hooksOf(req),
    });
    return original(req, cb);
  };

  pulumi.runtime.setAllConfig(config, [...QUALIFIED_SECRET_KEYS]);

  // The gate runs while the program module loads; the switch is on for exactly that long.
  endOfflinePlan();
  const offline = opts.adoptionGate === "enforce" ? undefined : beginOfflinePlan();
  let exportsOfProgram: Record<string, unknown>;
  try {
    exportsOfProgram = (await import(opts.program ?? PROGRAM_ENTRY)) as Record<string, unknown>;
  } finally {
    endOfflinePlan();
  }
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(exportsOfProgram)) {
    if (k === "default" || k === "__esModule") continue;
    outputs[k] = await resolveValue(v);
  }
  const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (wait) await wait();

  const urnOf = new Map<string, string>();
  for (const [urn] of (monitor as unknown as MockMonitor).resources) {
    const [, , qualifiedType, name] = urn.split("::");
    urnOf.set(`${qualifiedType.split("$").pop()}::${name}`, urn);
  }
  const resources: CapturedResource[] = captured.map(({ key, ...r }) => ({
    ...r,
    urn: urnOf.get(key) ?? "",
    inputs: inputsByUrn.get(key) ?? {},
  }));
  return { resources, outputs, secretValues, adoptionNotice: offline?.adoptionNotice, registeredHooks };
}

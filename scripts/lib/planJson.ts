import { createHash } from "node:crypto";
import { HOST_KEY_UNPINNED_REASON } from "../../stacks/neve/buildOutputs";
import { PLACEHOLDER_HOST_KEY, type ProgramRun } from "./mockRunner";
import type { PlanGuest } from "./planGuests";
import type { PlanRestart } from "./planRestarts";
import { isSecretValue } from "./secretValue";

/**
 * What a secret value becomes in `npm run plan -- --json`: the string the Pulumi CLI prints for a
 * secret it does not reveal (e.g. `pulumi stack output <name>` without `--show-secrets`).
 */
const SECRET_MARKER = "[secret]";

/** One declared resource in the JSON plan. */
export interface PlanJsonResource {
  /** URN the mock monitor assigned (stack `neve`, project `neve-infra`). */
  readonly urn: string;
  /** Type token, e.g. `proxmoxve:index/vmLegacy:VmLegacy`. */
  readonly type: string;
  /** Logical name, e.g. `cipher-vm`. */
  readonly name: string;
  /** True for a provider-managed (custom) resource, false for a component. */
  readonly custom: boolean;
  /** Parent URN, or null. */
  readonly parent: string | null;
  /** Explicit provider reference (`<urn>::<id>`), or null. */
  readonly provider: string | null;
  /** Every input as the engine would receive it; secrets as {@link SECRET_MARKER}. */
  readonly inputs: Record<string, unknown>;
  /** `import` id, or null when the resource is not adopted. */
  readonly importId: string | null;
  /** `protect` resource option. */
  readonly protect: boolean;
  /** `retainOnDelete` resource option (a delete forgets the resource and leaves the object on the host). */
  readonly retainOnDelete: boolean;
  /** `ignoreChanges` resource option. */
  readonly ignoreChanges: readonly string[];
  /** URNs this resource depends on (`dependsOn`, expanded, plus the resources its inputs come from). */
  readonly dependencies: readonly string[];
  /** The same per input property. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Resource hooks by lifecycle point (`beforeCreate`, `beforeUpdate`, `beforeDelete`): the guards the resource carries (stacks/guards). */
  readonly hooks: Readonly<Record<string, readonly string[]>>;
}

/** The document `npm run plan -- --json` prints. */
export interface PlanJson {
  /** Stack name. */
  readonly stack: "neve";
  /** The stack file planned, relative to the working directory when inside it. */
  readonly stackFile: string;
  /** Always true: the program ran under Pulumi's mocks, without Pulumi CLI, Proxmox or secrets. */
  readonly offline: true;
  /** What stands in for what this plan cannot know. */
  readonly placeholders: {
    /** How secret values appear: {@link SECRET_MARKER}. */
    readonly secretMarker: string;
    /** True when the stack file pins no `ssh.hostKey` and the plan ran the host services with a placeholder key. */
    readonly sshHostKey: boolean;
  };
  /**
   * Why a real `pulumi preview`/`up` with `adopt: true` would refuse this stack file (not yet
   * reconciled with the host), or null. The text plan prints the same notice.
   */
  readonly adoptionNotice: string | null;
  /**
   * Running guests an `up` may restart (`restartOnUpdate: true`), each with its declared changes that
   * need a restart (scripts/lib/planRestarts.ts); empty when no up can restart a running guest.
   */
  readonly restarts: readonly PlanRestart[];
  /**
   * Every guest: the declared fields whose change needs a restart while it runs, and the running-guest
   * guard (hook name) its resource carries, or null (scripts/lib/planRestarts.ts).
   */
  readonly guests: readonly PlanGuest[];
  /** Every registered resource (components, providers and custom resources), in registration order. */
  readonly resources: readonly PlanJsonResource[];
  /** The stack outputs (the NeveStackOutputs contract). */
  readonly outputs: Record<string, unknown>;
}

/** A short, stable stand-in for the serialized dynamic provider (tens of kB of closure code). */
function providerDigest(source: string): string {
  return `[serialized dynamic provider: ${Buffer.byteLength(source)} bytes, sha256:${createHash("sha256").update(source).digest("hex").slice(0, 16)}]`;
}

/**
 * `v` with every serialized Pulumi secret replaced by {@link SECRET_MARKER} and any known secret
 * value that still appears inside a string cut out (belt and braces: a secret must never print).
 */
function redactValue(v: unknown, secrets: readonly string[]): unknown {
  if (isSecretValue(v)) return SECRET_MARKER;
  if (typeof v === "string") {
    let out = v;
    for (const s of secrets) if (s) out = out.split(s).join(SECRET_MARKER);
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, secrets));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(x, secrets);
    return out;
  }
  return v;
}

/** Inputs for the JSON plan: secrets redacted, `__provider` as its size and hash. */
function planInputs(inputs: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) {
    out[k] = k === "__provider" && typeof v === "string" ? providerDigest(v) : redactValue(v, secrets);
  }
  return out;
}

/**
 * The outputs as the plan shows them: where the plan had to run with the placeholder host key
 * (the stack file pins none), `ssh` says so instead of showing the placeholder as a fingerprint.
 */
export function offlineOutputs(outputs: Record<string, unknown>): Record<string, unknown> {
  if (!ranWithPlaceholderHostKey(outputs)) return outputs;
  const ssh = outputs.ssh as Record<string, unknown>;
  return {
    ...outputs,
    ssh: {
      ...ssh,
      hostKeyFingerprint: null,
      hostKeyType: null,
      hostKeyUnpinnedReason: `${HOST_KEY_UNPINNED_REASON}; the offline plan ran the host services with a placeholder key`,
    },
  };
}

/** True when the program ran with mockRunner's placeholder host key (the stack file pins none). */
function ranWithPlaceholderHostKey(outputs: Record<string, unknown>): boolean {
  return (outputs.ssh as { hostKeyFingerprint?: unknown } | undefined)?.hostKeyFingerprint === PLACEHOLDER_HOST_KEY;
}

/** Build the JSON plan of a mock run. */
export function planJson(run: ProgramRun, stackFile: string, restarts: readonly PlanRestart[] = [], guests: readonly PlanGuest[] = []): PlanJson {
  const secrets = Object.values(run.secretValues);
  const outputs = offlineOutputs(run.outputs);
  return {
    stack: "neve",
    stackFile,
    offline: true,
    placeholders: { secretMarker: SECRET_MARKER, sshHostKey: ranWithPlaceholderHostKey(run.outputs) },
    adoptionNotice: run.adoptionNotice ?? null,
    restarts: [...restarts],
    guests: [...guests],
    resources: run.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      parent: r.parent ?? null,
      provider: r.provider ?? null,
      inputs: planInputs(r.inputs, secrets),
      importId: r.importId ?? null,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      ignoreChanges: [...r.ignoreChanges],
      dependencies: [...(r.dependencies ?? [])],
      propertyDependencies: { ...(r.propertyDependencies ?? {}) },
      hooks: { ...(r.hooks ?? {}) },
    })),
    outputs: redactValue(outputs, secrets) as Record<string, unknown>,
  };
}

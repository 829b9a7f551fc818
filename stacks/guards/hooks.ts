/**
 * The program's own refusal of dangerous steps, in `pulumi preview` and `pulumi up`: resource hooks
 * (the `hooks` resource option, @pulumi/pulumi >= 3.182) that ask the stop list (./stopList.ts) and
 * throw with the resource and the way out.
 *
 * Engine facts (pulumi/pulumi v3.259, pkg/resource/deploy/step.go and deployment.go `RunHooks`):
 * - `CreateStep.Apply` runs the new state's beforeCreate hooks, for a create and a create-replacement
 *   alike (no step kind is passed: id "", no old inputs either way); `UpdateStep.Apply` runs
 *   beforeUpdate (also for the update that follows an import); `DeleteStep.Apply` runs beforeDelete
 *   for a delete and a delete-replaced, taking the hook names from the **old state**, before its
 *   protect and retainOnDelete checks. `ImportStep` and `ReplaceStep` run none.
 * - A before hook that throws fails the step: "before hook "<name>" failed: <message>". In a preview
 *   a hook runs only when registered with `onDryRun: true`, so every guard here is.
 * - A hook is looked up by name when its step runs ("hook "<name>" was not registered" otherwise), so
 *   the delete guard recorded in the state must be registered on every run under the same name:
 *   {@link registerGuards} registers all of them before any resource, whatever the program declares.
 * - The callback gets urn, id, name, type and the inputs/outputs, never the step kind: the hooks
 *   are named per kind (create, update, delete) and per what the program knows of the object at
 *   registration (in adoption.live, read-only), so one hook per rule serves every resource.
 *
 * What a hook cannot tell apart (a create from a create-replacement) and what runs no hook at all
 * (an import, a replace, a delete whose old state recorded no hooks) is covered elsewhere: every
 * Proxmox resource is `deleteBeforeReplace`, so a replacement's delete half runs (and is refused)
 * before its create half; and `npm run guard` reads the preview's step kinds (docs/adopting.md §13).
 */
import * as pulumi from "@pulumi/pulumi";
import { restartRefusal } from "./restart";
import { type StepFacts, stopReason } from "./stopList";

/** The facts a guard adds to the step it sees (what the program decided at registration). */
type GuardFacts = Pick<StepFacts, "live" | "readOnly">;

/** The guard hooks: name, lifecycle point, and the facts it adds. */
export const GUARDS = {
  create: { hook: "neve-guard-create", point: "beforeCreate", op: "create", facts: {} },
  createLive: { hook: "neve-guard-create-live", point: "beforeCreate", op: "create", facts: { live: true } },
  update: { hook: "neve-guard-update", point: "beforeUpdate", op: "update", facts: {} },
  updateReadOnly: { hook: "neve-guard-update-read-only", point: "beforeUpdate", op: "update", facts: { readOnly: true } },
  delete: { hook: "neve-guard-delete", point: "beforeDelete", op: "delete", facts: {} },
  // A guest whose stack entry does not say restartOnUpdate: true (./restart.ts compares the step's old and new inputs).
  updateRunningVm: { hook: "neve-guard-update-running-vm", point: "beforeUpdate", op: "update", facts: {}, restart: "vm" },
  updateRunningCt: { hook: "neve-guard-update-running-ct", point: "beforeUpdate", op: "update", facts: {}, restart: "ct" },
} as const satisfies Record<string, { hook: string; point: keyof pulumi.ResourceHookBinding; op: string; facts: GuardFacts; restart?: "vm" | "ct" }>;

/** One guard. */
export type GuardName = keyof typeof GUARDS;

/** The text a refused step fails with (and the line `npm run guard` prints): `<op> <urn>: <why>`. */
export function refusal(op: string, urn: string, why: string): string {
  return `${op} ${urn}: ${why}`;
}

/** The hook's callback: refuse the step when the stop list says so. */
function guardCallback(name: GuardName): pulumi.ResourceHookFunction {
  const g = GUARDS[name];
  if ("restart" in g) {
    // The live record: the step's old inputs and outputs (the state), against the new inputs (the engine
    // passes all three to a beforeUpdate hook: @pulumi/pulumi ResourceHookArgs).
    return (args) => {
      const why = restartRefusal(g.restart, args.oldInputs, args.newInputs, args.oldOutputs, args.urn);
      if (why) throw new Error(refusal(g.op, args.urn, why));
    };
  }
  return (args) => {
    const why = stopReason({ op: g.op, urn: args.urn, type: args.type, ...g.facts });
    if (why) throw new Error(refusal(g.op, args.urn, why));
  };
}

let registered: Readonly<Record<GuardName, pulumi.ResourceHook>> | undefined;

/**
 * Register every guard hook with the engine, once per process, before any resource (so a delete
 * guard recorded in the state always finds its hook). Returns the hooks by guard name.
 */
export function registerGuards(): Readonly<Record<GuardName, pulumi.ResourceHook>> {
  if (!registered) {
    const hooks = {} as Record<GuardName, pulumi.ResourceHook>;
    for (const name of Object.keys(GUARDS) as GuardName[]) {
      hooks[name] = new pulumi.ResourceHook(GUARDS[name].hook, guardCallback(name), { onDryRun: true });
    }
    registered = hooks;
  }
  return registered;
}

/** What decides the guards of one Proxmox resource. */
export interface GuardSpec {
  /** Its object is in `adoption.live` (or always adopted): a create means the import id was lost. */
  readonly live: boolean;
  /** The stack treats it as read-only: no update. */
  readonly readOnly: boolean;
  /**
   * A guest: its kind and whether its stack entry allows an up to restart it (`restartOnUpdate`). A guest
   * that does not (and is no template) gets the running-guest update guard.
   */
  readonly guest?: { readonly kind: "vm" | "ct"; readonly restartOnUpdate: boolean; readonly template: boolean };
}

/** The running-guest update guard of a guest kind: the one place a VM's and a CT's are told apart. */
export function restartGuardOf(kind: "vm" | "ct"): "updateRunningVm" | "updateRunningCt" {
  return kind === "vm" ? "updateRunningVm" : "updateRunningCt";
}

/**
 * The guard list of one Proxmox resource: one stop-list guard per lifecycle point, and for a guest the
 * stack file does not allow to be restarted, the running-guest update guard. This is the one place where a
 * resource's guards are chosen (a guard for another rule is added here and in {@link GUARDS}).
 */
export function guardsFor(spec: GuardSpec): readonly GuardName[] {
  const out: GuardName[] = [spec.live ? "createLive" : "create", spec.readOnly ? "updateReadOnly" : "update", "delete"];
  const g = spec.guest;
  if (g && !g.restartOnUpdate && !g.template) out.push(restartGuardOf(g.kind));
  return out;
}

/** The `hooks` resource option for a guard list. */
export function hooksOption(guards: readonly GuardName[]): pulumi.ResourceHookBinding {
  const hooks = registerGuards();
  const binding: Record<string, pulumi.ResourceHook[]> = {};
  for (const name of guards) {
    const point = GUARDS[name].point;
    binding[point] = [...(binding[point] ?? []), hooks[name]];
  }
  return binding as pulumi.ResourceHookBinding;
}

// The plan's per-guest restart rule (table and --json `guests`). Imports the guard hooks (and with them
// @pulumi/pulumi), so scripts/plan.ts loads it only after the stack file passed its checks.
import { guestHostname } from "../../stacks/config/guests";
import type { NeveModel } from "../../stacks/config/model";
import { CT_RESTART_FIELDS, VM_RESTART_FIELDS } from "../../stacks/config/restart";
import { GUARDS } from "../../stacks/guards/hooks";
import { PROXMOX_TYPES } from "../../stacks/guards/stopList";
import type { CapturedResource } from "./mockRunner";

/** One guest as the plan shows its restart rule (table and --json `guests`). */
export interface PlanGuest {
  /** `guests.<name>`. */
  readonly object: string;
  readonly vmid: number;
  readonly kind: "vm" | "ct";
  readonly running: boolean;
  readonly template: boolean;
  readonly restartOnUpdate: boolean;
  /**
   * The stack fields the program sends for this guest whose change restarts it while it runs
   * (stacks/config/restart.ts): an up that changes one is refused by {@link guard}, or, with
   * restartOnUpdate, restarts the guest.
   */
  readonly restartFields: readonly string[];
  /**
   * The running-guest guard the guest's resource carries (its beforeUpdate hook name, as the program
   * registered it), or null (restartOnUpdate: true, or a template).
   */
  readonly guard: string | null;
}

/**
 * Every guest with its declared restart fields and the running-guest guard its resource carries. The
 * guard is read from the resources the program registered (their `beforeUpdate` hooks), not chosen again.
 */
export function planGuests(model: NeveModel, resources: readonly CapturedResource[]): PlanGuest[] {
  const hooks = [GUARDS.updateRunningVm.hook, GUARDS.updateRunningCt.hook] as string[];
  return model.guests.map((g) => {
    const type = g.kind === "vm" ? PROXMOX_TYPES.vm : PROXMOX_TYPES.container;
    const r = resources.find((x) => x.type === type && x.inputs.vmId === g.vmid);
    const guard = (r?.hooks?.beforeUpdate ?? []).find((h) => hooks.includes(h)) ?? null;
    // `hostname` is always declared: unstated, the resources send the key (guestHostname).
    const record = { ...g, hostname: guestHostname(g) } as unknown as Readonly<Record<string, unknown>>;
    const restartFields = (g.kind === "vm" ? VM_RESTART_FIELDS : CT_RESTART_FIELDS).filter((f) => record[f] !== undefined);
    return {
      object: `guests.${g.name}`,
      vmid: g.vmid,
      kind: g.kind,
      running: g.running,
      template: g.template,
      restartOnUpdate: g.restartOnUpdate,
      restartFields,
      guard,
    };
  });
}

/** The plan's text lines for {@link planGuests}. */
export function guestLines(guests: readonly PlanGuest[]): string[] {
  return guests.map((g) => {
    const what = `${g.object} (${g.kind === "vm" ? "VM" : "container"} ${g.vmid}, ${g.template ? "template" : g.running ? "running" : "stopped"})`;
    const fields = `restart fields: ${g.restartFields.join(", ") || "none"}`;
    const rule = g.guard
      ? `guard ${g.guard} (an up that changes one while it runs is refused)`
      : g.template
        ? "no running-guest guard (a template never runs)"
        : "no running-guest guard (restartOnUpdate: true, the up may restart it)";
    return `  ${what}: ${fields}; ${rule}`;
  });
}

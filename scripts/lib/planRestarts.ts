import type { NeveModel } from "../../stacks/config/model";
import { needsRestart } from "../../stacks/config/restart";

/** One running guest an `up` may restart, as `npm run plan` shows it (table and --json). */
export interface PlanRestart {
  /** `guests.<name>`. */
  readonly object: string;
  readonly vmid: number;
  readonly kind: "vm" | "ct";
  /** The guest's `restartOnUpdate` (false: the up never restarts it; the config refuses an acknowledged restart). */
  readonly restartOnUpdate: boolean;
  /**
   * Declared changes that need a restart (stacks/config/restart.ts): the acknowledged fields of the
   * guest (adoption.acknowledge: what the stack knowingly changes on an adopted guest).
   */
  readonly fields: readonly string[];
}

/**
 * The running guests with a declared change that needs a restart, or that allow an `up` to restart
 * them (`restartOnUpdate: true`). The offline plan cannot see the live values, so the declared changes
 * it knows are the acknowledged ones (discover --check marks the others against the host).
 */
export function planRestarts(model: NeveModel): PlanRestart[] {
  const out: PlanRestart[] = [];
  for (const g of model.guests) {
    if (g.template || !g.running) continue;
    const prefix = `guests.${g.name}.`;
    const fields = model.adoption.acknowledge
      .filter((p) => p.startsWith(prefix))
      .map((p) => p.slice(prefix.length))
      .filter((f) => needsRestart(g.kind, f));
    if (fields.length || g.restartOnUpdate) out.push({ object: `guests.${g.name}`, vmid: g.vmid, kind: g.kind, restartOnUpdate: g.restartOnUpdate, fields });
  }
  return out;
}

/** The plan's text lines for {@link planRestarts}. */
export function restartLines(restarts: readonly PlanRestart[]): string[] {
  return restarts.map(
    (r) =>
      `  ${r.object} (${r.kind === "vm" ? "VM" : "container"} ${r.vmid}): ${r.fields.length ? `declared change that needs a restart: ${r.fields.join(", ")}; ` : ""}` +
      `restartOnUpdate: true, so the up may restart it while it runs`,
  );
}

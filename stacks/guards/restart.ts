/**
 * The update guard's rule for a running guest (issue 13): an update that changes a restart field
 * (stacks/config/restart.ts, from bpg's own `rebootRequired` lists) of a guest the live record says is
 * running is refused unless the guest's stack entry says `restartOnUpdate: true`. Pure: the hook
 * (./hooks.ts) passes the step's old and new inputs and the old outputs.
 */
import { CT_RESTART_INPUTS, VM_RESTART_INPUTS } from "../config/restart";

/** One provider input an update changes that restarts the guest, and the stack fields it carries. */
export interface RestartChange {
  /** Provider input path (`cpu.cores`, `networkInterfaces[].bridge`). */
  readonly input: string;
  /** The stack fields below `guests.<name>` that feed it. */
  readonly fields: readonly string[];
}

type Props = Readonly<Record<string, unknown>> | undefined;

/** The value at a provider input path; `[]` maps over a list. */
function valueAt(obj: unknown, path: string): unknown {
  let values: unknown[] = [obj];
  for (const part of path.split(".")) {
    const list = part.endsWith("[]");
    const key = list ? part.slice(0, -2) : part;
    values = values.flatMap((v) => {
      const x = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
      return list ? (Array.isArray(x) ? x : [x]) : [x];
    });
  }
  return values.length === 1 ? values[0] : values;
}

/** A stable text of a value (object keys sorted; undefined and null alike: the provider's "not sent"). */
function canonical(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined && x !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The restart inputs an update from `oldInputs` to `newInputs` changes, for a guest of `kind`. */
export function restartChanges(kind: "vm" | "ct", oldInputs: Props, newInputs: Props): RestartChange[] {
  const table = kind === "vm" ? VM_RESTART_INPUTS : CT_RESTART_INPUTS;
  return Object.entries(table)
    .filter(([input]) => canonical(valueAt(oldInputs, input)) !== canonical(valueAt(newInputs, input)))
    .map(([input, fields]) => ({ input, fields }));
}

/**
 * Running, as the live record says: the old outputs' `started` (what the last up or refresh read from
 * the host), else the old inputs' (what the last up declared). False when neither says so.
 */
export function liveRunning(oldInputs: Props, oldOutputs: Props): boolean {
  const started = oldOutputs?.started ?? oldInputs?.started;
  return started === true;
}

/**
 * The guest's key in the stack file: from the resource's URN when known (its name is `<key>-vm` /
 * `<key>-ct`, stacks/components/proxmox), else from the host name the program sends (a VM's name, a
 * container's hostname), which is the key unless `guests.<key>.hostname` is stated.
 */
function guestKey(kind: "vm" | "ct", inputs: Props, urn?: string): string {
  const fromUrn = urn
    ?.split("::")
    .pop()
    ?.match(kind === "vm" ? /^(.+)-vm$/ : /^(.+)-ct$/)?.[1];
  if (fromUrn) return fromUrn;
  const v = kind === "vm" ? inputs?.name : valueAt(inputs, "initialization.hostname");
  return typeof v === "string" && v !== "" ? v : "<name>";
}

/**
 * The restart inputs a provider's detailed diff touches: each path (`cpu.cores`, `memory`,
 * `networkInterfaces[0].bridge`, as pulumi/pulumi's resource.PropertyPath prints it) that is a restart
 * input, lies below one, or is the parent of one (a whole `memory` or `initialization` block changed).
 * This sees what old and new inputs cannot: a change the provider finds against the refreshed state.
 */
export function restartInputsOfPaths(kind: "vm" | "ct", paths: readonly string[]): RestartChange[] {
  const table = kind === "vm" ? VM_RESTART_INPUTS : CT_RESTART_INPUTS;
  // `a[0].b` and `a["b"]` -> `a[].b` and `a.b`, the table's spelling.
  const norm = paths.map((p) => p.replace(/\[\d+\]/g, "[]").replace(/\["([^"\]]*)"\]/g, ".$1"));
  const touches = (input: string, p: string) =>
    p === input || p.startsWith(`${input}.`) || p.startsWith(`${input}[`) || input.startsWith(`${p}.`) || input.startsWith(`${p}[]`);
  return Object.entries(table)
    .filter(([input]) => norm.some((p) => touches(input, p)))
    .map(([input, fields]) => ({ input, fields }));
}

/** `a` and `b` together, each input once, in `a`'s order then `b`'s. */
export function mergeChanges(a: readonly RestartChange[], b: readonly RestartChange[]): RestartChange[] {
  const seen = new Set(a.map((c) => c.input));
  return [...a, ...b.filter((c) => !seen.has(c.input))];
}

/**
 * The way out "stop the guest, pulumi refresh" holds because bpg's read sets `started` from the
 * guest's status (bpg/terraform-provider-proxmox@35bf711a proxmoxtf/resource/container/container.go
 * containerRead: `d.Set(mkStarted, status.Status == "running")`; the VM read does the same), and
 * {@link liveRunning} reads the old outputs first.
 *
 * The refusal of an update that makes `changes` to the running guest: it names the guest, the inputs,
 * the stack fields and the ways out. One text for the program's hook and `npm run guard`.
 */
export function restartRefusalText(kind: "vm" | "ct", changes: readonly RestartChange[], oldInputs: Props, newInputs: Props, urn?: string): string {
  const name = guestKey(kind, newInputs ?? oldInputs, urn);
  const what = kind === "vm" ? "VM" : "container";
  const vmid = newInputs?.vmId ?? oldInputs?.vmId;
  const fields = [...new Set(changes.flatMap((c) => c.fields))].map((f) => `guests.${name}.${f}`);
  const inputs = changes.map((c) => c.input).join(", ");
  const effect =
    kind === "vm"
      ? "bpg restarts a running VM for it (rebootAfterUpdate), or with rebootAfterUpdate false fails the update or leaves it pending"
      : "bpg reboots a running container for it, with no switch to turn that off";
  return (
    `an update that restarts the running ${what} ${name}${vmid !== undefined ? ` (${vmid})` : ""}: it changes ${inputs} ` +
    `(stack field${fields.length > 1 ? "s" : ""} ${fields.join(", ")}), and ${effect} (stacks/config/restart.ts). ` +
    `To allow the restart: set guests.${name}.restartOnUpdate: true. To restart it at a time of your choosing: stop the guest, ` +
    "pulumi refresh (the state then records it stopped), then preview again. To keep the guest running as it is: put the live value back " +
    "in the stack file (npm run discover -- --check shows it, --write states it)"
  );
}

/**
 * Why the update must not run, or undefined: a change of a restart input of a guest the live record
 * says is running. The text names the guest, the fields and the way out.
 */
export function restartRefusal(kind: "vm" | "ct", oldInputs: Props, newInputs: Props, oldOutputs: Props, urn?: string): string | undefined {
  if (!liveRunning(oldInputs, oldOutputs)) return undefined;
  const changes = restartChanges(kind, oldInputs, newInputs);
  return changes.length ? restartRefusalText(kind, changes, oldInputs, newInputs, urn) : undefined;
}

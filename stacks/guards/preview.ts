/**
 * `npm run guard`'s checks, pure: the document of `pulumi preview --json --show-replacement-steps`
 * against the stop list (./stopList.ts), and the document of `pulumi stack export` against what the
 * guards need the recorded state to hold.
 *
 * The preview document is `display.PreviewDigest` (pulumi/pulumi pkg/display/json.go, written by
 * pkg/backend/display/json.go `ShowPreviewDigest`): `steps` (each `op`, `urn`, `provider`,
 * `oldState`/`newState` as apitype.ResourceV3 with `type`, `inputs`, `importID`, `resourceHooks`...,
 * `diffReasons`, `replaceReasons`, `detailedDiff`), `diagnostics` (`urn`, `message`, `severity`),
 * `changeSummary`, `duration`, `config`. Every field is `omitempty` except `op`, `urn` and
 * `detailedDiff`. The root stack's step is always there; without `--show-replacement-steps` the
 * replacement sub-steps (create-replacement, delete-replaced, import-replacement) are left out, but
 * their logical `replace` step is not, so a replacement is still refused.
 */
import type { LiveObjects } from "../components/proxmox/options";
import { GUARDS, restartGuardOf } from "./hooks";
import { liveOf } from "./liveObjects";
import { liveRunning, mergeChanges, restartChanges, restartInputsOfPaths, restartRefusalText } from "./restart";
import { isFirewall, isProxmoxObject, PROXMOX_TYPES, stopReason } from "./stopList";

/** The input is not the document the command reads (exit 2). */
export class DocumentError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const PREVIEW_HINT = "expected the output of pulumi preview --json --show-replacement-steps (one JSON document with steps, diagnostics, changeSummary)";

/** Parse JSON text, or a DocumentError naming what was expected. */
export function parseDocument(text: string, hint: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new DocumentError(`not JSON (${(e as Error).message}); ${hint}`);
  }
  if (!isObject(doc)) throw new DocumentError(`not a JSON object; ${hint}`);
  return doc;
}

/**
 * The stop lines of a preview document (`<op> <urn>: <why>`), empty when it is safe to `up`.
 * `live` is `adoption.live` of the stack file the preview ran with.
 */
export function previewStops(text: string, live: LiveObjects | undefined): string[] {
  const doc = parseDocument(text, PREVIEW_HINT);
  const known = ["steps", "diagnostics", "changeSummary"].filter((k) => k in doc);
  if (!known.length) throw new DocumentError(`a JSON object without steps, diagnostics or changeSummary; ${PREVIEW_HINT}`);
  const steps = doc.steps ?? [];
  if (!Array.isArray(steps)) throw new DocumentError(`steps is not a list; ${PREVIEW_HINT}`);
  const diagnostics = doc.diagnostics ?? [];
  if (!Array.isArray(diagnostics)) throw new DocumentError(`diagnostics is not a list; ${PREVIEW_HINT}`);
  const lines: string[] = [];
  steps.forEach((s: unknown, i: number) => {
    if (!isObject(s) || typeof s.op !== "string" || typeof s.urn !== "string") throw new DocumentError(`steps[${i}] has no op and urn; ${PREVIEW_HINT}`);
    const state = (isObject(s.newState) ? s.newState : isObject(s.oldState) ? s.oldState : {}) as Json;
    // The URN's last-but-one part is the (parent-qualified) type: urn:pulumi:stack::project::parent$type::name.
    const type = typeof state.type === "string" ? state.type : (s.urn.split("::")[2]?.split("$").pop() ?? "");
    const newState = isObject(s.newState) ? s.newState : undefined;
    const importId = typeof newState?.importID === "string" && newState.importID !== "" ? newState.importID : undefined;
    const inputs = isObject(newState?.inputs) ? (newState.inputs as Json) : undefined;
    const why = stopReason({
      op: s.op,
      urn: s.urn,
      type,
      live: isProxmoxObject(type) ? liveOf(live, type, s.op === "import" ? importId : undefined, inputs) : undefined,
      readOnly: isFirewall(type),
    });
    const restart = why ? undefined : restartStop(s, type);
    if (why ?? restart) lines.push(`${s.op} ${s.urn}: ${why ?? restart}`);
  });
  diagnostics.forEach((d: unknown) => {
    if (isObject(d) && d.severity === "error") {
      const text = String(d.message ?? "")
        .trim()
        .split("\n")[0];
      lines.push(`error ${typeof d.urn === "string" && d.urn ? d.urn : "(stack)"}: the preview failed: ${text}; a failed preview is never safe to up`);
    }
  });
  return lines;
}

/**
 * The running-guest rule (./restart.ts, the predicate the program's beforeUpdate hook asks) on an
 * `update` step of a VM or container, or undefined when the step may run.
 *
 * What the document carries (pulumi/pulumi@1b5949891b, v3.259.0+14): pkg/backend/display/json.go
 * `getPreviewMetadataStep` serializes the step's old and new state with `stack.SerializeResource`
 * after `stateForJSONOutput` (inputs and outputs, secrets as "[secret]", `resourceHooks`); the old
 * state is the recorded one, outputs included (`started` as the last up or refresh read it); the new
 * state is built from the program's goal in pkg/resource/deploy/step_generator.go `generateSteps`
 * (outputs nil, `ResourceHooks: goal.ResourceHooks`, keys "BeforeUpdate" ... as
 * sdk/go/common/resource/resource_hooks.go names them). `detailedDiff` maps property paths
 * (`cpu.cores`, `networkInterfaces[0].bridge`) to a kind; it is null when the provider gave none,
 * and then `diffReasons` (top-level keys) is what the step says changed.
 *
 * Whether the stack allows the restart: the guest's new state carries the running-guest hook
 * (./hooks.ts guardsFor) exactly when its entry does not say `restartOnUpdate: true`. A new state that
 * records no hooks at all (a program or CLI without them) is treated as not allowing it.
 */
function restartStop(s: Json, type: string): string | undefined {
  if (s.op !== "update") return undefined;
  const kind = type === PROXMOX_TYPES.vm ? "vm" : type === PROXMOX_TYPES.container ? "ct" : undefined;
  if (!kind) return undefined;
  const oldState = isObject(s.oldState) ? s.oldState : {};
  const newState = isObject(s.newState) ? s.newState : {};
  const props = (v: unknown) => (isObject(v) ? v : undefined);
  const oldInputs = props(oldState.inputs);
  const newInputs = props(newState.inputs);
  if (!liveRunning(oldInputs, props(oldState.outputs))) return undefined;
  const hooks = props(newState.resourceHooks);
  const guard = GUARDS[restartGuardOf(kind)].hook;
  if (hooks && !(Array.isArray(hooks.BeforeUpdate) && hooks.BeforeUpdate.includes(guard))) return undefined;
  const paths = isObject(s.detailedDiff) ? Object.keys(s.detailedDiff) : Array.isArray(s.diffReasons) ? s.diffReasons.map(String) : [];
  const changes = mergeChanges(restartChanges(kind, oldInputs, newInputs), restartInputsOfPaths(kind, paths));
  return changes.length ? restartRefusalText(kind, changes, oldInputs, newInputs, typeof s.urn === "string" ? s.urn : undefined) : undefined;
}

const STATE_HINT = "expected the output of pulumi stack export (a JSON object with deployment.resources)";

/**
 * The lines of a `pulumi stack export` document whose Proxmox resources the recorded state does not
 * yet protect: without `retainOnDelete` a delete reaches the host, and without the delete guard in
 * `resourceHooks` a delete or replacement is not refused by the program (both are read from the
 * old state). Empty when every one is covered. The way out: one untargeted `pulumi up` whose
 * preview `npm run guard` passed records both.
 */
export function stateGaps(text: string): string[] {
  const doc = parseDocument(text, STATE_HINT);
  const deployment = doc.deployment;
  if (!isObject(deployment) || !Array.isArray(deployment.resources)) throw new DocumentError(`no deployment.resources; ${STATE_HINT}`);
  const lines: string[] = [];
  deployment.resources.forEach((r: unknown, i: number) => {
    if (!isObject(r) || typeof r.urn !== "string" || typeof r.type !== "string")
      throw new DocumentError(`deployment.resources[${i}] has no urn and type; ${STATE_HINT}`);
    if (!isProxmoxObject(r.type) || r.delete === true) return;
    const missing: string[] = [];
    if (r.retainOnDelete !== true) missing.push("retainOnDelete (a delete would reach the host)");
    const hooks = isObject(r.resourceHooks) ? r.resourceHooks : {};
    const beforeDelete = Array.isArray(hooks.BeforeDelete) ? hooks.BeforeDelete : [];
    if (!beforeDelete.includes(GUARDS.delete.hook)) missing.push(`the ${GUARDS.delete.hook} hook (a delete or replacement would not be refused)`);
    if (missing.length) lines.push(`state ${r.urn}: records no ${missing.join(" and no ")}; run one untargeted pulumi up whose preview npm run guard passed`);
  });
  return lines;
}

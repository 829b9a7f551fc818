import { type AdoptionScope, adoptionFingerprint } from "../config/adoption";

/**
 * The adoption gate. Since pulumi/pulumi#19339 an `import` whose declared inputs differ from the
 * live object no longer fails: the engine imports it and then *updates it to match the program*
 * (pulumi/docs#18198). So with `neve-infra:adopt: true` the stack file must first be reconciled
 * with the live host, or every guess in it would be pushed onto neve by the first `up`.
 *
 * Whatever `adopt` says, a real run needs `adoption.live`: without it the program cannot tell the
 * objects on the host from new ones, so it would create next to the live ones (backup jobs twice,
 * guests and storages failing halfway) and a later first record could list what it created, whose
 * import would then be an import-replacement (docs/adopting.md §3).
 *
 * Pure: the program (stacks/neve/index.ts) runs it before it registers any resource and refuses;
 * the offline plan prints the same finding as a notice (see ./offlinePlan.ts).
 */

/** What the gate needs to know about a stack config. */
export interface GateInput {
  /** `neve-infra:adopt`. */
  readonly adopt: boolean;
  /** `neve-infra:adoption.reconciled` (the fingerprint discover recorded), when present. */
  readonly reconciled?: string;
  /** True when `neve-infra:adoption.live` is recorded. */
  readonly liveRecorded: boolean;
  /** The Proxmox sections as the program sees them now (`adoptionScopeOf(model)`). */
  readonly scope: AdoptionScope;
}

/** The gate's finding. */
export interface GateVerdict {
  /** True when the program may proceed (the live record exists, and with adopt it matches the stack file). */
  readonly ok: boolean;
  /** One line per problem, each naming the key; empty when ok. */
  readonly problems: readonly string[];
}

/** The fix, named in every refusal. */
const GATE_FIX =
  "run npm run discover -- --check (it lists, field by field, what the first up would change on the host), " +
  "then npm run discover -- --write (it writes the live values into Pulumi.neve.yaml and records neve-infra:adoption), " +
  "or list each field you do want the first up to change under neve-infra:adoption.acknowledge and run --write again";

/** Decide whether a run with this config may register resources (see {@link GateVerdict}). */
export function adoptionGate(input: GateInput): GateVerdict {
  const problems: string[] = [];
  if (!input.liveRecorded) {
    problems.push(
      "neve-infra:adoption.live is missing: nothing records which Proxmox objects exist on the host, so none can be imported and each would be created" +
        (input.adopt ? "" : " (a real run needs this record whatever neve-infra:adopt says)"),
    );
  }
  if (!input.adopt) return { ok: problems.length === 0, problems };
  if (input.reconciled === undefined) {
    problems.push("neve-infra:adoption.reconciled is missing: npm run discover -- --check has never passed on this stack file");
  } else {
    const now = adoptionFingerprint(input.scope);
    if (now !== input.reconciled) {
      problems.push(
        `the Proxmox sections (proxmox.nodeName, guests, storage, network.bridges, firewall, backups) or the adoption record (live, unmanaged, acknowledge) ` +
          `changed since npm run discover -- --check last passed (recorded ${short(input.reconciled)}, now ${short(now)})`,
      );
    }
  }
  return { ok: problems.length === 0, problems };
}

function short(fp: string): string {
  return `${fp.slice(0, "sha256:".length + 12)}...`;
}

/** The refusal the program raises, naming every problem and the fix. */
export function gateRefusal(verdict: GateVerdict, adopt = true): string {
  return (
    (adopt ? "neve-infra:adopt is true but the stack file is not yet reconciled with the host:\n" : "the stack file does not record the live host yet:\n") +
    verdict.problems.map((p) => `  - ${p}\n`).join("") +
    "Pulumi imports a live object and then updates it to match this file (pulumi/pulumi#19339), so every value here that differs " +
    "from the host would be written to neve by the first up. Nothing was registered. To continue: " +
    `${GATE_FIX}. Details: docs/adopting.md.`
  );
}

/** The one-paragraph notice of the offline plan (which carries on and prints the plan). */
export function gateNotice(verdict: GateVerdict): string {
  return `not yet reconciled with the host: ${verdict.problems.join("; ")}. ` + `pulumi preview/up will refuse until you ${GATE_FIX}.`;
}

import { createHash } from "node:crypto";
import { z } from "zod";
import { LIVE_HASH_RE } from "../../providers/hostconfig/check";

/**
 * `neve-infra:adoption`: the record of the last reconciliation of this stack file with the live host,
 * written by `npm run discover -- --write` (never by hand, except `acknowledge`).
 *
 * - `live` lists the objects that exist on the host: only those are imported (adopted); everything
 *   else the stack declares is created. Absent until discover has run; append-only afterwards (an
 *   object the program created must never be listed: docs/discover.md, "adoption.live is append-only").
 * - `reconciled` is the fingerprint ({@link adoptionFingerprint}) of the stack file's Proxmox
 *   sections at the moment `discover --check` found nothing that the first `up` would change on the
 *   host (apart from acknowledged fields). The program's adoption gate compares it with the stack
 *   file it runs on: any later edit of those sections needs a new `discover --check`.
 * - `acknowledge` lists field paths (as `discover --check` prints them, e.g. `guests.cipher.cores`)
 *   whose difference from the live host the operator wants the first `up` to apply.
 */
/** The form of an acknowledged live file's hash (`adoption.files`): `sha256:<64 lowercase hex>`. */
export const ACK_HASH = LIVE_HASH_RE;

export const adoptionSchema = z.strictObject({
  /** `sha256:<64 hex>` fingerprint of the reconciled Proxmox sections. */
  reconciled: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, { error: "must be sha256:<64 hex digits> as written by npm run discover -- --write" })
    .optional(),
  /** When discover read the host (ISO 8601), informational. */
  discoveredAt: z.string().optional(),
  /** Where discover read the facts (`ssh://root@host:22` or `root:DIR`), informational. */
  source: z.string().optional(),
  /** Objects that exist on the host and are adopted (imported) rather than created. */
  live: z
    .strictObject({
      /** Guest ids (VMs, templates, containers). */
      guests: z.array(z.number().int()).default([]),
      /** Storage ids. */
      storage: z.array(z.string()).default([]),
      /** Bridge interface names. */
      bridges: z.array(z.string()).default([]),
      /** Backup job ids (jobs.cfg). */
      jobs: z.array(z.string()).default([]),
      /** The cluster firewall (cluster.fw) exists. */
      firewall: z.boolean().default(false),
    })
    .optional(),
  /**
   * Objects on the host the stack knows about and deliberately does not manage (written by discover
   * --write for guests, storages and jobs it found but the stack did not declare): never imported,
   * never created, not reported as unknown.
   */
  unmanaged: z
    .strictObject({
      /** Guest ids (e.g. VMs cloned by hand). */
      guests: z.array(z.number().int()).default([]),
      /** Storage ids. */
      storage: z.array(z.string()).default([]),
      /** Backup job ids (jobs.cfg). */
      jobs: z.array(z.string()).default([]),
    })
    .optional(),
  /** Field paths whose live value the first `up` may change, by the operator's explicit choice. */
  acknowledge: z.array(z.string()).default([]),
  /**
   * Managed host files whose live content the operator accepts the render replacing, each by the
   * sha256 of that exact live content (`npm run discover -- --write --acknowledge-file PATH` writes
   * it). A later hand edit on the host changes the hash, and `discover --check` counts the file again.
   * The program passes the hash to the file's first push (HostConfig `files[].acceptLive`): the host
   * refuses that push over any other live content (exit 20). A file beside a managed one
   * (stacks/discover/beside.ts) may be listed too: kept there knowingly, not counted while unchanged.
   */
  files: z
    .record(
      z.string().regex(/^\//, { error: "must be an absolute host path, as discover --check prints it" }),
      z.string().regex(ACK_HASH, {
        error: "must be sha256:<64 lowercase hex digits> of the live file, as written by npm run discover -- --write --acknowledge-file PATH",
      }),
    )
    .default({}),
});

/** Parsed `neve-infra:adoption`. */
export type AdoptionConfig = z.infer<typeof adoptionSchema>;

/** JSON with object keys sorted at every level, so equal values always serialize the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** The parts of a stack config that describe Proxmox objects (what the adoption gate guards). */
export interface AdoptionScope {
  readonly nodeName: string;
  readonly guests: unknown;
  readonly storage: unknown;
  readonly bridges: unknown;
  readonly firewall: unknown;
  readonly backups: unknown;
  readonly live: unknown;
  readonly unmanaged?: unknown;
  readonly acknowledge: readonly string[];
}

/**
 * Fingerprint of the Proxmox sections of a stack config (`sha256:<hex>`), over the parsed values
 * (schema defaults applied, key order irrelevant, YAML comments irrelevant). Shared by
 * `discover --write` (which records it) and the program's adoption gate (which compares it).
 */
export function adoptionFingerprint(scope: AdoptionScope): string {
  return `sha256:${createHash("sha256").update(canonicalJson(scope)).digest("hex")}`;
}

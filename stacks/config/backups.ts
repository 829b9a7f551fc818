import { z } from "zod";
import { calendarEventProblem } from "../common/predicates";
import { nodeNameSchema, refineWith } from "./common";

/** One retention count of a job (a positive whole number). */
function keepSchema(field: string) {
  return z
    .number()
    .int({ error: `${field} must be a whole number` })
    .min(1, { error: `${field} must be at least 1` })
    .optional();
}

/** The retention fields of a job and the `prune-backups` keys they state, in Proxmox's order. */
export const RETENTION_KEYS = [
  ["keepLast", "keep-last"],
  ["keepHourly", "keep-hourly"],
  ["keepDaily", "keep-daily"],
  ["keepWeekly", "keep-weekly"],
  ["keepMonthly", "keep-monthly"],
  ["keepYearly", "keep-yearly"],
] as const;

/** `prune-backups` of a job as the provider's map (`{"keep-last": "4", "keep-weekly": "4"}`): one place for the component and discover. */
export function pruneBackupsOf(j: { readonly [K in (typeof RETENTION_KEYS)[number][0]]?: number }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of RETENTION_KEYS) if (j[field] !== undefined) out[key] = String(j[field]);
  return out;
}

/** One vzdump backup job. */
const backupJobSchema = z.strictObject({
  /** Target storage id (key of `storage`, must hold `backup` content). */
  storage: z.string(),
  /**
   * Proxmox calendar event (a subset of systemd's), e.g. `*-*-* 02:30`, `sun 03:30`, `mon..fri 21:00`
   * or `daily`: exactly what the API accepts (`calendarEventProblem`, ported from proxmox-time).
   */
  schedule: z.string().superRefine(refineWith(calendarEventProblem)),
  /** Guest names to back up. */
  guests: z.array(z.string()).min(1, { error: "needs at least one guest" }),
  /** vzdump mode. Defaults to snapshot. */
  mode: z.enum(["snapshot", "suspend", "stop"], { error: "mode must be snapshot, suspend or stop" }).default("snapshot"),
  /** Compression. Defaults to zstd. */
  compress: z.enum(["zstd", "gzip", "lzo", "0"], { error: "compress must be zstd, gzip, lzo or 0" }).default("zstd"),
  /**
   * Retention (`prune-backups`, pve-common PVE/JSONSchema.pm `prune-backups` format): keep the last N
   * backups of each guest, and/or the newest of each of the last N hours, days, weeks, months, years.
   * At least one must be stated (stacks/config/rules/backups.ts).
   */
  keepLast: keepSchema("keepLast"),
  /** Retention: the newest backup of each of the last N hours (`keep-hourly`). */
  keepHourly: keepSchema("keepHourly"),
  /** Retention: the newest backup of each of the last N days (`keep-daily`). */
  keepDaily: keepSchema("keepDaily"),
  /** Retention: the newest backup of each of the last N weeks (`keep-weekly`). */
  keepWeekly: keepSchema("keepWeekly"),
  /** Retention: the newest backup of each of the last N months (`keep-monthly`). */
  keepMonthly: keepSchema("keepMonthly"),
  /** Retention: the newest backup of each of the last N years (`keep-yearly`). */
  keepYearly: keepSchema("keepYearly"),
  /** Job enabled. Defaults to true. */
  enabled: z.boolean().default(true),
  /** Proxmox's id of this job when it already exists on the host (adopted); omit to create it. */
  existingId: z.string().optional(),
  /** Free-text comment (notes template `{{guestname}}: <comment>`), when `notesTemplate` is not stated. */
  comment: z.string().optional(),
  /** The job's notes template verbatim (`notes-template`), e.g. `{{guestname}}`. Wins over `comment`. */
  notesTemplate: z.string().min(1).optional(),
  /** Node the job runs on (`node`), `proxmox.nodeName` when stated (rules/backups.ts). Unstated: no `node` line (every node). */
  node: nodeNameSchema.optional(),
});

/** `neve-infra:backups`: vzdump jobs keyed by job id. */
export const backupsSchema = z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "backup job ids are lowercase letters, digits and -" }), backupJobSchema);

/** Parsed backup job. */
export type BackupJobConfig = z.infer<typeof backupJobSchema>;

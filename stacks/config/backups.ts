import { z } from "zod";
import { calendarEventProblem } from "../common/predicates";
import { nodeNameSchema, refineWith } from "./common";

/** One vzdump backup job. */
export const backupJobSchema = z.strictObject({
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
  /** Keep the last N backups of each guest. */
  keepLast: z.number().int().min(1, { error: "keepLast must be at least 1" }),
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

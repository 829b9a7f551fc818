import * as pulumi from "@pulumi/pulumi";
import type { NeveModel } from "../../config";
import { pruneBackupsOf } from "../../config/backups";
import type { CoverageTable } from "./coverage";
import { type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

const NOT_IN_STACK = "not part of the stack vocabulary: ignored so the first `up` never resets a live value";

/** Job inputs outside the stack vocabulary, never changed by the program (docs/discover.md). */
export const JOB_IGNORE_CHANGES: readonly string[] = [
  "all",
  "bwlimit",
  "excludePaths",
  "excludes",
  "fleecing",
  "ionice",
  "lockwait",
  "mailnotification",
  "mailtos",
  "maxfiles",
  "pbsChangeDetectionMode",
  "performance",
  "pigz",
  "pool",
  "protected",
  "remove",
  "repeatMissed",
  "script",
  "starttime",
  "stdexcludes",
  "stopwait",
  "tmpdir",
  "zstd",
];

/** How each optional input of `proxmoxve.backup.Job` is covered (no defaults documented: all are listed). */
export const JOB_INPUT_COVERAGE: CoverageTable = {
  ...Object.fromEntries(JOB_IGNORE_CHANGES.map((k) => [k, { ignored: k === "script" ? "a hook script path is root@pam-only" : NOT_IN_STACK }])),
  compress: { stack: "compress" },
  enabled: { stack: "enabled" },
  mode: { stack: "mode" },
  node: { stack: "node" },
  notesTemplate: { stack: "notesTemplate" },
  pruneBackups: { stack: "keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly" },
  vmids: { stack: "guests" },
};

/** The notes template a job declares: `notesTemplate` verbatim, else built from `comment`, else none. */
export function notesTemplateOf(j: { readonly notesTemplate?: string; readonly comment?: string }): string | undefined {
  if (j.notesTemplate !== undefined) return j.notesTemplate;
  return j.comment ? `{{guestname}}: ${j.comment}` : undefined;
}

/** Arguments of {@link BackupJobs}. */
export interface BackupJobsArgs {
  /** The validated model (its `backups`). */
  readonly model: NeveModel;
  /** Provider, node and live objects. */
  readonly ctx: ProxmoxContext;
}

/** vzdump backup jobs (cluster jobs, /etc/pve/jobs.cfg). Children: `${name}-<job id>`. */
export class BackupJobs extends pulumi.ComponentResource {
  /** Job resources by job id. */
  public readonly jobs: Record<string, proxmoxve.backup.Job>;

  constructor(name: string, args: BackupJobsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:backups:BackupJobs", name, {}, opts);
    const { model, ctx } = args;
    this.jobs = {};
    for (const j of model.backups) {
      this.jobs[j.id] = new proxmoxve.backup.Job(
        `${name}-${j.id}`,
        {
          resourceId: j.existingId ?? j.id,
          // Unstated: no `node` line (every node), never a guessed one.
          node: j.node,
          schedule: j.schedule,
          storage: j.storage,
          vmids: j.vmids.map(String),
          mode: j.mode,
          compress: j.compress,
          enabled: j.enabled,
          pruneBackups: pruneBackupsOf(j),
          notesTemplate: notesTemplateOf(j),
        },
        // Only jobs that exist on the host (existingId, listed in adoption.live.jobs) are imported; the others are created.
        proxmoxResourceOptions(this, ctx, {
          importId: j.existingId,
          object: j.existingId ? { kind: "job", id: j.existingId } : undefined,
          ignoreChanges: JOB_IGNORE_CHANGES,
        }),
      );
    }
    this.registerOutputs({ jobIds: Object.keys(this.jobs) });
  }
}

import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { NeveModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/** Arguments of {@link BackupJobs}. */
export interface BackupJobsArgs {
  /** The validated model (its `backups`). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
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
          node: ctx.nodeName,
          schedule: j.schedule,
          storage: j.storage,
          vmids: j.vmids.map(String),
          mode: j.mode,
          compress: j.compress,
          enabled: j.enabled,
          pruneBackups: { "keep-last": String(j.keepLast) },
          notesTemplate: j.comment ? `{{guestname}}: ${j.comment}` : "{{guestname}}",
        },
        // Only jobs that exist on the host (existingId, listed in adoption.live.jobs) are imported; the others are created.
        proxmoxResourceOptions(this, ctx, { importId: j.existingId, object: j.existingId ? { kind: "job", id: j.existingId } : undefined }),
      );
    }
    this.registerOutputs({ jobIds: Object.keys(this.jobs) });
  }
}

import type { ConfigIssue } from "./errors";
import { rootOnlyFeatures } from "./guests";
import type { StackConfig } from "./schema";

/**
 * A guest the program would CREATE may not declare what only root@pam itself can set: a VM's `args`
 * (qemu-server) and restricted container features (pve-container check_ct_modify_config_perm). The
 * API token the program uses is refused there, so the creation would fail halfway. Existing guests
 * (in `adoption.live.guests`) keep them: recorded, compared by discover --check, ignored by the
 * resources. Without a discover record nothing tells a new guest from an existing one, so the rule
 * applies once discover has run. A guest this program created is never added to `adoption.live`
 * (importing it would delete it, docs/adopting.md §3), so the rule keeps applying to it: rightly, as
 * the API token could not set those fields on it either.
 */
export function rootOnlyIssues(c: StackConfig): ConfigIssue[] {
  const live = c.adoption.live;
  if (!live) return [];
  const liveIds = new Set(live.guests);
  const exists = (vmid: number) => liveIds.has(vmid);
  const issues: ConfigIssue[] = [];
  for (const [name, g] of Object.entries(c.guests)) {
    if (exists(g.vmid)) continue;
    if (g.kind === "vm" && g.args !== undefined) {
      issues.push({
        path: `guests.${name}.args`,
        message: `${name} (${g.vmid}) does not exist on the host yet and only root@pam itself may set args (the API token cannot); remove args, create the VM, then set them as root on the host (qm set ${g.vmid} --args ...)`,
      });
    }
    if (g.kind === "ct") {
      for (const f of rootOnlyFeatures(g.unprivileged)) {
        const v = g.features[f];
        if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) continue;
        issues.push({
          path: `guests.${name}.features.${f}`,
          message: `${name} (${g.vmid}) does not exist on the host yet and only root@pam itself may set the ${f} feature of ${g.unprivileged ? "an unprivileged" : "a privileged"} container (the API token cannot); remove it, create the container, then set it as root on the host (pct set ${g.vmid} --features ...)`,
        });
      }
    }
  }
  return issues;
}

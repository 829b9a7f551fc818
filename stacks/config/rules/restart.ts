import { needsRestart } from "../restart";
import type { SectionRules } from "./types";

/**
 * An acknowledged field (adoption.acknowledge: the operator wants the `up` to apply the declared
 * value) that needs a restart of a running guest (stacks/config/restart.ts) is refused unless the
 * guest says `restartOnUpdate: true`: an `up` never restarts a running guest the stack file does not
 * allow it to (issue 12). For a container bpg reboots after such a change with no way to turn it off;
 * for a VM the program sends `rebootAfterUpdate: false`, so bpg would fail the update or leave it pending.
 */
export const restartRules: SectionRules = (c, add) => {
  for (const path of c.adoption.acknowledge) {
    const m = /^guests\.([^.]+)\.(.+)$/.exec(path);
    const g = m ? c.guests[m[1]] : undefined;
    if (!m || !g || g.template || !g.running || g.restartOnUpdate) continue;
    if (!needsRestart(g.kind, m[2])) continue;
    const what = g.kind === "vm" ? "VM" : "container";
    add(
      `guests.${m[1]}.restartOnUpdate`,
      `${path} is acknowledged (adoption.acknowledge), so the up applies it, and changing ${m[2]} restarts the running ${what} ` +
        `(stacks/config/restart.ts); set guests.${m[1]}.restartOnUpdate: true to allow that restart, or take ${path} out of adoption.acknowledge ` +
        "and run npm run discover -- --write to keep the live value",
    );
  }
};

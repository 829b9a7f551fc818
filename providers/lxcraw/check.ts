import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { beginCheck, CONNECTION_DEFAULTS } from "../common/connection";
import { DEFAULT_STASH_DIR, pathProblem } from "../common/paths";
import { isUnknown, UNKNOWN } from "../common/unknown";
import { canonicalRawLxcLine, isRawLxcLine, rawLxcLineProblem } from "./format";
import type { LxcRawConfigInputs, LxcRawOnDelete } from "./types";

/** Defaults of optional inputs, one place. */
export const LXC_RAW_DEFAULTS = {
  port: CONNECTION_DEFAULTS.port,
  username: CONNECTION_DEFAULTS.username,
  stashDir: DEFAULT_STASH_DIR,
  onDelete: "keep" as LxcRawOnDelete,
};

/** Why a raw line is refused, or null: the one raw lxc line rule (providers/lxcraw/format). */
export const rawLineProblem = rawLxcLineProblem;

/**
 * Validate raw inputs and apply defaults. Every failure names its property path and how to fix it;
 * no failure ever quotes the private key.
 */
export function checkLxcRawConfig(raw: Record<string, unknown>): { inputs: LxcRawConfigInputs; failures: CheckFailure[] } {
  const { r, failures, fail, connection } = beginCheck(raw);

  const vmid = r.vmid;
  if (!isUnknown(vmid) && !(Number.isInteger(vmid) && (vmid as number) >= 100 && (vmid as number) <= 999999999)) {
    fail("vmid", `must be the container's Proxmox id, an integer 100-999999999 (e.g. 201), got ${JSON.stringify(vmid)}`);
  }

  const rawLines = r.rawLines;
  if (!isUnknown(rawLines)) {
    if (!Array.isArray(rawLines)) {
      fail("rawLines", 'must be a list of "lxc.<key>: <value>" lines (it may be empty: then the main section has no raw lines)');
    } else {
      rawLines.forEach((line, i) => {
        if (isUnknown(line)) return;
        const p = rawLineProblem(line);
        if (p) fail(`rawLines[${i}]`, p);
      });
    }
  }

  const stashDir = r.stashDir === undefined || r.stashDir === null ? LXC_RAW_DEFAULTS.stashDir : r.stashDir;
  if (!isUnknown(stashDir)) {
    const p = pathProblem(stashDir);
    if (p) fail("stashDir", p);
    else if (`${stashDir as string}/`.startsWith("/etc/pve/")) {
      fail(
        "stashDir",
        `${JSON.stringify(stashDir)} lies inside /etc/pve (the cluster file system, replicated and size-limited); keep the stash outside, e.g. "/root/etc-pve.stash"`,
      );
    }
  }
  const onDelete = r.onDelete === undefined || r.onDelete === null ? LXC_RAW_DEFAULTS.onDelete : r.onDelete;
  if (!isUnknown(onDelete) && !["keep", "remove"].includes(onDelete as string)) {
    fail("onDelete", `must be "keep" or "remove", got ${JSON.stringify(onDelete)}`);
  }

  // Lines as Proxmox writes them back ("lxc.key = v" becomes "lxc.key: v"), so what the state records
  // compares equal to what a read finds in the file. A whole value unknown in a preview stays unknown.
  const inputs = {
    connection,
    vmid,
    rawLines: Array.isArray(rawLines) ? rawLines.map((l) => (l !== UNKNOWN && isRawLxcLine(l) ? canonicalRawLxcLine(l) : l)) : rawLines,
    stashDir,
    onDelete,
  } as LxcRawConfigInputs;
  return { inputs, failures };
}

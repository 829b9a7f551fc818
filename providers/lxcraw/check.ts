import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { checkConnection, CONNECTION_DEFAULTS } from "../common/connection";
import { isUnknown } from "../common/unknown";
import { DEFAULTS as HOST_DEFAULTS, pathProblem } from "../hostconfig/check";
import type { LxcRawConfigInputs, LxcRawOnDelete } from "./types";

/** Defaults of optional inputs, one place. */
export const LXC_RAW_DEFAULTS = {
  port: CONNECTION_DEFAULTS.port,
  username: CONNECTION_DEFAULTS.username,
  stashDir: HOST_DEFAULTS.stashDir,
  onDelete: "keep" as LxcRawOnDelete,
};

// Same shape renderLxcRawConfig accepts: "lxc.<key>: <value>", one line.
const RAW_LINE_RE = /^lxc\.[a-z0-9][a-z0-9_.-]*: \S.*$/;

/** Why a raw line is refused, or null. */
export function rawLineProblem(line: unknown): string | null {
  if (typeof line !== "string") return `must be a string "lxc.<key>: <value>", got ${JSON.stringify(line)}`;
  if (/[\r\n]/.test(line)) {
    return `${JSON.stringify(line)} contains a line break (it would smuggle another key into the config); give one "lxc.<key>: <value>" per entry`;
  }
  if (!line.startsWith("lxc.")) {
    return `${JSON.stringify(line)} does not start with "lxc."; only raw LXC keys belong here, set Proxmox keys (features, memory, ...) on the container resource`;
  }
  if (!line.includes(": ")) return `${JSON.stringify(line)} has no ": " separator; write "lxc.<key>: <value>", e.g. "lxc.apparmor.profile: unconfined"`;
  if (!RAW_LINE_RE.test(line)) {
    return `${JSON.stringify(line)} is not a raw LXC line; write "lxc.<key>: <value>" with a lower-case key and a non-empty value, e.g. "lxc.apparmor.profile: unconfined"`;
  }
  return null;
}

/**
 * Validate raw inputs and apply defaults. Every failure names its property path and how to fix it;
 * no failure ever quotes the private key.
 */
export function checkLxcRawConfig(raw: Record<string, unknown>): { inputs: LxcRawConfigInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const r = raw ?? {};

  const connection = checkConnection(r.connection, fail);

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
    else if (((stashDir as string) + "/").startsWith("/etc/pve/")) {
      fail("stashDir", `${JSON.stringify(stashDir)} lies inside /etc/pve (the cluster file system, replicated and size-limited); keep the stash outside, e.g. "/root/etc-pve.stash"`);
    }
  }
  const onDelete = r.onDelete === undefined || r.onDelete === null ? LXC_RAW_DEFAULTS.onDelete : r.onDelete;
  if (!isUnknown(onDelete) && !["keep", "remove"].includes(onDelete as string)) {
    fail("onDelete", `must be "keep" or "remove", got ${JSON.stringify(onDelete)}`);
  }

  // A whole value unknown in a preview stays unknown: the engine must not see a made-up [] or {}.
  const inputs = {
    connection,
    vmid,
    rawLines,
    stashDir,
    onDelete,
  } as LxcRawConfigInputs;
  return { inputs, failures };
}

import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { DEFAULTS as HOST_DEFAULTS, pathProblem, UNKNOWN } from "../hostconfig/check";
import { parseHostKeyPin } from "../ssh/hostkey";
import type { LxcRawConfigInputs, LxcRawOnDelete } from "./types";

/** Defaults of optional inputs, one place. */
export const LXC_RAW_DEFAULTS = {
  port: HOST_DEFAULTS.port,
  username: HOST_DEFAULTS.username,
  stashDir: HOST_DEFAULTS.stashDir,
  onDelete: "keep" as LxcRawOnDelete,
};

const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
// Same shape renderLxcRawConfig accepts: "lxc.<key>: <value>", one line.
const RAW_LINE_RE = /^lxc\.[a-z0-9][a-z0-9_.-]*: \S.*$/;

function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

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

  // A connection wholly unknown in a preview has nothing to check yet.
  const c = (isUnknown(r.connection) ? { host: UNKNOWN, hostKey: UNKNOWN } : (r.connection ?? {})) as Record<string, unknown>;
  if (!isUnknown(r.connection) && (typeof r.connection !== "object" || r.connection === null)) {
    fail("connection", "is required: { host, hostKey, port?, username?, privateKey? }");
  }
  const host = c.host;
  if (!isUnknown(host) && (typeof host !== "string" || host.trim() === "" || /[\s/@]/.test(host))) {
    fail("connection.host", "must be a host name or IP address (no spaces, '/' or '@')");
  }
  const port = c.port === undefined || c.port === null ? LXC_RAW_DEFAULTS.port : c.port;
  if (!isUnknown(port) && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535)) {
    fail("connection.port", `must be an integer 1-65535, got ${JSON.stringify(port)}`);
  }
  const username = c.username === undefined || c.username === null ? LXC_RAW_DEFAULTS.username : c.username;
  if (!isUnknown(username) && (typeof username !== "string" || !USER_RE.test(username))) {
    fail("connection.username", `must be a user name such as "root", got ${JSON.stringify(username)}`);
  }
  const hostKey = c.hostKey;
  if (!isUnknown(hostKey)) {
    if (typeof hostKey !== "string" || hostKey.trim() === "") {
      fail(
        "connection.hostKey",
        'is required (no trust on first use): give "SHA256:..." from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host, or that .pub line',
      );
    } else {
      try {
        parseHostKeyPin(hostKey);
      } catch (e) {
        fail("connection.hostKey", (e as Error).message);
      }
    }
  }
  const privateKey = c.privateKey === undefined ? null : c.privateKey;
  if (privateKey !== null && !isUnknown(privateKey)) {
    if (typeof privateKey !== "string" || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
      // Never quote the value: it is a secret.
      fail("connection.privateKey", "must be the text of a private key (-----BEGIN ... PRIVATE KEY-----), set as a Pulumi secret; omit it to use the ssh-agent");
    }
  }

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
    connection: isUnknown(r.connection) ? UNKNOWN : { host, port, username, hostKey, privateKey },
    vmid,
    rawLines,
    stashDir,
    onDelete,
  } as LxcRawConfigInputs;
  return { inputs, failures };
}

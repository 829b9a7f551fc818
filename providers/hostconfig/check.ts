import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { beginCheck, CONNECTION_DEFAULTS, USER_RE } from "../common/connection";
import { DEFAULT_STASH_DIR, pathProblem } from "../common/paths";
import { isUnknown, UNKNOWN } from "../common/unknown";
import { CONFIRM_WINDOW } from "../ssh/timeouts";
import { MAX_FILES } from "./script";
import type { AccessCritical, HostConfigInputs, OnDelete } from "./types";

/** The preview placeholder (providers/common/unknown) and the path rule (providers/common/paths), re-exported for existing importers. */
export { pathProblem, UNKNOWN };

/** Defaults of optional inputs, one place. */
export const DEFAULTS = {
  port: CONNECTION_DEFAULTS.port,
  username: CONNECTION_DEFAULTS.username,
  mode: "0644",
  owner: "root",
  group: "root",
  stashDir: DEFAULT_STASH_DIR,
  stashKeep: 10,
  onDelete: "keep" as OnDelete,
  confirmSeconds: CONFIRM_WINDOW.defaultSeconds,
};

/**
 * A live file's content hash as the adoption guard takes it (`files[].acceptLive`) and the stack file records
 * it (`neve-infra:adoption.files`): `sha256:<64 lowercase hex>`.
 */
export const LIVE_HASH_RE = /^sha256:[0-9a-f]{64}$/;

const SERVICE_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const MODE_RE = /^0?[0-7]{3}$|^[0-7]{4}$/;
/**
 * Validate raw inputs and apply defaults. Every failure names its property path and how to fix it;
 * no failure ever quotes a secret (private key, file content).
 */
export function checkHostConfig(raw: Record<string, unknown>): { inputs: HostConfigInputs; failures: CheckFailure[] } {
  const { r, failures, fail, connection } = beginCheck(raw);

  const service = r.service;
  if (!isUnknown(service) && (typeof service !== "string" || !SERVICE_RE.test(service))) {
    fail(
      "service",
      `must be a short name such as "haproxy" (letters, digits, . _ @ -; it becomes part of the id and of the stash path), got ${JSON.stringify(service)}`,
    );
  }

  const files = Array.isArray(r.files) ? (r.files as unknown[]) : [];
  if (!isUnknown(r.files) && (!Array.isArray(r.files) || r.files.length === 0)) fail("files", "must list at least one file { path, content }");
  if (files.length > MAX_FILES) {
    fail(
      "files",
      `lists ${files.length} files, at most ${MAX_FILES} are allowed (a push holds one lock per file on the host); split the service into several resources`,
    );
  }
  const stashDir = r.stashDir === undefined || r.stashDir === null ? DEFAULTS.stashDir : r.stashDir;
  const seen = new Map<string, number>();
  const outFiles = files.map((raw, i) => {
    const f = (raw ?? {}) as Record<string, unknown>;
    const at = `files[${i}]`;
    if (!isUnknown(f.path)) {
      const p = pathProblem(f.path);
      if (p) fail(`${at}.path`, p);
      else {
        const prev = seen.get(f.path as string);
        if (prev !== undefined) fail(`${at}.path`, `${JSON.stringify(f.path)} is already declared as files[${prev}].path; declare each file once`);
        else seen.set(f.path as string, i);
        if (typeof stashDir === "string" && `${f.path as string}/`.startsWith(`${stashDir.replace(/\/+$/, "")}/`)) {
          fail(`${at}.path`, `${JSON.stringify(f.path)} lies inside stashDir ${stashDir}; manage files outside the stash`);
        }
      }
    }
    if (!isUnknown(f.content) && typeof f.content !== "string") fail(`${at}.content`, "must be a string (the rendered file)");
    const mode = f.mode === undefined || f.mode === null ? DEFAULTS.mode : f.mode;
    if (!isUnknown(mode) && (typeof mode !== "string" || !MODE_RE.test(mode))) {
      fail(`${at}.mode`, `must be an octal string such as "0644" or "0600", got ${JSON.stringify(mode)}`);
    }
    const owner = f.owner === undefined || f.owner === null ? DEFAULTS.owner : f.owner;
    if (!isUnknown(owner) && (typeof owner !== "string" || !USER_RE.test(owner))) {
      fail(`${at}.owner`, `must be a user name such as "root" (lower case, digits, _ -), got ${JSON.stringify(owner)}`);
    }
    const group = f.group === undefined || f.group === null ? DEFAULTS.group : f.group;
    if (!isUnknown(group) && (typeof group !== "string" || !USER_RE.test(group))) {
      fail(`${at}.group`, `must be a group name such as "root" (lower case, digits, _ -), got ${JSON.stringify(group)}`);
    }
    const secret = f.secret === undefined || f.secret === null ? false : f.secret;
    if (!isUnknown(secret) && typeof secret !== "boolean") fail(`${at}.secret`, "must be true or false");
    const acceptLive = f.acceptLive === undefined || f.acceptLive === null ? [] : f.acceptLive;
    if (!isUnknown(acceptLive)) {
      if (!Array.isArray(acceptLive)) fail(`${at}.acceptLive`, "must be a list of sha256:<64 hex> hashes of live contents the first push may replace");
      else
        acceptLive.forEach((h, k) => {
          if (!isUnknown(h) && (typeof h !== "string" || !LIVE_HASH_RE.test(h))) {
            fail(`${at}.acceptLive[${k}]`, `must be sha256:<64 lowercase hex digits> of a live content (sha256sum < FILE), got ${JSON.stringify(h)}`);
          }
        });
    }
    const normMode = typeof mode === "string" && MODE_RE.test(mode) ? mode.padStart(4, "0") : mode;
    return { path: f.path, content: f.content, mode: normMode, owner, group, secret, acceptLive };
  });

  const validate = r.validate === undefined || r.validate === null ? [] : r.validate;
  if (!isUnknown(validate)) {
    if (!Array.isArray(validate)) fail("validate", "must be a list of commands");
    else {
      validate.forEach((v, i) => {
        if (isUnknown(v)) return;
        if (typeof v !== "string" || v.trim() === "") {
          fail(`validate[${i}]`, 'must be a non-empty command such as "haproxy -c -f {staged}"; remove the entry instead');
          return;
        }
        for (const m of v.matchAll(/\{staged(?::([^}]*))?\}/g)) {
          if (m[1] === undefined) {
            if (files.length !== 1)
              fail(`validate[${i}]`, `{staged} is only allowed with exactly one file; write {staged:/abs/path} to name one of the ${files.length} files`);
          } else if (!outFiles.some((f) => f.path === m[1])) {
            fail(`validate[${i}]`, `{staged:${m[1]}} names no file of this resource; use one of: ${outFiles.map((f) => f.path).join(", ")}`);
          }
        }
      });
    }
  }
  const optionalCommand = (name: "activate" | "healthCheck") => {
    const v = r[name];
    if (v === undefined || v === null) return null;
    if (!isUnknown(v) && (typeof v !== "string" || v.trim() === "")) {
      fail(name, "must be a non-empty command; omit it to skip this step");
    }
    return v as string;
  };
  const activate = optionalCommand("activate");
  const healthCheck = optionalCommand("healthCheck");

  if (!isUnknown(stashDir)) {
    const p = pathProblem(stashDir);
    if (p) fail("stashDir", p);
  }
  const stashKeep = r.stashKeep === undefined || r.stashKeep === null ? DEFAULTS.stashKeep : r.stashKeep;
  if (!isUnknown(stashKeep) && !(Number.isInteger(stashKeep) && (stashKeep as number) >= 1 && (stashKeep as number) <= 1000)) {
    fail("stashKeep", `must be an integer 1-1000 (how many previous versions to keep), got ${JSON.stringify(stashKeep)}`);
  }
  const onDelete = r.onDelete === undefined || r.onDelete === null ? DEFAULTS.onDelete : r.onDelete;
  if (!isUnknown(onDelete) && !["keep", "remove", "restore"].includes(onDelete as string)) {
    fail("onDelete", `must be "keep", "remove" or "restore", got ${JSON.stringify(onDelete)}`);
  }
  let accessCritical: AccessCritical | null = null;
  if (isUnknown(r.accessCritical)) {
    accessCritical = UNKNOWN as unknown as AccessCritical;
  } else if (r.accessCritical !== undefined && r.accessCritical !== null && r.accessCritical !== false) {
    const a = (r.accessCritical === true ? {} : r.accessCritical) as Record<string, unknown>;
    const n = a.confirmSeconds === undefined || a.confirmSeconds === null ? DEFAULTS.confirmSeconds : a.confirmSeconds;
    const { minSeconds: lo, maxSeconds: hi } = CONFIRM_WINDOW;
    if (!isUnknown(n) && !(Number.isInteger(n) && (n as number) >= lo && (n as number) <= hi)) {
      fail("accessCritical.confirmSeconds", `must be an integer ${lo}-${hi} (seconds before the host restores itself), got ${JSON.stringify(n)}`);
    }
    let api: AccessCritical["api"] = null;
    if (isUnknown(a.api)) api = UNKNOWN as unknown as AccessCritical["api"];
    else if (a.api !== undefined && a.api !== null) {
      const x = a.api as Record<string, unknown>;
      if (!isUnknown(x.host) && (typeof x.host !== "string" || !/^[A-Za-z0-9.:_-]{1,253}$/.test(x.host))) {
        fail("accessCritical.api.host", `must be the API's host name or address as the operator reaches it (e.g. "neve"), got ${JSON.stringify(x.host)}`);
      }
      if (!isUnknown(x.port) && !(Number.isInteger(x.port) && (x.port as number) >= 1 && (x.port as number) <= 65535)) {
        fail("accessCritical.api.port", `must be a TCP port 1-65535 (Proxmox: 8006), got ${JSON.stringify(x.port)}`);
      }
      api = { host: x.host as string, port: x.port as number };
    }
    accessCritical = { confirmSeconds: n as number, api };
  }

  // A whole value unknown in a preview stays unknown: the engine must not see a made-up [] or {}.
  const inputs = {
    connection,
    service,
    files: isUnknown(r.files) ? UNKNOWN : outFiles,
    validate,
    activate,
    healthCheck,
    stashDir,
    stashKeep,
    onDelete,
    accessCritical,
  } as HostConfigInputs;
  return { inputs, failures };
}

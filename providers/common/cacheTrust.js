// @ts-check
/**
 * The one rule for trusting a file of an on-disk cache of code, shared by the serialized-provider
 * cache (providers/common/providerCache.ts), the transpile cache (scripts/lib/transpile.js) and the
 * directory of Node's compile cache (scripts/register.js). Program side only: never part of a
 * provider's closure. Plain JavaScript, because the transpile cache needs it before any TypeScript
 * can run; its types are in cacheTrust.d.ts.
 *
 * What it can promise, and what not (docs/provider-cache.md has the reasoning): a cache is held to
 * the standard of the code it stands for. Only the current user (or root) may have written it: the
 * directory and each entry are owned by them, writable by no group and no other user, and not
 * symbolic links (lstat for the directory; an entry is opened with O_NOFOLLOW and checked on the
 * open descriptor, so it cannot be swapped between the check and the read). The content hash
 * that each cache stores in its entries finds an entry that was cut short or damaged. None of this
 * stops the same user: a process running as them can write node_modules/@pulumi/pulumi (which runs
 * in every preview and up) as easily as a cache entry, and any key for a MAC would have to be
 * readable by them. Where a cache's text would run with the stack's secrets at hand and a fresh
 * computation is affordable (the `__provider` of a preview), the cache is not read at all.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");

/**
 * Why the owner or mode of `st` is not trusted, or undefined when it is. Always trusted where POSIX
 * ownership does not exist (Windows).
 * @param {fs.Stats} st
 * @returns {string | undefined}
 */
function ownerProblem(st) {
  if (typeof process.getuid !== "function") return undefined;
  const uid = process.getuid();
  if (st.uid !== uid && st.uid !== 0) return `is owned by uid ${st.uid}, not by this user (uid ${uid}) or root`;
  if ((st.mode & 0o022) !== 0) return `is writable by its group or by others (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); fix it with chmod go-w`;
  return undefined;
}

/**
 * Whether `dir` may hold a trusted cache: `{ ok: true }`, `{ ok: false, absent: true }` when it does not
 * exist (yet), or `{ ok: false, why }`.
 * @param {string} dir
 * @returns {{ ok: true } | { ok: false, absent: true } | { ok: false, absent?: false, why: string }}
 */
function cacheDirTrust(dir) {
  let st;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return { ok: false, absent: true };
    return { ok: false, why: `cannot be examined (${/** @type {NodeJS.ErrnoException} */ (e).code ?? String(e)})` };
  }
  if (st.isSymbolicLink()) return { ok: false, why: "is a symbolic link; a cache directory must be a real directory" };
  if (!st.isDirectory()) return { ok: false, why: "is not a directory" };
  const problem = ownerProblem(st);
  return problem === undefined ? { ok: true } : { ok: false, why: problem };
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/**
 * The text of a cache entry: `{ text }`, `{ absent: true }` when there is none, or `{ why }` when the
 * file is there but not trusted (a symbolic link, not a regular file, another owner, writable by
 * others). The checks are made on the open file, so what is read is what was checked.
 * @param {string} file
 * @returns {{ text: string } | { absent: true } | { why: string }}
 */
function readTrustedEntry(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code === "ENOENT") return { absent: true };
    if (code === "ELOOP") return { why: "is a symbolic link; a cache entry must be a regular file" };
    return { why: `cannot be read (${code ?? String(e)})` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { why: "is not a regular file" };
    const problem = ownerProblem(st);
    if (problem !== undefined) return { why: problem };
    return { text: fs.readFileSync(fd, "utf8") };
  } catch (e) {
    return { why: `cannot be read (${/** @type {NodeJS.ErrnoException} */ (e).code ?? String(e)})` };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * sha256 of a string, hex: the content hash each cache keeps beside an entry's text.
 * @param {string} s
 */
function sha256(s) {
  return crypto.createHash("sha256").update(s).digest("hex");
}

/** Lines already printed, so that one cause is said once per process. */
const said = new Set();

/**
 * Say on stderr, once per process and line, that a cache was bypassed and why: `neve-infra: <cache>
 * bypassed: <path> <why>; <what happens instead>`. Never throws.
 * @param {string} cache e.g. "serialized-provider cache"
 * @param {string} where the directory or entry
 * @param {string} why
 * @param {string} instead e.g. "serializing afresh"
 */
function reportBypass(cache, where, why, instead) {
  const line = `neve-infra: ${cache} bypassed: ${where} ${why}; ${instead}\n`;
  if (said.has(line)) return;
  said.add(line);
  try {
    process.stderr.write(line);
  } catch {
    // Nowhere to say it: the run goes on without the cache all the same.
  }
}

module.exports = { cacheDirTrust, readTrustedEntry, reportBypass, sha256 };

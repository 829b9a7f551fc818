// @ts-check
/**
 * The one TypeScript transpile of this project, shared by `npm run plan` (scripts/register.js),
 * `pulumi preview`/`up` (Pulumi.yaml `main: stacks/neve/main.js`, which loads scripts/register.js) and jest
 * (scripts/lib/jestTransform.js), so the program's code, and with it every serialized dynamic
 * provider (`__provider`), is the same text on all three paths.
 *
 * It is `ts.transpileModule` with tsconfig.json's compilerOptions: the same call ts-node makes with
 * `--transpile-only` (ts-node 10 `createTranspileOnlyGetOutputFunction`); tests/unit/cmd-run.test.ts
 * checks that `__provider` is the same text as under Pulumi's own `typescript: true` (ts-node). What changes is the cost: the result is kept
 * under node_modules/.cache/neve-ts, keyed by the source, the file name, tsconfig.json and the
 * TypeScript version, so the compiler is loaded only when a file changed. Plain JavaScript so that it
 * runs before anything can transpile. No type checking here: `npm run typecheck` does that.
 *
 * The entries are the code every run executes, so they are trusted under the same rule as the
 * serialized-provider cache (providers/common/cacheTrust.js): the directory and each entry this
 * user's or root's, writable by no one else, no symbolic links, and an entry's sha256 matching its
 * code and map; anything else is transpiled afresh, with one line on stderr saying why. Like
 * node_modules, this cannot stop a same-user edit (docs/provider-cache.md); `NEVE_TRANSPILE_CACHE=off`
 * transpiles every file on every run.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { cacheDirTrust, readTrustedEntry, reportBypass, sha256 } = require("../../providers/common/cacheTrust");

/** Bump when the transpile below or the entry format changes in a way the cache key cannot see. */
const TRANSPILER_VERSION = "2";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TSCONFIG = path.join(REPO_ROOT, "tsconfig.json");
// NEVE_TRANSPILE_CACHE moves the cache (bench/plan.ts points it at an empty directory for a cold run); `off` turns it off.
const CACHE_OFF = process.env.NEVE_TRANSPILE_CACHE === "off";
const CACHE_DIR = CACHE_OFF ? undefined : path.resolve(process.env.NEVE_TRANSPILE_CACHE || path.join(REPO_ROOT, "node_modules", ".cache", "neve-ts"));
const CACHE = "transpile cache";
const INSTEAD = "transpiling afresh (NEVE_TRANSPILE_CACHE=off turns the cache off)";

/** Whether CACHE_DIR may be used, decided once per process (after a refusal, said once, nothing is read or written). */
/** @type {boolean | undefined} */
let dirUsable;
function cacheDirUsable() {
  if (CACHE_DIR === undefined) return false;
  if (dirUsable === undefined) {
    const t = cacheDirTrust(CACHE_DIR);
    if (t.ok) dirUsable = true;
    else if (t.absent)
      return false; // Created by the first write.
    else {
      reportBypass(CACHE, CACHE_DIR, t.why, INSTEAD);
      dirUsable = false;
    }
  }
  return dirUsable;
}

/**
 * A cache entry's code and map, or undefined (absent, or refused with a line on stderr).
 * @param {string} file
 * @param {string} key
 * @returns {{ code: string, map: string } | undefined}
 */
function readEntry(file, key) {
  const read = readTrustedEntry(file);
  if ("absent" in read) return undefined;
  if ("why" in read) {
    reportBypass(CACHE, file, read.why, INSTEAD);
    return undefined;
  }
  /** @type {any} */
  let e;
  try {
    e = JSON.parse(read.text);
  } catch {
    e = undefined;
  }
  if (e?.key !== key || typeof e.code !== "string" || typeof e.map !== "string" || e.sha256 !== entryHash(e.code, e.map)) {
    reportBypass(CACHE, file, "is damaged (not JSON, another key, or code and map that do not match their sha256)", INSTEAD);
    return undefined;
  }
  return { code: e.code, map: e.map };
}

/**
 * The content hash of an entry.
 * @param {string} code
 * @param {string} map
 */
function entryHash(code, map) {
  return sha256(`${code}\0${map}`);
}

/** @type {string | undefined} */
let keyBase;
/** @type {any} */
let ts;
/** @type {any} */
let compilerOptions;

/** What every cache key starts with: transpiler version, TypeScript version and tsconfig.json. */
function cacheKeyBase() {
  if (keyBase === undefined) {
    const tsVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
    keyBase = `${TRANSPILER_VERSION}\0${tsVersion}\0${fs.readFileSync(TSCONFIG, "utf8")}`;
  }
  return keyBase;
}

/**
 * Cache key of one file's transpile.
 * @param {string} source
 * @param {string} filename
 */
function cacheKey(source, filename) {
  return crypto.createHash("sha256").update(cacheKeyBase()).update("\0").update(filename).update("\0").update(source).digest("hex");
}

/** tsconfig.json's compilerOptions, parsed by TypeScript itself (loaded on first use only). */
function options() {
  if (!compilerOptions) {
    ts = require("typescript");
    const read = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
    if (read.error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(read.error.messageText, "\n")}`);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, REPO_ROOT, undefined, TSCONFIG);
    // As ts-node: emit JavaScript plus a source map, never declarations or files on disk.
    compilerOptions = {
      ...parsed.options,
      sourceMap: true,
      inlineSourceMap: false,
      inlineSources: true,
      declaration: false,
      declarationMap: false,
      noEmit: false,
    };
    for (const k of ["out", "outFile", "outDir", "composite", "declarationDir", "emitDeclarationOnly", "tsBuildInfoFile", "incremental"])
      delete compilerOptions[k];
  }
  return compilerOptions;
}

/**
 * Transpile one TypeScript file to CommonJS, without the cache.
 * @param {string} source
 * @param {string} filename
 * @returns {{ code: string, map: string }}
 */
function transpileUncached(source, filename) {
  const opts = options();
  const r = ts.transpileModule(source, { fileName: filename, compilerOptions: opts, reportDiagnostics: false });
  // Drop the `//# sourceMappingURL=` line: callers attach the map themselves.
  const code = String(r.outputText).replace(/\n\/\/# sourceMappingURL=.*$/, "");
  return { code, map: String(r.sourceMapText) };
}

/**
 * Transpile one TypeScript file to CommonJS, through the on-disk cache.
 * @param {string} source
 * @param {string} filename
 * @returns {{ code: string, map: string }}
 */
function transpile(source, filename) {
  if (CACHE_DIR === undefined) return transpileUncached(source, filename);
  const key = cacheKey(source, filename);
  const file = path.join(CACHE_DIR, `${key}.json`);
  const hit = cacheDirUsable() ? readEntry(file, key) : undefined;
  if (hit) return hit;
  const result = transpileUncached(source, filename);
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    if (cacheDirUsable()) {
      fs.writeFileSync(tmp, JSON.stringify({ key, sha256: entryHash(result.code, result.map), ...result }), { mode: 0o600 });
      fs.renameSync(tmp, file);
    }
  } catch {
    // A read-only tree just means no cache.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // Nothing to clean up.
    }
  }
  return result;
}

/**
 * The code with its source map inline, for Node's own source-map support.
 * @param {{ code: string, map: string }} r
 */
function withInlineMap(r) {
  return `${r.code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(r.map).toString("base64")}\n`;
}

module.exports = { transpile, transpileUncached, withInlineMap, cacheKey, REPO_ROOT, CACHE_DIR };

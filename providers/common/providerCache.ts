import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDirTrust, readTrustedEntry, reportBypass, sha256 } from "./cacheTrust";

/**
 * The on-disk cache of serialized dynamic providers (`__provider`). Program side only: never
 * imported by a provider module.
 *
 * Why: every preview and plan serializes each dynamic provider with Pulumi's closure serializer,
 * which drives V8's inspector (`Debugger.enable` replays every script loaded so far, then one
 * round trip per function) and loads TypeScript to parse each function. That costs over a second
 * per run, more than the rest of the program. The text it produces depends on the code the provider
 * object reaches and on the values that code captures, so it is kept on disk under a key that
 * covers the code, and a later run with the same code reads it instead.
 *
 * What the key covers:
 * - every module file under providers/ (path and content; symbolic links followed): a provider
 *   module imports only providers/ and packages (tests/unit/imports.test.ts), and a package is
 *   serialized as `require("name")`;
 * - package-lock.json (every package version: @pulumi/pulumi's serializer, TypeScript, ...); without
 *   a lock file nothing is cached;
 * - how TypeScript becomes JavaScript: tsconfig.json, scripts/lib/transpile.js, and the variables
 *   Pulumi's own ts-node path reads (PULUMI_NODEJS_TSCONFIG_PATH, TS_NODE_COMPILER_OPTIONS);
 * - the Node version and architecture (V8 produces the function texts);
 * - the provider's own method texts as loaded (so instrumented code, e.g. jest's coverage, or
 *   another transpiler gets its own entries);
 * - which provider (its type token).
 * What it cannot see: a value a provider module captures that is not written in its source (a
 * module-level object changed at run time, an environment variable read at load). Such a change
 * makes the cached text stale.
 *
 * Who can change an entry: the cache trusts a directory and an entry only as providers/common/cacheTrust.js
 * says (this user's or root's, writable by no one else, no symbolic links), and an entry only when its
 * sha256 matches its text; each time it is bypassed for such a reason it says so on stderr, once.
 * That does not stop a same-user edit (text and hash changed together), and nothing in the process
 * could (docs/provider-cache.md). So providers/common/dynamicResource.ts reads the cache only in the
 * offline plan, where `__provider` is shown as its size and hash and never runs nor reaches a state:
 * a preview, whose provider host runs `__provider` with the stack's secrets at hand, and `pulumi up`
 * serialize afresh, and only write the cache. tests/unit/provider-cache.test.ts holds the cached text
 * to a fresh serialization.
 *
 * `NEVE_PROVIDER_CACHE`: unset or empty uses node_modules/.cache/neve-providers in the repo; `off`
 * turns the cache off (every run serializes); any other value is the cache directory (a relative
 * path is taken from the working directory).
 */

/** Bump when the entry format or the key's meaning changes. */
const KEY_VERSION = "neve-provider-cache/1";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Files outside providers/ that decide the serialized text, relative to the repo root. */
const KEY_FILES = ["package-lock.json", "tsconfig.json", "scripts/lib/transpile.js"] as const;

/** The cache directory, or undefined when the cache is off. */
export function providerCacheDir(env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): string | undefined {
  const v = env.NEVE_PROVIDER_CACHE;
  if (v === "off") return undefined;
  if (v) return path.resolve(v);
  // Unset or empty: the default.
  return path.join(root, "node_modules", ".cache", "neve-providers");
}

/** Extensions `require` loads: the files that can be provider code. */
const MODULE_FILE = /\.(ts|js|cjs|mjs|json)$/;

/** Every module file under `dir` (links followed, each real directory once), as sorted paths relative to `root`. */
function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (d: string) => {
    const real = fs.realpathSync(path.join(root, d));
    if (seen.has(real)) return;
    seen.add(real);
    for (const name of fs.readdirSync(real)) {
      const rel = path.posix.join(d, name);
      const st = fs.statSync(path.join(real, name));
      if (st.isDirectory()) walk(rel);
      else if (st.isFile() && MODULE_FILE.test(name)) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** Environment that changes how Pulumi's own TypeScript path (`typescript: true`) transpiles. */
const KEY_ENV = ["PULUMI_NODEJS_TSCONFIG_PATH", "TS_NODE_COMPILER_OPTIONS"] as const;

/** sha256 over the code side of the key (the same for every provider of one run), or undefined without a lock file. */
function codeDigest(root: string): string | undefined {
  if (!fs.existsSync(path.join(root, "package-lock.json"))) return undefined;
  const h = crypto.createHash("sha256");
  const add = (rel: string) => {
    let content: Buffer;
    try {
      content = fs.readFileSync(path.join(root, rel));
    } catch {
      content = Buffer.from("(absent)");
    }
    h.update(`${rel}\0${content.length}\0`).update(content);
  };
  for (const rel of KEY_FILES) add(rel);
  for (const rel of filesUnder(root, "providers")) add(rel);
  for (const name of KEY_ENV) h.update(`${name}=${process.env[name] ?? ""}\0`);
  return h.digest("hex");
}

const codeDigests = new Map<string, string | undefined>();

/**
 * The cache key of one provider object, or undefined when nothing may be cached (no lock file, or
 * the code could not be read, e.g. while a checkout changes files). `id` names the provider (its
 * type token); `root` is the repo (tests point it elsewhere).
 */
export function providerCacheKey(id: string, provider: object, root: string = REPO_ROOT): string | undefined {
  if (!codeDigests.has(root)) {
    let digest: string | undefined;
    try {
      digest = codeDigest(root);
    } catch {
      digest = undefined;
    }
    codeDigests.set(root, digest);
  }
  const code = codeDigests.get(root);
  if (code === undefined) return undefined;
  const h = crypto.createHash("sha256").update(`${KEY_VERSION}\0${id}\0${process.version}\0${process.arch}\0${code}\0`);
  for (const k of Object.keys(provider).sort()) {
    const v = (provider as Record<string, unknown>)[k];
    h.update(`${k}\0${typeof v === "function" ? Function.prototype.toString.call(v) : typeof v}\0`);
  }
  return h.digest("hex");
}

/** Forget the digests of the code (tests change files between calls). */
export function forgetProviderCodeDigests(): void {
  codeDigests.clear();
}

/** One cache entry on disk: the text and its sha256, so a cut-short or damaged file is never used. */
interface Entry {
  key: string;
  sha256: string;
  text: string;
}

const CACHE = "serialized-provider cache";
const INSTEAD = "serializing afresh (NEVE_PROVIDER_CACHE=off turns the cache off)";

/** Whether `dir` may be read and written; says why not on stderr (once) when it is there and refused. */
function usableDir(dir: string): boolean {
  const t = cacheDirTrust(dir);
  if (!t.ok && !t.absent) reportBypass(CACHE, dir, t.why, INSTEAD);
  return t.ok;
}

/**
 * Say on stderr (once) that no key could be made, so nothing is read or written: no package-lock.json,
 * or the code could not be read (a checkout changing files).
 */
export function reportNoProviderCacheKey(root: string = REPO_ROOT): void {
  reportBypass(CACHE, path.join(root, "package-lock.json"), "is missing or the code under providers/ could not be read, so no cache key", INSTEAD);
}

/**
 * The cached text for `key`, or undefined: missing, or refused (a directory or entry that is not
 * this user's alone or is a symbolic link, an unreadable or damaged entry), in which case one line
 * on stderr says which and why. A hit refreshes the entry's time, so pruning removes the least
 * recently used entries.
 */
export function readCachedProvider(dir: string, key: string): string | undefined {
  if (!usableDir(dir)) return undefined;
  const file = path.join(dir, `${key}.json`);
  const read = readTrustedEntry(file);
  if ("absent" in read) return undefined;
  if ("why" in read) {
    reportBypass(CACHE, file, read.why, INSTEAD);
    return undefined;
  }
  let entry: Entry | undefined;
  try {
    entry = JSON.parse(read.text);
  } catch {
    entry = undefined;
  }
  if (entry?.key !== key || typeof entry.text !== "string" || entry.sha256 !== sha256(entry.text)) {
    reportBypass(CACHE, file, "is damaged (not JSON, another key, or a text that does not match its sha256)", INSTEAD);
    return undefined;
  }
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // Only the pruning order suffers.
  }
  return entry.text;
}

/** Entries kept: each is one provider at one state of the code (about 100 kB); older ones are removed on write. */
export const MAX_CACHED_PROVIDERS = 32;

/**
 * Keep `text` under `key`: written to a temporary file and renamed, so a reader sees all or nothing;
 * then only the newest {@link MAX_CACHED_PROVIDERS} entries stay. Never throws.
 */
export function writeCachedProvider(dir: string, key: string, text: string): void {
  const tmp = path.join(dir, `.${key}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!usableDir(dir)) return;
    fs.writeFileSync(tmp, JSON.stringify({ key, sha256: sha256(text), text } satisfies Entry), { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, `${key}.json`));
    prune(dir);
  } catch {
    // A cache that cannot be written only costs time: the next run serializes again.
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The directory is not there to hold a temporary file either.
    }
  }
}

/** Remove all but the most recently used entries, and temporary files a killed writer left (older than an hour). */
function prune(dir: string): void {
  const names = fs.readdirSync(dir);
  const hourAgo = Date.now() - 3600_000;
  for (const f of names.filter((n) => n.endsWith(".tmp"))) {
    const p = path.join(dir, f);
    if (fs.statSync(p).mtimeMs < hourAgo) fs.rmSync(p, { force: true });
  }
  const entries = names
    .filter((f) => /^[0-9a-f]{64}\.json$/.test(f))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(MAX_CACHED_PROVIDERS)) fs.rmSync(path.join(dir, f), { force: true });
}

import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The on-disk cache of serialized dynamic providers (`__provider`). Program side only: never
 * imported by a provider module.
 *
 * Why: every preview and plan serializes each dynamic provider with Pulumi's closure serializer,
 * which drives V8's inspector (`Debugger.enable` replays every script loaded so far, then one
 * round trip per function) and loads TypeScript to parse each function. That costs over a second
 * per run, more than the rest of the program. The text it produces is a pure function of the code
 * the provider object reaches, so it is kept on disk under a key that covers that code, and a later
 * run with the same code reads it instead.
 *
 * What the key covers (anything else changing the text would be a bug this key cannot see; the
 * tests in tests/unit/provider-cache.test.ts hold the cached text to a fresh serialization):
 * - every file under providers/ (path and content): a provider module imports only providers/ and
 *   packages (tests/unit/imports.test.ts), and a package is serialized as `require("name")`;
 * - package-lock.json (every package version: @pulumi/pulumi's serializer, TypeScript, ...); without
 *   a lock file nothing is cached;
 * - how TypeScript becomes JavaScript: tsconfig.json and scripts/lib/transpile.js;
 * - the Node version and architecture (V8 produces the function texts);
 * - the provider's own method texts as loaded (so instrumented code, e.g. jest's coverage, or
 *   another transpiler gets its own entries);
 * - which provider (its type token).
 *
 * `NEVE_PROVIDER_CACHE`: unset uses node_modules/.cache/neve-providers in the repo; `off` turns the
 * cache off (every run serializes); any other value is the cache directory.
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
  return path.join(root, "node_modules", ".cache", "neve-providers");
}

/** Every file under `dir`, as sorted paths relative to `root`. */
function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = path.posix.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** sha256 over the code side of the key (the same for every provider of one run), or undefined without a lock file. */
function codeDigest(root: string): string | undefined {
  if (!fs.existsSync(path.join(root, "package-lock.json"))) return undefined;
  const h = crypto.createHash("sha256");
  const add = (rel: string) => {
    const p = path.join(root, rel);
    const content = fs.existsSync(p) ? fs.readFileSync(p) : Buffer.from("(absent)");
    h.update(`${rel}\0${content.length}\0`).update(content);
  };
  for (const rel of KEY_FILES) add(rel);
  for (const rel of filesUnder(root, "providers")) add(rel);
  return h.digest("hex");
}

const codeDigests = new Map<string, string | undefined>();

/**
 * The cache key of one provider object, or undefined when nothing may be cached (no lock file).
 * `id` names the provider (its type token); `root` is the repo (tests point it elsewhere).
 */
export function providerCacheKey(id: string, provider: object, root: string = REPO_ROOT): string | undefined {
  if (!codeDigests.has(root)) codeDigests.set(root, codeDigest(root));
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

/** One cache entry on disk: the text and its sha256, so a cut-short or edited file is never used. */
interface Entry {
  key: string;
  sha256: string;
  text: string;
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** The cached text for `key`, or undefined (missing, unreadable, or not intact). */
export function readCachedProvider(dir: string, key: string): string | undefined {
  let entry: Entry;
  try {
    entry = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), "utf8"));
  } catch {
    return undefined;
  }
  if (entry?.key !== key || typeof entry.text !== "string" || entry.sha256 !== sha256(entry.text)) return undefined;
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
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify({ key, sha256: sha256(text), text } satisfies Entry));
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

/** Remove all but the newest entries (by modification time). */
function prune(dir: string): void {
  const entries = fs
    .readdirSync(dir)
    .filter((f) => /^[0-9a-f]{64}\.json$/.test(f))
    .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(MAX_CACHED_PROVIDERS)) fs.rmSync(path.join(dir, f), { force: true });
}

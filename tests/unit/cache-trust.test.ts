// The one trust rule of the on-disk caches of code (providers/common/cacheTrust.js), and both caches
// that use it: the serialized-provider cache and the transpile cache refuse what the rule refuses,
// and say so in one line on stderr.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { cacheDirTrust, readTrustedEntry, sha256 } from "../../providers/common/cacheTrust";
import { readCachedProvider, writeCachedProvider } from "../../providers/common/providerCache";
import { REPO_ROOT } from "../../scripts/lib/stackFile";

const run = promisify(execFile);
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
/** A uid that is neither root nor this user, for files of "another user" (chown needs root). */
const OTHER_UID = 4242;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neve-cache-trust-"));
  if (!isRoot) process.stdout.write("cache-trust: not root, so the cases of a file owned by another user are left out (chown needs root)\n");
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh directory (0700) with one entry `e.json` (0600), changed by `make`. */
function setUp(make: (dir: string, entry: string) => void): { dir: string; entry: string } {
  const dir = fs.mkdtempSync(path.join(tmp, "c-"));
  const entry = path.join(dir, "e.json");
  fs.writeFileSync(entry, "{}", { mode: 0o600 });
  make(dir, entry);
  return { dir, entry };
}

/** [case, how to break it, the reason the rule must give]. */
const BAD_DIRS: Array<[string, (dir: string) => string, string]> = [
  [
    "a symbolic link to a directory",
    (dir) => {
      fs.symlinkSync(dir, `${dir}-link`);
      return `${dir}-link`;
    },
    "is a symbolic link; a cache directory must be a real directory",
  ],
  [
    "a directory others can write",
    (dir) => {
      fs.chmodSync(dir, 0o777);
      return dir;
    },
    "is writable by its group or by others (mode 0777); fix it with chmod go-w",
  ],
  [
    "a directory its group can write",
    (dir) => {
      fs.chmodSync(dir, 0o770);
      return dir;
    },
    "is writable by its group or by others (mode 0770); fix it with chmod go-w",
  ],
  [
    "a file",
    (dir) => {
      fs.writeFileSync(path.join(dir, "f"), "");
      return path.join(dir, "f");
    },
    "is not a directory",
  ],
  ...(isRoot
    ? ([
        [
          "a directory of another user",
          (dir: string) => {
            fs.chownSync(dir, OTHER_UID, OTHER_UID);
            return dir;
          },
          `is owned by uid ${OTHER_UID}, not by this user (uid 0) or root`,
        ],
      ] as Array<[string, (dir: string) => string, string]>)
    : []),
];

const BAD_ENTRIES: Array<[string, (entry: string) => void, string]> = [
  [
    "a symbolic link to a file of this user",
    (entry) => {
      fs.writeFileSync(`${entry}.real`, "{}", { mode: 0o600 });
      fs.rmSync(entry);
      fs.symlinkSync(`${entry}.real`, entry);
    },
    "is a symbolic link; a cache entry must be a regular file",
  ],
  ["an entry others can write", (entry) => fs.chmodSync(entry, 0o666), "is writable by its group or by others (mode 0666); fix it with chmod go-w"],
  [
    "a directory in an entry's place",
    (entry) => {
      fs.rmSync(entry);
      fs.mkdirSync(entry, { mode: 0o700 });
    },
    "is not a regular file",
  ],
  ...(isRoot
    ? ([
        [
          "an entry of another user",
          (entry: string) => fs.chownSync(entry, OTHER_UID, OTHER_UID),
          `is owned by uid ${OTHER_UID}, not by this user (uid 0) or root`,
        ],
      ] as Array<[string, (entry: string) => void, string]>)
    : []),
];

describe("the cache trust rule", () => {
  it("must trust a directory and an entry of this user that no one else can write", () => {
    const { dir, entry } = setUp(() => undefined);
    expect(cacheDirTrust(dir)).toEqual({ ok: true });
    expect(readTrustedEntry(entry)).toEqual({ text: "{}" });
    expect(cacheDirTrust(path.join(dir, "absent"))).toEqual({ ok: false, absent: true });
    expect(readTrustedEntry(path.join(dir, "absent.json"))).toEqual({ absent: true });
  });

  it.each(BAD_DIRS)("must refuse %s as a cache directory", (_case, breakIt, why) => {
    const { dir } = setUp(() => undefined);
    expect(cacheDirTrust(breakIt(dir))).toEqual({ ok: false, why });
  });

  it.each(BAD_ENTRIES)("must refuse %s as a cache entry", (_case, breakIt, why) => {
    const { entry } = setUp((_dir, e) => breakIt(e));
    expect(readTrustedEntry(entry)).toEqual({ why });
  });
});

describe("the serialized-provider cache under the rule", () => {
  const key = "c".repeat(64);
  let lines: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    lines = [];
    spy = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  it.each(BAD_ENTRIES)("must not use %s, and say so in one line on stderr", (_case, breakIt, why) => {
    const dir = fs.mkdtempSync(path.join(tmp, "p-"));
    writeCachedProvider(dir, key, "exports.handler = 1;");
    breakIt(path.join(dir, `${key}.json`));
    expect(readCachedProvider(dir, key)).toBeUndefined();
    expect(lines).toEqual([
      `neve-infra: serialized-provider cache bypassed: ${path.join(dir, `${key}.json`)} ${why}; serializing afresh (NEVE_PROVIDER_CACHE=off turns the cache off)\n`,
    ]);
  });

  it.each(BAD_DIRS)("must neither read nor write %s as its directory, and say so in one line on stderr", (_case, breakIt, why) => {
    const real = fs.mkdtempSync(path.join(tmp, "p-"));
    writeCachedProvider(real, key, "exports.handler = 1;");
    const dir = breakIt(real);
    expect(readCachedProvider(dir, key)).toBeUndefined();
    writeCachedProvider(dir, "d".repeat(64), "x");
    expect(fs.existsSync(path.join(real, `${"d".repeat(64)}.json`))).toBe(false);
    expect(lines).toEqual([
      `neve-infra: serialized-provider cache bypassed: ${dir} ${why}; serializing afresh (NEVE_PROVIDER_CACHE=off turns the cache off)\n`,
    ]);
  });

  it("must not use an entry whose text no longer matches its sha256, and say so", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "p-"));
    writeCachedProvider(dir, key, "exports.handler = 1;");
    const file = path.join(dir, `${key}.json`);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("= 1", "= 2"));
    expect(readCachedProvider(dir, key)).toBeUndefined();
    expect(lines).toEqual([
      `neve-infra: serialized-provider cache bypassed: ${file} is damaged (not JSON, another key, or a text that does not match its sha256); serializing afresh (NEVE_PROVIDER_CACHE=off turns the cache off)\n`,
    ]);
  });

  it("must print nothing for a hit or a plain miss", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "p-"));
    expect(readCachedProvider(dir, key)).toBeUndefined();
    writeCachedProvider(dir, key, "exports.handler = 1;");
    expect(readCachedProvider(dir, key)).toBe("exports.handler = 1;");
    expect(lines).toEqual([]);
  });
});

describe("the transpile cache under the rule (scripts/lib/transpile.js in a process of its own)", () => {
  const SOURCE = "export const answer: number = 42;\n";
  const FILE = path.join(REPO_ROOT, "stacks", "example.ts");
  /** Transpile SOURCE once with the cache at `dir` (or `off`); the code and what stderr said. */
  const transpileOnce = async (dir: string) => {
    const script = `const t = require(${JSON.stringify(path.join(REPO_ROOT, "scripts", "lib", "transpile.js"))}); process.stdout.write(t.transpile(${JSON.stringify(SOURCE)}, ${JSON.stringify(FILE)}).code);`;
    const { stdout, stderr } = await run(process.execPath, ["-e", script], { cwd: REPO_ROOT, env: { ...process.env, NEVE_TRANSPILE_CACHE: dir } });
    return { code: stdout, stderr };
  };
  let fresh: string;
  beforeAll(async () => {
    const off = await transpileOnce("off");
    expect(off.stderr).toBe("");
    fresh = off.code;
    expect(fresh).toContain("exports.answer = 42");
  }, 60000);

  /** The directory after one run: one entry. */
  const warmDir = async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "t-"));
    fs.chmodSync(dir, 0o700);
    const first = await transpileOnce(dir);
    expect(first).toEqual({ code: fresh, stderr: "" });
    const entries = fs.readdirSync(dir);
    expect(entries).toHaveLength(1);
    expect(fs.statSync(path.join(dir, entries[0])).mode & 0o777).toBe(0o600);
    return { dir, entry: path.join(dir, entries[0]) };
  };

  it("must read back its own entry without a word", async () => {
    const { dir } = await warmDir();
    expect(await transpileOnce(dir)).toEqual({ code: fresh, stderr: "" });
  }, 60000);

  it.each(BAD_ENTRIES)(
    "must not use %s, transpile afresh and say why in one line",
    async (_case, breakIt, why) => {
      const { dir, entry } = await warmDir();
      breakIt(entry);
      expect(await transpileOnce(dir)).toEqual({
        code: fresh,
        stderr: `neve-infra: transpile cache bypassed: ${entry} ${why}; transpiling afresh (NEVE_TRANSPILE_CACHE=off turns the cache off)\n`,
      });
    },
    60000,
  );

  it("must not use an entry whose code was changed without its sha256, and say so", async () => {
    const { dir, entry } = await warmDir();
    const e = JSON.parse(fs.readFileSync(entry, "utf8"));
    expect(e.sha256).toBe(sha256(`${e.code}\0${e.map}`));
    fs.writeFileSync(entry, JSON.stringify({ ...e, code: e.code.replace("42", "43") }));
    expect(await transpileOnce(dir)).toEqual({
      code: fresh,
      stderr: `neve-infra: transpile cache bypassed: ${entry} is damaged (not JSON, another key, or code and map that do not match their sha256); transpiling afresh (NEVE_TRANSPILE_CACHE=off turns the cache off)\n`,
    });
  }, 60000);

  it.each(BAD_DIRS)(
    "must neither read nor write %s as its directory, and say so once",
    async (_case, breakIt, why) => {
      const { dir: real, entry } = await warmDir();
      fs.writeFileSync(entry, fs.readFileSync(entry, "utf8")); // still intact: only the directory is wrong
      const dir = breakIt(real);
      const before = fs.readdirSync(real).sort();
      expect(await transpileOnce(dir)).toEqual({
        code: fresh,
        stderr: `neve-infra: transpile cache bypassed: ${dir} ${why}; transpiling afresh (NEVE_TRANSPILE_CACHE=off turns the cache off)\n`,
      });
      expect(fs.readdirSync(real).sort()).toEqual(before);
    },
    60000,
  );
});

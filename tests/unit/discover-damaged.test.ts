/**
 * What discover cannot read or parse ends in exit 2 naming the file (and the line), never in facts read
 * around it: bytes that are not UTF-8 text or hold a NUL, a section id twice, a link that does not
 * resolve, a directory it cannot list, and more content than its size limit (its own message, not "cut
 * short"). The named edits of the fixture are in tests/discoverCases.ts (--root here in
 * discover-cases.test.ts, over SSH in tests/host/discover-read.test.ts); this file covers what that
 * table cannot: the size limit, a reader without the right to list a directory, the CLI's exit code.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatBytes } from "../../providers/ssh";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { main } from "../../stacks/discover/cli";
import { duplicateSections } from "../../stacks/discover/parse/sectionConfig";
import { buildReadScript, notTextReason, parseReadOutput, ReadLimitError } from "../../stacks/discover/probe";
import { readLive } from "../../stacks/discover/read";
import { readRoot } from "../../stacks/discover/root";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "pve-neve");
const STACK = path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml");

describe("bytes that are not text", () => {
  it.each([
    ["UTF-8 text", Buffer.from("memory: 4096\ndescription: café\n"), undefined],
    ["an invalid byte on line 2", Buffer.from([0x61, 0x0a, 0x62, 0xff, 0x0a]), 'line 2 is not UTF-8 text: "b\\xff"'],
    ["a NUL byte on line 1", Buffer.from([0x61, 0x00, 0x62]), 'line 1 holds a NUL byte (column 2): "a\\x00b"'],
    ["a cut multibyte character", Buffer.from([0x63, 0x61, 0x66, 0xc3]), 'line 1 is not UTF-8 text: "caf\\xc3"'],
    ["a Latin-1 é among valid UTF-8", Buffer.from("é ok\nr\xe9seau\n", "latin1").subarray(0), 'line 1 is not UTF-8 text: "\\xe9 ok"'],
  ])("must name the line of %s", (_name, bytes, reason) => {
    expect(notTextReason(bytes)).toBe(reason);
  });
});

describe("section ids that appear twice", () => {
  it("must name the later header's line and the first's, whatever the types (SectionConfig keys sections by id alone)", () => {
    const text = "dir: local\n\tpath /var/lib/vz\n\n# comment\nzfspool: tank\n\tpool rpool\n\nlvm: local\n\tvgname pve\n\ndir: tank\n";
    expect(duplicateSections(text)).toEqual([
      { id: "local", line: 8, firstLine: 1 },
      { id: "tank", line: 11, firstLine: 5 },
    ]);
  });

  it("must not count a header-like line inside a section (Proxmox ignores it there) or a unique id", () => {
    expect(duplicateSections("dir: local\n\tpath /x\ndir: local\n\nzfspool: other\n")).toEqual([]);
  });
});

describe("the size limit (both readers)", () => {
  let dir: string;
  const request = (limitBytes: number) => ({
    node: "neve",
    limitBytes,
    files: [
      { path: path.join(dir, "small"), secret: false },
      { path: path.join(dir, "secret-big"), secret: true },
      { path: path.join(dir, "big"), secret: false },
    ],
  });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-limit-"));
    fs.writeFileSync(path.join(dir, "small"), "x".repeat(1000));
    fs.writeFileSync(path.join(dir, "secret-big"), "s".repeat(200 * 1024));
    fs.writeFileSync(path.join(dir, "big"), "y".repeat(100 * 1024));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // This machine's own files (/etc/sysctl.d, /etc/network...) are read too: measure them with no limit first.
  const own = () => {
    const r = readRoot("/", { node: "neve", files: [] });
    return r.records.reduce((n, x) => n + (x.state === "file" ? fs.statSync(x.path).size : 0), 0);
  };

  it("must stop with its own message naming the file that passed it, the same from the script and from --root; secret files (hash only) do not count", () => {
    const limit = own() + 64 * 1024;
    const stdout = execFileSync("/bin/sh", ["-c", buildReadScript(request(limit))], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const viaSh = (() => {
      try {
        parseReadOutput(stdout, "h", limit);
      } catch (e) {
        return e as Error;
      }
      throw new Error("the script's answer was accepted");
    })();
    const viaFs = (() => {
      try {
        readRoot("/", request(limit));
      } catch (e) {
        return e as Error;
      }
      throw new Error("the --root read was accepted");
    })();
    expect(viaSh).toBeInstanceOf(ReadLimitError);
    expect(viaFs).toBeInstanceOf(ReadLimitError);
    const at = path.join(dir, "big");
    expect(viaSh.message).toContain(`passed its limit of ${formatBytes(limit)} of content in one read at ${at}; nothing was reported`);
    expect(viaSh.message.replace(/^\S+: /, "")).toBe(viaFs.message.replace(/^\S+: /, ""));
    expect(viaSh.message).not.toMatch(/incompletely|run discover again/);
    // The script stopped there: the big file's content never travelled.
    expect(stdout).not.toContain(Buffer.from("y".repeat(300)).toString("base64").slice(0, 40));
  });

  it("must read everything under the limit (the limit is on content, not on the files' count)", () => {
    const limit = own() + 102 * 1024;
    const stdout = execFileSync("/bin/sh", ["-c", buildReadScript(request(limit))], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(parseReadOutput(stdout, "h", limit).records).toEqual(readRoot("/", request(limit)).records);
  });

  it("must pass the 64 MiB default in documented words (docs/discover.md)", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "discover.md"), "utf8");
    expect(doc).toMatch(/## Size limit[\s\S]*64 MiB/);
  });
});

/**
 * The nobody test runs the repo's own code as the user nobody, so the checkout must be readable by others: a clone
 * below a directory only root may enter (such as one `mktemp -d` made) is not. Then the test is skipped, saying why.
 */
const nobodyCannotReadCheckout = ((): string | null => {
  if (process.getuid?.() !== 0) return null; // the test itself says it needs root
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", path.join(REPO_ROOT, "package.json")]);
  return r.status === 0 ? null : `the user nobody cannot read this checkout (${REPO_ROOT}: a parent directory is closed to others)`;
})();
if (nobodyCannotReadCheckout)
  console.warn(`skipped: "a directory discover cannot list" (run as nobody): ${nobodyCannotReadCheckout}; clone the repo where others may read it to run it`);

describe("a directory discover cannot list", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-unlistable-"));
    fs.chmodSync(dir, 0o755);
    fs.cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(path.join(dir, "etc", "pve", "nodes", "neve", "lxc"), 0o000);
  });
  afterAll(() => {
    fs.chmodSync(path.join(dir, "etc", "pve", "nodes", "neve", "lxc"), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  (nobodyCannotReadCheckout ? it.skip : it)("must be named by --root when the reader may not list it (run as nobody), not read as no containers", () => {
    if (process.getuid?.() !== 0) throw new Error("this test drops to the user nobody and needs root (the suite runs as root: .ci/run)");
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "discover-nobody-cache-"));
    // The reader runs as nobody: its transpile cache is nobody's own and closed to others, as the caches' trust rule asks.
    fs.chownSync(cache, 65534, 65534);
    fs.chmodSync(cache, 0o700);
    try {
      const code = `require(${JSON.stringify(path.join(REPO_ROOT, "stacks/discover/read.ts"))}).readLive({ kind: "root", dir: ${JSON.stringify(dir)} }, { node: "neve", files: [] }).then((f) => console.log("READ " + f.guests.length), (e) => console.log("ERROR " + e.message))`;
      const r = spawnSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--require", path.join(REPO_ROOT, "scripts/register.js"), "-e", code],
        {
          encoding: "utf8",
          env: { ...process.env, NEVE_TRANSPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: "1" },
        },
      );
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(
        /^ERROR root:\S+: discover cannot read this, so it reports nothing .*:\n {2}\/etc\/pve\/nodes\/neve\/lxc\/ is a directory discover cannot list \(permissions\): the files in it would be missed\n$/,
      );
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe("the CLI on a damaged file", () => {
  it("must exit 2 naming the file and the line, and print no facts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-damaged-cli-"));
    try {
      fs.cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
      const conf = path.join(dir, "etc/pve/nodes/neve/qemu-server/1201.conf");
      const [before, ...after] = fs.readFileSync(conf, "utf8").split("memory: 4096\n");
      fs.writeFileSync(conf, Buffer.concat([Buffer.from(`${before}memory: 40`), Buffer.from([0xff]), Buffer.from(`96\n${after.join("memory: 4096\n")}`)]));
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(["--root", dir, "--config", STACK, "--check"], {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        now: () => "2026-01-01T00:00:00Z",
      });
      expect(code).toBe(2);
      expect(out.join("")).toBe("");
      expect(err.join("")).toContain('/etc/pve/nodes/neve/qemu-server/1201.conf line 8 is not UTF-8 text: "memory: 40\\xff96"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

it("must read the unedited fixture without a problem (the refusals above are not the default)", async () => {
  await expect(readLive({ kind: "root", dir: FIXTURE }, { node: "neve", files: [] })).resolves.toMatchObject({ node: "neve" });
});

/**
 * The reading half of discover without a host: the one read-only shell script (run here by a local
 * `sh`, so the script itself is exercised) agrees with the --root reader on this machine's files; a
 * cut-short answer is refused; a request for /etc/pve/priv is refused before anything is sent; and
 * `--root` on the pve-neve fixture yields the facts the issue names without writing there.
 * The same reads over a real SSH connection: tests/host/discover-read.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildReadCommand, buildReadScript, checkRequest, DiscoverError, parseReadOutput } from "../../stacks/discover/probe";
import { readLive } from "../../stacks/discover/read";
import { expandGlob, readRoot } from "../../stacks/discover/root";
import { treeHash } from "../treeHash";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "pve-neve");
const PRIV_MARKER = "FIXTURE-PRIVATE-MUST-NEVER-BE-READ";
const sha256 = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");

describe("the read request", () => {
  it.each([["/etc/pve/priv/authkey.key"], ["/etc/pve/priv"], ["//etc/pve//priv/x"]])(
    "must refuse %s (under /etc/pve/priv) before any command is built",
    (p) => {
      expect(() => checkRequest({ node: "neve", files: [{ path: p, secret: true }] })).toThrow(/lies under \/etc\/pve\/priv, which discover never reads/);
      expect(() => buildReadCommand({ node: "neve", files: [{ path: p, secret: false }] })).toThrow(DiscoverError);
    },
  );

  it.each([
    ["etc/relative", /must be an absolute host path/],
    ["/etc/pve/x/../priv/authkey.key", /without "\." or "\.\." segments/],
    ["/etc/line\nbreak", /line breaks/],
  ])("must refuse the odd path %j", (p, re) => {
    expect(() => checkRequest({ node: "neve", files: [{ path: p, secret: false }] })).toThrow(re);
  });

  it.each([["neve;rm -rf /"], ["../neve"], [""]])("must refuse the node name %j", (node) => {
    expect(() => checkRequest({ node, files: [] })).toThrow(/is not a Proxmox node name/);
  });

  it("must read only: no command that writes, moves, removes or restarts appears in the script", () => {
    const script = buildReadScript({ node: "neve", files: [{ path: "/etc/haproxy/haproxy.cfg", secret: false }] });
    expect(script).not.toMatch(/(^|[\s;|&(])(rm|mv|cp|tee|touch|mkdir|chmod|chown|ln|install|dd|truncate|systemctl|sysctl -w|pvesh|qm|pct)\s/m);
    // The only redirections: stderr to /dev/null.
    expect(script.match(/>\s*[^\s)"]+/g)?.every((r) => r === ">/dev/null")).toBe(true);
  });
});

describe("the one read-only script, run by a local sh, against the --root reader on the same files", () => {
  let dir: string;
  const request = () => ({
    node: "neve",
    files: [
      { path: path.join(dir, "plain"), secret: false },
      { path: path.join(dir, "it's $(touch pwned) a file"), secret: false },
      { path: path.join(dir, "secret"), secret: true },
      { path: path.join(dir, "missing"), secret: false },
      { path: path.join(dir, "adir"), secret: false },
      { path: path.join(dir, "binary"), secret: false },
    ],
  });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-read-"));
    fs.writeFileSync(path.join(dir, "plain"), "line 1\n@@discover done 0\nno newline at end");
    fs.writeFileSync(path.join(dir, "it's $(touch pwned) a file"), "quoted\n");
    fs.writeFileSync(path.join(dir, "secret"), "TOP-SECRET-VALUE");
    fs.writeFileSync(path.join(dir, "binary"), Buffer.from([0, 1, 2, 255, 10, 13]));
    fs.mkdirSync(path.join(dir, "adir"));
    fs.chmodSync(path.join(dir, "plain"), 0o640);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const runLocal = () => execFileSync("/bin/sh", ["-c", buildReadScript(request())], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });

  it("must report the same records as the fs reader, content of plain files, the secret by hash only, and run nothing it reads", () => {
    const stdout = runLocal();
    const viaSh = parseReadOutput(stdout, "local");
    const viaFs = readRoot("/", request());
    expect(viaSh.records).toEqual(viaFs.records);
    expect(viaSh.nodePresent).toBe(viaFs.nodePresent);
    // Both read the staged network file (present or not), once, right after the network files.
    expect(viaSh.records.filter((r) => r.tag === "staged").map((r) => r.path)).toEqual(["/etc/network/interfaces.new"]);
    const files = viaSh.records.filter((r) => r.tag === "file");
    expect(files.map((r) => r.state)).toEqual(["file", "file", "file", "absent", "notfile", "file"]);
    expect(files[0]).toMatchObject({
      mode: "0640",
      content: "line 1\n@@discover done 0\nno newline at end",
      sha256: sha256("line 1\n@@discover done 0\nno newline at end"),
    });
    expect(files[2].content).toBeUndefined();
    expect(files[2].sha256).toBe(sha256("TOP-SECRET-VALUE"));
    expect(stdout).not.toContain(Buffer.from("TOP-SECRET-VALUE").toString("base64").slice(0, 12));
    expect(fs.existsSync(path.join(dir, "pwned"))).toBe(false);
    expect(fs.existsSync("pwned")).toBe(false);
  });

  it("must refuse an answer cut short anywhere, and one whose content does not match its hash", () => {
    const stdout = runLocal();
    const lines = stdout.split("\n");
    expect(() => parseReadOutput(stdout.replace(/@@discover done \d+\n$/, ""), "h")).toThrow(
      "the read-only read on h answered incompletely (no end marker); nothing was reported, run discover again",
    );
    // Every cut point before the final line: never accepted.
    for (let cut = 0; cut < lines.length - 2; cut++) {
      expect(() => parseReadOutput(lines.slice(0, cut).join("\n"), "h")).toThrow(DiscoverError);
    }
    // A record missing (the count no longer matches).
    const i = lines.findIndex((l) => l.startsWith("@@discover file ") && l.endsWith(" absent"));
    expect(() => parseReadOutput([...lines.slice(0, i), ...lines.slice(i + 1)].join("\n"), "h")).toThrow(/\d+ of \d+ files/);
    // A content line lost in transit.
    const c = lines.findIndex((l) => l.startsWith("@@discover file ") && l.endsWith(" content"));
    expect(() => parseReadOutput([...lines.slice(0, c + 1), ...lines.slice(c + 2)].join("\n"), "h")).toThrow(
      /changed while it was read, or its content is cut short/,
    );
  });
});

describe("--root on the pve-neve fixture", () => {
  const request = {
    node: "neve",
    files: [
      { path: "/etc/haproxy/haproxy.cfg", secret: false },
      { path: "/etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json", secret: true },
      { path: "/etc/dnsmasq.d/neve-vmbr1.conf", secret: false },
    ],
  };

  it("must read the facts the issue names, and leave the copy exactly as it was", async () => {
    const before = treeHash(FIXTURE);
    const facts = await readLive({ kind: "root", dir: FIXTURE }, request);
    expect(treeHash(FIXTURE)).toBe(before);
    expect(facts.source).toBe(`root:${FIXTURE}`);
    expect(facts.sysctlRuntime).toBeUndefined();
    expect(facts.guests.map((g) => `${g.kind}:${g.vmid}`)).toEqual([
      "lxc:200",
      "lxc:201",
      "qemu:1200",
      "qemu:1201",
      "qemu:9000",
      "qemu:9100",
      "qemu:9101",
      "qemu:9102",
    ]);
    const etoile = new Map(facts.guests.find((g) => g.vmid === 1201)!.main);
    expect([etoile.get("args"), etoile.get("vga"), etoile.get("cpu"), etoile.get("ostype")]).toEqual(["-vnc 127.0.0.1:81", "std,clipboard=vnc", "host", "l26"]);
    expect(new Map(facts.storage.find((s) => s.id === "etoile")!.props).get("fingerprint")).toBeDefined();
    expect(facts.jobs.map((j) => j.type)).toEqual(["vzdump"]);
    expect(facts.network.stanzas.some((s) => s.options.some(([k, v]) => k === "post-up" && /MASQUERADE/.test(v)))).toBe(true);
    expect(facts.network.files).toEqual(["/etc/network/interfaces", "/etc/network/interfaces.d/vmbr1-ipv6"]);
    // /etc/sysctl.d/99-sysctl.conf links to ../sysctl.conf: read once, as /etc/sysctl.conf, last.
    expect([...new Set(facts.sysctl.map((s) => s.file))]).toEqual(["/etc/sysctl.d/pve.conf", "/etc/sysctl.conf"]);
    expect(facts.files["/etc/haproxy/haproxy.cfg"]).toMatchObject({ kind: "file", exists: true, owner: expect.any(String) });
    expect(facts.files["/etc/haproxy/haproxy.cfg"].content).toContain("cipher.wenzelarifiandi.com");
    expect(facts.files["/etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json"].content).toBeUndefined();
    expect(facts.files["/etc/dnsmasq.d/neve-vmbr1.conf"]).toEqual({ path: "/etc/dnsmasq.d/neve-vmbr1.conf", exists: false, kind: "absent" });
    const text = JSON.stringify(facts);
    expect(text).not.toContain(PRIV_MARKER);
    expect(text).not.toContain("FIXTURE-TUNNEL-SECRET-NOT-REAL");
  });

  it("must refuse a requested file that resolves into /etc/pve/priv through a link, unread", async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "discover-root-"));
    try {
      fs.cpSync(FIXTURE, copy, { recursive: true, verbatimSymlinks: true });
      fs.symlinkSync("/etc/pve/priv/authkey.key", path.join(copy, "etc", "innocent.cfg"));
      fs.symlinkSync("../pve/priv/authkey.key", path.join(copy, "etc", "haproxy", "relative.cfg"));
      const facts = await readLive({ kind: "root", dir: copy }, { node: "neve", files: [{ path: "/etc/haproxy/relative.cfg", secret: false }] });
      expect(facts.files["/etc/haproxy/relative.cfg"]).toEqual({ path: "/etc/haproxy/relative.cfg", exists: false, kind: "other", problem: "refused" });
      expect(JSON.stringify(facts)).not.toContain(PRIV_MARKER);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it("must name the nodes there when the node is wrong, and refuse a missing directory", async () => {
    await expect(readLive({ kind: "root", dir: FIXTURE }, { node: "pve", files: [] })).rejects.toThrow(
      "/etc/pve/nodes/pve does not exist (nodes there: neve); set proxmox.nodeName in the stack to the host's node name",
    );
    await expect(readLive({ kind: "root", dir: path.join(FIXTURE, "nope") }, { node: "neve", files: [] })).rejects.toThrow(/--root .*nope: no such directory/);
  });

  it("must expand source globs like a shell: sorted, no dot files, the pattern itself when nothing matches", () => {
    expect(expandGlob(FIXTURE, "/etc/pve/nodes/neve/qemu-server/9*.conf")).toEqual(
      ["9000", "9100", "9101", "9102"].map((v) => `/etc/pve/nodes/neve/qemu-server/${v}.conf`),
    );
    expect(expandGlob(FIXTURE, "/etc/pve/nodes/*/lxc/20[!0].conf")).toEqual(["/etc/pve/nodes/neve/lxc/201.conf"]);
    expect(expandGlob(FIXTURE, "/etc/network/none.d/*")).toEqual(["/etc/network/none.d/*"]);
  });
});

/**
 * The pure parts of host-diff: grouping the declarations, the read-only probe (run here by a local
 * `sh` on files in a temp dir, so the shell script itself is exercised), parsing its answer, and the
 * comparison rules for secret, placeholder and raw lxc declarations.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CapturedResource } from "../../scripts/lib/mockRunner";
import {
  buildProbeCommand,
  collectDeclared,
  compareHost,
  HOSTCONFIG_TYPE,
  HostDiffError,
  LXCRAW_TYPE,
  parseProbeOutput,
  type HostGroup,
  type ProbeItem,
} from "../../scripts/lib/hostDiff";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const conn = secret({ host: "10.0.0.1", port: 22, username: "root", hostKey: "SHA256:" + "A".repeat(43), privateKey: "KEY" });
const resource = (type: string, name: string, inputs: Record<string, unknown>): CapturedResource => ({
  type, name, urn: `urn:${name}`, custom: true, inputs, protect: false, ignoreChanges: [],
});
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

describe("collectDeclared", () => {
  it("must group HostConfig files and LxcRawConfig lines by host, and mark flagged or secret-valued files secret", () => {
    const groups = collectDeclared([
      resource(HOSTCONFIG_TYPE, "host-a", { connection: conn, files: [{ path: "/etc/a", content: "a\n", mode: "0640", owner: "root", group: "adm", secret: false }] }),
      resource(HOSTCONFIG_TYPE, "host-b", {
        connection: conn,
        files: secret([
          { path: "/etc/b.yml", content: "plain\n", secret: false },
          { path: "/etc/b.json", content: "{}", secret: true },
          { path: "/etc/c.json", content: secret("{}") },
        ]),
      }),
      resource(LXCRAW_TYPE, "host-lxc-201-raw", { connection: conn, vmid: 201, rawLines: ["lxc.apparmor.profile: unconfined"] }),
      resource("proxmoxve:index/vmLegacy:VmLegacy", "vm", { connection: conn }),
    ]);
    expect(groups).toHaveLength(1);
    expect(groups[0].target).toEqual({ host: "10.0.0.1", port: 22, username: "root", hostKey: "SHA256:" + "A".repeat(43) });
    expect(groups[0].files.map((f) => [f.path, f.secret, f.mode, f.group])).toEqual([
      ["/etc/a", false, "0640", "adm"],
      ["/etc/b.yml", false, "0644", "root"],
      ["/etc/b.json", true, "0644", "root"],
      ["/etc/c.json", true, "0644", "root"],
    ]);
    expect(groups[0].lxc).toEqual([{ resource: "host-lxc-201-raw", vmid: 201, rawLines: ["lxc.apparmor.profile: unconfined"] }]);
  });

  it("must refuse a resource whose connection has no plain host key, naming the resource", () => {
    expect(() => collectDeclared([resource(HOSTCONFIG_TYPE, "host-x", { connection: { host: "h" }, files: [] })])).toThrow(
      "host-x: its connection has no plain host and hostKey",
    );
  });
});

describe("the read-only probe, run by a local sh", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-diff-probe-"));
    fs.writeFileSync(path.join(dir, "plain"), "line 1\nno newline at end", { mode: 0o640 });
    fs.writeFileSync(path.join(dir, "it's $(touch pwned) a file"), "quoted\n");
    fs.writeFileSync(path.join(dir, "secret"), "TOP-SECRET-VALUE");
    fs.mkdirSync(path.join(dir, "adir"));
    fs.chmodSync(path.join(dir, "plain"), 0o640);
    fs.chmodSync(path.join(dir, "secret"), 0o644);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const probe = (items: ProbeItem[]) => {
    const cmd = buildProbeCommand(items);
    // ssh hands the command to the user's shell as `$SHELL -c <command>`.
    const stdout = execFileSync("/bin/sh", ["-c", cmd], { cwd: dir, encoding: "utf8" });
    return { stdout, entries: parseProbeOutput(stdout, items, "local") };
  };

  it("must report content, mode, owner and hash of files, absent and non-regular paths, and never a secret file's content", () => {
    const items: ProbeItem[] = [
      { path: path.join(dir, "plain"), content: true },
      { path: path.join(dir, "it's $(touch pwned) a file"), content: true },
      { path: path.join(dir, "secret"), content: false },
      { path: path.join(dir, "missing"), content: true },
      { path: path.join(dir, "adir"), content: true },
    ];
    const { stdout, entries } = probe(items);
    const user = os.userInfo().username;
    expect(entries[0]).toEqual({ state: "file", mode: "0640", owner: user, group: expect.any(String), sha256: sha256("line 1\nno newline at end"), content: "line 1\nno newline at end" });
    expect(entries[1]).toMatchObject({ state: "file", content: "quoted\n" });
    expect(entries[2]).toEqual({ state: "file", mode: "0644", owner: user, group: expect.any(String), sha256: sha256("TOP-SECRET-VALUE") });
    expect(entries[3]).toEqual({ state: "absent" });
    expect(entries[4]).toEqual({ state: "notfile" });
    expect(stdout).not.toContain(Buffer.from("TOP-SECRET-VALUE").toString("base64").slice(0, 12));
    expect(fs.existsSync(path.join(dir, "pwned"))).toBe(false);
  });

  it("must refuse an answer cut short (no end marker, or an item missing)", () => {
    const items: ProbeItem[] = [{ path: path.join(dir, "plain"), content: true }, { path: path.join(dir, "secret"), content: false }];
    const { stdout } = probe(items);
    expect(() => parseProbeOutput(stdout.replace("@@host-diff done\n", ""), items, "h")).toThrow(
      "the read-only probe on h answered incompletely (no end marker); nothing was compared",
    );
    const withoutSecond = stdout.split("\n").filter((l) => !l.startsWith("@@host-diff 1 ")).join("\n");
    expect(() => parseProbeOutput(withoutSecond, items, "h")).toThrow(HostDiffError);
    expect(() => parseProbeOutput(withoutSecond, items, "h")).toThrow(`nothing for ${path.join(dir, "secret")}`);
  });
});

describe("compareHost", () => {
  const target = { host: "h", port: 22, username: "root", hostKey: "k" };
  const file = (p: string, content: string, secretFile = false) => ({ resource: "r", path: p, content, mode: "0644", owner: "root", group: "root", secret: secretFile });
  const live = (content: string, mode = "0644") => ({ state: "file" as const, mode, owner: "root", group: "root", sha256: sha256(content), content });

  it("must compare secret files by hash alone and leave those holding a placeholder secret unchecked", () => {
    const group: HostGroup = { target, files: [file("/s1", "REAL", true), file("/s2", "x PLACEHOLDER y", true), file("/s3", "REAL", true)], lxc: [] };
    const r = compareHost("h", group, [{ ...live("OTHER"), content: undefined }, { ...live("OTHER"), content: undefined }, { ...live("REAL"), content: undefined }], ["PLACEHOLDER"]);
    expect(r.files.map((f) => [f.status, f.patch])).toEqual([["differs", undefined], ["unverified", undefined], ["same", undefined]]);
  });

  it("must report mode, owner and group differences even when the content is the same", () => {
    const r = compareHost("h", { target, files: [file("/a", "x\n")], lxc: [] }, [{ ...live("x\n", "0600"), owner: "www" }]);
    expect(r.files[0]).toMatchObject({ status: "differs", contentDiffers: false, metadata: ["mode live 0600, declared 0644", "owner live www, declared root"], patch: undefined });
  });

  it("must compare only the raw lines of a container config's main section", () => {
    const lines = ["lxc.apparmor.profile: unconfined"];
    const conf = "arch: amd64\nlxc.apparmor.profile: unconfined\n\n[snap]\nlxc.cgroup2.devices.allow: a\n";
    const same = compareHost("h", { target, files: [], lxc: [{ resource: "l", vmid: 201, rawLines: lines }] }, [live(conf)]);
    expect(same.lxc[0].status).toBe("same");
    const differs = compareHost("h", { target, files: [], lxc: [{ resource: "l", vmid: 201, rawLines: [...lines, "lxc.mount.entry: a b"] }] }, [live(conf)]);
    expect(differs.lxc[0].status).toBe("differs");
    expect(differs.lxc[0].patch).toContain("+lxc.mount.entry: a b\n");
  });
});

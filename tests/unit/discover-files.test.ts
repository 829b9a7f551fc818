/**
 * The managed host files against discover's facts (stacks/discover/files.ts, the "host files"
 * section of `discover --check`): grouping the declarations, and the comparison rules for secret,
 * placeholder and raw lxc declarations. Reading the host is discover's read (tests/unit/discover-read.test.ts).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import type { CapturedResource } from "../../scripts/lib/mockRunner";
import type { HostFileFacts, LiveFacts } from "../../stacks/discover/facts";
import {
  collectDeclared,
  compareGroup,
  fileCounts,
  fileReport,
  HOSTCONFIG_TYPE,
  type HostGroup,
  LXCRAW_TYPE,
  requestedFiles,
} from "../../stacks/discover/files";
import { parseGuestConf } from "../../stacks/discover/parse/guestConf";
import { DiscoverError, readLive } from "../../stacks/discover/read";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });
const conn = secret({ host: "10.0.0.1", port: 22, username: "root", hostKey: `SHA256:${"A".repeat(43)}`, privateKey: "KEY" });
const resource = (type: string, name: string, inputs: Record<string, unknown>): CapturedResource => ({
  type,
  name,
  urn: `urn:${name}`,
  custom: true,
  inputs,
  protect: false,
  retainOnDelete: false,
  ignoreChanges: [],
});
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

describe("collectDeclared", () => {
  it("must group HostConfig files and LxcRawConfig lines by host, and mark flagged or secret-valued files secret", () => {
    const groups = collectDeclared([
      resource(HOSTCONFIG_TYPE, "host-a", {
        connection: conn,
        files: [{ path: "/etc/a", content: "a\n", mode: "0640", owner: "root", group: "adm", secret: false }],
      }),
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
    expect(groups[0].target).toEqual({ host: "10.0.0.1", port: 22, username: "root", hostKey: `SHA256:${"A".repeat(43)}` });
    expect(groups[0].files.map((f) => [f.path, f.secret, f.mode, f.group])).toEqual([
      ["/etc/a", false, "0640", "adm"],
      ["/etc/b.yml", false, "0644", "root"],
      ["/etc/b.json", true, "0644", "root"],
      ["/etc/c.json", true, "0644", "root"],
    ]);
    expect(groups[0].lxc).toEqual([{ resource: "host-lxc-201-raw", vmid: 201, rawLines: ["lxc.apparmor.profile: unconfined"] }]);
    expect(requestedFiles(groups[0])).toEqual([
      { path: "/etc/a", secret: false },
      { path: "/etc/b.yml", secret: false },
      { path: "/etc/b.json", secret: true },
      { path: "/etc/c.json", secret: true },
    ]);
  });

  it("must refuse a resource whose connection has no plain host key, naming the resource (discover's error class: printed as its message, exit 2)", () => {
    const bad = () => collectDeclared([resource(HOSTCONFIG_TYPE, "host-x", { connection: { host: "h" }, files: [] })]);
    expect(bad).toThrow("host-x: its connection has no plain host and hostKey");
    expect(bad).toThrow(DiscoverError);
  });
});

/** Facts holding only the given files and guest configs. */
function facts(files: Record<string, Omit<HostFileFacts, "path">>, lxc: Record<number, string> = {}): LiveFacts {
  return {
    node: "neve",
    source: "test",
    guests: Object.entries(lxc).map(([vmid, text]) => parseGuestConf(text, Number(vmid), "lxc")),
    storage: [],
    jobs: [],
    network: { auto: [], stanzas: [], files: [] },
    sysctl: [],
    files: Object.fromEntries(Object.entries(files).map(([p, f]) => [p, { path: p, ...f }])),
  };
}
const live = (content: string | undefined, hashOf: string, mode = "0644") => ({
  exists: true,
  kind: "file" as const,
  sha256: sha256(hashOf),
  mode,
  owner: "root",
  group: "root",
  ...(content === undefined ? {} : { content }),
});

describe("compareGroup / fileReport", () => {
  const target = { host: "h", port: 22, username: "root", hostKey: "k" };
  const file = (p: string, content: string, secretFile = false) => ({
    resource: "r",
    path: p,
    content,
    mode: "0644",
    owner: "root",
    group: "root",
    secret: secretFile,
  });

  it("must compare secret files by hash alone and leave those holding a placeholder secret unchecked", () => {
    const group: HostGroup = { target, files: [file("/s1", "REAL", true), file("/s2", "x PLACEHOLDER y", true), file("/s3", "REAL", true)], lxc: [] };
    const f = facts({ "/s1": live(undefined, "OTHER"), "/s2": live(undefined, "OTHER"), "/s3": live(undefined, "REAL") });
    const r = compareGroup(group, f, ["PLACEHOLDER"]);
    expect(r.files.map((x) => [x.status, x.patch])).toEqual([
      ["differs", undefined],
      ["unverified", undefined],
      ["same", undefined],
    ]);
    const report = fileReport(group, f, { placeholders: ["PLACEHOLDER"] });
    expect(report.differs).toBe(true);
    expect(report.lines.join("\n")).not.toContain(sha256("OTHER"));
    expect(report.lines.join("\n")).not.toContain("REAL");
    expect(report.lines[0]).toBe("  differs   /s1 (r) [secret: content differs, compared by hash, not shown]");
  });

  it("a file equal in meaning to its render (by its reader) is shown and not counted; one differing in meaning counts with each directive", () => {
    const meaning = (_p: string, l: string, d: string) => (l.replace(/#.*\n/g, "") === d ? [] : [`live "${l.trim()}" would be dropped or changed`]);
    const group: HostGroup = { target, files: [file("/m", "no-resolv\n"), file("/n", "no-resolv\n"), file("/o", "x\n")], lxc: [] };
    const f = facts({
      "/m": live("# hand\nno-resolv\n", "# hand\nno-resolv\n"),
      "/n": live("cache-size=9\n", "cache-size=9\n"),
      "/o": { ...live("# c\nx\n", "# c\nx\n"), mode: "0600" },
    });
    const r = compareGroup(group, f, [], {}, meaning);
    expect(r.files.map((x) => [x.declared.path, x.meaning, fileCounts(x)])).toEqual([
      ["/m", [], false],
      ["/n", ['live "cache-size=9" would be dropped or changed'], true],
      ["/o", [], true], // the mode still differs
    ]);
    const text = fileReport(group, f, { meaning }).lines.join("\n");
    expect(text).toMatch(/\/m \(r\)\n {12}equal in meaning: .*not counted/);
    expect(text).toMatch(/1 difference in meaning .*\n {14}live "cache-size=9" would be dropped or changed/);
    // Without a reader the file is compared by content alone, as before.
    expect(fileCounts(compareGroup(group, f).files[0])).toBe(true);
  });

  it("must report mode, owner and group differences even when the content is the same", () => {
    const r = compareGroup({ target, files: [file("/a", "x\n")], lxc: [] }, facts({ "/a": { ...live("x\n", "x\n", "0600"), owner: "www" } }));
    expect(r.files[0]).toMatchObject({
      status: "differs",
      contentDiffers: false,
      metadata: ["mode live 0600, declared 0644", "owner live www, declared root"],
      patch: undefined,
    });
  });

  it("must show an absent file as wholly added, and a diff live -> declared for a changed one", () => {
    const group: HostGroup = { target, files: [file("/new", "hello\n"), file("/chg", "b\n")], lxc: [] };
    const { lines, differs } = fileReport(group, facts({ "/new": { exists: false, kind: "absent" }, "/chg": live("a\n", "a\n") }));
    expect(differs).toBe(true);
    const text = lines.join("\n");
    expect(text).toContain("  absent    /new (r)");
    expect(text).toContain("+hello");
    expect(text).toContain("--- live:/chg\n+++ declared:/chg\n");
    expect(text).toContain("-a\n+b");
  });

  it("must compare only the raw lines of a container config's main section", () => {
    const lines = ["lxc.apparmor.profile: unconfined"];
    const conf = "arch: amd64\nlxc.apparmor.profile: unconfined\n\n[snap]\nlxc.cgroup2.devices.allow: a\n";
    const same = compareGroup({ target, files: [], lxc: [{ resource: "l", vmid: 201, rawLines: lines }] }, facts({}, { 201: conf }));
    expect(same.lxc[0].status).toBe("same");
    const differs = compareGroup(
      { target, files: [], lxc: [{ resource: "l", vmid: 201, rawLines: [...lines, "lxc.mount.entry: a b"] }] },
      facts({}, { 201: conf }),
    );
    expect(differs.lxc[0].status).toBe("differs");
    expect(differs.lxc[0].patch).toContain("+lxc.mount.entry: a b\n");
    expect(compareGroup({ target, files: [], lxc: [{ resource: "l", vmid: 202, rawLines: lines }] }, facts({}, { 201: conf })).lxc[0].status).toBe("absent");
  });

  it("must find lune's three raw lines the same on the pve-neve fixture, and its haproxy.cfg different", async () => {
    const fixture = path.resolve(__dirname, "..", "fixtures", "pve-neve");
    const group: HostGroup = {
      target,
      files: [file("/etc/haproxy/haproxy.cfg", "global\n")],
      lxc: [
        {
          resource: "lune-raw",
          vmid: 201,
          rawLines: [
            "lxc.apparmor.profile: unconfined",
            "lxc.cgroup2.devices.allow: c 10:229 rwm",
            "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file",
          ],
        },
      ],
    };
    const f = await readLive({ kind: "root", dir: fixture }, { node: "neve", files: requestedFiles(group) });
    const r = compareGroup(group, f);
    expect(r.lxc[0].status).toBe("same");
    expect(r.files[0].status).toBe("differs");
  });
});

import { UNKNOWN } from "../../providers/hostconfig/check";
import { checkLxcRawConfig, LXC_RAW_DEFAULTS } from "../../providers/lxcraw/check";
import { diffLxcRawConfig } from "../../providers/lxcraw/diff";
import { buildApplyScript, parseLxcReport, READ_END } from "../../providers/lxcraw/script";
import type { LxcRawConfigInputs, LxcRawConfigOutputs } from "../../providers/lxcraw/types";
import { FUSE_UNCONFINED_RAW_LINES } from "../../stacks/render/lxcRaw";

const FP = `SHA256:${"b".repeat(43)}`;
const good = (): Record<string, unknown> => ({
  connection: { host: "192.0.2.10", hostKey: FP },
  vmid: 201,
  rawLines: [...FUSE_UNCONFINED_RAW_LINES],
});

describe("LxcRawConfig check", () => {
  it("must accept a minimal declaration and fill in the documented defaults", () => {
    const { inputs, failures } = checkLxcRawConfig(good());
    expect(failures).toEqual([]);
    expect(inputs).toEqual({
      connection: { host: "192.0.2.10", port: 22, username: "root", hostKey: FP, privateKey: null },
      vmid: 201,
      rawLines: [...FUSE_UNCONFINED_RAW_LINES],
      stashDir: "/root/etc-pve.stash",
      onDelete: "keep",
    });
    expect(LXC_RAW_DEFAULTS).toMatchObject({ stashDir: "/root/etc-pve.stash", onDelete: "keep", port: 22, username: "root" });
  });

  it("must accept an empty raw line list (the main section then has none)", () => {
    expect(checkLxcRawConfig({ ...good(), rawLines: [] }).failures).toEqual([]);
  });

  it("must keep values unknown in a preview unknown, and not refuse them", () => {
    const { inputs, failures } = checkLxcRawConfig({ ...good(), connection: UNKNOWN, rawLines: [UNKNOWN, "lxc.apparmor.profile: unconfined"] });
    expect(failures).toEqual([]);
    expect(inputs.connection as unknown).toBe(UNKNOWN);
    expect(inputs.rawLines[0]).toBe(UNKNOWN);
  });

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "a line that is not an lxc key",
      { rawLines: ["features: fuse=1"] },
      "rawLines[0]",
      /"features: fuse=1" does not start with "lxc\."; only raw LXC keys belong here/,
    ],
    [
      "a line with a newline",
      { rawLines: ["lxc.apparmor.profile: unconfined", "lxc.cap.drop: \nunprivileged: 0"] },
      "rawLines[1]",
      /contains a line break \(it would smuggle another key into the config\)/,
    ],
    ["a line with a carriage return", { rawLines: ["lxc.apparmor.profile: unconfined\r"] }, "rawLines[0]", /contains a line break/],
    [
      "a blank before the colon (Proxmox reads no raw line)",
      { rawLines: ["lxc.apparmor.profile : unconfined"] },
      "rawLines[0]",
      /is not a raw LXC line Proxmox reads; write "lxc\.<key>: <value>"/,
    ],
    ["a key without separator", { rawLines: ["lxc.apparmor.profile unconfined"] }, "rawLines[0]", /is not a raw LXC line Proxmox reads/],
    ["an upper-case key", { rawLines: ["lxc.AppArmor.profile: unconfined"] }, "rawLines[0]", /is not a raw LXC line Proxmox reads; .*a key of a-z 0-9 _ - \./],
    ["a number as line", { rawLines: [42] }, "rawLines[0]", /must be a string "lxc\.<key>: <value>", got 42/],
    ["rawLines not a list", { rawLines: "lxc.apparmor.profile: unconfined" }, "rawLines", /must be a list of "lxc\.<key>: <value>" lines/],
    ["rawLines missing", { rawLines: undefined }, "rawLines", /must be a list/],
    ["a vmid below 100", { vmid: 20 }, "vmid", /must be the container's Proxmox id, an integer 100-999999999 \(e\.g\. 201\), got 20/],
    ["a vmid as text", { vmid: "201" }, "vmid", /integer 100-999999999.*got "201"/],
    ["no vmid", { vmid: undefined }, "vmid", /must be the container's Proxmox id/],
    ["a relative stashDir", { stashDir: "stash" }, "stashDir", /is relative/],
    ["a stashDir inside /etc/pve", { stashDir: "/etc/pve/stash" }, "stashDir", /lies inside \/etc\/pve \(the cluster file system/],
    ["onDelete restore (not offered here)", { onDelete: "restore" }, "onDelete", /must be "keep" or "remove", got "restore"/],
    ["no host key", { connection: { host: "192.0.2.10" } }, "connection.hostKey", /is required \(no trust on first use\)/],
    ["a garbled host key", { connection: { host: "192.0.2.10", hostKey: "SHA256:short" } }, "connection.hostKey", /expected "SHA256:<43 base64 chars>"/],
    ["a host with a slash", { connection: { host: "10.0.0.1/24", hostKey: FP } }, "connection.host", /must be a host name or IP address/],
    ["port 0", { connection: { host: "h", hostKey: FP, port: 0 } }, "connection.port", /must be an integer 1-65535, got 0/],
    ["a user with spaces", { connection: { host: "h", hostKey: FP, username: "Root User" } }, "connection.username", /must be a user name such as "root"/],
  ];
  describe.each(cases)("with %s", (_name, over, property, reason) => {
    it(`must be refused naming ${property}`, () => {
      const { failures } = checkLxcRawConfig({ ...good(), ...over });
      expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
    });
  });

  it("must accept every form Proxmox reads and record it the way Proxmox writes it back", () => {
    const { inputs, failures } = checkLxcRawConfig({
      ...good(),
      rawLines: [
        "lxc.apparmor.profile = unconfined",
        "lxc.cgroup2.devices.allow:c 10:229 rwm",
        "lxc.cap.drop: ",
        "lxc.mount.entry=/dev/fuse dev/fuse none bind,create=file 0 0",
      ],
    });
    expect(failures).toEqual([]);
    expect(inputs.rawLines).toEqual([
      "lxc.apparmor.profile: unconfined",
      "lxc.cgroup2.devices.allow: c 10:229 rwm",
      "lxc.cap.drop: ",
      "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0",
    ]);
  });

  it("must refuse connection.timeouts outside 1-3600 s or with an unknown field, and record the given ones only", () => {
    const bad = checkLxcRawConfig({ ...good(), connection: { host: "h", hostKey: FP, timeouts: { connect: 0, change: 1.5, later: 3 } } });
    expect(bad.failures).toEqual([
      { property: "connection.timeouts.connect", reason: "must be a whole number of seconds 1-3600, got 0 (default 15)" },
      { property: "connection.timeouts.change", reason: "must be a whole number of seconds 1-3600, got 1.5 (default 300)" },
      { property: "connection.timeouts.later", reason: "is not a timeout; use connect, change or read (seconds)" },
    ]);
    expect(checkLxcRawConfig({ ...good(), connection: { host: "h", hostKey: FP, timeouts: { read: 5 } } }).inputs.connection.timeouts).toEqual({ read: 5 });
    expect(checkLxcRawConfig(good()).inputs.connection).not.toHaveProperty("timeouts");
  });

  it("must never quote a private key that is not one", () => {
    const secret = `hunter2-not-a-key-${"z".repeat(20)}`;
    const { failures } = checkLxcRawConfig({ ...good(), connection: { host: "h", hostKey: FP, privateKey: secret } });
    expect(failures).toEqual([{ property: "connection.privateKey", reason: expect.stringMatching(/must be the text of a private key/) }]);
    expect(JSON.stringify(failures)).not.toContain("hunter2");
  });
});

describe("LxcRawConfig diff", () => {
  const inputs = (over: Partial<LxcRawConfigInputs> = {}): LxcRawConfigInputs => ({
    ...(checkLxcRawConfig(good()).inputs as LxcRawConfigInputs),
    ...over,
  });
  const outputs = (over: Partial<LxcRawConfigOutputs> = {}): LxcRawConfigOutputs => {
    const i = inputs();
    return { ...i, host: i.connection.host, path: "/etc/pve/lxc/201.conf", present: true, lastStash: null, ...over };
  };

  it("must report no change when nothing differs (never an empty result)", () => {
    expect(diffLxcRawConfig(outputs(), inputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  const table: [string, Partial<LxcRawConfigInputs>, Partial<LxcRawConfigOutputs>, { changes: boolean; replaces: string[] }][] = [
    ["another host", { connection: { ...inputs().connection, host: "192.0.2.11" } }, {}, { changes: true, replaces: ["connection.host"] }],
    ["another port", { connection: { ...inputs().connection, port: 2222 } }, {}, { changes: true, replaces: ["connection.port"] }],
    ["another container", { vmid: 202 }, {}, { changes: true, replaces: ["vmid"] }],
    ["one raw line less", { rawLines: FUSE_UNCONFINED_RAW_LINES.slice(1) }, {}, { changes: true, replaces: [] }],
    ["the same lines in another order", { rawLines: [...FUSE_UNCONFINED_RAW_LINES].reverse() }, {}, { changes: true, replaces: [] }],
    ["drift seen by a refresh", {}, { rawLines: ["lxc.apparmor.profile: generated"] }, { changes: true, replaces: [] }],
    ["a container config missing at refresh", {}, { present: false, rawLines: [] }, { changes: true, replaces: [] }],
    ["another user", { connection: { ...inputs().connection, username: "admin" } }, {}, { changes: true, replaces: [] }],
    [
      "another private key",
      { connection: { ...inputs().connection, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n" } },
      {},
      { changes: true, replaces: [] },
    ],
    ["onDelete remove", { onDelete: "remove" }, {}, { changes: true, replaces: [] }],
    ["another stash dir", { stashDir: "/root/other.stash" }, {}, { changes: true, replaces: [] }],
    ["new time limits (recorded only)", { connection: { ...inputs().connection, timeouts: { change: 900 } } }, {}, { changes: true, replaces: [] }],
    ["an unknown line in a preview", { rawLines: [UNKNOWN] }, {}, { changes: true, replaces: [] }],
  ];
  describe.each(table)("with %s", (_name, news, olds, want) => {
    it(want.replaces.length ? `must replace (${want.replaces.join(", ")}), deleting the old one first` : "must update in place", () => {
      const d = diffLxcRawConfig(outputs(olds), inputs(news));
      expect(d).toEqual({ ...want, deleteBeforeReplace: want.replaces.length > 0 });
    });
  });

  it("must replace when the whole connection is unknown in a preview", () => {
    expect(diffLxcRawConfig(outputs(), inputs({ connection: UNKNOWN as unknown as LxcRawConfigInputs["connection"] }))).toMatchObject({
      changes: true,
      replaces: ["connection"],
    });
  });
});

describe("LxcRawConfig remote script", () => {
  const script = buildApplyScript({ vmid: 201, stashDir: "/root/etc-pve.stash/", token: "0123abcd", stamp: "20261125T180000000Z" });

  it("must stage a hidden file in the config's own directory and never chmod or chown in /etc/pve", () => {
    expect(script).toContain("'/etc/pve/lxc/.neve-stage-0123abcd-201.conf'");
    expect(script).not.toMatch(/\bchmod\b|\bchown\b/);
    expect(script).toContain("mv -f -- '/etc/pve/lxc/.neve-stage-0123abcd-201.conf' '/etc/pve/lxc/201.conf'");
  });

  it("must compare and rename under Proxmox's own config lock, and stash in the HostConfig layout", () => {
    const lockAt = script.indexOf("flock -w 60 9");
    expect(lockAt).toBeGreaterThan(0);
    expect(script.indexOf('if [ "$neve_now" != "$neve_want" ]')).toBeGreaterThan(lockAt);
    expect(script.indexOf("mv -f --")).toBeGreaterThan(lockAt);
    expect(script).toContain("} 9>>'/run/lock/lxc/pve-config-201.lock'");
    expect(script).toContain("'/root/etc-pve.stash/lxc-201/original/files/etc/pve/lxc/201.conf'");
    expect(script).toContain("'/root/etc-pve.stash/lxc-201/20261125T180000000Z-0123abcd/files/etc/pve/lxc/201.conf'");
  });

  it("must parse the file the host printed, byte for byte", () => {
    const text = "arch: amd64\n#caf\u00e9\n\n[atlas]\nlxc.x: y\n";
    const r = parseLxcReport(`@@neve begin\n${Buffer.from(text).toString("base64")}\n${READ_END}\n@@neve unchanged\n`);
    expect(r.content?.toString("utf8")).toBe(text);
    expect(r).toMatchObject({ readDone: true, unchanged: true, missing: false, changedTo: null });
  });
});

import { sha256Hex as sha256 } from "../../providers/common/shell";
import { checkHostConfig, DEFAULTS, UNKNOWN } from "../../providers/hostconfig/check";
import { diffHostConfig } from "../../providers/hostconfig/diff";
import type { HostConfigInputs, HostConfigOutputs } from "../../providers/hostconfig/types";

const FP = `SHA256:${"b".repeat(43)}`;
const good = () => ({
  connection: { host: "192.0.2.10", hostKey: FP },
  service: "haproxy",
  files: [{ path: "/etc/haproxy/haproxy.cfg", content: "global\n" }],
  validate: ["haproxy -c -f {staged}"],
  activate: "systemctl reload haproxy",
});

describe("HostConfig check", () => {
  it("must accept a minimal declaration and fill in the documented defaults", () => {
    const { inputs, failures } = checkHostConfig(good());
    expect(failures).toEqual([]);
    expect(inputs.connection).toEqual({ host: "192.0.2.10", port: 22, username: "root", hostKey: FP, privateKey: null });
    expect(inputs.files[0]).toEqual({
      path: "/etc/haproxy/haproxy.cfg",
      content: "global\n",
      mode: "0644",
      owner: "root",
      group: "root",
      secret: false,
      acceptLive: [],
    });
    expect(inputs).toMatchObject({ stashDir: DEFAULTS.stashDir, stashKeep: 10, onDelete: "keep", accessCritical: null, healthCheck: null });
  });

  it("must normalize a three-digit mode and default confirmSeconds", () => {
    const raw = { ...good(), files: [{ path: "/etc/a", content: "", mode: "600" }], validate: [], accessCritical: {} };
    const { inputs, failures } = checkHostConfig(raw);
    expect(failures).toEqual([]);
    expect(inputs.files[0].mode).toBe("0600");
    expect(inputs.accessCritical).toEqual({ confirmSeconds: 60, api: null });
  });

  const cases: [string, (r: ReturnType<typeof good>) => unknown, string, RegExp][] = [
    ["relative path", (r) => ({ ...r, files: [{ path: "etc/x", content: "" }] }), "files[0].path", /is relative/],
    [
      "acceptLive not a list",
      (r) => ({ ...r, files: [{ path: "/etc/x", content: "", acceptLive: "sha256:00" }] }),
      "files[0].acceptLive",
      /must be a list of sha256:<64 hex> hashes/,
    ],
    [
      "acceptLive hash in upper case",
      (r) => ({ ...r, files: [{ path: "/etc/x", content: "", acceptLive: [`sha256:${"A".repeat(64)}`] }] }),
      "files[0].acceptLive[0]",
      /must be sha256:<64 lowercase hex digits> of a live content \(sha256sum < FILE\)/,
    ],
    ["dot-dot path", (r) => ({ ...r, files: [{ path: "/etc/../root/x", content: "" }] }), "files[0].path", /"\." or "\.\." segments/],
    ["directory path", (r) => ({ ...r, files: [{ path: "/etc/haproxy/", content: "" }] }), "files[0].path", /name a file, not a directory/],
    ["newline in path", (r) => ({ ...r, files: [{ path: "/etc/a\nb", content: "" }] }), "files[0].path", /control character/],
    [
      "duplicate path",
      (r) => ({
        ...r,
        validate: [],
        files: [
          { path: "/etc/a", content: "" },
          { path: "/etc/a", content: "" },
        ],
      }),
      "files[1].path",
      /already declared as files\[0\]\.path/,
    ],
    ["path in the stash", (r) => ({ ...r, files: [{ path: "/root/etc-pve.stash/x", content: "" }] }), "files[0].path", /inside stashDir/],
    ["no files", (r) => ({ ...r, files: [] }), "files", /at least one file/],
    [
      "more files than path locks",
      (r) => ({ ...r, validate: [], files: Array.from({ length: 8 }, (_v, i) => ({ path: `/etc/a${i}`, content: "" })) }),
      "files",
      /lists 8 files, at most 7 are allowed \(a push holds one lock per file on the host\); split the service into several resources/,
    ],
    ["numeric mode", (r) => ({ ...r, files: [{ path: "/etc/a", content: "", mode: 420 }] }), "files[0].mode", /octal string such as "0644"/],
    ["bad mode", (r) => ({ ...r, files: [{ path: "/etc/a", content: "", mode: "0999" }] }), "files[0].mode", /octal string/],
    ["bad owner", (r) => ({ ...r, files: [{ path: "/etc/a", content: "", owner: "root;rm" }] }), "files[0].owner", /must be a user name/],
    ["bad group", (r) => ({ ...r, files: [{ path: "/etc/a", content: "", group: "Wheel Group" }] }), "files[0].group", /must be a group name/],
    ["content not text", (r) => ({ ...r, files: [{ path: "/etc/a", content: 5 }] }), "files[0].content", /must be a string/],
    ["empty validator", (r) => ({ ...r, validate: ["  "] }), "validate[0]", /non-empty command/],
    [
      "{staged} with two files",
      (r) => ({
        ...r,
        files: [
          { path: "/etc/a", content: "" },
          { path: "/etc/b", content: "" },
        ],
      }),
      "validate[0]",
      /\{staged\} is only allowed with exactly one file/,
    ],
    [
      "{staged:} of an unknown path",
      (r) => ({ ...r, validate: ["x {staged:/etc/nope}"] }),
      "validate[0]",
      /names no file of this resource; use one of: \/etc\/haproxy\/haproxy\.cfg/,
    ],
    ["empty activation", (r) => ({ ...r, activate: "" }), "activate", /non-empty command; omit it/],
    ["empty health check", (r) => ({ ...r, healthCheck: " " }), "healthCheck", /non-empty command; omit it/],
    ["missing hostKey", (r) => ({ ...r, connection: { host: "h" } }), "connection.hostKey", /is required \(no trust on first use\)/],
    ["bad hostKey", (r) => ({ ...r, connection: { host: "h", hostKey: "MD5:aa:bb" } }), "connection.hostKey", /expected "SHA256:<43 base64 chars>"/],
    ["bad host", (r) => ({ ...r, connection: { host: "root@h", hostKey: FP } }), "connection.host", /host name or IP address/],
    ["bad port", (r) => ({ ...r, connection: { host: "h", hostKey: FP, port: 70000 } }), "connection.port", /1-65535/],
    ["bad username", (r) => ({ ...r, connection: { host: "h", hostKey: FP, username: "root; id" } }), "connection.username", /user name/],
    ["bad service", (r) => ({ ...r, service: "neve:haproxy" }), "service", /short name/],
    ["bad stashDir", (r) => ({ ...r, stashDir: "stash" }), "stashDir", /is relative/],
    ["bad stashKeep", (r) => ({ ...r, stashKeep: 0 }), "stashKeep", /1-1000/],
    ["bad onDelete", (r) => ({ ...r, onDelete: "purge" }), "onDelete", /"keep", "remove" or "restore"/],
    ["bad confirmSeconds", (r) => ({ ...r, accessCritical: { confirmSeconds: 1 } }), "accessCritical.confirmSeconds", /2-3600/],
    ["bad api port", (r) => ({ ...r, accessCritical: { confirmSeconds: 30, api: { host: "neve", port: 0 } } }), "accessCritical.api.port", /1-65535/],
    ["bad api host", (r) => ({ ...r, accessCritical: { confirmSeconds: 30, api: { host: "ne ve", port: 8006 } } }), "accessCritical.api.host", /host name/],
  ];
  it.each(cases)("must refuse %s, naming the property", (_name, mutate, property, reason) => {
    const { failures } = checkHostConfig(mutate(good()) as Record<string, unknown>);
    expect(failures).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });

  it("must never quote a private key in a failure", () => {
    const { failures } = checkHostConfig({ ...good(), connection: { host: "h", hostKey: FP, privateKey: "hunter2-secret" } });
    expect(failures).toEqual([{ property: "connection.privateKey", reason: expect.any(String) }]);
    expect(JSON.stringify(failures)).not.toContain("hunter2");
  });

  it("must let unknown values (preview) through without failures", () => {
    const raw = { ...good(), files: [{ path: "/etc/a", content: UNKNOWN }], validate: [], connection: { host: UNKNOWN, hostKey: FP } };
    expect(checkHostConfig(raw).failures).toEqual([]);
  });
});

describe("HostConfig diff", () => {
  const inputs = (): HostConfigInputs => checkHostConfig(good()).inputs;
  const outputsOf = (i: HostConfigInputs): HostConfigOutputs => ({
    ...i,
    host: i.connection.host,
    files: i.files.map((f) => ({
      path: f.path,
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      secret: f.secret,
      sha256: sha256(f.content),
      content: f.content,
      present: true,
    })),
    lastStash: null,
  });

  it("must say no change (not {}) when nothing changed", () => {
    expect(diffHostConfig(outputsOf(inputs()), inputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it.each<[string, (i: HostConfigInputs) => void, string[]]>([
    ["host", (i) => (i.connection.host = "192.0.2.11"), ["connection.host"]],
    ["port", (i) => (i.connection.port = 2222), ["connection.port"]],
    ["service", (i) => (i.service = "other"), ["service"]],
    ["path", (i) => (i.files[0].path = "/etc/haproxy/other.cfg"), ["files"]],
  ])("must replace (delete first) when %s changes", (_n, mutate, replaces) => {
    const n = inputs();
    mutate(n);
    expect(diffHostConfig(outputsOf(inputs()), n)).toEqual({ changes: true, replaces, deleteBeforeReplace: true });
  });

  it.each<[string, (i: HostConfigInputs) => void]>([
    ["content", (i) => (i.files[0].content = "global2\n")],
    ["mode", (i) => (i.files[0].mode = "0600")],
    ["owner", (i) => (i.files[0].owner = "haproxy")],
    ["validate", (i) => (i.validate = [])],
    ["activate", (i) => (i.activate = "systemctl restart haproxy")],
    ["privateKey", (i) => (i.connection.privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----")],
    ["onDelete", (i) => (i.onDelete = "remove")],
  ])("must update in place when %s changes", (_n, mutate) => {
    const n = inputs();
    mutate(n);
    expect(diffHostConfig(outputsOf(inputs()), n)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("must update when a refresh found the file missing or edited (drift)", () => {
    const o = outputsOf(inputs());
    expect(diffHostConfig({ ...o, files: [{ ...o.files[0], present: false, sha256: null }] }, inputs()).changes).toBe(true);
    expect(diffHostConfig({ ...o, files: [{ ...o.files[0], sha256: sha256("edited") }] }, inputs()).changes).toBe(true);
  });

  it("must update when a refresh found the path's journal (its last push did not end verified), even with the same content", () => {
    const o = outputsOf(inputs());
    expect(diffHostConfig({ ...o, files: [{ ...o.files[0], pending: true }] }, inputs())).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("must treat an unknown content (preview) as a change", () => {
    const n = inputs();
    n.files[0].content = UNKNOWN;
    expect(diffHostConfig(outputsOf(inputs()), n).changes).toBe(true);
  });
});

describe("HostConfig preview with unknown values", () => {
  it("must keep a wholly unknown files list unknown and diff it as an update", () => {
    const raw = { ...good(), files: UNKNOWN, validate: [] };
    const { inputs, failures } = checkHostConfig(raw);
    expect(failures).toEqual([]);
    expect(inputs.files).toBe(UNKNOWN);
    const old = checkHostConfig(good()).inputs;
    const outs = { ...old, host: "192.0.2.10", lastStash: null, files: [] } as HostConfigOutputs;
    expect(diffHostConfig(outs, inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
  it("must accept a connection wholly unknown in a preview and keep it unknown", () => {
    const { inputs, failures } = checkHostConfig({ ...good(), connection: UNKNOWN });
    expect(failures).toEqual([]);
    expect(inputs.connection as unknown).toBe(UNKNOWN);
  });
  it("must still refuse a connection that is missing (not unknown)", () => {
    const { failures } = checkHostConfig({ ...good(), connection: undefined });
    expect(failures).toEqual(
      expect.arrayContaining([{ property: "connection", reason: "is required: { host, hostKey, port?, username?, privateKey?, timeouts? }" }]),
    );
  });
  it("must replace when the whole connection is unknown", () => {
    const { inputs } = checkHostConfig({ ...good(), connection: UNKNOWN });
    const old = checkHostConfig(good()).inputs;
    const outs = { ...old, host: "192.0.2.10", lastStash: null, files: [] } as HostConfigOutputs;
    expect(diffHostConfig(outs, inputs)).toMatchObject({ changes: true, replaces: ["connection"] });
  });
});

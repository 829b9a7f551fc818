import { extractLxcRawLines, FUSE_UNCONFINED_RAW_LINES, type LxcRawModel, lxcConfigPath, renderLxcRawConfig } from "../../stacks/render";
import * as neve from "./neve.fixture";

const model: LxcRawModel = { vmid: 201, rawLines: neve.luneRawLines };
const mainOf = (text: string) => text.slice(0, text.indexOf("\n[") === -1 ? undefined : text.indexOf("\n["));
const snapshotsOf = (text: string) => (text.indexOf("\n[") === -1 ? "" : text.slice(text.indexOf("\n[")));

describe("raw lxc lines of CT 201 lune", () => {
  it("must target /etc/pve/lxc/201.conf and carry FUSE passthrough with AppArmor off", () => {
    expect(lxcConfigPath(201)).toBe("/etc/pve/lxc/201.conf");
    expect(FUSE_UNCONFINED_RAW_LINES).toEqual([
      "lxc.apparmor.profile: unconfined",
      "lxc.cgroup2.devices.allow: c 10:229 rwm",
      "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0",
    ]);
  });

  it("must leave a config that already holds the lines byte for byte unchanged", () => {
    expect(renderLxcRawConfig(neve.lune201Conf, model)).toBe(neve.lune201Conf);
  });

  it("must add the lines after the Proxmox keys when they are missing, and touch no snapshot", () => {
    const without = neve.lune201Conf.replace(/^lxc\..*\n/gm, (line, offset: number) => (offset < neve.lune201Conf.indexOf("\n[") ? "" : line));
    expect(mainOf(without)).not.toContain("lxc.");
    const out = renderLxcRawConfig(without, model);
    expect(out).toBe(neve.lune201Conf);
    expect(snapshotsOf(out)).toContain("lxc.apparmor.profile: generated");
  });

  it("must replace old raw lines (any position, '=' form) and keep every managed line in order", () => {
    const messy = [
      "#lune%3A media and FUSE mounts",
      "arch: amd64",
      "lxc.apparmor.profile = generated",
      "cores: 2",
      "lxc.mount.entry: /srv srv none bind 0 0",
      "hostname: lune",
      "memory: 4096",
      "",
      "[pve:pending]",
      "memory: 8192",
      "lxc.cap.drop: ",
      "",
    ].join("\n");
    const out = renderLxcRawConfig(messy, model);
    expect(out).toMatchSnapshot();
    expect(mainOf(out).split("\n")).toEqual([
      "#lune%3A media and FUSE mounts",
      "arch: amd64",
      "cores: 2",
      "hostname: lune",
      "memory: 4096",
      ...FUSE_UNCONFINED_RAW_LINES,
      "",
    ]);
    expect(snapshotsOf(out)).toBe("\n[pve:pending]\nmemory: 8192\nlxc.cap.drop: \n");
  });

  it("must remove every raw line of the main section for an empty list, and only there", () => {
    const out = renderLxcRawConfig(neve.lune201Conf, { vmid: 201, rawLines: [] });
    expect(mainOf(out)).not.toContain("lxc.");
    expect(mainOf(out)).toMatch(/swap: 512\n$/);
    expect(snapshotsOf(out)).toBe(snapshotsOf(neve.lune201Conf));
  });

  it("must read back the main section's raw lines only, for drift detection", () => {
    expect(extractLxcRawLines(neve.lune201Conf)).toEqual([...FUSE_UNCONFINED_RAW_LINES]);
    expect(extractLxcRawLines("arch: amd64\n\n[snap]\nlxc.apparmor.profile: generated\n")).toEqual([]);
  });

  it("must work on a config without any snapshot and always end with one newline", () => {
    const plain = "arch: amd64\nhostname: lune\n\n\n";
    expect(renderLxcRawConfig(plain, model)).toBe(`arch: amd64\nhostname: lune\n${FUSE_UNCONFINED_RAW_LINES.join("\n")}\n`);
  });
});

describe.each<[string, string, LxcRawModel, string]>([
  [
    "a line that is not an lxc key",
    neve.lune201Conf,
    { vmid: 201, rawLines: ["features: fuse=1"] },
    'lxc[201].rawLines[0]: "features: fuse=1" does not start with "lxc."',
  ],
  [
    "a line with a newline (would smuggle a key)",
    neve.lune201Conf,
    { vmid: 201, rawLines: ["lxc.apparmor.profile: unconfined\nunprivileged: 0"] },
    "lxc[201].rawLines[0]",
  ],
  [
    "a blank before the colon (Proxmox reads no raw line)",
    neve.lune201Conf,
    { vmid: 201, rawLines: ["lxc.apparmor.profile : unconfined"] },
    'lxc[201].rawLines[0]: "lxc.apparmor.profile : unconfined" is not a raw LXC line Proxmox reads',
  ],
  ["a bad container id", neve.lune201Conf, { vmid: 20, rawLines: [] }, "lxc[20].vmid: must be a Proxmox guest id 100-999999999, got 20"],
  ["an empty existing file", "", model, "lxc[201].existing: /etc/pve/lxc/201.conf has no Proxmox keys in its main section (is vmid 201 the right container?)"],
  ["CRLF line ends", neve.lune201Conf.replace(/\n/g, "\r\n"), model, "lxc[201].existing: /etc/pve/lxc/201.conf must be the text Proxmox wrote (LF line ends)"],
])("lxc raw model with %s", (_name, existing, m, message) => {
  it("must be refused with an error naming the field", () => {
    expect(() => renderLxcRawConfig(existing, m)).toThrow(message);
  });
});

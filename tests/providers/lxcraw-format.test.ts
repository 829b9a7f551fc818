/**
 * The one raw lxc line rule (providers/lxcraw/format): what Proxmox's parse_pct_config reads as a raw line
 * (proxmox/pve-container src/PVE/LXC/Config.pm, `m/^(lxc\.[a-z0-9_\-\.]+)(:|\s*=)\s*(.*?)\s*$/`) and the
 * "key: value" form write_pct_config writes back. The schema, the renderer and LxcRawConfig's check share it.
 */
import { canonicalRawLxcLine, extractLxcRawLines, isRawLxcLine, parseRawLxcLine, renderLxcRawConfig } from "../../providers/lxcraw/format";

describe("the raw lxc line rule", () => {
  const table: [string, boolean, string | null][] = [
    ["lxc.apparmor.profile: unconfined", true, "lxc.apparmor.profile: unconfined"],
    ["lxc.apparmor.profile:unconfined", true, "lxc.apparmor.profile: unconfined"],
    ["lxc.apparmor.profile = unconfined", true, "lxc.apparmor.profile: unconfined"],
    ["lxc.apparmor.profile=unconfined", true, "lxc.apparmor.profile: unconfined"],
    ["lxc.cap.drop: ", true, "lxc.cap.drop: "],
    ["lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0  ", true, "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0"],
    ["lxc.hook.pre-start: /bin/true", true, "lxc.hook.pre-start: /bin/true"],
    ["lxc.apparmor.profile : unconfined", false, null],
    ["lxc.apparmor.profile unconfined", false, null],
    ["lxc.AppArmor.profile: unconfined", false, null],
    ["features: fuse=1", false, null],
    [" lxc.apparmor.profile: unconfined", false, null],
    ["lxc.apparmor.profile: unconfined\nunprivileged: 0", false, null],
    ["lxc.apparmor.profile: unconfined\r", false, null],
  ];
  describe.each(table)("%j", (line, accepted, canonical) => {
    it(accepted ? "must be read as a raw line and written back in Proxmox's form" : "must not be taken for a raw line", () => {
      expect(isRawLxcLine(line)).toBe(accepted);
      expect(parseRawLxcLine(line) !== null).toBe(accepted);
      if (canonical !== null) expect(canonicalRawLxcLine(line)).toBe(canonical);
      else expect(() => canonicalRawLxcLine(line)).toThrow("is not a raw LXC line");
    });
  });

  it("must treat lines alike in the renderer and the drift reader: a line only Proxmox's warning path sees stays where it is", () => {
    const conf = "arch: amd64\nhostname: x\nlxc.apparmor.profile = generated\nlxc.cap.drop : x\n";
    expect(extractLxcRawLines(conf)).toEqual(["lxc.apparmor.profile: generated"]);
    expect(renderLxcRawConfig(conf, { vmid: 201, rawLines: ["lxc.apparmor.profile=unconfined"] })).toBe(
      "arch: amd64\nhostname: x\nlxc.cap.drop : x\nlxc.apparmor.profile: unconfined\n",
    );
  });
});

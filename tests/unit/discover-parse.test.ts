/**
 * The pure parsers of discover (stacks/discover/parse), on text written the way Proxmox writes it.
 * Each case names the format rule it pins (the Proxmox source is cited in the parser's module comment).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFirewall, parseFirewallRule } from "../../stacks/discover/parse/firewall";
import { decodeText, parseGuestConf } from "../../stacks/discover/parse/guestConf";
import { logicalLines, parseInterfaces, sourceLines } from "../../stacks/discover/parse/interfaces";
import { parseSectionConfig } from "../../stacks/discover/parse/sectionConfig";
import { normaliseSysctlKey, parseSysctl } from "../../stacks/discover/parse/sysctl";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "pve-neve");
const fixture = (p: string) => fs.readFileSync(path.join(FIXTURE, p), "utf8");
const NODE = "etc/pve/nodes/neve";

describe("parseGuestConf on neve's guest configs", () => {
  it("must read etoile's main section with args, the VGA clipboard, CPU and OS type, and its RAM snapshot apart", () => {
    const g = parseGuestConf(fixture(`${NODE}/qemu-server/1201.conf`), 1201, "qemu");
    const main = new Map(g.main);
    expect(main.get("args")).toBe("-vnc 127.0.0.1:81");
    expect(main.get("vga")).toBe("std,clipboard=vnc");
    expect(main.get("cpu")).toBe("host");
    expect(main.get("ostype")).toBe("l26");
    expect(main.get("parent")).toBe("etoile-26-9-2025");
    expect(main.get("vmgenid")).toBe("3b9d6f2e-8a41-4c57-b0e3-7f1a2c5d9e86");
    expect(main.get("meta")).toBe("creation-qemu=9.0.2,ctime=1726929381");
    expect(main.has("vmstate")).toBe(false);
    expect(main.has("snaptime")).toBe(false);
    expect(g.description).toBe("Proxmox Backup Server\nWeb VNC: novnc-1201 on :6081 (clipboard through VNC)");
    expect(g.snapshots).toHaveLength(1);
    expect(g.snapshots[0]).toMatchObject({ name: "etoile-26-9-2025", vmstate: true, snaptime: 1727349213 });
    expect(g.snapshots[0].parent).toBeUndefined();
    expect(g.pending).toEqual([]);
    expect(g.unparsed).toBeUndefined();
  });

  it("must keep [special:cloudinit] out of the main section and out of the snapshots", () => {
    const g = parseGuestConf(fixture(`${NODE}/qemu-server/9100.conf`), 9100, "qemu");
    expect(g.specialSections).toEqual(["special:cloudinit"]);
    expect(g.snapshots.map((s) => [s.name, s.vmstate])).toEqual([["C28-9-25-20_27", true]]);
    expect(g.main.filter(([k]) => k === "ipconfig0")).toEqual([
      ["ipconfig0", "ip=10.10.10.90/24,gw=10.10.10.1,ip6=2001:bc8:1201:722::90/64,gw6=2001:bc8:1201:722::1"],
    ]);
    expect(g.main.find(([k]) => k === "snaptime")).toBeUndefined();
  });

  it("must read a [PENDING] section as pending, not as a snapshot", () => {
    const g = parseGuestConf(fixture(`${NODE}/qemu-server/9101.conf`), 9101, "qemu");
    expect(g.pending).toEqual([["memory", "4096"]]);
    expect(new Map(g.main).get("memory")).toBe("2048");
    expect(g.snapshots).toEqual([]);
  });

  it("must keep a container's raw lxc lines in order after the Proxmox keys, and its snapshot apart", () => {
    const lune = parseGuestConf(fixture(`${NODE}/lxc/201.conf`), 201, "lxc");
    expect(lune.main.filter(([k]) => k.startsWith("lxc."))).toEqual([
      ["lxc.apparmor.profile", "unconfined"],
      ["lxc.cgroup2.devices.allow", "c 10:229 rwm"],
      ["lxc.mount.entry", "/dev/fuse dev/fuse none bind,create=file"],
    ]);
    expect(lune.description).toBe("FUSE passthrough for rclone mounts; AppArmor off (raw lxc lines below)");
    const atlas = parseGuestConf(fixture(`${NODE}/lxc/200.conf`), 200, "lxc");
    expect(new Map(atlas.main).get("features")).toBe("keyctl=1,nesting=1");
    expect(atlas.snapshots.map((s) => [s.name, s.vmstate, s.snaptime])).toEqual([["atlas", false, 1726834021]]);
  });

  describe.each<[string, string, "qemu" | "lxc", Partial<ReturnType<typeof parseGuestConf>>]>([
    ["an empty file is a guest with no keys", "", "qemu", { main: [], pending: [], snapshots: [], specialSections: [] }],
    ["a key without a value is kept as unparsed, as qemu-server refuses it", "name: a\nvga:\n", "qemu", { main: [["name", "a"]], unparsed: ["vga:"] }],
    [
      "a later key replaces an earlier one in place",
      "memory: 1\nname: a\nmemory: 2\n",
      "qemu",
      {
        main: [
          ["memory", "2"],
          ["name", "a"],
        ],
      },
    ],
    [
      "CRLF line ends are tolerated (Proxmox writes LF)",
      "name: a\r\nmemory: 512\r\n",
      "qemu",
      {
        main: [
          ["name", "a"],
          ["memory", "512"],
        ],
      },
    ],
    [
      "an unknown section is skipped and named",
      "name: a\n\n[weird section]\nmemory: 9\n",
      "qemu",
      { main: [["name", "a"]], specialSections: ["weird section"], snapshots: [] },
    ],
    [
      "the LXC pending section is [pve:pending]",
      "memory: 512\n\n[pve:pending]\nmemory: 1024\ndelete: swap\n",
      "lxc",
      {
        main: [["memory", "512"]],
        pending: [
          ["memory", "1024"],
          ["delete", "swap"],
        ],
      },
    ],
    ["an lxc.* key written with = is read like one with :", "lxc.apparmor.profile = unconfined\n", "lxc", { main: [["lxc.apparmor.profile", "unconfined"]] }],
    ["lxc.* keys are not special in a QEMU config", "lxc.x: y\n", "qemu", { main: [], unparsed: ["lxc.x: y"] }],
    ["description: lines join the # lines", "#first\ndescription: second\nname: a\n", "qemu", { description: "first\nsecond", main: [["name", "a"]] }],
    ["a snapshot's description stays the snapshot's", "name: a\n\n[s1]\n#snap text\nname: a\nsnaptime: 5\n", "qemu", { description: undefined }],
  ])("format rule: %s", (_name, text, kind, expected) => {
    it("must parse as Proxmox does", () => {
      const g = parseGuestConf(text, 100, kind);
      for (const [k, v] of Object.entries(expected)) expect((g as unknown as Record<string, unknown>)[k]).toEqual(v);
    });
  });

  it("must decode PVE::Tools::encode_text escapes, UTF-8 included", () => {
    expect(decodeText("a%3Ab%25c%C3%A9")).toBe("a:b%cé");
    expect(decodeText("plain")).toBe("plain");
  });
});

describe("parseSectionConfig (storage.cfg, jobs.cfg)", () => {
  it("must read neve's storage with tab-indented keys, the PBS fingerprint and the `disable` flag", () => {
    const s = parseSectionConfig(fixture("etc/pve/storage.cfg"));
    expect(s.map((x) => [x.type, x.id])).toEqual([
      ["dir", "local"],
      ["zfspool", "vmdata"],
      ["pbs", "etoile"],
    ]);
    const pbs = new Map(s[2].props);
    expect(pbs.get("fingerprint")).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    expect(pbs.get("disable")).toBe("");
    expect(pbs.has("nodes")).toBe(false);
  });

  it("must read a vzdump job of jobs.cfg with its schedule and guests", () => {
    const [job] = parseSectionConfig(fixture("etc/pve/jobs.cfg"));
    expect(job.type).toBe("vzdump");
    expect(new Map(job.props).get("schedule")).toBe("sat 01:00");
    expect(new Map(job.props).get("vmid")).toBe("9101,9102");
  });

  describe.each<[string, string, ReturnType<typeof parseSectionConfig>]>([
    ["an empty file has no sections", "", []],
    [
      "comments are skipped, a blank line ends a section",
      "# c\ndir: a\n\tpath /x\n\n\tcontent iso\ndir: b\n",
      [
        { type: "dir", id: "a", props: [["path", "/x"]] },
        { type: "dir", id: "b", props: [] },
      ],
    ],
    ["the type is lower-cased, a repeated key keeps the first value", "DIR: a\n\tpath /x\n\tpath /y\n", [{ type: "dir", id: "a", props: [["path", "/x"]] }]],
    [
      "a line of whitespace only does not end the section (only an empty line does)",
      "dir: a\n\t\n\tpath /x\n",
      [{ type: "dir", id: "a", props: [["path", "/x"]] }],
    ],
    ["space-indented keys count like tab-indented ones", "pbs: e\n    server 10.0.0.1\n", [{ type: "pbs", id: "e", props: [["server", "10.0.0.1"]] }]],
  ])("format rule: %s", (_n, text, expected) => {
    it("must parse as SectionConfig does", () => expect(parseSectionConfig(text)).toEqual(expected));
  });
});

describe("parseFirewall (cluster.fw)", () => {
  it("must read [ALIASES] and [IPSET name] sections as Proxmox writes them (names lowercased, nomatch entries kept)", () => {
    expect(parseFirewall(fixture("etc/pve/firewall/cluster.fw"))).toMatchObject({
      aliases: { tailnet: "100.64.0.0/10" },
      ipsets: { management: ["100.94.229.96"] },
    });
    const fw = parseFirewall("[IPSET Blocklist] # bad hosts\n\n203.0.113.0/24 # spam\n!203.0.113.7\ntailnet\n\n[ALIASES]\n\nWork 198.51.100.0/24\n");
    expect(fw.ipsets).toEqual({ blocklist: ["203.0.113.0/24", "!203.0.113.7", "tailnet"] });
    expect(fw.aliases).toEqual({ work: "198.51.100.0/24" });
    expect(fw.unparsed).toBeUndefined();
  });

  it("must read neve's options, macros, port lists, a disabled rule and comments", () => {
    const fw = parseFirewall(fixture("etc/pve/firewall/cluster.fw"));
    expect(new Map(fw.options)).toEqual(
      new Map([
        ["enable", "1"],
        ["policy_in", "DROP"],
      ]),
    );
    expect(fw.otherSections).toEqual(["ALIASES", "IPSET management"]);
    expect(fw.rules[0]).toMatchObject({ type: "in", macro: "SSH", action: "ACCEPT", source: "100.64.0.0/10", enabled: true, comment: "SSH from the tailnet" });
    expect(fw.rules.find((r) => r.dport === "80,443")).toMatchObject({ proto: "tcp", action: "ACCEPT" });
    expect(fw.rules.filter((r) => !r.enabled).map((r) => r.dport)).toEqual(["3128"]);
    expect(fw.unparsed).toBeUndefined();
  });

  describe.each<[string, string, Partial<NonNullable<ReturnType<typeof parseFirewallRule>>> | undefined]>([
    ["a macro rule carries the macro apart from its action", "IN SSH(ACCEPT) -source 1.2.3.4", { macro: "SSH", action: "ACCEPT", source: "1.2.3.4" }],
    ["-dport keeps lists and ranges as written", "IN ACCEPT -p tcp -dport 6000:6010,80", { dport: "6000:6010,80", proto: "tcp" }],
    ["two-dash options count (--dport, --proto)", "OUT DROP --proto udp --dport 53", { type: "out", proto: "udp", dport: "53" }],
    ["a leading | disables the rule", "|IN DROP -i vmbr0 # off", { enabled: false, iface: "vmbr0", comment: "off" }],
    ["a security group reference", "GROUP webservers -i vmbr0", { type: "group", action: "webservers", iface: "vmbr0" }],
    ["an unknown option makes the rule unparsable", "IN ACCEPT -bogus 1", undefined],
    ["an unknown rule type is unparsable", "FORWARD ACCEPT", undefined],
  ])("rule: %s", (_n, line, expected) => {
    it("must parse as pve-firewall does", () => {
      const r = parseFirewallRule(line);
      if (expected === undefined) expect(r).toBeUndefined();
      else expect(r).toMatchObject(expected);
    });
  });

  it("must keep unparsable lines instead of dropping them silently, and an empty file empty", () => {
    expect(parseFirewall("[RULES]\nIN ACCEPT -bogus 1\nIN ACCEPT\n").unparsed).toEqual(["IN ACCEPT -bogus 1"]);
    expect(parseFirewall("")).toEqual({ options: [], rules: [], otherSections: [] });
  });
});

describe("parseInterfaces", () => {
  it("must read vmbr0 (dhcp + static IPv6), vmbr1 with its NAT post-up lines, and the sourced file's stanza", () => {
    const n = parseInterfaces([
      { path: "/etc/network/interfaces", text: fixture("etc/network/interfaces") },
      { path: "/etc/network/interfaces.d/vmbr1-ipv6", text: fixture("etc/network/interfaces.d/vmbr1-ipv6") },
    ]);
    expect(n.auto).toEqual(["lo", "vmbr0", "vmbr1"]);
    expect(n.stanzas.map((s) => `${s.name} ${s.family} ${s.method}`)).toEqual([
      "lo inet loopback",
      "enp5s0 inet manual",
      "vmbr0 inet dhcp",
      "vmbr0 inet6 static",
      "vmbr1 inet static",
      "vmbr1 inet6 manual",
    ]);
    const vmbr1 = n.stanzas[4];
    expect(vmbr1.options.filter(([k, v]) => k === "post-up" && v.includes("MASQUERADE"))).toEqual([
      ["post-up", "iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE"],
    ]);
    expect(n.stanzas[5].file).toBe("/etc/network/interfaces.d/vmbr1-ipv6");
  });

  it("must join continued lines, skip comments and find source lines by physical line", () => {
    expect(logicalLines("# c\niface a inet static\n  address 1.2.3.4/24 \\\n  # not a comment here\n")).toEqual([
      "iface a inet static",
      "address 1.2.3.4/24 # not a comment here",
    ]);
    // ifupdown2 joins continuations before it looks for comments.
    expect(logicalLines("# comment \\\nauto eth0\nauto eth1\n")).toEqual(["auto eth1"]);
    expect(sourceLines("source /etc/network/interfaces.d/*\n  source-directory extra\n# source /nope\n")).toEqual([
      { kind: "source", arg: "/etc/network/interfaces.d/*" },
      { kind: "source-directory", arg: "extra" },
    ]);
    expect(parseInterfaces([]).stanzas).toEqual([]);
    expect(parseInterfaces([{ path: "/i", text: "allow-hotplug eno1\niface eno1\n  mtu\n  mtu 9000\nvlan v10\n  vlan-id 10\n" }])).toMatchObject({
      auto: ["eno1"],
      stanzas: [
        { name: "eno1", family: "inet", method: "", options: [["mtu", "9000"]] },
        { name: "v10", options: [["vlan-id", "10"]] },
      ],
    });
  });
});

describe("parseSysctl", () => {
  it("must read neve's IPv6 forwarding from sysctl.conf, and comments as nothing", () => {
    const s = parseSysctl([{ path: "/etc/sysctl.conf", text: fixture("etc/sysctl.conf") }]);
    expect(s).toEqual([
      { file: "/etc/sysctl.conf", key: "net.ipv6.conf.all.forwarding", value: "1" },
      { file: "/etc/sysctl.conf", key: "net.ipv6.conf.all.proxy_ndp", value: "1" },
    ]);
  });

  it.each([
    ["net.ipv4.ip_forward", "net.ipv4.ip_forward"],
    ["net/ipv4/ip_forward", "net.ipv4.ip_forward"],
    ["-net.ipv6.conf.all.forwarding", "net.ipv6.conf.all.forwarding"],
    ["net/ipv4/conf/enp5s0.100/rp_filter", "net.ipv4.conf.enp5s0/100.rp_filter"],
  ])("must normalise the key %s to %s", (k, want) => expect(normaliseSysctlKey(k)).toBe(want));

  it("must skip ; comments and lines without =", () => {
    expect(parseSysctl([{ path: "/f", text: "; c\nnot a setting\n a.b = 1 \n" }])).toEqual([{ file: "/f", key: "a.b", value: "1" }]);
  });
});

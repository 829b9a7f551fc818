/**
 * Named live edits of the pve-neve fixture, each with what discover's facts must then show. Each edit
 * is a shell snippet run with the tree's root as the working directory (paths relative: `etc/pve/...`),
 * so the same edit applies to a local copy (--root) and, from `/`, to the sshd test host (SSH).
 * Used by tests/unit/discover-cases.test.ts (--root) and tests/host/discover-read.test.ts (both readers).
 */
import type { LiveFacts } from "../stacks/discover/facts";

/** One named edit. */
export interface LiveEditCase {
  /** What happened on the host, in the operator's words. */
  readonly name: string;
  /** POSIX sh, run in the tree's root. */
  readonly edit: string;
  /** Assertions on the facts read after the edit (throws on mismatch); or the error text expected instead. */
  readonly expect: ((facts: LiveFacts) => void) | { readonly error: RegExp };
  /** True for an edit the facts must not show at all (same facts as the unedited fixture). */
  readonly sameFacts?: true;
}

const N = "etc/pve/nodes/neve";
const guest = (f: LiveFacts, vmid: number) => {
  const g = f.guests.find((x) => x.vmid === vmid);
  if (!g) throw new Error(`guest ${vmid} missing`);
  return g;
};
const main = (f: LiveFacts, vmid: number) => new Map(guest(f, vmid).main);
function eq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** The table. */
export const LIVE_EDIT_CASES: readonly LiveEditCase[] = [
  {
    name: "a snapshot of lune was taken (a new section; the main section is unchanged)",
    edit: `printf '\\n[before-upgrade]\\narch: amd64\\nhostname: lune\\nmemory: 4096\\nsnaptime: 1730000000\\n' >> ${N}/lxc/201.conf && sed -i '1a parent: before-upgrade' ${N}/lxc/201.conf`,
    expect: (f) => {
      eq(
        guest(f, 201).snapshots.map((s) => [s.name, s.vmstate, s.snaptime]),
        [["before-upgrade", false, 1730000000]],
        "lune's snapshots",
      );
      eq(main(f, 201).get("parent"), "before-upgrade", "lune's parent");
      eq(main(f, 201).get("memory"), "4096", "lune's memory");
      eq(guest(f, 201).main.filter(([k]) => k.startsWith("lxc.")).length, 3, "lune's raw lines");
    },
  },
  {
    name: "etoile's memory was changed while running (a [PENDING] section, main unchanged)",
    edit: `sed -i 's/^\\[etoile-26-9-2025\\]$/[PENDING]\\nmemory: 8192\\n\\n&/' ${N}/qemu-server/1201.conf`,
    expect: (f) => {
      eq(guest(f, 1201).pending, [["memory", "8192"]], "etoile's pending");
      eq(main(f, 1201).get("memory"), "4096", "etoile's memory");
      eq(
        guest(f, 1201).snapshots.map((s) => s.name),
        ["etoile-26-9-2025"],
        "etoile's snapshots",
      );
    },
  },
  {
    name: "dhcp-final-test was destroyed",
    edit: `rm ${N}/qemu-server/9102.conf`,
    expect: (f) =>
      eq(
        f.guests.map((g) => g.vmid),
        [200, 201, 1200, 1201, 9000, 9100, 9101],
        "guests",
      ),
  },
  {
    name: "a container was created by hand (CT 202 the stack does not know)",
    edit: `printf 'arch: amd64\\nhostname: soleil\\nmemory: 1024\\nostype: debian\\nrootfs: vmdata:subvol-202-disk-0,size=4G\\nunprivileged: 1\\n' > ${N}/lxc/202.conf`,
    expect: (f) => eq([guest(f, 202).kind, main(f, 202).get("hostname")], ["lxc", "soleil"], "CT 202"),
  },
  {
    name: "the PBS storage was re-enabled (the `disable` flag is gone, the fingerprint stays)",
    edit: `sed -i '/^\\tdisable$/d' etc/pve/storage.cfg`,
    expect: (f) => {
      const props = new Map(f.storage.find((s) => s.id === "etoile")!.props);
      eq([props.has("disable"), props.has("fingerprint")], [false, true], "etoile's disable/fingerprint");
    },
  },
  {
    name: "a second backup job was added in the GUI",
    edit: `printf 'vzdump: backup-0a1b2c3d-4e5f\\n\\tschedule daily\\n\\tenabled 0\\n\\tstorage etoile\\n\\tvmid 9100\\n\\n' >> etc/pve/jobs.cfg`,
    expect: (f) =>
      eq(
        f.jobs.map((j) => [j.id, new Map(j.props).get("enabled")]),
        [
          ["backup-5d2f9a1c-7e34", "1"],
          ["backup-0a1b2c3d-4e5f", "0"],
        ],
        "jobs",
      ),
  },
  {
    name: "the web-UI rule was switched off (a leading |)",
    edit: `sed -i 's/^IN ACCEPT -source 100.64.0.0\\/10 -p tcp -dport 8006/|&/' etc/pve/firewall/cluster.fw`,
    expect: (f) =>
      eq(
        f.firewall!.rules.filter((r) => !r.enabled).map((r) => r.dport),
        ["8006", "3128"],
        "disabled rules",
      ),
  },
  {
    name: "the cluster firewall file was removed",
    edit: "rm etc/pve/firewall/cluster.fw",
    expect: (f) => eq(f.firewall, undefined, "firewall"),
  },
  {
    name: "a second sourced network file (sorted after the first), and a dot file the glob skips",
    edit: "printf 'auto dummy0\\niface dummy0 inet manual\\n\\tpre-up ip link add dummy0 type dummy\\n' > etc/network/interfaces.d/zz-dummy && printf 'iface hidden inet manual\\n' > etc/network/interfaces.d/.hidden",
    expect: (f) => {
      eq(f.network.files, ["/etc/network/interfaces", "/etc/network/interfaces.d/vmbr1-ipv6", "/etc/network/interfaces.d/zz-dummy"], "network files");
      eq(f.network.auto, ["lo", "vmbr0", "vmbr1", "dummy0"], "auto");
    },
  },
  {
    name: "the source line is relative and a sourced file sources the main file back (no loop)",
    edit: "sed -i 's|^source /etc/network/interfaces.d/\\*$|source interfaces.d/*|' etc/network/interfaces && printf 'source /etc/network/interfaces\\n' >> etc/network/interfaces.d/vmbr1-ipv6",
    expect: (f) => eq(f.network.files, ["/etc/network/interfaces", "/etc/network/interfaces.d/vmbr1-ipv6"], "network files"),
    sameFacts: true,
  },
  {
    name: "source-directory instead of source (ifupdown2 reads every file there, dot files too)",
    edit: "sed -i 's|^source /etc/network/interfaces.d/\\*$|source-directory /etc/network/interfaces.d|' etc/network/interfaces && printf 'iface extra0 inet manual\\n' > etc/network/interfaces.d/extra.cfg && printf 'iface late0 inet manual\\n' > etc/network/interfaces.d/.late",
    expect: (f) => {
      eq(
        f.network.files,
        ["/etc/network/interfaces", "/etc/network/interfaces.d/extra.cfg", "/etc/network/interfaces.d/vmbr1-ipv6", "/etc/network/interfaces.d/.late"],
        "network files",
      );
      eq(
        f.network.stanzas.slice(-3).map((x) => x.name),
        ["extra0", "vmbr1", "late0"],
        "last stanzas",
      );
    },
  },
  {
    name: "IPv6 forwarding moved from sysctl.conf to a sysctl.d file (applied before sysctl.conf)",
    edit: "sed -i '/^net.ipv6.conf.all.forwarding=1$/d' etc/sysctl.conf && printf 'net.ipv6.conf.all.forwarding = 1\\nnet/ipv4/ip_forward = 1\\n' > etc/sysctl.d/90-neve-forwarding.conf",
    expect: (f) =>
      eq(
        f.sysctl.map((s) => `${s.file.replace(/^\/etc\//, "")} ${s.key}=${s.value}`),
        [
          "sysctl.d/90-neve-forwarding.conf net.ipv6.conf.all.forwarding=1",
          "sysctl.d/90-neve-forwarding.conf net.ipv4.ip_forward=1",
          "sysctl.d/pve.conf net.ipv4.igmp_max_memberships=1024",
          "sysctl.d/pve.conf fs.aio-max-nr=1048576",
          "sysctl.conf net.ipv6.conf.all.proxy_ndp=1",
        ],
        "sysctl settings",
      ),
  },
  {
    name: "no /etc/network/interfaces at all",
    edit: "rm -r etc/network",
    expect: (f) => eq([f.network.files, f.network.stanzas.length], [[], 0], "network"),
  },
  // Damaged files: discover must refuse them by file and line (exit 2), never read around them.
  {
    name: "a byte of etoile's memory line is not UTF-8 (it must not read as absent, i.e. the 512 MiB default)",
    edit: `sed -i '8s/$/\\xff/' ${N}/qemu-server/1201.conf`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/qemu-server\/1201\.conf line 8 is not UTF-8 text: "memory: 4096\\xff"/ },
  },
  {
    name: "a NUL byte in lune's config",
    edit: `sed -i '2s/^/\\x00/' ${N}/lxc/201.conf`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/lxc\/201\.conf line 2 holds a NUL byte \(column 1\): "\\x00/ },
  },
  {
    name: "storage.cfg holds a byte that is not UTF-8",
    edit: "sed -i '3s/$/ caf\\xe9/' etc/pve/storage.cfg",
    expect: { error: /\/etc\/pve\/storage\.cfg line 3 is not UTF-8 text: "\\x09content iso,vztmpl,backup,snippets caf\\xe9"/ },
  },
  {
    name: "a sourced network file holds a Latin-1 comment (ifupdown2 reads UTF-8 too)",
    edit: "printf '# r\\351seau\\n' >> etc/network/interfaces.d/vmbr1-ipv6",
    expect: { error: /\/etc\/network\/interfaces\.d\/vmbr1-ipv6 line 9 is not UTF-8 text: "# r\\xe9seau"/ },
  },
  {
    name: "a storage id appears twice in storage.cfg (Proxmox keeps the last one only)",
    edit: "printf '\\ndir: vmdata\\n\\tpath /srv/vmdata\\n\\tcontent images\\n' >> etc/pve/storage.cfg",
    expect: {
      error: /\/etc\/pve\/storage\.cfg line 22: a second section with the id vmdata \(the first is at line 6\); Proxmox keeps only the last one/,
    },
  },
  {
    name: "a backup job id appears twice in jobs.cfg",
    edit: "printf '\\nvzdump: backup-5d2f9a1c-7e34\\n\\tschedule sun 02:00\\n\\tstorage local\\n' >> etc/pve/jobs.cfg",
    expect: { error: /\/etc\/pve\/jobs\.cfg line 14: a second section with the id backup-5d2f9a1c-7e34 \(the first is at line 1\)/ },
  },
  {
    name: "a guest config that is a symbolic link loop",
    edit: `ln -s 9200.conf ${N}/qemu-server/9200.conf`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/qemu-server\/9200\.conf is a symbolic link that does not resolve \(dangling, or a loop\)/ },
  },
  {
    name: "the node's lxc directory is a symbolic link loop (its guests must not silently vanish)",
    edit: `rm -r ${N}/lxc && ln -s lxc ${N}/lxc`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/lxc\/ is a symbolic link that does not resolve/ },
  },
  {
    name: "a sysctl.d file is a dangling link, and storage.cfg a directory (every problem named at once)",
    edit: "ln -s ../gone.conf etc/sysctl.d/50-gone.conf && rm etc/pve/storage.cfg && mkdir etc/pve/storage.cfg",
    expect: {
      error:
        /discover cannot read these 2, so it reports nothing \(fix each on the host, then run discover again\):\n {2}\/etc\/pve\/storage\.cfg is not a regular file\n {2}\/etc\/sysctl\.d\/50-gone\.conf is a symbolic link that does not resolve/,
    },
  },
  {
    name: "a line of etoile's config that Proxmox cannot parse (a key without a value)",
    edit: `sed -i '8a vga:' ${N}/qemu-server/1201.conf`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/qemu-server\/1201\.conf line 9: "vga:" is not a line Proxmox can parse \(qemu-server skips it/ },
  },
  {
    name: "a firewall rule pve-firewall cannot parse (an unknown option)",
    edit: "sed -i 's/^\\[RULES\\]$/&\\nIN ACCEPT -bogus 1/' etc/pve/firewall/cluster.fw",
    expect: { error: /\/etc\/pve\/firewall\/cluster\.fw line 15: "IN ACCEPT -bogus 1" is not a line pve-firewall can parse/ },
  },
  {
    name: "a guest config that is a directory is refused by name",
    edit: `rm ${N}/qemu-server/9101.conf && mkdir ${N}/qemu-server/9101.conf`,
    expect: { error: /\/etc\/pve\/nodes\/neve\/qemu-server\/9101\.conf is not a regular file/ },
  },
];

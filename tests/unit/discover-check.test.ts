import { parseDocument } from "yaml";
import { checkStack, formatCheck } from "../../stacks/discover/check";
import type { ConfEntries, LiveFacts } from "../../stacks/discover/facts";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { base, drop, ETOILE, JOB, LOCAL, PBS, run, SSH_RULE, STACK, section, set, VMBR1, vm, WEBUI_RULE, withCt, withVm } from "./support/discoverHost";

// discover --check and --write over LiveFacts literals (the parsers have their own tests): a host that
// matches a small stack exactly (./support/discoverHost.ts), then one named drift at a time.

describe("discover --check on a host that matches the stack", () => {
  it("must exit 0 and list nothing to change", () => {
    const { report, out } = run(base());
    expect(out).toContain("Changes the first `pulumi up` would make (or recorded fields that differ): 0");
    expect(report.code).toBe(0);
  });
});

describe("discover --check on a host without a declared private bridge", () => {
  it("must count it as a conflict that says no up creates a bridge, never list it as a creation", () => {
    const facts = base();
    const host: LiveFacts = { ...facts, network: { ...facts.network, auto: ["vmbr0"], stanzas: facts.network.stanzas.filter((s) => s.name !== "vmbr1") } };
    const { report, out } = run(host);
    expect(report.conflicts.filter((c) => c.kind === "bridge").map((c) => c.path)).toEqual(["network.bridges.vmbr1"]);
    expect(out).toContain("network.bridges.vmbr1 is declared but the host has no bridge vmbr1, and no up creates a bridge");
    expect(out).toContain("npm run discover -- --write --adopt bridge:vmbr1");
    expect(report.creations.join("\n")).not.toContain("network.bridges.vmbr1");
    expect(report.code).toBe(1);
  });
});

const DRIFTS: Array<[name: string, mutate: (l: LiveFacts) => LiveFacts, line: string]> = [
  ["a CPU type the stack does not state", withVm(set("cpu", "host")), "guests.etoile cpuType: live host, declared qemu64 (provider default)"],
  ["a VM without a cpu line (qemu-server's kvm64)", withVm(drop("cpu")), "guests.etoile cpuType: live kvm64, declared qemu64 (provider default)"],
  ["an OS type", withVm(set("ostype", "l26")), "guests.etoile osType: live l26, declared other (provider default)"],
  ["a VGA clipboard", withVm(set("vga", "std,clipboard=vnc")), "guests.etoile vga: live {type: std, clipboard: vnc}, declared {type: std} (provider default)"],
  [
    "args only root@pam may set",
    withVm(set("args", "-vnc 127.0.0.1:81")),
    "guests.etoile args: live -vnc 127.0.0.1:81, declared (none) (recorded only: the resource ignores it)",
  ],
  ["no scsihw line (qemu-server's lsi)", withVm(drop("scsihw")), "guests.etoile scsiHardware: live lsi, declared virtio-scsi-pci (provider default)"],
  ["no balloon line (the device at memory size)", withVm(drop("balloon")), "guests.etoile balloonMiB: live 4096, declared 0 (provider default)"],
  ["a BIOS", withVm(set("bios", "ovmf")), "guests.etoile bios: live ovmf, declared seabios (provider default)"],
  [
    "a VM NIC firewall flag",
    withVm(set("net0", "virtio=BC:24:11:5E:7A:21,bridge=vmbr1,firewall=1")),
    "guests.etoile firewall: live true, declared false (provider default)",
  ],
  [
    "a description edited on the host",
    (l) => ({ ...l, guests: [l.guests[0], vm(ETOILE, { description: "PBS\nsecond line" })] }),
    'guests.etoile description: live "PBS\\nsecond line", declared Proxmox Backup Server',
  ],
  [
    "a snapshot",
    withVm((m) => m, { snapshots: [{ name: "before-update", vmstate: true, entries: [] }] }),
    "guests.etoile snapshots: live [before-update], declared [] (recorded only: the resource ignores it)",
  ],
  ["container swap", withCt(set("swap", "512")), "guests.atlas swapMiB: live 512, declared 0 (provider default)"],
  [
    "a container NIC firewall flag",
    withCt(set("net0", "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp,type=veth")),
    "guests.atlas firewall: live true, declared false (provider default)",
  ],
  ["a restricted container feature (keyctl)", withCt(set("features", "keyctl=1,nesting=1")), "guests.atlas features.keyctl: live true, declared false"],
  [
    "raw lxc lines",
    withCt((m) => [...m, ["lxc.apparmor.profile", "unconfined"]]),
    "guests.atlas rawLxc: live [lxc.apparmor.profile: unconfined], declared [] (recorded only: the resource ignores it)",
  ],
  [
    "a PBS fingerprint changed on the host",
    (l) => ({
      ...l,
      storage: [
        LOCAL,
        section(
          "pbs",
          "etoile",
          PBS.props.map(([k, v]) => [k, k === "fingerprint" ? `ff${v.slice(2)}` : v] as const),
        ),
      ],
    }),
    "storage.etoile fingerprint: live ff:11",
  ],
  [
    "a job's retention",
    (l) => ({
      ...l,
      jobs: [
        section(
          "vzdump",
          "backup-aaaa",
          JOB.props.map(([k, v]) => [k, k === "prune-backups" ? "keep-last=2" : v] as const),
        ),
      ],
    }),
    "backups.weekly keepLast: live 2, declared 3",
  ],
  [
    "a job without compress (vzdump's 0)",
    (l) => ({
      ...l,
      jobs: [
        section(
          "vzdump",
          "backup-aaaa",
          JOB.props.filter(([k]) => k !== "compress"),
        ),
      ],
    }),
    "backups.weekly compress: live 0, declared zstd",
  ],
  [
    "an unknown guest",
    (l) => ({
      ...l,
      guests: [
        ...l.guests,
        {
          ...vm([
            ["name", "francoise"],
            ["memory", "2048"],
            ["ipconfig0", "ip=10.10.10.91/24,gw=10.10.10.1"],
            ["net0", "virtio=BC:24:11:7F:E2:91,bridge=vmbr1"],
          ]),
          vmid: 9101,
          description: undefined,
        },
      ],
    }),
    "guest 9101 francoise (VM, 10.10.10.91)",
  ],
  [
    "an unknown backup job",
    (l) => ({
      ...l,
      jobs: [
        ...l.jobs,
        section("vzdump", "backup-bbbb", [
          ["schedule", "daily"],
          ["storage", "local"],
          ["vmid", "200"],
        ]),
      ],
    }),
    "backup job backup-bbbb (guests 200 to local, daily)",
  ],
  [
    "a storage limited to this node (`nodes neve`), content in another order",
    (l) => ({
      ...l,
      storage: [
        section("dir", "local", [
          ["path", "/var/lib/vz"],
          ["content", "backup,iso"],
          ["nodes", "neve"],
        ]),
        l.storage[1],
      ],
    }),
    "storage.local nodes: live [neve], declared [] (provider default)",
  ],
  [
    "an unknown storage",
    (l) => ({
      ...l,
      storage: [
        ...l.storage,
        section("dir", "scratch", [
          ["path", "/srv/scratch"],
          ["content", "iso"],
        ]),
      ],
    }),
    "storage scratch (dir)",
  ],
  [
    "NAT in /etc/network/interfaces",
    (l) => ({
      ...l,
      network: {
        ...l.network,
        stanzas: [
          l.network.stanzas[0],
          { ...VMBR1, options: [...VMBR1.options, ["post-up", "iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE"]] },
        ],
      },
    }),
    "network.bridges.vmbr1.nat: the host already masquerades 10.10.10.0/24",
  ],
  [
    "NAT written for nftables in /etc/network/interfaces",
    (l) => ({
      ...l,
      network: {
        ...l.network,
        stanzas: [
          l.network.stanzas[0],
          { ...VMBR1, options: [...VMBR1.options, ["post-up", 'nft add rule ip nat postrouting ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade']] },
        ],
      },
    }),
    "network.bridges.vmbr1.nat: the host already masquerades 10.10.10.0/24",
  ],
  [
    "NAT in Debian's nftables ruleset (/etc/nftables.conf)",
    (l) => ({
      ...l,
      files: {
        "/etc/nftables.conf": {
          path: "/etc/nftables.conf",
          exists: true,
          kind: "file",
          content:
            'table ip nat {\n  chain postrouting {\n    type nat hook postrouting priority 100;\n    ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade\n  }\n}\n',
        },
      },
    }),
    'network.bridges.vmbr1.nat: the host already masquerades 10.10.10.0/24 (/etc/nftables.conf (ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade))',
  ],
  [
    "IPv4 forwarding set in /etc/sysctl.conf",
    (l) => ({ ...l, sysctl: [{ file: "/etc/sysctl.conf", key: "net.ipv4.ip_forward", value: "1" }] }),
    "hostServices.forwarding: the host already sets net.ipv4.ip_forward=1 in /etc/sysctl.conf",
  ],
  [
    "the firewall's input policy",
    (l) => ({
      ...l,
      firewall: {
        ...l.firewall!,
        options: [
          ["enable", "1"],
          ["policy_in", "ACCEPT"],
        ],
      },
    }),
    "firewall inputPolicy: live ACCEPT, declared DROP",
  ],
  [
    "a firewall rule added on the host",
    (l) => ({
      ...l,
      firewall: {
        ...l.firewall!,
        rules: [
          SSH_RULE,
          WEBUI_RULE,
          { type: "in", action: "ACCEPT", enabled: true, proto: "tcp", dport: "80,443", comment: "web", raw: "IN ACCEPT -p tcp -dport 80,443 # web" },
        ],
      },
    }),
    "firewall rules: live 3 rules, declared 2\n    [2] live IN ACCEPT -p tcp -dport 80,443 # web, declared (none)",
  ],
  [
    "a public IPv6 on the public bridge",
    (l) => ({
      ...l,
      network: {
        ...l.network,
        stanzas: [
          ...l.network.stanzas,
          { name: "vmbr0", family: "inet6", method: "static", options: [["address", "2001:db8::1/64"]], file: "/etc/network/interfaces" },
        ],
      },
    }),
    "network.bridges.vmbr0 ipv6: live 2001:db8::1/64, declared (none)",
  ],
];

describe.each(DRIFTS)("discover with drift: %s", (_name, mutate, line) => {
  const facts = mutate(base());

  if (line === "") {
    it("must not count a field the program does not declare", () => {
      expect(run(facts).report.code).toBe(0);
    });
    return;
  }

  it("must exit 1 and name it in one line", () => {
    const { report, out } = run(facts);
    expect(out).toContain(line);
    expect(report.code).toBe(1);
  });

  it("must make --check exit 0 after --write, keeping the file's comments", () => {
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(formatCheck(written.after)).toContain("exit 0");
    expect(written.text).toContain("# the operator's way in");
    expect(written.text).toContain("# the private bridge");
    // The written file is valid and reconciled.
    const again = modelFromText(written.text);
    expect(checkStack(again, live).code).toBe(0);
    expect(again.adoption.reconciled).toMatch(/^sha256:/);
  });
});

describe("discover --write choices", () => {
  it("must honour adoption.acknowledge: listed as acknowledged, exit 0, and never overwritten", () => {
    const facts = withVm(set("cpu", "host"))(base());
    // cpuType needs a restart of the running VM: acknowledging it needs restartOnUpdate (stacks/config/rules/restart.ts).
    const text = STACK.replace(
      "  neve-infra:hostServices:",
      '  neve-infra:adoption: { acknowledge: ["guests.etoile.cpuType"] }\n  neve-infra:hostServices:',
    ).replace("      ipv4: 10.10.10.2\n", "      ipv4: 10.10.10.2\n      restartOnUpdate: true\n");
    const { report, out, model, live } = run(facts, text);
    expect(report.code).toBe(0);
    expect(out).toContain("Acknowledged (adoption.acknowledge; the up applies the declared value): 1\n  guests.etoile cpuType: live host, declared qemu64");
    const written = writeStack(text, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(modelFromText(written.text).guests.find((g) => g.name === "etoile")).not.toHaveProperty("cpuType", "host");
    expect(written.choices.join("\n")).toContain("guests.etoile.cpuType: kept qemu64 (acknowledged");
  });

  it("must not call the stack's NAT a duplicate while host services are off (the stack renders none)", () => {
    const facts = DRIFTS.find(([n]) => n === "NAT in /etc/network/interfaces")![1](base());
    const { report } = run(facts, STACK.replace("neve-infra:hostServices: { enabled: true }", "neve-infra:hostServices: { enabled: false }"));
    expect(report.conflicts).toEqual([]);
    expect(report.code).toBe(0);
  });

  it("must adopt the host's NAT instead of declaring a second one", () => {
    const facts = DRIFTS.find(([n]) => n === "NAT in /etc/network/interfaces")![1](base());
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(modelFromText(written.text).network.bridges.vmbr1.nat).toBe("interfaces");
    expect(written.choices.join("\n")).toContain("network.bridges.vmbr1.nat: interfaces (adopted the host's own NAT");
  });

  it("must record an unknown guest and job as unmanaged, the guest's address as held, and never list them in adoption.live", () => {
    const facts = DRIFTS.find(([n]) => n === "an unknown guest")![1](DRIFTS.find(([n]) => n === "an unknown backup job")![1](base()));
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    const m = modelFromText(written.text);
    expect(m.adoption.unmanaged).toEqual({ guests: [9101], storage: [], jobs: ["backup-bbbb"] });
    expect(m.network.ipv4.unmanaged).toEqual([{ address: "10.10.10.91", holder: "francoise" }]);
    // adoption.live lists declared objects only (stacks/discover/adopt.ts).
    expect(m.adoption.live).toEqual({
      guests: [200, 1201],
      storage: ["local", "etoile"],
      bridges: ["vmbr0", "vmbr1"],
      jobs: ["backup-aaaa"],
      firewall: true,
    });
  });

  it("must be idempotent: a second --write changes nothing but the timestamp", () => {
    const facts = DRIFTS.find(([n]) => n === "a CPU type the stack does not state")![1](DRIFTS.find(([n]) => n === "an unknown guest")![1](base()));
    const { model, live } = run(facts);
    const first = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    const second = writeStack(first.text, modelFromText(first.text), live, { now: "2026-11-30T00:00:00Z" });
    expect(second.text).toBe(first.text);
    expect(second.choices.filter((c) => /\(live; was/.test(c))).toEqual([]);
  });

  it("must refuse to write a file the program would refuse (a bridge address that no longer fits the IP plan)", () => {
    const facts: LiveFacts = {
      ...base(),
      network: {
        ...base().network,
        stanzas: [
          base().network.stanzas[0],
          {
            ...VMBR1,
            options: [
              ["address", "10.10.10.254/24"],
              ["bridge-ports", "none"],
            ],
          },
        ],
      },
    };
    const { model, live, out } = run(facts);
    expect(out).toContain("network.bridges.vmbr1 ipv4: live 10.10.10.254/24, declared 10.10.10.1/24");
    expect(() => writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" })).toThrow(
      /would not validate, so it was not written:[\s\S]*network\.bridges\.vmbr1\.ipv4/,
    );
  });

  it.each([
    ["a VM", withVm(set("net1", "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1")), "guests.etoile"],
    ["a container", withCt(set("net1", "name=eth1,bridge=vmbr1,hwaddr=BC:24:11:00:00:02,ip=10.10.10.60/24,type=veth")), "guests.atlas"],
  ])("must report a second NIC of %s as one the first up deletes, which --write cannot state", (_kind, mutate, object) => {
    const { model, live, report, out } = run(mutate(base()));
    expect(report.code).toBe(1);
    expect(out).toMatch(new RegExp(`${object} extraNics: live \\[net1: .*bridge=vmbr[01].*\\], declared \\(removed\\)`));
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(1);
    expect(written.choices.join("\n")).toContain(`${object}.extraNics: left as (removed): the stack declares one NIC per guest`);
    expect(parseDocument(written.text).getIn(["config", "neve-infra:adoption", "reconciled"])).toBeUndefined();
  });

  it.each([
    ["a container hostname", withCt(set("hostname", "atlas.neve.lan")), "atlas", "atlas.neve.lan"],
    ["a VM name", withVm(set("name", "etoile.neve.lan")), "etoile", "etoile.neve.lan"],
    ["a container hostname that is another label", withCt(set("hostname", "atlas2")), "atlas", "atlas2"],
  ])("must state %s that is not the guest's key as hostname (a dotted name cannot be a key), and then match it", (_kind, mutate, key, live) => {
    const host = mutate(base());
    const { model, live: vocab, report, out } = run(host);
    expect(report.code).toBe(1);
    expect(out).toContain(`guests.${key} hostname: live ${live}, declared ${key}`);
    const written = writeStack(STACK, model, vocab, { now: "2026-11-30T00:00:00Z" });
    expect(written.choices).toContain(`guests.${key}.hostname: ${live} (live; was ${key})`);
    expect(parseDocument(written.text).getIn(["config", "neve-infra:guests", key, "hostname"])).toBe(live);
    const after = run(host, written.text);
    expect(after.report.changes.filter((c) => c.field === "hostname")).toEqual([]);
    expect(after.report.code).toBe(0);
    // Back to the key on the host: --write removes the field again (it defaults to the key).
    const back = run(base(), written.text);
    const again = writeStack(written.text, back.model, back.live, { now: "2026-11-30T00:00:00Z" });
    expect(parseDocument(again.text).getIn(["config", "neve-infra:guests", key, "hostname"])).toBeUndefined();
  });

  const jobSelecting = (props: ReadonlyArray<readonly [string, string]>) =>
    section("vzdump", "backup-aaaa", [...JOB.props.filter(([k]) => k !== "vmid"), ...props] as ConfEntries);
  it.each([
    ["all guests (`all 1`)", [["all", "1"]] as const, "(all guests)", "all guests"],
    ["a pool (`pool prod`)", [["pool", "prod"]] as const, "(the guests of pool prod)", "the guests of pool prod"],
  ])("must name a job that backs up %s, never write an empty guest list for it", (_what, props, liveShown, unknownShown) => {
    const facts: LiveFacts = { ...base(), jobs: [jobSelecting(props)] };
    const { model, live, report, out } = run(facts);
    expect(report.code).toBe(1);
    expect(out).toContain(`backups.weekly guests: live ${liveShown}, declared`);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(parseDocument(written.text).toJS().config["neve-infra:backups"].weekly.guests).toEqual(["etoile", "atlas"]);
    expect(written.choices.join("\n")).toContain("backups.weekly.guests: left as");
    // The same job unknown to the stack: its one-line description says what it backs up.
    const unknownOut = run(facts, STACK.replace(/neve-infra:backups:\n {4}weekly: .*\n/, "neve-infra:backups: {}\n")).out;
    expect(unknownOut).toContain(`backup job backup-aaaa (${unknownShown} to local, sat 01:00)`);
  });

  it.each([
    ["an IP set cluster.fw does not define", { source: "+admins" }, "source +admins (an IP set cluster.fw does not define: pve-firewall skips the rule)"],
    ["an alias cluster.fw does not define", { source: "tailnet" }, "source tailnet (an alias cluster.fw does not define: pve-firewall skips the rule)"],
    ["a port range", { dport: "6000:6010" }, "port 6000:6010"],
    ["an interface that is neither a bridge nor the tailnet interface", { iface: "wg0" }, "interface wg0 (neither a bridge nor tailscale0)"],
  ])("must keep a live rule with %s out of the written file, saying why (never a file the program refuses)", (_what, extra, why) => {
    const rule = { type: "in" as const, action: "ACCEPT", enabled: true, proto: "tcp", dport: "80", comment: "web", raw: "IN ACCEPT ... # web", ...extra };
    const facts: LiveFacts = { ...base(), firewall: { ...base().firewall!, rules: [SSH_RULE, WEBUI_RULE, rule] } };
    const { model, live, report } = run(facts);
    expect(report.code).toBe(1);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.choices.join("\n")).toContain(`rules without a stack form: "IN ACCEPT ... # web" (${why})`);
    expect(() => modelFromText(written.text)).not.toThrow();
  });

  it("must not set reconciled while --check still finds something it cannot write", () => {
    const facts: LiveFacts = {
      ...base(),
      jobs: [
        section(
          "vzdump",
          "backup-aaaa",
          JOB.props.map(([k, v]) => [k, k === "prune-backups" ? "keep-all=1" : v] as const),
        ),
      ],
    };
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(1);
    expect(parseDocument(written.text).getIn(["config", "neve-infra:adoption", "reconciled"])).toBeUndefined();
    expect(written.choices.join("\n")).toContain("backups.weekly.keepLast: left as 3: the job prunes with keep-all=1, which the stack cannot state");
  });
});

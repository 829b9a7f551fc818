// A small stack and a host that matches it exactly, as LiveFacts literals (the parsers have their own
// tests), shared by the discover --check/--write tests (tests/unit/discover-check.test.ts,
// tests/unit/discover-adopt.test.ts).
import { checkStack, formatCheck } from "../../../stacks/discover/check";
import type { ConfEntries, GuestFacts, LiveFacts, SectionFacts } from "../../../stacks/discover/facts";
import { liveVocabulary } from "../../../stacks/discover/vocab";
import { modelFromText } from "../../../stacks/discover/write";

export const STACK = `# A small stack the base host matches exactly.
config:
  neve-infra:adopt: true
  neve-infra:proxmox: { nodeName: neve, endpoint: "https://neve:8006", version: "8.3.4" }
  neve-infra:ssh: { host: 100.94.229.96 }
  neve-infra:network:
    bridges:
      vmbr0: { ports: [enp5s0], ipv4: dhcp, public: true, recorded: true }
      # the private bridge
      vmbr1: { ipv4: 10.10.10.1/24, nat: true, recorded: true }
    ipv4: { bridge: vmbr1, subnet: 10.10.10.0/24, gateway: 10.10.10.1, dhcpRange: { start: 10.10.10.100, end: 10.10.10.200 }, cloneRange: { start: 10.10.10.91, end: 10.10.10.99 } }
    tailnet: { cidr: 100.64.0.0/10, hostAddress: 100.94.229.96 }
  neve-infra:guests:
    etoile:
      vmid: 1201
      kind: vm
      running: true
      description: Proxmox Backup Server
      memoryMiB: 4096
      bridge: vmbr1
      ipv4: 10.10.10.2
    atlas:
      vmid: 200
      kind: ct
      running: true
      memoryMiB: 512
      cores: 1
      bridge: vmbr0
      unprivileged: true
      osType: ubuntu
      features: { nesting: true }
  neve-infra:storage:
    local: { type: dir, path: /var/lib/vz, contents: [iso, backup] }
    etoile:
      type: pbs
      server: etoile
      datastore: etoile
      username: root@pam
      contents: [backup]
      fingerprint: "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
  neve-infra:tunnel: { id: 464de2f3-7058-4a1f-9f93-ae8425f0ffbe, ingress: [{ hostname: neve.example.org, service: "https://127.0.0.1:8006" }] }
  neve-infra:firewall:
    recorded: true
    enabled: true
    inputPolicy: DROP
    rules:
      # the operator's way in
      - { name: tailnet-ssh, action: ACCEPT, proto: tcp, source: 100.64.0.0/10, dports: [22], comment: SSH from the tailnet }
      - { name: tailnet-webui, action: ACCEPT, proto: tcp, source: 100.64.0.0/10, dports: [8006], comment: web UI from the tailnet }
  neve-infra:backups:
    weekly: { storage: local, schedule: "sat 01:00", guests: [etoile, atlas], keepLast: 3, notesTemplate: "{{guestname}}", existingId: backup-aaaa }
  neve-infra:hostServices: { enabled: true }
`;

export const vm = (main: ConfEntries, extra: Partial<GuestFacts> = {}): GuestFacts => ({
  vmid: 1201,
  kind: "qemu",
  description: "Proxmox Backup Server",
  main,
  pending: [],
  snapshots: [],
  specialSections: [],
  ...extra,
});

export const ETOILE: ConfEntries = [
  ["balloon", "0"],
  ["cpu", "qemu64"],
  ["memory", "4096"],
  ["name", "etoile"],
  ["net0", "virtio=BC:24:11:5E:7A:21,bridge=vmbr1"],
  ["onboot", "1"],
  ["ostype", "other"],
  ["scsi0", "vmdata:vm-1201-disk-0,size=32G"],
  ["scsihw", "virtio-scsi-pci"],
];
export const ATLAS: ConfEntries = [
  ["cores", "1"],
  ["features", "nesting=1"],
  ["hostname", "atlas"],
  ["memory", "512"],
  ["net0", "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:2D:0C:C8,ip=dhcp,type=veth"],
  ["onboot", "1"],
  ["ostype", "ubuntu"],
  ["swap", "0"],
  ["unprivileged", "1"],
];
export const section = (type: string, id: string, props: ConfEntries): SectionFacts => ({ type, id, props });
export const LOCAL = section("dir", "local", [
  ["path", "/var/lib/vz"],
  ["content", "iso,backup"],
]);
export const PBS = section("pbs", "etoile", [
  ["datastore", "etoile"],
  ["server", "10.10.10.2"],
  ["content", "backup"],
  ["fingerprint", "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"],
  ["username", "root@pam"],
]);
export const JOB = section("vzdump", "backup-aaaa", [
  ["schedule", "sat 01:00"],
  ["compress", "zstd"],
  ["enabled", "1"],
  ["mode", "snapshot"],
  ["notes-template", "{{guestname}}"],
  ["prune-backups", "keep-last=3"],
  ["storage", "local"],
  ["vmid", "1201,200"],
]);
export const SSH_RULE = {
  type: "in" as const,
  action: "ACCEPT",
  macro: "SSH",
  enabled: true,
  source: "100.64.0.0/10",
  log: "nolog",
  comment: "SSH from the tailnet",
  raw: "IN SSH(ACCEPT) -source 100.64.0.0/10 -log nolog # SSH from the tailnet",
};
export const WEBUI_RULE = {
  type: "in" as const,
  action: "ACCEPT",
  enabled: true,
  source: "100.64.0.0/10",
  proto: "tcp",
  dport: "8006",
  comment: "web UI from the tailnet",
  raw: "IN ACCEPT -source 100.64.0.0/10 -p tcp -dport 8006 # web UI from the tailnet",
};
export const VMBR1 = {
  name: "vmbr1",
  family: "inet" as const,
  method: "static",
  options: [
    ["address", "10.10.10.1/24"],
    ["bridge-ports", "none"],
  ] as ConfEntries,
  file: "/etc/network/interfaces",
};

export function base(): LiveFacts {
  return {
    node: "neve",
    source: "root:fixture",
    guests: [{ vmid: 200, kind: "lxc", main: ATLAS, pending: [], snapshots: [], specialSections: [] }, vm(ETOILE)],
    storage: [LOCAL, PBS],
    jobs: [JOB],
    firewall: {
      options: [
        ["enable", "1"],
        ["policy_in", "DROP"],
      ],
      rules: [SSH_RULE, WEBUI_RULE],
      otherSections: [],
    },
    network: {
      auto: ["vmbr0", "vmbr1"],
      stanzas: [{ name: "vmbr0", family: "inet", method: "dhcp", options: [["bridge-ports", "enp5s0"]], file: "/etc/network/interfaces" }, VMBR1],
      files: ["/etc/network/interfaces"],
    },
    sysctl: [],
    files: {},
  };
}

export const withVm =
  (f: (m: ConfEntries) => ConfEntries, extra?: Partial<GuestFacts>) =>
  (l: LiveFacts): LiveFacts => ({ ...l, guests: [l.guests[0], vm(f(ETOILE), extra)] });
export const withCt =
  (f: (m: ConfEntries) => ConfEntries) =>
  (l: LiveFacts): LiveFacts => ({ ...l, guests: [{ ...l.guests[0], main: f(ATLAS) }, l.guests[1]] });
export const set =
  (key: string, value: string) =>
  (m: ConfEntries): ConfEntries => [...m.filter(([k]) => k !== key), [key, value]];
export const drop =
  (key: string) =>
  (m: ConfEntries): ConfEntries =>
    m.filter(([k]) => k !== key);

export function run(facts: LiveFacts, text = STACK) {
  const model = modelFromText(text);
  const live = liveVocabulary(facts);
  const report = checkStack(model, live);
  return { model, live, report, out: formatCheck(report) };
}

/**
 * A shell edit, run in the root of a copy of tests/fixtures/pve-neve (or `/` of the sshd test host):
 * vmbr0 switched from DHCP to a static address in the Proxmox UI and not applied, i.e. staged in
 * /etc/network/interfaces.new (the live file unchanged). Used by tests/unit/discover-staged.test.ts
 * and tests/host/discover-read.test.ts.
 */
export const STAGED_VMBR0_EDIT =
  "sed -e 's/^iface vmbr0 inet dhcp$/iface vmbr0 inet static\\n\\taddress 203.0.113.5\\/24\\n\\tgateway 203.0.113.1/' etc/network/interfaces > etc/network/interfaces.new";

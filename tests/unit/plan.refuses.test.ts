// Whatever a preview would refuse, `npm run plan` refuses first: the stack file's schema and rules,
// the host resources' renderers, the invariants across resources and each dynamic provider's own
// `check`, all reported as config errors naming the stack-file field (exit 2).
// Each case edits a copy of the frozen fixture stack file in one place.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { checkStackFile } from "../../scripts/lib/planCheck";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { ConfigError } from "../../stacks/config/errors";
import { editedStackFile, FIXTURE_STACK_FILE, type Raw } from "../support/stacks";

const ns = "neve-infra";
const guests = (d: Raw) => d.config[`${ns}:guests`];
const cloneAt = (ipv4: string, vmid: number, extra: Raw = {}) => ({
  vmid,
  kind: "vm",
  memoryMiB: 1024,
  bridge: "vmbr1",
  ipv4,
  cloudInit: true,
  running: true,
  clone: { from: "ubuntu-2404-template" },
  ...extra,
});

/** The config error `npm run plan` prints for the edited fixture, or a failure when it is accepted. */
function refusal(edit: (doc: Raw) => void): string {
  const { file, cleanup } = editedStackFile(edit, FIXTURE_STACK_FILE);
  try {
    checkStackFile(file);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  } finally {
    cleanup();
  }
  throw new Error("expected the plan to refuse the stack file, but it was accepted");
}

const cases: [string, (d: Raw) => void, string][] = [
  [
    'a raw lxc line Proxmox would not read ("key : value")',
    (d) => (guests(d).lune.rawLxc[0] = "lxc.apparmor.profile : unconfined"),
    'guests.lune.rawLxc[0]: "lxc.apparmor.profile : unconfined" is not a raw LXC line Proxmox reads',
  ],
  ["a line break inside a raw lxc line", (d) => (guests(d).lune.rawLxc[0] = "lxc.apparmor.profile: unconfined\nlxc.cap.drop: "), "guests.lune.rawLxc[0]: "],
  ["a line break inside stashDir", (d) => (d.config[`${ns}:hostServices`].stashDir = "/root/stash\n/etc"), "hostServices.stashDir: "],
  ["a line break inside ssh.user", (d) => (d.config[`${ns}:ssh`].user = "root\nx"), "ssh.user: must be a user name"],
  [
    "a pinned host key line the provider cannot parse",
    (d) => (d.config[`${ns}:ssh`].hostKey = "ssh-ed25519 AAAAnotakey"),
    "ssh.hostKey: must be a public host key line",
  ],
  [
    "a stash directory only LxcRawConfig's own check refuses (inside /etc/pve)",
    (d) => (d.config[`${ns}:hostServices`].stashDir = "/etc/pve/neve-stash"),
    'hostServices.stashDir: "/etc/pve/neve-stash" lies inside /etc/pve',
  ],
  [
    "an upper-case route hostname",
    (d) => (d.config[`${ns}:routes`][0].hostname = "Cipher.wenzelarifiandi.com"),
    'routes[0].hostname: "Cipher.wenzelarifiandi.com" has upper-case letters; write it in lower case: cipher.wenzelarifiandi.com',
  ],
  [
    "a tunnel origin on port 70000",
    (d) => (d.config[`${ns}:tunnel`].ingress[0].service = "https://127.0.0.1:70000"),
    'tunnel.ingress[0].service: "https://127.0.0.1:70000" has port 70000; use a port in 1-65535',
  ],
  [
    "a tunnel origin on port 0",
    (d) => (d.config[`${ns}:tunnel`].ingress[0].service = "https://127.0.0.1:0"),
    'tunnel.ingress[0].service: "https://127.0.0.1:0" has port 0; use a port in 1-65535',
  ],
  ["a route to port 0", (d) => (d.config[`${ns}:routes`][0].http = 0), "routes[0].http: must be a port in 1-65535 (got 0)"],
  [
    "a firewall source with host bits set",
    (d) => (d.config[`${ns}:firewall`].rules[0].source = "100.64.0.5/10"),
    "firewall.rules[0].source: 100.64.0.5/10 is not a network address; write 100.64.0.0/10",
  ],
  [
    "a tailnet cidr with host bits set",
    (d) => (d.config[`${ns}:network`].tailnet.cidr = "100.94.229.96/10"),
    "network.tailnet.cidr: 100.94.229.96/10 is not a network address; write 100.64.0.0/10",
  ],
  [
    "an IPv6 prefix with host bits set",
    (d) => (d.config[`${ns}:network`].ipv6.prefix = "2001:bc8:1201:722::1/64"),
    "network.ipv6.prefix: 2001:bc8:1201:722::1/64 is not a network address; write 2001:bc8:1201:722::/64",
  ],
  [
    "a plain-text PBS password in the stack file",
    (d) => (d.config[`${ns}:pbsPassword`] = "hunter2-plain"),
    `${ns}:pbsPassword: is a secret written in plain text into the stack file`,
  ],
  [
    "two noVNC consoles for one VM (two owners of one unit file)",
    (d) => d.config[`${ns}:hostServices`].novnc.push({ guest: "etoile", port: 6082, vncDisplay: 82 }),
    "hostServices.novnc[1]: /etc/systemd/system/novnc-1201.service is already written by host service novnc-1201 (hostServices.novnc[0])",
  ],
  [
    "a host service port taken by the Proxmox API",
    (d) => (d.config[`${ns}:hostServices`].novnc[0].port = 8006),
    "hostServices.novnc[0].port: port 8006 is already used by the Proxmox API; pick a free port",
  ],
  [
    "host service ports that collide",
    (d) => (d.config[`${ns}:hostServices`].spiceProxy.port = 6081),
    "hostServices.spiceProxy.port: port 6081 is already used by hostServices.novnc[0].port; pick a free port",
  ],
  [
    "a NATed bridge without a static subnet",
    (d) => (d.config[`${ns}:network`].bridges.vmbr9 = { ipv4: "dhcp", nat: true }),
    "network.bridges.vmbr9.nat: vmbr9 has no static IPv4 subnet to masquerade",
  ],
  [
    "a renderer's refusal (VNC display on the console's own port)",
    (d) => (d.config[`${ns}:hostServices`].novnc[0].port = 5981),
    "hostServices.novnc[0].port: 5981 is the VNC display's own port",
  ],
  [
    "a cloud-init clone without an address while the clone range is full",
    (d) => {
      for (let i = 93; i <= 99; i++) guests(d)[`clone-${i}`] = cloneAt(`10.10.10.${i}`, 9000 + i * 2);
      guests(d).extra = cloneAt("10.10.10.90", 9300, { ipv4: undefined });
      delete guests(d).extra.ipv4;
    },
    "guests.extra.ipv4: is required with cloudInit: true (ipconfig0 gets a static address); the clone range is full: widen network.ipv4.cloneRange or free an address there",
  ],
  ...(["proxmoxApiToken", "sshPrivateKey", "tunnelCredentials", "pbsPassword"] as const).flatMap((k): [string, (d: Raw) => void, string][] => [
    [`a plain-text ${k} in the stack file`, (d) => (d.config[`${ns}:${k}`] = "plain"), `${ns}:${k}: is a secret written in plain text into the stack file`],
    [`a plain-text ${k} without the namespace`, (d) => (d.config[k] = "plain"), `${k}: is a secret written in plain text into the stack file; remove the line`],
  ]),
  [
    "the API port opened to half the Internet (0.0.0.0/1)",
    (d) => d.config[`${ns}:firewall`].rules.push({ name: "x", action: "ACCEPT", proto: "tcp", source: "0.0.0.0/1", dports: [8006] }),
    "firewall.rules[7]: opens the Proxmox API port 8006 to public addresses (source 0.0.0.0/1); restrict source to the tailnet",
  ],
  [
    "the API port opened to one public address",
    (d) => d.config[`${ns}:firewall`].rules.push({ name: "x", action: "ACCEPT", proto: "tcp", source: "51.159.96.1", dports: [8006] }),
    "firewall.rules[7]: opens the Proxmox API port 8006 to public addresses (source 51.159.96.1)",
  ],
  [
    "a public IPv4 that is its network's address",
    (d) => (d.config[`${ns}:network`].publicIpv4 = "51.159.96.0/24"),
    "network.publicIpv4: 51.159.96.0 is the network address of 51.159.96.0/24, not a host address",
  ],
  [
    "an API endpoint on port 70000",
    (d) => (d.config[`${ns}:proxmox`].endpoint = "https://neve:70000"),
    'proxmox.endpoint: "https://neve:70000" has port 70000; use a port in 1-65535',
  ],
  [
    "an API endpoint on port 0",
    (d) => (d.config[`${ns}:proxmox`].endpoint = "https://neve:0"),
    'proxmox.endpoint: "https://neve:0" has port 0; use a port in 1-65535',
  ],
  ["an API endpoint with credentials", (d) => (d.config[`${ns}:proxmox`].endpoint = "https://root@neve:8006"), "proxmox.endpoint: must be an https URL"],
  [
    "a route hostname that is an IP address",
    (d) => (d.config[`${ns}:routes`][0].hostname = "10.10.10.90"),
    'routes[0].hostname: "10.10.10.90" is an address, not a host name',
  ],
  [
    "two bridges on overlapping subnets",
    (d) => (d.config[`${ns}:network`].bridges.vmbr2 = { ports: [], ipv4: "10.10.10.2/25", nat: true }),
    "network.bridges.vmbr2.ipv4: 10.10.10.2/25 overlaps vmbr1's 10.10.10.1/24; give each bridge a subnet of its own",
  ],
  [
    "one NIC in two bridges",
    (d) => (d.config[`${ns}:network`].bridges.vmbr2 = { ports: ["enp5s0"], ipv4: "10.10.20.1/24" }),
    "network.bridges.vmbr2.ports[0]: enp5s0 is already a port of vmbr0; a NIC belongs to one bridge",
  ],
  [
    "two noVNC consoles on one VNC display",
    (d) => d.config[`${ns}:hostServices`].novnc.push({ guest: "cipher", port: 6082, vncDisplay: 81 }),
    "hostServices.novnc[1].vncDisplay: port 5981 is already used by hostServices.novnc[0].vncDisplay",
  ],
  [
    "a host service on another console's VNC port",
    (d) => (d.config[`${ns}:hostServices`].spiceProxy.port = 5981),
    "hostServices.spiceProxy.port: port 5981 is already used by hostServices.novnc[0].vncDisplay",
  ],
  [
    "the PBS guest backed up into its own storage",
    (d) => d.config[`${ns}:backups`]["weekly-etoile"].guests.push("etoile"),
    'backups.weekly-etoile.guests[3]: "etoile" serves the storage "etoile" (storage.etoile.server) and cannot be backed up into itself',
  ],
  [
    "a line break inside a backup schedule",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].schedule = "*-*-* 02:30\nx"),
    "backups.nightly-local.schedule: ",
  ],
  [
    "a cron expression as a backup schedule",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].schedule = "30 2 * * *"),
    'backups.nightly-local.schedule: "30 2 * * *" is not a Proxmox calendar event (Proxmox stops at " 2 * * *"); write [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES[:SECONDS]]',
  ],
  [
    "a backup schedule keyword in capitals",
    (d) => (d.config[`${ns}:backups`]["weekly-etoile"].schedule = "Weekly"),
    'backups.weekly-etoile.schedule: "Weekly" is not a Proxmox calendar event; keywords are lower case: write weekly',
  ],
  [
    "a backup schedule with a minute of 60",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].schedule = "*-*-* 02:60"),
    'backups.nightly-local.schedule: "*-*-* 02:60" is not a Proxmox calendar event',
  ],
  [
    "a backup schedule with spaces around it (jobs.cfg reads it back trimmed)",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].schedule = "sun 03:30 "),
    'backups.nightly-local.schedule: "sun 03:30 " has spaces around it; write "sun 03:30"',
  ],
  [
    "a node name with a domain",
    (d) => (d.config[`${ns}:proxmox`].nodeName = "neve.example.com"),
    'proxmox.nodeName: must be a Proxmox node name such as "neve" (letters, digits and inner "-", at most 63 characters: the host name without its domain), got "neve.example.com"',
  ],
  ["a node name ending in a hyphen", (d) => (d.config[`${ns}:proxmox`].nodeName = "neve-"), 'proxmox.nodeName: must be a Proxmox node name such as "neve"'],
  [
    "a storage limited to a node spelt in other case",
    (d) => (d.config[`${ns}:storage`].local.nodes = ["Neve"]),
    'storage.local.nodes: "Neve" is not "neve" (proxmox.nodeName): Proxmox compares node names exactly, case included; the storage would not be available on neve',
  ],
  [
    "a storage limited to another node",
    (d) => (d.config[`${ns}:storage`].vmdata.nodes = ["pve2"]),
    'storage.vmdata.nodes: "pve2" is not this stack\'s node "neve" (proxmox.nodeName); the storage would not be available on neve ("storage \'vmdata\' is not available on node \'neve\'"): list neve, or remove nodes (every node)',
  ],
  [
    "a storage node name with an underscore",
    (d) => (d.config[`${ns}:storage`].local.nodes = ["neve_1"]),
    'storage.local.nodes[0]: must be a Proxmox node name such as "neve"',
  ],
  [
    "a backup job on another node",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].node = "pve2"),
    'backups.nightly-local.node: "pve2" is not this stack\'s node "neve" (proxmox.nodeName): the job would never run on neve; write neve, or remove node (every node)',
  ],
  [
    "a backup job node with a domain",
    (d) => (d.config[`${ns}:backups`]["nightly-local"].node = "neve.example.com"),
    'backups.nightly-local.node: must be a Proxmox node name such as "neve"',
  ],
  [
    "a firewall an up would not apply, not marked recorded (filesManaged off)",
    (d) => delete d.config[`${ns}:firewall`].recorded,
    "firewall: an up does not apply enabled, inputPolicy, outputPolicy, rules (7) while firewall.filesManaged is false",
  ],
  [
    "a bridge an up would not apply, not marked recorded (interfacesFile off)",
    (d) => delete d.config[`${ns}:network`].bridges.vmbr1.recorded,
    "network.bridges.vmbr1: an up does not apply vmbr1's comment, ports, ipv4 and ipv6 while network.interfacesFile is false",
  ],
  ...(["proxmoxApiToken", "sshPrivateKey", "tunnelCredentials", "pbsPassword"] as const).map((k): [string, (d: Raw) => void, string] => [
    `an empty secure ${k} in the stack file`,
    (d) => (d.config[`${ns}:${k}`] = { secure: "" }),
    `${ns}:${k}: is an empty secure value in the stack file (no ciphertext to decrypt); set the real value with \`pulumi config set --secret ${ns}:${k}`,
  ]),
];

describe.each(cases)("npm run plan: %s", (_what, edit, expected) => {
  it("must be refused as a config error naming the stack-file field", () => {
    expect(refusal(edit)).toContain(expected);
  });
});

describe("npm run plan and secure values", () => {
  it("must accept a secure value it cannot decrypt (the ciphertext is Pulumi's to check)", () => {
    const { file, cleanup } = editedStackFile((d) => (d.config[`${ns}:pbsPassword`] = { secure: "v1:bm9uY2U=:Y2lwaGVy" }), FIXTURE_STACK_FILE);
    try {
      expect(() => checkStackFile(file)).not.toThrow();
    } finally {
      cleanup();
    }
  });

  it("must name an empty secure value together with the config's own problems, each once", () => {
    const message = refusal((d) => {
      d.config[`${ns}:pbsPassword`] = { secure: "" };
      d.config[`${ns}:proxmox`].nodeName = "neve.example.com";
    });
    expect(message).toContain("2 problems:");
    expect(message).toContain(`${ns}:pbsPassword: is an empty secure value`);
    expect(message).toContain('proxmox.nodeName: must be a Proxmox node name such as "neve"');
  });

  it("must name the key but never print a ciphertext", () => {
    const message = refusal((d) => {
      d.config[`${ns}:pbsPassword`] = { secure: "" };
      d.config[`${ns}:proxmoxApiToken`] = { secure: "v1:bm9uY2U=:c2VjcmV0LWNpcGhlcg==" };
    });
    expect(message).toContain(`${ns}:pbsPassword: is an empty secure value`);
    expect(message).not.toContain("proxmoxApiToken");
    expect(message).not.toContain("c2VjcmV0LWNpcGhlcg==");
  });
});

describe("npm run plan and next-ip as commands", () => {
  const tsNode = path.join(REPO_ROOT, "node_modules", ".bin", "ts-node");
  const run = promisify(execFile);
  const exitOf = (script: string, file: string) =>
    run(tsNode, ["--transpile-only", path.join(REPO_ROOT, "scripts", script), "--config", file], { cwd: REPO_ROOT }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  it("must exit 2 with the field path, not 1 with a stack trace, for a tunnel origin on port 70000 (plan and next-ip)", async () => {
    const { file, cleanup } = editedStackFile((d) => (d.config[`${ns}:tunnel`].ingress[0].service = "https://127.0.0.1:70000"), FIXTURE_STACK_FILE);
    try {
      for (const script of ["plan.ts", "next-ip.ts"]) {
        const r = await exitOf(script, file);
        expect({ script, code: r.code }).toEqual({ script, code: 2 });
        expect(r.stderr).toContain("tunnel.ingress[0].service:");
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      cleanup();
    }
  });

  it("must exit 2 naming the field and the switch that applies it for a rule added to an unmarked firewall", async () => {
    const { file, cleanup } = editedStackFile((d) => {
      delete d.config[`${ns}:firewall`].recorded;
      d.config[`${ns}:firewall`].rules.push({ name: "smtp-drop", action: "DROP", dports: [25] });
    }, FIXTURE_STACK_FILE);
    try {
      const r = await exitOf("plan.ts", file);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("firewall: an up does not apply enabled, inputPolicy, outputPolicy, rules (8)");
      expect(r.stderr).toContain("set neve-infra:firewall.filesManaged: true");
    } finally {
      cleanup();
    }
  });

  it("must exit 2 for what only a provider check refused before (a raw lxc line with a line break)", async () => {
    const { file, cleanup } = editedStackFile((d) => (guests(d).lune.rawLxc[1] = "lxc.cgroup2.devices.allow: c 10:229 rwm\nlxc.cap.drop:"), FIXTURE_STACK_FILE);
    try {
      const r = await exitOf("plan.ts", file);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("guests.lune.rawLxc[1]:");
    } finally {
      cleanup();
    }
  });
});

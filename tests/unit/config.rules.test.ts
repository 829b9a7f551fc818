// The config module refuses bad input before any resource is declared, naming the field and the fix.
// Every case starts from the frozen fixture copy of Pulumi.neve.yaml and breaks exactly one thing.

import { UNKNOWN } from "../../providers/common/unknown";
import { checkLxcRawConfig } from "../../providers/lxcraw/check";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { checkRules, SECTION_RULES } from "../../stacks/config/rules";
import { stackConfigSchema } from "../../stacks/config/schema";
import { renderLxcRawConfig } from "../../stacks/render";
import { configRefusal, type Raw, REAL_STACK_FILE, rawConfig } from "../support/stacks";

const parseStackConfigSchemaOnly = (raw: Raw) => stackConfigSchema.parse(raw);

const realRaw = (): Raw => rawConfig();

function errorOf(mutate: (c: Raw) => void): string {
  const raw = realRaw();
  mutate(raw);
  return configRefusal(raw);
}

describe("the stack files", () => {
  it("must accept the real Pulumi.neve.yaml (an invariant: whatever the operator added)", () => {
    expect(() => parseStackConfig(rawConfig(REAL_STACK_FILE))).not.toThrow();
  });

  it("must accept a firewall rule bound to the tailnet interface (only tailnet traffic arrives there), also for the API port without a source", () => {
    const raw = realRaw();
    raw.firewall.rules[1].iface = "tailscale0";
    delete raw.firewall.rules[1].source;
    expect(() => parseStackConfig(raw)).not.toThrow();
  });

  it("must accept a public ACCEPT through a macro whose ports the check knows and that opens no console (HTTPS: 443)", () => {
    const raw = realRaw();
    Object.assign(raw.firewall.rules[2], { dports: [], macro: "HTTPS" });
    expect(() => parseStackConfig(raw)).not.toThrow();
  });

  it("must read the fixture's six guests", () => {
    const model = parseStackConfig(realRaw());
    expect(model.guests.map((g) => g.vmid).sort((a, b) => a - b)).toEqual([200, 201, 1200, 1201, 9000, 9100]);
  });

  it("must run one rule module per section, each on its own", () => {
    expect(SECTION_RULES.length).toBeGreaterThanOrEqual(8);
    expect(checkRules(parseStackConfigSchemaOnly(realRaw()))).toEqual([]);
  });

  it("must reject a secret written into the stack file in plain text", () => {
    // Secrets are dropped before validation; writing one under another name is an unknown key.
    expect(errorOf((c) => (c.proxmoxToken = "root@pam!x=y"))).toContain("neve-infra:proxmoxToken: unknown key");
  });
});

const cases: [string, (c: Raw) => void, string][] = [
  [
    "addresses must lie inside their subnet",
    (c) => (c.guests.lune.ipv4 = "10.10.20.50"),
    "guests.lune.ipv4: 10.10.20.50 lies outside the subnet 10.10.10.0/24; pick an address inside it",
  ],
  ["an address must not be used twice", (c) => (c.guests.lune.ipv4 = "10.10.10.2"), "guests.lune.ipv4: 10.10.10.2 is already used by guests.etoile"],
  [
    "a guest must not take the gateway's address",
    (c) => (c.guests.lune.ipv4 = "10.10.10.1"),
    "guests.lune.ipv4: 10.10.10.1 is already used by network.ipv4.gateway",
  ],
  ["a guest must not take an unmanaged holder's address", (c) => (c.guests.lune.ipv4 = "10.10.10.91"), "guests.lune.ipv4: 10.10.10.91 lies in the clone range"],
  [
    "a clone must not take an unmanaged holder's address",
    (c) => {
      c.guests.cipher.ipv4 = "10.10.10.92";
      c.guests.cipher.clone.outsideCloneRange = false;
    },
    "guests.cipher.ipv4: 10.10.10.92 is already used by network.ipv4.unmanaged[1] (dhcp-final-test)",
  ],
  [
    "no static address inside the DHCP range",
    (c) => (c.guests.cipher.ipv4 = "10.10.10.150"),
    "guests.cipher.ipv4: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200; pick a free address in 10.10.10.91-10.10.10.99 (next free: 10.10.10.93)",
  ],
  [
    "template clones must sit inside .91-.99",
    (c) => (c.guests.cipher.clone.outsideCloneRange = false),
    "guests.cipher.ipv4: 10.10.10.90 is outside the clone range 10.10.10.91-10.10.10.99 though the VM is a clone of ubuntu-2404-template; use the next free address there (next free: 10.10.10.93)",
  ],
  [
    "non-clones must stay out of the clone range",
    (c) => (c.guests.etoile.ipv4 = "10.10.10.95"),
    "guests.etoile.ipv4: 10.10.10.95 lies in the clone range 10.10.10.91-10.10.10.99, which is kept for template clones",
  ],
  [
    "the network and broadcast addresses are not host addresses",
    (c) => (c.guests.lune.ipv4 = "10.10.10.255"),
    "guests.lune.ipv4: 10.10.10.255 is the network or broadcast address",
  ],
  [
    "a clone must come from a VM template",
    (c) => (c.guests.cipher.clone.from = "etoile"),
    'guests.cipher.clone.from: "etoile" is not a VM template; name one of debian12-cloud, ubuntu-2404-template',
  ],
  [
    "VM/CT ids must be unique",
    (c) => (c.guests.lune.vmid = 200),
    "guests.lune.vmid: 200 is already used by guests.atlas; every guest needs its own Proxmox id",
  ],
  ["VM/CT ids must be in Proxmox's range", (c) => (c.guests.atlas.vmid = 99), "guests.atlas.vmid: must be a Proxmox id in 100-999999999 (got 99)"],
  [
    "guest names must be valid host names",
    (c) => {
      c.guests.lune_2 = c.guests.lune;
      delete c.guests.lune;
      c.backups["nightly-local"].guests = ["etoile"];
      c.backups["weekly-etoile"].guests = ["cipher"];
    },
    "guests.lune_2: guest names must be valid host names",
  ],
  [
    "a guest's hostname must be a DNS name as Proxmox takes it (dns-name)",
    (c) => (c.guests.atlas.hostname = "atlas_1.neve.lan"),
    "guests.atlas.hostname: must be a DNS name as Proxmox takes it",
  ],
  ["public hostnames must be fully qualified", (c) => (c.routes[0].hostname = "cipher"), 'routes[0].hostname: "cipher" is not a fully qualified host name'],
  ["ports must be valid", (c) => (c.routes[0].https = 70000), "routes[0].https: must be a port in 1-65535 (got 70000)"],
  ["firewall ports must be valid", (c) => (c.firewall.rules[2].dports = [0]), "firewall.rules[2].dports[0]: must be a port in 1-65535 (got 0)"],
  ["a route must point at a known guest", (c) => (c.routes[0].guest = "cypher"), 'routes[0].guest: unknown guest "cypher"; route to one of'],
  ["a route must point at a guest with a fixed address", (c) => (c.routes[0].guest = "atlas"), 'routes[0].guest: "atlas" has no static IPv4 on vmbr1'],
  [
    "a route must route http or https",
    (c) => {
      delete c.routes[0].http;
      delete c.routes[0].https;
    },
    "routes[0]: routes neither http nor https",
  ],
  [
    "a public hostname routes to one place",
    (c) => (c.tunnel.ingress[0].hostname = "cipher.wenzelarifiandi.com"),
    "tunnel.ingress[0].hostname: cipher.wenzelarifiandi.com is already routed by routes[0]",
  ],
  [
    "a tunnel ingress must point at the host or a guest",
    (c) => (c.tunnel.ingress[0].service = "https://10.10.10.77:8006"),
    "tunnel.ingress[0].service: https://10.10.10.77:8006 points at 10.10.10.77, which is neither the host",
  ],
  [
    "a firewall rule must point at a known guest or address",
    (c) => (c.firewall.rules[0].source = "tailnet"),
    'firewall.rules[0].source: "tailnet" is neither an address/CIDR, a known guest nor an alias in firewall.aliases',
  ],
  [
    "a firewall rule name must be unique",
    (c) => (c.firewall.rules[3].name = c.firewall.rules[2].name),
    'firewall.rules[3].name: "public-http" is already the name of firewall.rules[2]; give each rule its own name',
  ],
  [
    "a firewall rule must name a known interface",
    (c) => (c.firewall.rules[2].iface = "eth9"),
    'firewall.rules[2].iface: unknown interface "eth9"; use one of vmbr0, vmbr1, tailscale0 or omit iface',
  ],
  [
    "the API port must not be opened to any source",
    (c) => delete c.firewall.rules[1].source,
    "firewall.rules[1]: opens the Proxmox API port 8006 to any source; restrict source to the tailnet (100.64.0.0/10)",
  ],
  [
    "the API port must not be opened on the public bridge",
    (c) => (c.firewall.rules[1].iface = "vmbr0"),
    "firewall.rules[1]: opens the Proxmox API port 8006 on the public bridge vmbr0",
  ],
  [
    "a console without a password (noVNC) must not be opened to any source",
    (c) => (c.firewall.rules[2].dports = [80, 6081]),
    "firewall.rules[2]: opens the noVNC console of etoile on port 6081 (no VNC password) to any source; restrict source to the tailnet (100.64.0.0/10)",
  ],
  [
    "the SPICE relay must not be opened to public addresses",
    (c) => Object.assign(c.firewall.rules[2], { dports: [61001], source: "51.159.96.1" }),
    "firewall.rules[2]: opens the SPICE relay on port 61001 to public addresses (source 51.159.96.1)",
  ],
  [
    "a public ACCEPT without dports opens every port, the API's included",
    (c) => delete c.firewall.rules[2].dports,
    "firewall.rules[2]: opens the Proxmox API port 8006 to any source (no dports: every port); restrict source to the tailnet (100.64.0.0/10) or list the ports it opens in dports",
  ],
  [
    "a public ACCEPT through a macro the check cannot expand is refused",
    (c) => Object.assign(c.firewall.rules[2], { dports: [], macro: "IMAP" }),
    "firewall.rules[2]: macro IMAP may open the Proxmox API port 8006 to any source, and the check cannot expand it",
  ],
  ["unknown top-level keys are rejected", (c) => (c.gusets = {}), "neve-infra:gusets: unknown key; fix its spelling or remove it"],
  ["unknown nested keys are rejected", (c) => (c.guests.cipher.memoryMB = 4096), "guests.cipher.memoryMB: unknown key"],
  ["a guest kind must be vm or ct", (c) => (c.guests.atlas.kind = "lxc"), "guests.atlas.kind: must be vm (QEMU) or ct (LXC)"],
  [
    "IPv6 addresses must lie inside the prefix",
    (c) => (c.guests.cipher.ipv6 = "2001:db8::90"),
    "guests.cipher.ipv6: 2001:db8::90 lies outside the prefix 2001:bc8:1201:722::/64",
  ],
  [
    "an IPv6 address must not be used twice",
    (c) => (c.guests.lune.ipv6 = "2001:bc8:1201:722:0::90"),
    "guests.lune.ipv6: 2001:bc8:1201:722:0::90 is already used by guests.cipher",
  ],
  ["a guest must sit on a known bridge", (c) => (c.guests.lune.bridge = "vmbr9"), 'guests.lune.bridge: unknown bridge "vmbr9"; use one of vmbr0, vmbr1'],
  ["static IPv4 only on the planned bridge", (c) => (c.guests.atlas.ipv4 = "10.10.10.60"), "guests.atlas.ipv4: 10.10.10.60 is set but vmbr0 has no IPv4 plan"],
  [
    "IP plan ranges must not overlap",
    (c) => (c.network.ipv4.cloneRange.end = "10.10.10.120"),
    "network.ipv4.cloneRange: 10.10.10.91-10.10.10.120 overlaps network.ipv4.dhcpRange",
  ],
  [
    "IP plan ranges must lie inside the subnet",
    (c) => (c.network.ipv4.dhcpRange.end = "10.10.11.20"),
    "network.ipv4.dhcpRange: 10.10.10.100-10.10.11.20 is not inside the subnet 10.10.10.0/24",
  ],
  [
    "the subnet must be a network address",
    (c) => (c.network.ipv4.subnet = "10.10.10.7/24"),
    "network.ipv4.subnet: 10.10.10.7/24 is not a network address; write 10.10.10.0/24",
  ],
  [
    "the planned bridge must carry the gateway",
    (c) => (c.network.bridges.vmbr1.ipv4 = "10.10.10.254/24"),
    "network.bridges.vmbr1.ipv4: is 10.10.10.254/24 but the IP plan's gateway is 10.10.10.1",
  ],
  [
    "a template cannot run",
    (c) => (c.guests["ubuntu-2404-template"].running = true),
    "guests.ubuntu-2404-template.running: a template cannot run; set running: false",
  ],
  [
    "a backup job must name known guests",
    (c) => c.backups["nightly-local"].guests.push("francoise"),
    'backups.nightly-local.guests[4]: unknown guest "francoise"',
  ],
  [
    "a backup job must target a backup storage",
    (c) => (c.backups["nightly-local"].storage = "vmdata"),
    'backups.nightly-local.storage: storage "vmdata" does not hold backup content',
  ],
  [
    "the PBS server must be a known guest or address",
    (c) => (c.storage.etoile.server = "etoil"),
    'storage.etoile.server: "etoil" is neither an IP address nor a known guest',
  ],
  ["the API endpoint must use https", (c) => (c.proxmox.endpoint = "http://100.94.229.96:8006"), "proxmox.endpoint: must be an https URL"],
  ["the tunnel id must be a UUID", (c) => (c.tunnel.id = "neve-tunnel"), "tunnel.id: must be the tunnel's UUID"],
  [
    "the edge proxy needs both ports of a route while host services are on",
    (c) => delete c.routes[0].http,
    "routes[0].http: is required while hostServices.enabled",
  ],
  [
    "a noVNC console must belong to a known VM",
    (c) => (c.hostServices.novnc[0].guest = "etolie"),
    'hostServices.novnc[0].guest: unknown guest "etolie"; use one of the VMs',
  ],
  ["a noVNC console is for VMs, not containers", (c) => (c.hostServices.novnc[0].guest = "lune"), 'hostServices.novnc[0].guest: "lune" is a container'],
  [
    "the stash directory must be absolute",
    (c) => (c.hostServices.stashDir = "etc-pve.stash"),
    'hostServices.stashDir: "etc-pve.stash" is relative; write it as an absolute path starting with "/"',
  ],
  [
    "a raw lxc line must be what LxcRawConfig accepts",
    (c) => (c.guests.lune.rawLxc[0] = "lxc.x : y"),
    'guests.lune.rawLxc[0]: "lxc.x : y" is not a raw LXC line Proxmox reads',
  ],
  [
    "a public hostname must be lower case",
    (c) => (c.routes[0].hostname = "Cipher.wenzelarifiandi.com"),
    'routes[0].hostname: "Cipher.wenzelarifiandi.com" has upper-case letters; write it in lower case',
  ],
  [
    "a tunnel origin port must be 1-65535",
    (c) => (c.tunnel.ingress[0].service = "https://127.0.0.1:70000"),
    'tunnel.ingress[0].service: "https://127.0.0.1:70000" has port 70000',
  ],
  [
    "a firewall CIDR must be a network address",
    (c) => (c.firewall.rules[0].source = "100.64.0.5/10"),
    "firewall.rules[0].source: 100.64.0.5/10 is not a network address; write 100.64.0.0/10",
  ],
  [
    "the tailnet must be a network address",
    (c) => (c.network.tailnet.cidr = "100.94.229.96/10"),
    "network.tailnet.cidr: 100.94.229.96/10 is not a network address; write 100.64.0.0/10",
  ],
  [
    "the IPv6 prefix must be a network address",
    (c) => (c.network.ipv6.prefix = "2001:bc8:1201:722::1/64"),
    "network.ipv6.prefix: 2001:bc8:1201:722::1/64 is not a network address; write 2001:bc8:1201:722::/64",
  ],
  [
    "a lease time dnsmasq accepts (the renderer's predicate)",
    (c) => (c.hostServices.dnsmasq.leaseTime = "60"),
    "hostServices.dnsmasq.leaseTime: must be seconds (at least 120)",
  ],
  [
    "a NATed bridge needs a static subnet",
    (c) => {
      c.network.bridges.vmbr1.nat = true;
      c.network.bridges.vmbr0.nat = true;
    },
    "network.bridges.vmbr0.nat: vmbr0 has no static IPv4 subnet to masquerade",
  ],
  [
    "the dead-man timer must leave time for an SSH login",
    (c) => (c.hostServices.confirmSeconds = 5),
    "hostServices.confirmSeconds: must be at least 15 seconds",
  ],
  ["the delete behaviour must be a known one", (c) => (c.hostServices.onDelete = "purge"), "hostServices.onDelete: must be keep, remove or restore"],
  ["unknown host service keys are rejected", (c) => (c.hostServices.haproxy.statPort = 1), "hostServices.haproxy.statPort: unknown key"],
  ["a pinned SSH host key must look like one", (c) => (c.ssh.hostKey = "AAAAC3NzaC1lZDI1NTE5"), "ssh.hostKey: must be a public host key line"],
  [
    "a backup schedule must be a Proxmox calendar event",
    (c) => (c.backups["nightly-local"].schedule = "every night"),
    'backups.nightly-local.schedule: "every night" is not a Proxmox calendar event; write [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES[:SECONDS]] [UTC], such as "*-*-* 02:30"',
  ],
  [
    "the node name must be a pve-node name",
    (c) => (c.proxmox.nodeName = "neve_1"),
    'proxmox.nodeName: must be a Proxmox node name such as "neve" (letters, digits and inner "-", at most 63 characters: the host name without its domain), got "neve_1"',
  ],
  ["the node name must be at most 63 characters", (c) => (c.proxmox.nodeName = "n".repeat(64)), "proxmox.nodeName: must be a Proxmox node name"],
  [
    "a storage's nodes must be pve-node names",
    (c) => (c.storage.local.nodes = ["neve", "-x"]),
    'storage.local.nodes[1]: must be a Proxmox node name such as "neve"',
  ],
  [
    "a storage limited to nodes must list this stack's node, case included",
    (c) => (c.storage.local.nodes = ["NEVE"]),
    'storage.local.nodes: "NEVE" is not "neve" (proxmox.nodeName): Proxmox compares node names exactly, case included; the storage would not be available on neve',
  ],
  [
    "a backup job's node must be this stack's node, case included",
    (c) => (c.backups["nightly-local"].node = "Neve"),
    'backups.nightly-local.node: "Neve" is not "neve" (proxmox.nodeName): Proxmox compares node names exactly, case included: the job would never run on neve; write neve, or remove node (every node)',
  ],
];

describe("node names (pve-common's pve-node format)", () => {
  it("must accept an upper-case node name, as Proxmox does (pve_verify_node_name, pmxcfs valid_nodename)", () => {
    const raw = realRaw();
    raw.proxmox.nodeName = "Neve";
    raw.backups["nightly-local"].node = "Neve";
    raw.storage.local.nodes = ["Neve", "pve2"];
    expect(parseStackConfig(raw).proxmox.nodeName).toBe("Neve");
  });

  it("must accept a storage limited to this node among others, and an empty nodes list (no limit)", () => {
    const raw = realRaw();
    raw.storage.local.nodes = ["pve2", "neve"];
    raw.storage.vmdata.nodes = [];
    expect(() => parseStackConfig(raw)).not.toThrow();
  });
});

describe.each(cases)("config rule: %s", (_rule, mutate, expected) => {
  it("must refuse the broken config with the field path and the fix", () => {
    expect(errorOf(mutate)).toContain(expected);
  });
});

// One rule, one place: the schema, the renderer and LxcRawConfig's own check accept exactly the same raw lines.
describe.each([
  ["lxc.apparmor.profile: unconfined", true],
  ["lxc.x=y", true],
  ["lxc.cgroup2.devices.allow = c 10:229 rwm", true],
  ["lxc.x : y", false],
  ["lxc.apparmor.profile: unconfined\nlxc.cap.drop:", false],
  ["features: fuse=1", false],
])("raw lxc line %j", (line, accepted) => {
  it(`must be ${accepted ? "accepted" : "refused"} alike by the config schema, the renderer and the provider's check`, () => {
    const raw = realRaw();
    raw.guests.lune.rawLxc = [line];
    let schema = true;
    try {
      parseStackConfig(raw);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      schema = false;
    }
    const check = checkLxcRawConfig({ connection: { host: "h", hostKey: UNKNOWN }, vmid: 201, rawLines: [line] }).failures.length === 0;
    let render = true;
    try {
      renderLxcRawConfig("arch: amd64\n", { vmid: 201, rawLines: [line] });
    } catch {
      render = false;
    }
    expect({ schema, check, render }).toEqual({ schema: accepted, check: accepted, render: accepted });
  });
});

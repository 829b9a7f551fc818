// discover reads cluster.fw and host.fw by meaning when the stack manages them (firewall.filesManaged: true, the host
// service pve-firewall): on neve's hand-shaped firewall files (tests/fixtures/pve-neve-fw), a copy that pve-firewall
// reads the same way (comments, blank lines, option, alias and IP set entry order, port order, `-log nolog`, macro and
// action case, address spelling) is equal in meaning, and each change pve-firewall would see (a rule moved, dropped
// or changed, an option, an alias, an IP set entry, a group rule, a line it skips) is named once. `--check` uses the
// reader for both files (hostfiles/index.ts meaningDiffOf), not their bytes.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { discoverCopy } from "../support/discoverCopy";
import { fixtureModel, type Raw } from "../support/stacks";

const FW = path.join(__dirname, "..", "fixtures", "pve-neve-fw", "etc", "pve");
const CLUSTER = fs.readFileSync(path.join(FW, "firewall", "cluster.fw"), "utf8");
const HOST = fs.readFileSync(path.join(FW, "nodes", "neve", "host.fw"), "utf8");

/** The same cluster.fw as pve-firewall reads it, written another way. */
const CLUSTER_RESPELLED = `# rewritten by hand: comments and blank lines carry no meaning
[options]
policy_in: DROP
log_ratelimit: burst=10,enable=1,rate=5/second
ENABLE: 1
ebtables: 0
[ALIASES]
TAILNET 100.64.0.000/10 # Tailscale CGNAT range
lan 10.10.10.0/24 # the guest bridge
[IPSET blocklist] # abusive ranges seen in the haproxy logs
203.0.113.0/24
198.51.100.0/24
!198.51.100.7
[IPSET management] # hosts that may reach the web UI besides the tailnet
100.94.229.96
[RULES]
GROUP tailnet-admin # operator access from the tailnet
in accept -source 100.64.0.0/10 -p tcp -dport 8006 # web UI from the tailnet
IN ACCEPT -p tcp -dport 80,443 # haproxy: HTTP and TLS passthrough
IN ACCEPT -i vmbr1 -p udp -dport 67 # DHCP from guests to dnsmasq
IN dns(ACCEPT) -i vmbr1 -source lan # DNS from guests to dnsmasq
|IN ACCEPT -p tcp -dport 3128 # SPICE proxy, off since noVNC
IN Ping(ACCEPT)
IN ACCEPT -source +management -p tcp -dport 8006 -log info # web UI from management hosts
IN ACCEPT -i vmbr1 -p udp -sport 123 # NTP replies to guests' queries
IN ACCEPT -p icmp -icmp-type echo-reply
[group tailnet-admin] # the operator, from the tailnet
IN ACCEPT -p tcp -dport 22 -source tailnet # SSH from the tailnet
`;

let diff: (live: string, rendered: string) => string[];
beforeAll(async () => {
  ({ firewallMeaningDiff: diff } = await import("../../stacks/discover/hostfiles/firewall"));
});

describe("cluster.fw and host.fw by meaning", () => {
  it("must find neve's cluster.fw equal in meaning to a copy pve-firewall reads the same way (and host.fw to itself)", () => {
    expect(diff(CLUSTER, CLUSTER_RESPELLED)).toEqual([]);
    expect(diff(HOST, HOST.replace(/ -log nolog/g, "").replace(/\n\n/g, "\n"))).toEqual([]);
  });

  it.each<[string, (t: string) => string, RegExp[]]>([
    [
      "two rules swapped (first match decides)",
      (t) =>
        t.replace(
          "IN ACCEPT -p tcp -dport 443,80 -log nolog # haproxy: HTTP and TLS passthrough\nIN ACCEPT -i vmbr1 -p udp -dport 67 -log nolog # DHCP from guests to dnsmasq",
          "IN ACCEPT -i vmbr1 -p udp -dport 67 -log nolog # DHCP from guests to dnsmasq\nIN ACCEPT -p tcp -dport 443,80 -log nolog # haproxy: HTTP and TLS passthrough",
        ),
      [/^\[RULES\]: the same rules in another order \(rule 3 live "on ACCEPT p=tcp dport=80,443 # haproxy: HTTP and TLS passthrough", .*first match decides$/],
    ],
    [
      "a rule dropped",
      (t) => t.replace("IN ACCEPT -p icmp -icmp-type echo-reply -log nolog\n", ""),
      [/^\[RULES\]: live "on ACCEPT p=icmp icmp=echo-reply" would be dropped or changed$/],
    ],
    [
      "a rule disabled",
      (t) => t.replace("IN Ping(ACCEPT) -log nolog", "|IN Ping(ACCEPT) -log nolog"),
      [/^\[RULES\]: live "on ping\(ACCEPT\)" would be dropped or changed$/, /^\[RULES\]: the render adds "off ping\(ACCEPT\)"$/],
    ],
    [
      "a policy changed",
      (t) => t.replace("policy_in: DROP", "policy_in: ACCEPT"),
      [/^\[OPTIONS\]: live "policy_in: DROP" would be dropped or changed$/, /^\[OPTIONS\]: the render adds "policy_in: ACCEPT"$/],
    ],
    [
      "an alias changed",
      (t) => t.replace("lan 10.10.10.0/24", "lan 10.10.20.0/24"),
      [/^\[ALIASES\]: live "lan 10\.10\.10\.0\/24"/, /the render adds "lan 10\.10\.20\.0\/24"/],
    ],
    [
      "a nomatch entry dropped",
      (t) => t.replace("!198.51.100.7 # a partner behind the same provider\n", ""),
      [/^\[IPSET blocklist\]: live "!198\.51\.100\.7"/],
    ],
    [
      "a group rule changed",
      (t) => t.replace("IN SSH(ACCEPT) -source tailnet", "IN SSH(ACCEPT) -source lan"),
      [/^\[group tailnet-admin\]: live "on ACCEPT s=tailnet p=tcp dport=22 # SSH from the tailnet" would be dropped/, /the render adds "on ACCEPT s=lan p=tcp/],
    ],
  ])("must name %s", (_what, edit, lines) => {
    const d = diff(CLUSTER, edit(CLUSTER));
    expect(d).toHaveLength(lines.length);
    lines.forEach((re, i) => {
      expect(d[i]).toMatch(re);
    });
  });

  it("must count a live line pve-firewall skips, which no render writes", () => {
    const live = CLUSTER.replace("[RULES]\n", "[RULES]\n\nIN ACCEPT -bogus 1\n");
    expect(diff(live, CLUSTER)).toEqual(['lines pve-firewall skips: live "IN ACCEPT -bogus 1" would be dropped or changed']);
  });

  it("must give --check the reader for both pve-firewall files when filesManaged is on, and none while it is off", async () => {
    const { meaningDiffOf } = await import("../../stacks/discover/hostfiles");
    const { parseStackConfig } = await import("../../stacks/config/stack");
    const { rawConfig } = await import("../support/stacks");
    const raw = rawConfig();
    raw.firewall.filesManaged = true;
    delete raw.firewall.recorded;
    const managed = meaningDiffOf(parseStackConfig(raw));
    expect(managed("/etc/pve/firewall/cluster.fw", CLUSTER, CLUSTER_RESPELLED)).toEqual([]);
    expect(managed("/etc/pve/nodes/neve/host.fw", HOST, HOST.replace("nosmurfs: 1", "nosmurfs: 0"))).toEqual([
      '[OPTIONS]: live "nosmurfs: 1" would be dropped or changed',
      '[OPTIONS]: the render adds "nosmurfs: 0"',
    ]);
    expect(meaningDiffOf(fixtureModel())("/etc/pve/firewall/cluster.fw", CLUSTER, CLUSTER_RESPELLED)).toBeUndefined();
  });
});

describe("discover --check with firewall.filesManaged: true on neve's files with pve-neve-fw overlaid (--root)", () => {
  const copy = discoverCopy("discover-fw-meaning-");
  afterAll(copy.remove);

  it("must compare cluster.fw and host.fw by meaning: each live rule the up would drop is named, not only a byte patch", async () => {
    fs.cpSync(FW, path.join(copy.root, "etc", "pve"), { recursive: true });
    const doc = parse(fs.readFileSync(copy.stack, "utf8")) as Raw;
    doc.config["neve-infra:firewall"].filesManaged = true;
    delete doc.config["neve-infra:firewall"].recorded;
    fs.writeFileSync(copy.stack, stringify(doc));
    const r = await copy.run("--check");
    expect(r.err).toBe("");
    const files = r.out.slice(r.out.indexOf("\nHost files"));
    const block = (p: string) => {
      const at = files.indexOf(` ${p} (host-pve-firewall)`);
      expect(at).toBeGreaterThan(0);
      return files.slice(at, files.indexOf("\n===", at));
    };
    // The fixture stack states fewer rules than the hand-shaped file: the reader names them by meaning.
    expect(block("/etc/pve/firewall/cluster.fw")).toMatch(/\d+ differences? in meaning/);
    expect(block("/etc/pve/firewall/cluster.fw")).toContain(
      '[RULES]: live "on ACCEPT s=+management p=tcp dport=8006 log=info # web UI from management hosts" would be dropped or changed',
    );
    expect(block("/etc/pve/nodes/neve/host.fw")).toContain('[RULES]: live "on DROP s=+blocklist log=info # abusive ranges" would be dropped or changed');
  });
});

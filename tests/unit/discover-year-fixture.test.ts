import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlanJson } from "../../scripts/lib/planJson";
import { sameCalendarEvent } from "../../stacks/common/calendarEvent";
import { meaningDiffOf } from "../../stacks/discover/hostfiles";
import { classifyKey, LXC_KEYS, QEMU_KEYS } from "../../stacks/discover/keys";
import { decodeText, parseGuestConf } from "../../stacks/discover/parse/guestConf";
import { parseSectionConfig } from "../../stacks/discover/parse/sectionConfig";
import { modelFromText } from "../../stacks/discover/write";
import { run as runTool, scratchDir, which, writeIn } from "../render/tools";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 12's "done when" as one run on one copy that carries every class together: tests/fixtures/pve-neve
// with pve-neve-objects (guest DNS, ip6=auto, a cloud-init drive, a pending change, a schedule spelled
// `02:30`, retention), pve-neve-hand (haproxy/dnsmasq/websockify/timer files edited by hand) and
// pve-neve-fw (IP sets, aliases, macros, a group, host.fw, a guest's .fw) laid over it, then
// pve-neve-year (the same classes in spellings no other test lists). The operator's whole flow through
// the commands' entry points: `--check` exits 1 naming each class; `--write`; the operator reverts the
// pending change; `--write`; the files without a reader acknowledged; `--check` exits 0; `npm run plan
// -- --json` declares, for every adopted object, the live value of every key the provider sends
// (compared with the copy's confs key by key, not with values written here), no second job; `plan
// --files` renders each host file equal in meaning to the live one, accepted by haproxy -c and dnsmasq
// --test; the copy and the fixtures are not modified.

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(REPO, "tests", "fixtures");
const LAYERS = ["pve-neve", "pve-neve-objects", "pve-neve-hand", "pve-neve-fw", "pve-neve-year"].map((d) => path.join(FIXTURES, d));
const HAPROXY = which("haproxy");
const DNSMASQ = which("dnsmasq") ?? (fs.existsSync("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : null);

const node = (script: string, ...args: string[]) => runScript(script, ...args);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "discover-year-"));
const copy = path.join(work, "copy");
// The host after the operator reverted the pending change (`qm set 1201 --revert memory`): a second copy.
const resolved = path.join(work, "resolved");
const stack = path.join(work, "Pulumi.neve.yaml");
const filesOut = path.join(work, "files");
const ETOILE = "etc/pve/nodes/neve/qemu-server/1201.conf";
const fixtureHashes = () => LAYERS.map((d) => treeHash(d));

/** Lay `src` over `dst`: its files replace those at the same paths; a link the lower layer has already is kept. */
function overlay(src: string, dst: string): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, e.name);
    const to = path.join(dst, e.name);
    if (e.isDirectory()) overlay(from, to);
    else if (e.isSymbolicLink()) {
      if (!fs.existsSync(to)) fs.symlinkSync(fs.readlinkSync(from), to);
      else if (!fs.lstatSync(to).isSymbolicLink() || fs.readlinkSync(to) !== fs.readlinkSync(from)) throw new Error(`${from}: a layer changes a link`);
    } else fs.copyFileSync(from, to);
  }
}
let beforeFixtures: string[] = [];
let beforeCopy = "";
type Run = Awaited<ReturnType<typeof node>>;
let check: Run;
let write: Run;
let writeResolved: Run;
let afterWrite: Run;
let after: Run;
let planFiles: Run;
let counted: string[] = [];
let plan: PlanJson;

beforeAll(async () => {
  beforeFixtures = fixtureHashes();
  for (const layer of LAYERS) overlay(layer, copy);
  fs.rmSync(path.join(copy, "README.md"));
  beforeCopy = treeHash(copy);
  fs.copyFileSync(path.join(FIXTURES, "Pulumi.fixture.yaml"), stack);
  check = await node("discover", "--root", copy, "--check", "--config", stack);
  write = await node("discover", "--root", copy, "--write", "--config", stack);
  fs.cpSync(copy, resolved, { recursive: true, verbatimSymlinks: true });
  const conf = fs.readFileSync(path.join(resolved, ETOILE), "utf8");
  fs.writeFileSync(path.join(resolved, ETOILE), conf.replace(/\[PENDING\]\n(?:[^[\n].*\n)*\n?/, ""));
  writeResolved = await node("discover", "--root", resolved, "--write", "--config", stack);
  afterWrite = await node("discover", "--root", resolved, "--check", "--config", stack);
  // Only host files the write could not state are acknowledged, each at its exact live content.
  counted = [...afterWrite.stdout.matchAll(/counted: the up would replace (\S+);/g)].map((m) => m[1]);
  if (counted.length) await node("discover", "--root", resolved, "--write", "--config", stack, ...counted.flatMap((f) => ["--acknowledge-file", f]));
  after = await node("discover", "--root", resolved, "--check", "--config", stack);
  const p = await node("plan", "--json", "--config", stack);
  plan = JSON.parse(p.stdout) as PlanJson;
  planFiles = await node("plan", "--config", stack, "--files", filesOut);
}, 300_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("discover --check on the copy carrying every class", () => {
  it("must exit 1", () => {
    expect(check.stderr).toBe("");
    expect(check.code).toBe(1);
  });

  it.each([
    ["a key nobody compared (guest DNS)", "guests.lune nameserver: live [10.10.10.1], declared (none)"],
    ["IPv6 by SLAAC on a container NIC", "guests.atlas ipv6Mode: live auto, declared (none)"],
    ["a cloud-init drive on a template", "guests.debian12-cloud cloudInit: live true, declared false"],
    ["the pending change, with its revert", "guests.etoile (VM 1201) has pending changes Proxmox applies at the next restart: memory: 6144"],
    [
      "a change that needs a restart of a running guest",
      "guests.cipher searchdomain: live neve.lan, declared (none) (provider default) [needs a restart of the running guest",
    ],
    ["the job spelled 02:30, matched to the declared one", "backups.nightly-local existingId: live backup-3f8c21d0-6a47"],
    ["retention the stack could not state", "backups.nightly-local keepWeekly: live 4, declared (none)"],
    ["the IP sets", "firewall ipsets: live {blocklist: [!198.51.100.7, 198.51.100.0/24, 203.0.113.0/24], management: [100.94.229.96]}"],
    ["the aliases", "firewall aliases: live {lan: 10.10.10.0/24, tailnet: 100.64.0.0/10}"],
    ["a macro as the macro", "live IN DNS(ACCEPT) -i vmbr1 -source lan # DNS from guests to dnsmasq"],
    ["host.fw's rules", "firewall hostRules: live 2 rules, declared 0"],
    ["the security group", "firewall groups: live {tailnet-admin: [IN SSH(ACCEPT) -source tailnet # SSH from the tailnet]}"],
  ])("must name %s", (_what, line) => {
    expect(check.stdout).toContain(line);
  });

  it.each([
    "/etc/haproxy/haproxy.cfg",
    "/etc/dnsmasq.d/neve-vmbr1.conf",
    "/etc/systemd/system/novnc-1201.service",
    "/etc/systemd/system/fix-pve-certs.service",
    "/etc/systemd/system/fix-pve-certs.timer",
  ])("must count the hand-written %s", (p) => {
    expect(check.stdout).toContain(`counted: the up would replace ${p};`);
  });

  it("must not call the job spelled differently unknown, nor plan a second one", () => {
    expect(check.stdout).not.toContain("backup job backup-3f8c21d0-6a47");
    expect(check.stdout).not.toContain("backups.nightly-local would be created");
  });
});

describe("the same classes in spellings no other test lists (pve-neve-year)", () => {
  it.each([
    ["tags in hand order, by their meaning", "guests.cipher tags: live [prod, web], declared []"],
    ["DHCPv6 on a container NIC whose properties are in another order", "guests.lune ipv6Mode: live dhcp, declared (none)"],
    ["a job's notes template", "backups.nightly-local notesTemplate: live {{guestname}} nightly, declared (none)"],
    [
      "a server option without a typed field",
      'live "server cipher_wenzelarifiandi_com 10.10.10.90:443 check port=443 inter=10000ms rise=2 fall=3 send-proxy-v2 maxconn=500 fastinter 2s"',
    ],
    ["a dnsmasq line the model lacks", 'dnsmasq: live "expand-hosts" would be dropped or changed'],
    ["a DHCP option by its number", 'dnsmasq: live "dhcp-option=119,neve.lan" would be dropped or changed'],
    ["an agent spelled as its property string", "guests.etoile agent: live true, declared false (provider default)"],
    ["vga with its type named, after the clipboard", "guests.etoile vga: live {type: std, clipboard: vnc}, declared {type: std}"],
    ["a storage's nodes", "storage.local nodes: live [neve], declared []"],
  ])("--check must name %s", (_what, line) => {
    expect(check.stdout).toContain(line);
  });

  it.each([
    ["a VM's memory spelled `current=2048` (qemu-server's [current=]<integer>)", "guests.ubuntu-2404-template memoryMiB"],
    ["a property string in another order (atlas's features, cipher's net0)", "features.nesting"],
    ["a MAC in lower case", "mac:"],
    ["`onboot: 0` spelled out on a template", "guests.debian12-cloud onBoot"],
    ["`startup` on a VM and a container (in ignoreChanges)", "startup"],
    ["a disk size spelled in MiB (disks are ignored)", "size="],
    ["vzdump's mailnotification and mailto (in ignoreChanges)", "mail"],
    ["storage keys the resource ignores (prune-backups, max-protected-backups, blocksize)", "protected"],
    ["CPU flags (cpu.flags is in ignoreChanges)", "+aes"],
    ["the agent's fstrim option (agent.trim is in ignoreChanges)", "fstrim"],
    ["a PBS port (no provider input)", "port 8007"],
  ])("--check must not count %s", (_what, text) => {
    const lines = check.stdout.slice(0, check.stdout.indexOf("\nHost files")).split("\n");
    expect(lines.filter((l) => l.includes(text))).toEqual([]);
  });

  it("--write must state the firewall in the schema's and Proxmox's spelling: an alias in upper case, a macro in lower case, a dc/ set, -p TCP", () => {
    const fw = modelFromText(fs.readFileSync(stack, "utf8")).firewall;
    expect(fw.rules).toContainEqual(expect.objectContaining({ macro: "DNS", source: "lan" }));
    expect(fw.rules).toContainEqual(expect.objectContaining({ macro: "Ping" }));
    expect(fw.hostRules).toContainEqual(expect.objectContaining({ action: "DROP", source: "+dc/blocklist" }));
    expect(fw.hostRules).toContainEqual(expect.objectContaining({ proto: "tcp", dports: [3128] }));
  });

  it("the first --write must state the server option and the dnsmasq lines", () => {
    expect(write.stdout).toContain(
      'routes[0].httpsServer: {"check":{"port":443,"inter":"10s","rise":2,"fall":3},"sendProxy":"v2","maxconn":500,"extra":["fastinter 2s"]}',
    );
    expect(write.stdout).toMatch(/hostServices\.dnsmasq\.extraLines: \d+ live directives the model does not own/);
  });
});

describe("--write, the operator reverts the pending change, --write, --check", () => {
  it("must not reconcile while the change is pending", () => {
    expect(write.stderr).toBe("");
    expect(write.stdout).toContain("guests.etoile: left: guests.etoile (VM 1201) has pending changes");
    expect(write.stdout).toContain("adoption.reconciled: not set");
    expect(write.code).toBe(1);
  });

  it("must reconcile once it is resolved, every hand-written file stated (no line left)", () => {
    expect(writeResolved.stderr).toBe("");
    expect(writeResolved.stdout).not.toMatch(/left: /);
    expect(writeResolved.stdout).toContain("adoption.reconciled: set");
  });

  it("must leave only the files discover has no reader for to acknowledge", () => {
    // cloudflared's config.yml: no reader yet (docs/discover.md); every other differing file is stated.
    expect(counted).toEqual(["/etc/cloudflared/config.yml"]);
  });

  it("must exit 0 after that", () => {
    expect(after.stdout).toContain("Result: nothing that exists on the host would change (exit 0).");
    expect(after.code).toBe(0);
  });

  it("must not modify the copy of the host's files, nor the fixtures it was made from", () => {
    expect(treeHash(copy)).toBe(beforeCopy);
    expect(fixtureHashes()).toEqual(beforeFixtures);
  });
});

// ---- The plan against the copy's confs, key by key ----

type Entries = Record<string, string>;
type Inputs = Record<string, any>;
/** One compared key: the provider input path (skipped when in ignoreChanges), what the plan sends and what the live key means. */
type Pair = readonly [input: string, declared: unknown, live: unknown];
type Comparator = (m: Entries, i: Inputs) => Pair[];

/** A property string `a=1,b=2` (a bare first value under `first`) as a map; order never matters. */
function props(s: string | undefined, first = ""): Record<string, string> {
  const o: Record<string, string> = {};
  for (const part of (s ?? "").split(",").filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq < 0) o[first] = part;
    else o[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return o;
}
const bool = (v: string | undefined, absent: boolean) => (v === undefined ? absent : v === "1");
const num = (v: string | undefined, absent: number) => (v === undefined ? absent : Number(v));
const list = (v: string | undefined) =>
  (v ?? "")
    .split(/[;,\s]+/)
    .filter(Boolean)
    .sort();
const sorted = (v: unknown) => (Array.isArray(v) ? [...v].map(String).sort() : []);
const NIC_MODELS = ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"];

/** An address block of the provider (`{ipv4: {address, gateway}}`) from a live ip/gw/ip6/gw6 set. */
function addresses(p: Record<string, string>, i: Inputs | undefined): Pair[] {
  return [
    ["initialization.ipConfigs[0].ipv4.address", i?.ipv4?.address, p.ip],
    ["initialization.ipConfigs[0].ipv4.gateway", i?.ipv4?.gateway, p.gw],
    ["initialization.ipConfigs[0].ipv6.address", i?.ipv6?.address, p.ip6],
    ["initialization.ipConfigs[0].ipv6.gateway", i?.ipv6?.gateway, p.gw6],
  ];
}
const dns = (m: Entries, i: Inputs): Pair[] => [
  ["initialization.dns.servers", sorted(i.initialization?.dns?.servers), list(m.nameserver)],
  ["initialization.dns.domain", i.initialization?.dns?.domain, m.searchdomain],
];

// Provider defaults (an input the program leaves unset is sent as this): the SDK's declarations
// (@muhlba91/pulumi-proxmoxve vmLegacy.d.ts/containerLegacy.d.ts "defaults to") and bpg's dv* constants
// as stacks/discover/fields.ts cites them. Proxmox's meaning of an absent key: qemu-server/pve-container
// confdesc, as fields.ts cites them.
const VM: Record<string, Comparator> = {
  // `[current=]<integer>` (qemu-server's $memory_fmt).
  memory: (m, i) => [["memory.dedicated", i.memory?.dedicated ?? 512, num(props(m.memory, "current").current, 512)]],
  balloon: (m, i) => [["memory.floating", i.memory?.floating ?? 0, num(m.balloon, num(props(m.memory, "current").current, 512))]],
  cores: (m, i) => [["cpu.cores", i.cpu?.cores ?? 1, num(m.cores, 1)]],
  sockets: (m, i) => [["cpu.sockets", i.cpu?.sockets ?? 1, num(m.sockets, 1)]],
  cpu: (m, i) => [["cpu.type", i.cpu?.type ?? "qemu64", props(m.cpu, "cputype").cputype ?? "kvm64"]],
  ostype: (m, i) => [["operatingSystem.type", i.operatingSystem?.type ?? "other", m.ostype ?? "other"]],
  bios: (m, i) => [["bios", i.bios ?? "seabios", m.bios ?? "seabios"]],
  machine: (m, i) => [["machine", i.machine ?? m.machine, m.machine]],
  scsihw: (m, i) => [["scsiHardware", i.scsiHardware ?? "virtio-scsi-pci", m.scsihw ?? "lsi"]],
  vga: (m, i) => {
    const p = props(m.vga, "type");
    const mem = (x: unknown) => (x === undefined || Number(x) === 16 ? undefined : Number(x));
    return [
      [
        "vga",
        { type: i.vga?.type ?? "std", memory: mem(i.vga?.memory), clipboard: i.vga?.clipboard },
        { type: p.type ?? "std", memory: mem(p.memory), clipboard: p.clipboard },
      ],
    ];
  },
  "net<n>": (m, i) => {
    const p = props(m.net0);
    const model = Object.keys(p).find((k) => NIC_MODELS.includes(k));
    const d = i.networkDevices?.[0] ?? {};
    return [
      ["networkDevices[0].model", d.model ?? "virtio", model],
      ["networkDevices[0].bridge", d.bridge, p.bridge],
      ["networkDevices[0].firewall", d.firewall ?? false, bool(p.firewall, false)],
      ["networkDevices[0].macAddress", d.macAddress?.toUpperCase() ?? (model && p[model]?.toUpperCase()), model && p[model]?.toUpperCase()],
    ];
  },
  acpi: (m, i) => [["acpi", i.acpi ?? true, bool(m.acpi, true)]],
  tablet: (m, i) => [["tabletDevice", i.tabletDevice ?? true, bool(m.tablet, true)]],
  agent: (m, i) => [["agent.enabled", i.agent?.enabled ?? false, bool(props(m.agent, "enabled").enabled, false)]],
  tags: (m, i) => [["tags", sorted(i.tags), list(m.tags)]],
  onboot: (m, i) => [["onBoot", i.onBoot ?? true, bool(m.onboot, false)]],
  description: (m, i) => [["description", i.description ?? "", m.description ?? ""]],
  template: (m, i) => [["template", i.template ?? false, bool(m.template, false)]],
  nameserver: dns,
  searchdomain: () => [], // with nameserver
  "ipconfig<n>": (m, i) => addresses(props(m.ipconfig0), i.initialization?.ipConfigs?.[0]),
  "ide<n>": (m, i) => {
    // A cloud-init drive is declared as the initialization block (its drive is ignored, not its presence).
    const drive = Object.entries(m).some(([k, v]) => /^(ide|sata|scsi)\d+$/.test(k) && /cloudinit/.test(v));
    return [["initialization", i.initialization !== undefined, drive]];
  },
};

const CT: Record<string, Comparator> = {
  memory: (m, i) => [["memory.dedicated", i.memory?.dedicated ?? 512, num(m.memory, 512)]],
  swap: (m, i) => [["memory.swap", i.memory?.swap ?? 0, num(m.swap, 512)]],
  cores: (m, i) => [["cpu.cores", i.cpu?.cores ?? 1, m.cores === undefined ? "all" : Number(m.cores)]],
  features: (m, i) => {
    const p = props(m.features);
    return ["nesting", "keyctl", "fuse", "mknod"].map((f) => [`features.${f}`, i.features?.[f] ?? false, bool(p[f], false)] as const);
  },
  hostname: (m, i) => [["initialization.hostname", i.initialization?.hostname, m.hostname]],
  "net<n>": (m, i) => {
    const p = props(m.net0);
    const d = i.networkInterfaces?.[0] ?? {};
    return [
      ["networkInterfaces[0].name", d.name, p.name],
      ["networkInterfaces[0].bridge", d.bridge, p.bridge],
      ["networkInterfaces[0].firewall", d.firewall ?? false, bool(p.firewall, false)],
      ["networkInterfaces[0].macAddress", d.macAddress?.toUpperCase() ?? p.hwaddr?.toUpperCase(), p.hwaddr?.toUpperCase()],
      ...addresses(p, i.initialization?.ipConfigs?.[0]),
    ];
  },
  nameserver: dns,
  searchdomain: () => [],
  onboot: (m, i) => [["startOnBoot", i.startOnBoot ?? true, bool(m.onboot, false)]],
  ostype: (m, i) => [["operatingSystem.type", i.operatingSystem?.type, m.ostype]],
  tags: (m, i) => [["tags", sorted(i.tags), list(m.tags)]],
  template: (m, i) => [["template", i.template ?? false, bool(m.template, false)]],
  unprivileged: (m, i) => [["unprivileged", i.unprivileged ?? false, bool(m.unprivileged, false)]],
  description: (m, i) => [["description", i.description ?? "", m.description ?? ""]],
  "lxc.*": () => [], // pushed by the host-config resource host-lxc-<vmid>-raw (its file is compared below)
};

/** Keys whose comparison is elsewhere (the name is the resource's key; args are root@pam-only, never sent). */
const ELSEWHERE = new Set(["name", "args"]);

/** `a` is `path` or below it (`cpu.type` under `cpu`), for ignoreChanges. */
const under = (p: string, ignored: readonly string[]) => ignored.some((x) => p === x || p.startsWith(`${x}.`) || p.startsWith(`${x}[`));
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x)
            .filter(([, y]) => y !== undefined)
            .sort(([a], [b]) => a.localeCompare(b)),
        )
      : x,
  );

describe("npm run plan -- --json on the written stack file, against the copy's confs", () => {
  const guestResources = () => plan.resources.filter((r) => /^proxmoxve:index\/(vm|container)Legacy:/.test(r.type) && r.importId);

  it("must import every declared guest of the copy", () => {
    expect(
      guestResources()
        .map((r) => r.importId)
        .sort(),
    ).toEqual(["neve/1200", "neve/1201", "neve/200", "neve/201", "neve/9000", "neve/9100"]);
  });

  it("must declare, for every key of every adopted guest's live config the provider sends, its live meaning", () => {
    const mismatches: string[] = [];
    const uncompared: string[] = [];
    let compared = 0;
    for (const r of guestResources()) {
      const vmid = Number(String(r.importId).split("/")[1]);
      const kind = r.type.includes("vmLegacy") ? "qemu" : "lxc";
      const file = path.join(resolved, "etc/pve/nodes/neve", kind === "qemu" ? "qemu-server" : "lxc", `${vmid}.conf`);
      const facts = parseGuestConf(fs.readFileSync(file, "utf8"), vmid, kind);
      const m: Entries = Object.fromEntries(facts.main);
      if (facts.description !== undefined) m.description = facts.description;
      const table = kind === "qemu" ? QEMU_KEYS : LXC_KEYS;
      const comparators = kind === "qemu" ? VM : CT;
      // Every live key the stack states must be compared here (a new stated key without a comparison fails).
      for (const k of Object.keys(m)) {
        const c = classifyKey(table, k);
        const pattern = k.startsWith("lxc.") ? "lxc.*" : (/^([a-z_-]*[a-z_-])\d+$/.exec(k)?.[1] ?? k);
        if (c && "stack" in c && !ELSEWHERE.has(k) && !comparators[k] && !comparators[pattern] && !comparators[`${pattern}<n>`])
          uncompared.push(`${vmid} ${k}`);
      }
      const ignored = r.ignoreChanges ?? [];
      for (const [key, cmp] of Object.entries(comparators)) {
        for (const [input, declared, live] of cmp(m, r.inputs as Inputs)) {
          if (under(input, ignored)) continue;
          compared++;
          if (canon(declared) !== canon(live)) mismatches.push(`${r.name} ${key} -> ${input}: live ${canon(live)}, declared ${canon(declared)}`);
        }
      }
    }
    expect(uncompared).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  });

  it("must declare each adopted storage as storage.cfg has it", () => {
    const sections = parseSectionConfig(fs.readFileSync(path.join(resolved, "etc/pve/storage.cfg"), "utf8"));
    const mismatches: string[] = [];
    for (const s of sections) {
      const r = plan.resources.find((x) => x.type.startsWith("proxmoxve:storage/") && x.importId === s.id);
      if (!r) {
        mismatches.push(`${s.type} ${s.id}: not declared`);
        continue;
      }
      const p: Entries = Object.fromEntries(s.props);
      const i = r.inputs as Inputs;
      const pairs: Pair[] = [
        ["contents", sorted(i.contents), list(p.content)],
        ["disable", i.disable ?? false, "disable" in p],
        ["nodes", sorted(i.nodes), list(p.nodes)],
        ...((s.type === "dir" ? [["path", i.path, p.path]] : []) as Pair[]),
        ...((s.type === "zfspool"
          ? [
              ["zfsPool", i.zfsPool, p.pool],
              ["thinProvision", i.thinProvision ?? false, bool(p.sparse, false)],
            ]
          : []) as Pair[]),
        ...((s.type === "pbs"
          ? [
              ["server", i.server, p.server],
              ["datastore", i.datastore, p.datastore],
              ["username", i.username, p.username],
              ["fingerprint", i.fingerprint, p.fingerprint],
              ["namespace", i.namespace, p.namespace],
            ]
          : []) as Pair[]),
      ];
      for (const [input, declared, live] of pairs)
        if (!under(input, r.ignoreChanges ?? []) && canon(declared) !== canon(live))
          mismatches.push(`${s.id} ${input}: live ${canon(live)}, declared ${canon(declared)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("must declare each declared backup job the copy has with its live values, and no second job on the same storage and time", () => {
    const jobs = plan.resources.filter((r) => r.type === "proxmoxve:backup/job:Job");
    const live = parseSectionConfig(fs.readFileSync(path.join(resolved, "etc/pve/jobs.cfg"), "utf8")).filter((s) => s.type === "vzdump");
    const mismatches: string[] = [];
    let adopted = 0;
    for (const s of live) {
      const p: Entries = Object.fromEntries(s.props);
      const same = jobs.filter((j) => j.inputs.storage === p.storage && sameCalendarEvent(String(j.inputs.schedule), p.schedule));
      const r = jobs.find((j) => j.importId === s.id);
      if (!r) {
        expect(same).toEqual([]); // a job the stack does not declare: recorded unmanaged, no second one
        continue;
      }
      adopted++;
      expect(same).toEqual([r]);
      const i = r.inputs as Inputs;
      const pairs: Pair[] = [
        ["schedule", true, sameCalendarEvent(String(i.schedule), p.schedule)],
        ["storage", i.storage, p.storage],
        ["vmids", sorted(i.vmids), list(p.vmid)],
        ["mode", i.mode ?? "snapshot", p.mode ?? "snapshot"],
        ["compress", i.compress ?? "0", p.compress ?? "0"],
        ["enabled", i.enabled ?? true, bool(p.enabled, true)],
        ["pruneBackups", i.pruneBackups, props(p["prune-backups"])],
        ["notesTemplate", i.notesTemplate, p["notes-template"] === undefined ? undefined : decodeText(p["notes-template"])],
        ["node", i.node, p.node],
      ];
      for (const [input, declared, liveValue] of pairs)
        if (!under(input, r.ignoreChanges ?? []) && canon(declared) !== canon(liveValue))
          mismatches.push(`${s.id} ${input}: live ${canon(liveValue)}, declared ${canon(declared)}`);
    }
    expect(adopted).toBeGreaterThan(0);
    expect(mismatches).toEqual([]);
  });

  it("must list no guest an up may restart", () => {
    expect(plan.restarts).toEqual([]);
  });
});

describe("npm run plan -- --files on the written stack file", () => {
  const managed = () =>
    plan.resources
      .filter((r) => r.type === "pulumi-nodejs:dynamic/neve:HostConfig")
      // A resource whose files carry a secret shows them as one secret value (cloudflared's).
      .flatMap((r) => (Array.isArray(r.inputs.files) ? (r.inputs.files as Array<{ path: string }>).map((f) => f.path) : []))
      .filter((p) => fs.existsSync(path.join(resolved, p)) && fs.existsSync(path.join(filesOut, p)));

  it("must render each managed host file that exists on the copy equal in meaning to the live one (cloudflared's acknowledged, the secret aside)", () => {
    expect(planFiles.code).toBe(0);
    const diff = meaningDiffOf(modelFromText(fs.readFileSync(stack, "utf8")));
    const differ: Record<string, readonly string[] | undefined> = {};
    for (const p of managed()) {
      if (p === "/etc/cloudflared/config.yml") continue;
      const d = diff(p, fs.readFileSync(path.join(resolved, p), "utf8"), fs.readFileSync(path.join(filesOut, p), "utf8"));
      if (d === undefined || d.length) differ[p] = d;
    }
    expect(managed()).toEqual(
      expect.arrayContaining(["/etc/haproxy/haproxy.cfg", "/etc/dnsmasq.d/neve-vmbr1.conf", "/etc/systemd/system/fix-pve-certs.timer"]),
    );
    expect(differ).toEqual({});
  });

  it("the real haproxy -c must accept the rendered haproxy.cfg", () => {
    if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run this test");
    const { dir, cleanup } = scratchDir("haproxy-year");
    try {
      const r = runTool(HAPROXY, ["-c", "-f", writeIn(dir, "haproxy.cfg", fs.readFileSync(path.join(filesOut, "etc/haproxy/haproxy.cfg"), "utf8"))]);
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.stringContaining("Configuration file is valid") });
    } finally {
      cleanup();
    }
  });

  it("the real dnsmasq --test must accept the rendered dnsmasq file", () => {
    if (DNSMASQ === null) throw new Error("dnsmasq is not installed; install the Debian package dnsmasq-base to run this test");
    const { dir, cleanup } = scratchDir("dnsmasq-year");
    try {
      const r = runTool(DNSMASQ, [
        "--test",
        `--conf-file=${writeIn(dir, "neve-vmbr1.conf", fs.readFileSync(path.join(filesOut, "etc/dnsmasq.d/neve-vmbr1.conf"), "utf8"))}`,
      ]);
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.stringContaining("syntax check OK") });
    } finally {
      cleanup();
    }
  });
});

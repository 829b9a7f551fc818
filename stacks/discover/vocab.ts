/**
 * The live facts in the stack file's own vocabulary: what `guests.<name>`, `storage.<id>`,
 * `backups.<id>`, `network.bridges`, `firewall` would say if they described the host exactly.
 * Pure: LiveFacts in, plain objects out (no I/O, no Pulumi).
 *
 * A field is `undefined` when Proxmox has no line for it; what an absent line means (Proxmox's own
 * default) is applied by the comparison (./fields.ts), not here, so the printed vocabulary shows
 * only what the host's files say.
 */

import { preferredMacroName } from "../common/firewallRule";
import { RETENTION_KEYS } from "../config/backups";
import { isAddressOrCidr } from "../config/common";
import { TAILNET_IFACE } from "../config/network";
import type { ConfEntries, FirewallRuleFacts, GuestFacts, LiveFacts, SectionFacts, StagedNetwork } from "./facts";
import {
  type CountedKey,
  classifyKey,
  countedSectionKeys,
  type KeyClass,
  LXC_KEYS,
  LXC_NET_PROPS,
  QEMU_IPCONFIG_PROPS,
  QEMU_KEYS,
  QEMU_NET_PROPS,
  STORAGE_KEYS,
  VZDUMP_KEYS,
} from "./keys";

/** Stack-vocabulary fields of one guest (keys as in `neve-infra:guests.<name>`). */
export type GuestVocab = Record<string, unknown> & {
  readonly vmid: number;
  readonly kind: "vm" | "ct";
};

/** One live guest: its name (the stack key) and its fields. */
export interface LiveGuest {
  /** `name:` (VM) or `hostname:` (container); `vm<id>` / `ct<id>` when missing. */
  readonly name: string;
  /** Fields in the stack vocabulary. */
  readonly fields: GuestVocab;
  /** Pending (not yet applied) changes, `key: value` as Proxmox wrote them. */
  readonly pending: readonly string[];
  /** Live keys the first up would change or drop and the stack cannot state, or keys discover does not know (./keys.ts). */
  readonly counted: readonly CountedKey[];
}

/** One live storage: id and stack-vocabulary fields (plus `unexpressed` keys the stack cannot state). */
export interface LiveStorage {
  readonly id: string;
  readonly fields: Record<string, unknown> & { readonly type: string };
  /** storage.cfg keys discover does not know (./keys.ts). */
  readonly counted?: readonly CountedKey[];
}

/** One live vzdump job (jobs.cfg). */
export interface LiveJob {
  readonly id: string;
  /** Stack fields; `vmids` instead of guest names (the caller maps them). */
  readonly fields: Record<string, unknown> & { readonly vmids: readonly number[] | "all" };
  /** jobs.cfg keys discover does not know (./keys.ts). */
  readonly counted?: readonly CountedKey[];
}

/** One live bridge. */
export interface LiveBridge {
  readonly name: string;
  readonly fields: { readonly ports: readonly string[]; readonly ipv4?: string; readonly ipv6?: string };
}

/** The firewall in stack vocabulary. */
export interface LiveFirewall {
  readonly enabled: boolean;
  readonly inputPolicy: string;
  readonly outputPolicy: string;
  /** Rules in order, stack-shaped; `unexpressed` says why a rule has no stack form. */
  readonly rules: ReadonlyArray<LiveRule>;
  /** Other sections (aliases, IP sets, groups), by header. */
  readonly otherSections: readonly string[];
  /** `[IPSET]` sections: name -> entries as written. */
  readonly ipsets: Readonly<Record<string, readonly string[]>>;
  /** `[ALIASES]`: name -> address/CIDR. */
  readonly aliases: Readonly<Record<string, string>>;
  /** `[group]` sections, their rules stack-shaped. */
  readonly groups: Readonly<Record<string, { readonly comment?: string; readonly rules: readonly LiveRule[] }>>;
  /** `[OPTIONS]` besides enable/policy_in/policy_out, as written (key lowercased). */
  readonly options: Readonly<Record<string, string>>;
  /** The node's host.fw, when it exists: its options and rules. */
  readonly host?: { readonly options: Readonly<Record<string, string>>; readonly rules: readonly LiveRule[]; readonly unparsed: readonly string[] };
  /** Guest firewall files (/etc/pve/firewall/<vmid>.fw): what each holds, for the report. */
  readonly guestFiles: ReadonlyArray<{
    readonly vmid: number;
    readonly path: string;
    readonly rules: number;
    readonly options: readonly string[];
    readonly enabled: boolean;
  }>;
}

/** One firewall rule, stack-shaped (`name` derived from its comment). */
export interface LiveRule {
  readonly name: string;
  readonly action: string;
  /** `Macro(ACTION)`: the macro as written (never expanded). */
  readonly macro?: string;
  /** `GROUP <name>`: the security group. */
  readonly group?: string;
  /** `out` for an OUT rule. */
  readonly direction?: "out";
  readonly sports: readonly number[];
  readonly log?: string;
  readonly icmpType?: string;
  readonly proto?: string;
  readonly source?: string;
  readonly dest?: string;
  readonly dports: readonly number[];
  readonly iface?: string;
  readonly comment?: string;
  readonly enabled: boolean;
  /** Why the rule cannot be written in the stack vocabulary (direction out, a port range, an unknown macro). */
  readonly unexpressed?: string;
  /** The line in cluster.fw. */
  readonly raw: string;
}

/** A NAT the host itself sets up (post-up iptables MASQUERADE in /etc/network/interfaces). */
export interface LiveNat {
  /** The stanza (bridge) carrying the lines. */
  readonly bridge: string;
  /** `-s` of the rule, when given. */
  readonly source?: string;
  /** `-o` of the rule, when given. */
  readonly outInterface?: string;
  /** File and line, for messages. */
  readonly where: string;
}

/** Where a forwarding key is set outside the stack's own drop-in. */
export interface LiveForwarding {
  /** `net.ipv4.ip_forward` or `net.ipv6.conf.all.forwarding`. */
  readonly key: string;
  /** The value set. */
  readonly value: string;
  /** File (and how: sysctl file or post-up line). */
  readonly where: string;
}

/** Everything discover maps into the stack vocabulary. */
export interface LiveVocabulary {
  readonly node: string;
  readonly source: string;
  readonly guests: readonly LiveGuest[];
  readonly storage: readonly LiveStorage[];
  readonly jobs: readonly LiveJob[];
  readonly bridges: readonly LiveBridge[];
  readonly firewall?: LiveFirewall;
  readonly nat: readonly LiveNat[];
  readonly forwarding: readonly LiveForwarding[];
  /** /etc/network/interfaces.new beside the live file, when it exists (a conflict of --check: ./staged.ts). */
  readonly stagedNetwork?: StagedNetwork;
}

/** The stack's own forwarding drop-in (stacks/render/services.ts): not "elsewhere". */
const STACK_SYSCTL_FILE = "/etc/sysctl.d/90-neve-forwarding.conf";
/** Forwarding keys the stack may declare. */
const FORWARDING_KEYS = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] as const;

/** `a=1,b=2` / `default,a=1`: a Proxmox property string; an entry without `=` gets the key `""`. */
function propertyString(value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of value.split(",")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq === -1) m.set(m.has("") ? part : "", part);
    else m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

function get(entries: ConfEntries, key: string): string | undefined {
  for (const [k, v] of entries) if (k === key) return v;
  return undefined;
}

/**
 * A Proxmox boolean by its meaning: pve-common PVE/JSONSchema.pm `parse_boolean` takes 1, on, yes and
 * true (any case) as true and 0, off, no and false as false.
 */
const flag = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : /^(1|on|yes|true)$/i.test(v));
const int = (v: string | undefined): number | undefined => (v === undefined || !/^\d+$/.test(v) ? undefined : Number(v));
const tagsOf = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(/[;, ]+/)
        .filter(Boolean)
        .sort();

/** A Proxmox address list (`nameserver: 1.1.1.1 9.9.9.9`, spaces, commas or semicolons). */
const listOf = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(/[\s,;]+/).filter(Boolean));

/** QEMU NIC models (qemu-server PVE/QemuServer.pm $nic_model_list). */
const NIC_MODELS = [
  "e1000",
  "e1000-82540em",
  "e1000-82544gc",
  "e1000-82545em",
  "e1000e",
  "i82551",
  "i82557b",
  "i82559er",
  "ne2k_isa",
  "ne2k_pci",
  "pcnet",
  "rtl8139",
  "virtio",
  "vmxnet3",
];

/**
 * NICs after net0 (`net1: ...` to `net31: ...`, as Proxmox wrote them): the stack declares one NIC per
 * guest, so check.ts reports each as one the first `up` would delete.
 */
function extraNics(m: ConfEntries): string[] | undefined {
  const nics = m.filter(([k]) => /^net[1-9]\d*$/.test(k)).map(([k, v]) => `${k}: ${v}`);
  return nics.length ? nics : undefined;
}

function vmFields(g: GuestFacts): GuestVocab {
  const m = g.main;
  const net0 = propertyString(get(m, "net0") ?? "");
  const model = [...net0.keys()].find((k) => NIC_MODELS.includes(k));
  const cpu = get(m, "cpu");
  const cpuType = cpu === undefined ? undefined : (propertyString(cpu).get("cputype") ?? propertyString(cpu).get(""));
  const vgaRaw = get(m, "vga");
  const vga = vgaRaw === undefined ? undefined : propertyString(vgaRaw);
  const ipc = get(m, "ipconfig0");
  const ip = ipc ? propertyString(ipc) : undefined;
  const v4 = ip?.get("ip");
  const v6 = ip?.get("ip6");
  const agent = get(m, "agent");
  // qemu-server 8 reads `memory` as the property string `[current=]<integer>` (a bare number is its
  // default key): proxmox/qemu-server@54396a397eae src/PVE/QemuServer/Memory.pm $memory_fmt, parse_memory.
  const memory = get(m, "memory");
  const mem = memory === undefined ? undefined : propertyString(memory);
  return {
    vmid: g.vmid,
    kind: "vm",
    template: flag(get(m, "template")),
    description: g.description,
    onBoot: flag(get(m, "onboot")),
    memoryMiB: int(mem?.get("current") ?? mem?.get("")),
    balloonMiB: int(get(m, "balloon")),
    cores: int(get(m, "cores")),
    sockets: int(get(m, "sockets")),
    cpuType,
    osType: get(m, "ostype"),
    bios: get(m, "bios"),
    machine: get(m, "machine"),
    scsiHardware: get(m, "scsihw"),
    vga: vga ? { type: vga.get("type") ?? vga.get(""), memoryMiB: int(vga.get("memory")), clipboard: vga.get("clipboard") } : undefined,
    nicModel: model,
    mac: model === undefined ? undefined : net0.get(model),
    bridge: net0.get("bridge"),
    firewall: flag(net0.get("firewall")),
    extraNics: extraNics(m),
    acpi: flag(get(m, "acpi")),
    tablet: flag(get(m, "tablet")),
    keyboard: get(m, "keyboard"),
    agent: agent === undefined ? undefined : (flag(propertyString(agent).get("enabled") ?? propertyString(agent).get("")) ?? false),
    args: get(m, "args"),
    tags: tagsOf(get(m, "tags")),
    // An ipconfig0 or a cloud-init drive (`ide2: vmdata:vm-1200-cloudinit,media=cdrom`): the provider reads back an initialization block.
    cloudInit: ipc !== undefined || m.some(([k, v]) => /^(ide|sata|scsi|virtio)\d+$/.test(k) && /cloudinit/.test(v.split(",")[0])) ? true : undefined,
    ipv4: v4 && v4 !== "dhcp" ? v4.split("/")[0] : undefined,
    ipv6: v6 && v6 !== "dhcp" && v6 !== "auto" ? v6.split("/")[0] : undefined,
    ipv6Mode: v6 === "dhcp" || v6 === "auto" ? v6 : undefined,
    nameserver: listOf(get(m, "nameserver")),
    searchdomain: get(m, "searchdomain"),
    snapshots: g.snapshots.map((s) => s.name),
  };
}

function ctFields(g: GuestFacts): GuestVocab {
  const m = g.main;
  const net0 = propertyString(get(m, "net0") ?? "");
  const feat = get(m, "features");
  const f = feat === undefined ? undefined : propertyString(feat);
  const v4 = net0.get("ip");
  const v6 = net0.get("ip6");
  const features: Record<string, unknown> = {};
  if (f) {
    for (const k of ["nesting", "keyctl", "fuse", "mknod"]) if (f.has(k)) features[k] = flag(f.get(k));
    if (f.has("mount")) features.mount = (f.get("mount") ?? "").split(";").filter(Boolean);
  }
  return {
    vmid: g.vmid,
    kind: "ct",
    template: flag(get(m, "template")),
    description: g.description,
    onBoot: flag(get(m, "onboot")),
    memoryMiB: int(get(m, "memory")),
    swapMiB: int(get(m, "swap")),
    cores: int(get(m, "cores")),
    unprivileged: flag(get(m, "unprivileged")),
    features,
    osType: get(m, "ostype"),
    mac: net0.get("hwaddr"),
    bridge: net0.get("bridge"),
    firewall: flag(net0.get("firewall")),
    extraNics: extraNics(m),
    tags: tagsOf(get(m, "tags")),
    ipv4: v4 && v4 !== "dhcp" && v4 !== "manual" ? v4.split("/")[0] : undefined,
    ipv6: v6 && !["dhcp", "auto", "manual"].includes(v6) ? v6.split("/")[0] : undefined,
    ipv6Mode: v6 === "dhcp" || v6 === "auto" ? v6 : undefined,
    nameserver: listOf(get(m, "nameserver")),
    searchdomain: get(m, "searchdomain"),
    rawLxc: m.filter(([k]) => k.startsWith("lxc.")).map(([k, v]) => `${k}: ${v}`),
    snapshots: g.snapshots.map((s) => s.name),
  };
}

/**
 * The live keys of a guest's main section (and properties of net0 and ipconfig0) that the closed-world
 * tables of ./keys.ts count: classified `counted`, or unknown to them. net1 and later are left to
 * extraNics.
 */
function countedKeys(g: GuestFacts): CountedKey[] {
  const qemu = g.kind === "qemu";
  const table = qemu ? QEMU_KEYS : LXC_KEYS;
  const out: CountedKey[] = [];
  const unknown = (what: string) =>
    `discover does not know ${what} (not in the Proxmox schema it was built from: tests/data/proxmox-guest-keys.json); ` +
    "find what the provider does with it before the first up, then classify it in stacks/discover/keys.ts";
  const props = (key: string, value: string, t: Readonly<Record<string, KeyClass>>) => {
    for (const [p, v] of propertyString(value)) {
      const prop = qemu && key.startsWith("net") && NIC_MODELS.includes(p) ? "model" : p === "" && qemu && key.startsWith("net") ? "model" : p;
      const c = t[prop];
      if (!c) out.push({ key: `${key}.${p}`, live: v, why: unknown(`the property ${p} of ${key}`) });
      else if ("counted" in c) out.push({ key: `${key}.${p}`, live: v, why: c.counted });
    }
  };
  for (const [k, v] of g.main) {
    if (/^net[1-9]\d*$/.test(k)) continue;
    const c = classifyKey(table, k);
    if (!c) out.push({ key: k, live: v, why: unknown(`the key ${k}`) });
    else if ("counted" in c) out.push({ key: k, live: v, why: c.counted });
    if (k === "net0") props(k, v, qemu ? QEMU_NET_PROPS : LXC_NET_PROPS);
    if (qemu && k === "ipconfig0") props(k, v, QEMU_IPCONFIG_PROPS);
  }
  return out;
}

/** One guest config in the stack vocabulary. */
function guestVocab(g: GuestFacts): LiveGuest {
  const fields = g.kind === "qemu" ? vmFields(g) : ctFields(g);
  const name = get(g.main, g.kind === "qemu" ? "name" : "hostname") ?? `${g.kind === "qemu" ? "vm" : "ct"}${g.vmid}`;
  return { name, fields, pending: g.pending.map(([k, v]) => `${k}: ${v}`), counted: countedKeys(g) };
}

/** One storage.cfg section in the stack vocabulary, with the keys discover does not know. */
function storageVocab(s: SectionFacts): LiveStorage {
  const v = storageFields(s);
  const table = STORAGE_KEYS[s.type as keyof typeof STORAGE_KEYS];
  return { ...v, counted: countedSectionKeys(table, s.props, `${s.type} storage`) };
}

function storageFields(s: SectionFacts): LiveStorage {
  const p = s.props;
  const list = (k: string) =>
    get(p, k)
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const has = (k: string) => p.some(([key]) => key === k);
  const base = {
    type: s.type,
    contents: list("content")?.sort(),
    disabled: has("disable") ? get(p, "disable") !== "0" : undefined,
    nodes: list("nodes")?.sort(),
  };
  switch (s.type) {
    case "dir":
      return { id: s.id, fields: { ...base, path: get(p, "path") } };
    case "zfspool":
      return { id: s.id, fields: { ...base, pool: get(p, "pool"), sparse: flag(get(p, "sparse")) } };
    case "pbs":
      return {
        id: s.id,
        fields: {
          ...base,
          server: get(p, "server"),
          datastore: get(p, "datastore"),
          username: get(p, "username"),
          fingerprint: get(p, "fingerprint"),
          namespace: get(p, "namespace"),
        },
      };
    default:
      return { id: s.id, fields: base };
  }
}

/** One jobs.cfg vzdump section in the stack vocabulary (guests as ids). */
function jobVocab(s: SectionFacts): LiveJob {
  const p = s.props;
  const prune = propertyString(get(p, "prune-backups") ?? "");
  const vmid = get(p, "vmid");
  return {
    id: s.id,
    counted: countedSectionKeys(VZDUMP_KEYS, p, "vzdump job"),
    fields: {
      schedule: get(p, "schedule"),
      storage: get(p, "storage"),
      vmids:
        get(p, "all") === "1"
          ? "all"
          : (vmid ?? "")
              .split(",")
              .filter(Boolean)
              .map(Number)
              .sort((a, b) => a - b),
      mode: get(p, "mode"),
      compress: get(p, "compress"),
      enabled: flag(get(p, "enabled")),
      ...Object.fromEntries(RETENTION_KEYS.map(([field, key]) => [field, int(prune.get(key))])),
      // keep-all (and anything else) has no stack form.
      pruneOther: [...prune.keys()].filter((k) => !RETENTION_KEYS.some(([, key]) => key === k)).map((k) => `${k}=${prune.get(k)}`),
      notesTemplate: get(p, "notes-template"),
      node: get(p, "node"),
      // `pool <id>`: the guests of a pool, whoever they are at run time (pve-manager PVE/VZDump.pm,
      // option `pool`, exclusive with `vmid` and `all`); no vmid list to compare.
      pool: get(p, "pool"),
    },
  };
}

function ruleName(r: FirewallRuleFacts, i: number, taken: Set<string>): string {
  const base =
    (r.comment ?? "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "") || (r.type === "group" ? `group-${r.action.toLowerCase()}` : r.macro ? r.macro.toLowerCase() : `rule-${i + 1}`);
  let name = /^[a-z0-9]/.test(base) ? base : `rule-${base}`;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

/** Protocols the stack's `proto` states. */
const STACK_PROTOS = ["tcp", "udp", "icmp", "ipv6-icmp"];

/**
 * Why a rule's `-source`/`-dest` has no stack form, or undefined: the stack states an address or CIDR,
 * an IP set `+name`/`+dc/name`, an alias `name`/`dc/name` (pve-firewall PVE/Firewall.pm
 * parse_address_list). Not: a `guest/` scope (a guest file's own objects), a list or a range of addresses.
 */
function addressProblem(v: string): string | undefined {
  if (v.includes(",")) return "an address list";
  if (/^\+guest\/|^guest\//.test(v)) return "a guest-scoped reference";
  if (/^[0-9a-fA-F.:]+-[0-9a-fA-F.:]+$/.test(v)) return "an address range";
  if (/^\+(dc\/)?[A-Za-z][A-Za-z0-9_-]*$/.test(v) || /^(dc\/)?[A-Za-z][A-Za-z0-9_-]*$/.test(v)) return undefined;
  return isAddressOrCidr(v) ? undefined : "not an address, IP set or alias";
}

/** A `-dport`/`-sport` value as port numbers, or the part that is not one (a range `a:b` or a service name). */
function portList(v: string | undefined, what: string, why: string[]): number[] {
  if (v === undefined) return [];
  const out: number[] = [];
  for (const part of v.split(",")) {
    if (/^\d+$/.test(part) && Number(part) >= 1 && Number(part) <= 65535) out.push(Number(part));
    else why.push(`${what} ${part}`);
  }
  return out;
}

/**
 * One firewall rule (cluster.fw, host.fw or a group) in the stack vocabulary (`bridges`: the host's
 * bridge names, for `-i`). A macro stays a macro and an IP set or alias stays a reference: --write
 * states them as written, never their expansion; names keep the case they are written in (pve-firewall
 * looks IP sets and groups up as written).
 */
/** The objects of cluster.fw a rule may name (IP sets, aliases, groups), lowercased. */
interface FirewallNames {
  readonly ipsets: readonly string[];
  readonly aliases: readonly string[];
  readonly groups: readonly string[];
}

/**
 * A rule's `-source`/`-dest` in the stack's spelling: an alias reference lowercased, since pve-firewall
 * resolves an alias by its lowercased name (`resolve_alias`: `my $alias = lc($cidr)`,
 * proxmox/pve-firewall@6f1311f349da src/PVE/Firewall.pm) and the stack writes names lowercase; an
 * address, a CIDR and an IP set reference (looked up as written) unchanged.
 */
function referenceOf(v: string | undefined): string | undefined {
  if (v === undefined || v.startsWith("+") || isAddressOrCidr(v) || addressProblem(v) !== undefined) return v;
  return v.toLowerCase();
}

function ruleVocab(r: FirewallRuleFacts, i: number, taken: Set<string>, bridges?: readonly string[], names?: FirewallNames, inGroup = false): LiveRule {
  const why: string[] = [];
  // pve-firewall reads a security group's rules with rule_env `group`, where verify_rule refuses `-i` ("parameter -i
  // not allowed for this rule type") and generate_group_rules skips a rule with errors (src/PVE/Firewall.pm, 6f1311f3).
  if (inGroup && r.iface !== undefined) why.push(`-i ${r.iface} in a security group (pve-firewall skips the rule)`);
  for (const [opt, v] of [
    ["source", r.source],
    ["dest", r.dest],
  ] as const) {
    const p = v === undefined ? undefined : addressProblem(v);
    if (p) why.push(`${opt} ${v} (${p})`);
    else if (v !== undefined && names && !isAddressOrCidr(v)) {
      // A name cluster.fw does not define: pve-firewall's verify_rule marks the rule with an error and skips it.
      const set = /^\+(?:dc\/)?(.+)$/.exec(v);
      if (set && !names.ipsets.includes(set[1])) why.push(`${opt} ${v} (an IP set cluster.fw does not define: pve-firewall skips the rule)`);
      if (!set && !names.aliases.includes(v.replace(/^dc\//, "").toLowerCase()))
        why.push(`${opt} ${v} (an alias cluster.fw does not define: pve-firewall skips the rule)`);
    }
  }
  // pve-firewall looks a group and an IP set up as written, while it lowercases their section names.
  if (r.type === "group" && names && !names.groups.includes(r.action)) why.push(`group ${r.action} (a security group cluster.fw does not define)`);
  // The stack's `iface` names one of its bridges or the tailnet interface; any other interface has no stack form.
  if (r.iface !== undefined && bridges !== undefined && !bridges.includes(r.iface) && r.iface !== TAILNET_IFACE)
    why.push(`interface ${r.iface} (neither a bridge nor ${TAILNET_IFACE})`);
  const proto = r.proto?.toLowerCase();
  if (r.type !== "group") {
    if (r.macro !== undefined && proto !== undefined) why.push(`a macro with -p ${r.proto}`);
    if (proto !== undefined && !STACK_PROTOS.includes(proto)) why.push(`protocol ${r.proto}`);
  }
  const dports = portList(r.dport, "port", why);
  const sports = portList(r.sport, "source port", why);
  return {
    name: ruleName(r, i, taken),
    action: r.type === "group" ? "ACCEPT" : r.action,
    ...(r.type === "group" ? { group: r.action } : {}),
    ...(r.type === "out" ? { direction: "out" } : {}),
    // A macro in Proxmox's spelling, the one its API stores and the provider reads back.
    ...(r.macro !== undefined ? { macro: preferredMacroName(r.macro) ?? r.macro } : {}),
    // No -p on a plain rule: every protocol, the stack's `any`.
    proto: r.macro !== undefined || r.type === "group" ? undefined : (proto ?? "any"),
    source: referenceOf(r.source),
    dest: referenceOf(r.dest),
    dports,
    sports,
    ...(r.log !== undefined && r.log !== "nolog" ? { log: r.log } : {}),
    ...(r.icmpType !== undefined ? { icmpType: r.icmpType } : {}),
    iface: r.iface,
    comment: r.comment,
    enabled: r.enabled,
    unexpressed: why.length ? why.join(", ") : undefined,
    raw: r.raw,
  };
}

/**
 * One rule line's facts as a stack-shaped rule with no name or bridge checks: what a reader of a whole
 * firewall file (./hostfiles/firewall.ts) compares by meaning, with the same conversion as the firewall read.
 */
export function liveRuleOf(r: FirewallRuleFacts): LiveRule {
  return ruleVocab(r, 0, new Set());
}

const MASQ = /\biptables\b.*-t\s+nat\b.*-j\s+MASQUERADE\b/;
/** The same recipe written for nftables (`nft add rule ip nat postrouting ... masquerade`). */
const NFT_MASQ = /\bnft\s+(add|insert)\s+rule\b.*\bmasquerade\b/;

/**
 * Debian's nftables ruleset (nftables.service loads it at boot): a NAT written there, not in
 * /etc/network/interfaces, is just as live. discover requests it with the managed host files.
 */
export const NFTABLES_CONF = "/etc/nftables.conf";

/** `ip saddr <cidr> [oifname "<if>"] ... masquerade` rules of an nftables ruleset file. */
function nftablesNat(path: string, content: string): LiveNat[] {
  const out: LiveNat[] = [];
  for (const line of content.split("\n")) {
    const t = line.replace(/#.*$/, "").trim();
    if (!/\bmasquerade\b/.test(t)) continue;
    out.push({
      bridge: "",
      source: /\bsaddr\s+([0-9./]+)/.exec(t)?.[1],
      outInterface: /\boifname\s+"?([\w.]+)"?/.exec(t)?.[1],
      where: `${path} (${t})`,
    });
  }
  return out;
}

/** Map everything discover read into the stack vocabulary. */
export function liveVocabulary(facts: LiveFacts): LiveVocabulary {
  const bridges: LiveBridge[] = [];
  const nat: LiveNat[] = [];
  const forwarding: LiveForwarding[] = [];
  for (const s of facts.network.stanzas) {
    const opts = s.options;
    const ports = get(opts, "bridge-ports") ?? get(opts, "bridge_ports");
    if (ports !== undefined) {
      const prev = bridges.findIndex((b) => b.name === s.name);
      const ipv4 = s.family === "inet" ? (s.method === "dhcp" ? "dhcp" : get(opts, "address")) : undefined;
      const entry: LiveBridge = { name: s.name, fields: { ports: ports === "none" ? [] : ports.split(/\s+/).filter(Boolean), ipv4 } };
      if (prev === -1) bridges.push(entry);
      else bridges[prev] = { name: s.name, fields: { ...bridges[prev].fields, ...entry.fields, ipv4: bridges[prev].fields.ipv4 ?? ipv4 } };
    } else if (s.family === "inet6") {
      const prev = bridges.findIndex((b) => b.name === s.name);
      const address = s.method === "static" ? get(opts, "address") : undefined;
      if (prev !== -1 && address) bridges[prev] = { name: s.name, fields: { ...bridges[prev].fields, ipv6: address } };
    }
    for (const [k, v] of opts) {
      if (!/^(pre-up|up|post-up)$/.test(k)) continue;
      if ((MASQ.test(v) && /\s-[AI]\s/.test(v)) || NFT_MASQ.test(v)) {
        nat.push({
          bridge: s.name,
          source: (/-s\s+'?([^'\s]+)'?/.exec(v) ?? /\bsaddr\s+([0-9./]+)/.exec(v))?.[1],
          outInterface: (/-o\s+(\S+)/.exec(v) ?? /\boifname\s+"?([\w.]+)"?/.exec(v))?.[1],
          where: `${s.file} (iface ${s.name}: ${k} ${v})`,
        });
      }
      const fw = /echo\s+1\s*>\s*\/proc\/sys\/net\/(ipv4\/ip_forward|ipv6\/conf\/all\/forwarding)\b/.exec(v);
      if (fw)
        forwarding.push({
          key: fw[1] === "ipv4/ip_forward" ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding",
          value: "1",
          where: `${s.file} (iface ${s.name}: ${k})`,
        });
      const sc = /sysctl\s+(?:-w\s+)?(net\.ipv4\.ip_forward|net\.ipv6\.conf\.all\.forwarding)=(\d)/.exec(v);
      if (sc) forwarding.push({ key: sc[1], value: sc[2], where: `${s.file} (iface ${s.name}: ${k})` });
    }
  }
  // Stanzas of the inet6 family seen before their inet stanza: a second pass fills ipv6.
  for (const s of facts.network.stanzas) {
    if (s.family !== "inet6" || s.method !== "static") continue;
    const b = bridges.findIndex((x) => x.name === s.name);
    const address = get(s.options, "address");
    if (b !== -1 && address && bridges[b].fields.ipv6 === undefined) bridges[b] = { name: s.name, fields: { ...bridges[b].fields, ipv6: address } };
  }
  const nft = facts.files[NFTABLES_CONF];
  if (nft?.content !== undefined) nat.push(...nftablesNat(NFTABLES_CONF, nft.content));
  for (const s of facts.sysctl) {
    if (s.file === STACK_SYSCTL_FILE) continue;
    if ((FORWARDING_KEYS as readonly string[]).includes(s.key)) forwarding.push({ key: s.key, value: s.value.trim(), where: s.file });
  }

  let firewall: LiveFirewall | undefined;
  const bridgeNames = bridges.map((b) => b.name);
  const optionsOf = (o: ConfEntries, skip: readonly string[]) => Object.fromEntries(o.filter(([k]) => !skip.includes(k)));
  if (facts.firewall) {
    const f = facts.firewall;
    const o = f.options;
    const taken = new Set<string>();
    const hostTaken = new Set<string>();
    const hf = facts.hostFirewall;
    const names: FirewallNames = { ipsets: Object.keys(f.ipsets ?? {}), aliases: Object.keys(f.aliases ?? {}), groups: Object.keys(f.groups ?? {}) };
    firewall = {
      enabled: get(o, "enable") === "1",
      inputPolicy: get(o, "policy_in") ?? "DROP",
      outputPolicy: get(o, "policy_out") ?? "ACCEPT",
      rules: f.rules.map((r, i) => ruleVocab(r, i, taken, bridgeNames, names)),
      otherSections: f.otherSections,
      ipsets: f.ipsets ?? {},
      aliases: f.aliases ?? {},
      groups: Object.fromEntries(
        Object.entries(f.groups ?? {}).map(([n, g]) => {
          const t = new Set<string>();
          return [n, { ...(g.comment ? { comment: g.comment } : {}), rules: g.rules.map((r, i) => ruleVocab(r, i, t, bridgeNames, names, true)) }];
        }),
      ),
      options: optionsOf(o, ["enable", "policy_in", "policy_out"]),
      ...(hf
        ? {
            host: {
              options: optionsOf(hf.options, []),
              rules: hf.rules.map((r, i) => ruleVocab(r, i, hostTaken, bridgeNames, names)),
              unparsed: hf.unparsed ?? [],
            },
          }
        : {}),
      guestFiles: (facts.guestFirewalls ?? []).map((g) => ({
        vmid: g.vmid,
        path: g.path,
        rules: g.fw.rules.length,
        options: g.fw.options.map(([k, v]) => `${k}: ${v}`),
        enabled: get(g.fw.options, "enable") === "1",
      })),
    };
  }
  return {
    node: facts.node,
    source: facts.source,
    guests: facts.guests.map(guestVocab),
    storage: facts.storage.map(storageVocab),
    jobs: facts.jobs.filter((j) => j.type === "vzdump").map(jobVocab),
    bridges,
    firewall,
    nat,
    forwarding,
    ...(facts.network.staged ? { stagedNetwork: facts.network.staged } : {}),
  };
}

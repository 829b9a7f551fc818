/**
 * `discover --check`: what the first `pulumi up` would change on the host, computed from the stack
 * model and the live facts in stack vocabulary. Pure: no I/O. A field the stack does not state counts
 * with the value the program then declares (the provider's default, ./fields.ts).
 *
 * Exit status: 0 when nothing that exists on the host would change (acknowledged fields aside) and the
 * stack knows every live object; 1 otherwise. Creations are listed and allowed, unless they duplicate
 * something live (a second NAT, a second job for the same storage and schedule). A staged
 * /etc/network/interfaces.new that differs from the live file is a counted conflict (./staged.ts).
 *
 * Once `adoption.live` is recorded (./adopt.ts): a declared object on the host that it does not list
 * is reported and NOT counted (an object this program created is never listed: that is the normal
 * state after an `up`, not drift); a declared object it lists that is gone from the host IS counted
 * (the program imports it, so the next preview fails), an undeclared one is only reported.
 */

import { sameCalendarEvent } from "../common/calendarEvent";
import { canonicalMac } from "../common/dnsmasqDirectives";
import { addressListMeaning, type FirewallRuleShape, firewallRuleLine, firewallRuleMeaning, ipsetEntryMeaning } from "../common/firewallRule";
import { notesTemplateOf } from "../components/proxmox/backups";
import { vmDns } from "../components/proxmox/vm";
import { RETENTION_KEYS } from "../config/backups";
import { isDnsName } from "../config/common";
import { CLUSTER_EXTRA_OPTIONS, HOST_OPTIONS } from "../config/firewall";
import { guestHostname, rootOnlyFeatures } from "../config/guests";
import type { BackupJobModel, CtModel, FirewallRuleModel, GuestModel, NeveModel, StorageModel, VmModel } from "../config/model";
import { needsRestart } from "../config/restart";
import { declaredOnHost, type GoneObject, goneFromHost, goneText, type HostObject, notInLive, notInLiveText } from "./adopt";
import { CT_FEATURES, CT_FIELDS, type FieldSpec, JOB_FIELDS, STORAGE_COMMON, STORAGE_FIELDS, same, show, VM_FIELDS, vgaCanonical } from "./fields";
import type { CountedKey } from "./keys";
import { INTERFACES_NEW } from "./probe";
import { stagedConflictText } from "./staged";
import type { LiveGuest, LiveJob, LiveRule, LiveStorage, LiveVocabulary } from "./vocab";

/** One field the first `up` would change (or a recorded field that no longer matches the host). */
export interface Change {
  /** Acknowledge path, e.g. `guests.etoile.cpuType`. */
  readonly path: string;
  /** Object, e.g. `guests.etoile`. */
  readonly object: string;
  /** Field below the object, e.g. `cpuType`. */
  readonly field: string;
  /** Effective live value. */
  readonly live: unknown;
  /** Effective declared value. */
  readonly declared: unknown;
  /** The stack states the field (else the program declares the provider's default). */
  readonly stated: boolean;
  /** Recorded only: the resource ignores it, but the stack file would not describe the host. */
  readonly recorded: boolean;
  /** In `adoption.acknowledge`: the operator wants the `up` to apply the declared value. */
  readonly acknowledged: boolean;
  /** The stack value that describes the host (what --write sets; undefined = remove the key). */
  readonly liveStackValue?: unknown;
  /** Why --write cannot state the live value (then the change stays until acknowledged or fixed by hand). */
  readonly cannot?: string;
  /** Applying it restarts the running guest (stacks/config/restart.ts); `allowed` when the guest says restartOnUpdate: true. */
  readonly restart?: { readonly allowed: boolean };
}

/** An object on the host the stack does not know. */
export interface Unknown {
  readonly kind: "guest" | "storage" | "job" | "bridge";
  /** vmid, storage id, job id or bridge name. */
  readonly id: string;
  /** What it is, for the report. */
  readonly text: string;
}

/** A host-level conflict: something the program would add that duplicates something live. */
export interface Conflict {
  readonly kind: "nat" | "forwarding" | "duplicate" | "staged" | "pending" | "bridge";
  /** The stack field the fix changes (for `staged`: the host file to apply or discard). */
  readonly path: string;
  readonly text: string;
  /** The stack value that resolves it (what --write sets), when there is one. */
  readonly fix?: unknown;
}

/** The whole comparison. */
export interface CheckReport {
  readonly changes: readonly Change[];
  readonly unknown: readonly Unknown[];
  readonly conflicts: readonly Conflict[];
  /** Declared objects that do not exist on the host (created by the first `up`). */
  readonly creations: readonly string[];
  /** Notes that do not count (pending changes of guests the stack does not declare, sections without stack vocabulary). */
  readonly info: readonly string[];
  /** Declared job id -> live job id, for jobs matched without `existingId`. */
  readonly jobMatches: Readonly<Record<string, string>>;
  /** Declared objects found on the host, in the host's order (what `adoption.live` may list; ./adopt.ts). */
  readonly onHost: readonly HostObject[];
  /** Declared objects on the host that the recorded `adoption.live` does not list (reported, not counted; ./adopt.ts). */
  readonly notInLive: readonly HostObject[];
  /** `adoption.live` entries whose object is not on the host (counted when the stack still declares them). */
  readonly gone: readonly GoneObject[];
  /** 0 nothing would change, 1 something would. */
  readonly code: 0 | 1;
}

interface Ctx {
  readonly changes: Change[];
  readonly ack: ReadonlySet<string>;
}

function compare(
  ctx: Ctx,
  object: string,
  field: string,
  live: unknown,
  declared: unknown,
  o: { stated: boolean; recorded?: boolean; liveStackValue?: unknown; cannot?: string },
): void {
  if (same(live, declared)) return;
  const path = `${object}.${field}`;
  ctx.changes.push({
    path,
    object,
    field,
    live,
    declared,
    stated: o.stated,
    recorded: o.recorded ?? false,
    acknowledged: ctx.ack.has(path),
    liveStackValue: o.liveStackValue,
    cannot: o.cannot,
  });
}

/** Compare one field by its spec: live (absent -> Proxmox's default) against declared (unstated -> provider default). */
function compareSpec(ctx: Ctx, object: string, spec: FieldSpec, liveRaw: unknown, stackRaw: unknown, absentOverride?: unknown): void {
  const absent = absentOverride !== undefined ? absentOverride : spec.absent;
  const live = liveRaw ?? absent;
  const stated = stackRaw !== undefined;
  const declared = stackRaw !== undefined ? stackRaw : spec.recorded ? absent : spec.provider;
  if (declared === undefined && !spec.recorded) return; // the program declares nothing: no change
  if (declared === null && live === undefined) return; // removed where there is nothing
  const cannot = live === undefined || (typeof live === "string" && live.startsWith("(")) ? `the stack cannot state "${show(live)}"` : undefined;
  compare(ctx, object, spec.field, live, declared, { stated, recorded: spec.recorded, liveStackValue: live, cannot });
}

function stackField(g: object, field: string): unknown {
  return (g as Record<string, unknown>)[field];
}

/**
 * A guest's NICs after net0. The stack declares exactly one NIC per guest, and bpg's VM update deletes
 * every `netN` past the declared list (bpg/terraform-provider-proxmox proxmoxtf/resource/vm/vm.go,
 * vmUpdate: `for i := len(NetworkDevices); i < MaxNetworkDevices; i++ { del = append(del, "net<i>") }`);
 * the container's interface list is treated the same way, conservatively. --write cannot state them.
 */
function checkExtraNics(ctx: Ctx, object: string, live: unknown): void {
  if (!Array.isArray(live) || live.length === 0) return;
  compare(ctx, object, "extraNics", live, null, {
    stated: false,
    cannot:
      "the stack declares one NIC per guest and the provider deletes the others at the first up (remove the NIC on the host first, " +
      "or leave the guest out of guests so that it is recorded as unmanaged)",
  });
}

/** The fields every guest has: name, template, start at boot, bridge of net0. */
function checkGuestCommon(ctx: Ctx, object: string, g: VmModel | CtModel, l: LiveGuest): void {
  const f = l.fields;
  // The live host name (a container's hostname, a VM's name) is stated as `hostname` when it is not the key
  // (a dotted name such as atlas.neve.lan cannot be one); unstated, the resources send the key.
  const hostname = guestHostname(g);
  if (l.name !== hostname) {
    const valid = isDnsName(l.name);
    compare(ctx, object, "hostname", l.name, hostname, {
      stated: true,
      liveStackValue: valid ? (l.name === g.name ? undefined : l.name) : undefined,
      cannot: valid ? undefined : `the stack cannot state ${l.name}: it is not a DNS name Proxmox takes`,
    });
  }
  compare(ctx, object, "template", f.template ?? false, g.template, { stated: true, liveStackValue: f.template ?? false });
  compare(ctx, object, "onBoot", f.onBoot ?? false, g.onBoot ?? g.running, { stated: true, liveStackValue: f.onBoot ?? false });
  compare(ctx, object, "bridge", f.bridge, g.bridge, { stated: true, liveStackValue: f.bridge });
  // A stated MAC (the source of the guest's DHCP reservation) must be net0's: compared without case, recorded only.
  if (g.mac !== undefined) {
    const live = typeof f.mac === "string" ? f.mac : undefined;
    if (live === undefined || canonicalMac(live) !== canonicalMac(g.mac))
      compare(ctx, object, "mac", live, g.mac, { stated: true, recorded: true, liveStackValue: live });
  }
}

function checkVm(ctx: Ctx, model: NeveModel, g: VmModel, l: LiveGuest): void {
  const object = `guests.${g.name}`;
  const f = l.fields;
  checkGuestCommon(ctx, object, g, l);
  for (const spec of VM_FIELDS) {
    let live = f[spec.field];
    let declared = stackField(g, spec.field);
    if (spec.field === "vga") {
      live = live === undefined ? undefined : vgaCanonical(live);
      declared = declared === undefined ? undefined : vgaCanonical(declared);
      compareSpec(ctx, object, spec, live, declared);
      continue;
    }
    if (spec.field === "tags" && Array.isArray(declared)) declared = [...declared].sort();
    if (spec.field === "tags" && Array.isArray(declared) && declared.length === 0) declared = undefined;
    if (spec.field === "snapshots" && Array.isArray(declared) && declared.length === 0) declared = undefined;
    // `balloon` absent: the balloon device with its target at `memory` (no minimum).
    const absent = spec.field === "balloonMiB" ? (f.memoryMiB ?? 512) : undefined;
    compareSpec(ctx, object, spec, live, declared, absent);
  }
  checkExtraNics(ctx, object, f.extraNics);
  // A cloud-init drive or ipconfig0 on the host is an initialization block the provider reads back:
  // declared without cloudInit, the first up would remove it (a template's clones then get no address).
  compare(ctx, object, "cloudInit", f.cloudInit ?? false, g.cloudInit, { stated: true, liveStackValue: f.cloudInit ?? false });
  if (g.cloudInit || f.cloudInit) {
    compare(ctx, object, "ipv4", f.ipv4, g.ipv4, { stated: true, liveStackValue: f.ipv4 });
    compare(ctx, object, "ipv6", f.ipv6, g.ipv6, { stated: true, liveStackValue: f.ipv6 });
    compare(ctx, object, "ipv6Mode", f.ipv6Mode, g.ipv6Mode, { stated: g.ipv6Mode !== undefined, liveStackValue: f.ipv6Mode });
    // Unstated, a cloud-init VM declares the IP plan's servers (vmDns); `nameserver: []` states none.
    const declared = vmDns(g, model)?.servers ?? [];
    compare(ctx, object, "nameserver", f.nameserver ?? [], declared, { stated: g.nameserver !== undefined, liveStackValue: f.nameserver ?? [] });
    compare(ctx, object, "searchdomain", f.searchdomain, g.searchdomain, { stated: g.searchdomain !== undefined, liveStackValue: f.searchdomain });
  }
}

/**
 * The live keys ./keys.ts counts (the first up would drop them and the stack cannot state them, or
 * discover does not know them): one change each, which --write leaves.
 */
function checkCountedKeys(ctx: Ctx, object: string, counted: readonly CountedKey[] | undefined, fix: string): void {
  for (const k of counted ?? []) {
    compare(ctx, object, `config.${k.key}`, k.live, undefined, {
      stated: true,
      cannot: `${k.why}: ${fix}, or list ${object}.config.${k.key} in adoption.acknowledge`,
    });
  }
}

function checkCt(ctx: Ctx, g: CtModel, l: LiveGuest): void {
  const object = `guests.${g.name}`;
  const f = l.fields;
  checkGuestCommon(ctx, object, g, l);
  compare(ctx, object, "ipv4", f.ipv4, g.ipv4, { stated: true, liveStackValue: f.ipv4 });
  if (g.ipv6 !== undefined || f.ipv6 !== undefined) compare(ctx, object, "ipv6", f.ipv6, g.ipv6, { stated: true, liveStackValue: f.ipv6 });
  for (const spec of CT_FIELDS) {
    let declared = stackField(g, spec.field);
    if (Array.isArray(declared) && declared.length === 0) declared = undefined;
    if (spec.field === "tags" && Array.isArray(declared)) declared = [...declared].sort();
    compareSpec(ctx, object, spec, f[spec.field], declared);
  }
  checkExtraNics(ctx, object, f.extraNics);
  // Unstated DNS and IPv6 autoconfiguration: the program declares none, and bpg's update removes them.
  compare(ctx, object, "ipv6Mode", f.ipv6Mode, g.ipv6Mode, { stated: g.ipv6Mode !== undefined, liveStackValue: f.ipv6Mode });
  compare(ctx, object, "nameserver", f.nameserver, g.nameserver, { stated: g.nameserver !== undefined, liveStackValue: f.nameserver });
  compare(ctx, object, "searchdomain", f.searchdomain, g.searchdomain, { stated: g.searchdomain !== undefined, liveStackValue: f.searchdomain });
  const liveFeatures = (f.features ?? {}) as Record<string, unknown>;
  for (const feat of CT_FEATURES) {
    const declared = g.features[feat];
    compare(ctx, object, `features.${feat}`, liveFeatures[feat] ?? false, declared ?? false, {
      stated: declared !== undefined,
      liveStackValue: liveFeatures[feat] === true ? true : undefined,
    });
  }
  const liveMount = (liveFeatures.mount as string[] | undefined) ?? [];
  compare(ctx, object, "features.mount", liveMount, g.features.mount ?? [], {
    stated: g.features.mount !== undefined,
    liveStackValue: liveMount.length ? liveMount : undefined,
  });
}

function checkStorage(ctx: Ctx, s: StorageModel, l: LiveStorage): void {
  const object = `storage.${s.id}`;
  const f = l.fields;
  if (f.type !== s.type) {
    compare(ctx, object, "type", f.type, s.type, { stated: true, cannot: "a different storage type is a replacement; rewrite the entry by hand" });
    return;
  }
  for (const spec of STORAGE_COMMON) {
    let declared = stackField(s, spec.field);
    if (Array.isArray(declared)) declared = [...declared].sort();
    compareSpec(ctx, object, spec, f[spec.field], declared);
  }
  for (const spec of STORAGE_FIELDS[s.type] ?? []) compareSpec(ctx, object, spec, f[spec.field], stackField(s, spec.field));
  if (s.type === "pbs") {
    // The stack may name the PBS guest; what counts is the address the program declares.
    compare(ctx, object, "server", f.server, s.serverAddress ?? s.server, { stated: true, liveStackValue: f.server });
  }
}

function checkJob(ctx: Ctx, model: NeveModel, j: BackupJobModel, l: LiveJob): void {
  const object = `backups.${j.id}`;
  const f = l.fields;
  for (const spec of JOB_FIELDS) {
    const declared = stackField(j, spec.field);
    // A schedule compares by meaning (`02:30` is `*-*-* 02:30`): the calendar-event parser the schema uses.
    if (spec.field === "schedule" && typeof f.schedule === "string" && typeof declared === "string" && sameCalendarEvent(f.schedule, declared)) continue;
    compareSpec(ctx, object, spec, f[spec.field], declared);
  }
  const names = (ids: readonly number[]) => ids.map((id) => model.guests.find((g) => g.vmid === id)?.name);
  if (typeof f.pool === "string") {
    compare(
      ctx,
      object,
      "guests",
      `(the guests of pool ${f.pool})`,
      [...j.vmids].sort((a, b) => a - b),
      { stated: true, cannot: `the job backs up the pool ${f.pool} (\`pool ${f.pool}\`), which the stack cannot state` },
    );
  } else if (f.vmids === "all") {
    compare(
      ctx,
      object,
      "guests",
      "(all guests)",
      [...j.vmids].sort((a, b) => a - b),
      { stated: true, cannot: "the job backs up all guests (`all 1`), which the stack cannot state" },
    );
  } else {
    const liveNames = names(f.vmids);
    const missing = f.vmids.filter((_, i) => liveNames[i] === undefined);
    compare(
      ctx,
      object,
      "guests",
      f.vmids,
      [...j.vmids].sort((a, b) => a - b),
      {
        stated: true,
        liveStackValue: liveNames,
        cannot: missing.length ? `guests ${missing.join(", ")} are not declared in guests` : undefined,
      },
    );
  }
  const pruneOther = (f.pruneOther as string[] | undefined) ?? [];
  const liveKeeps = RETENTION_KEYS.filter(([field]) => f[field] !== undefined);
  if (pruneOther.length || liveKeeps.length === 0) {
    compare(ctx, object, "keepLast", pruneOther.length ? `(${pruneOther.join(",")})` : f.keepLast, j.keepLast, {
      stated: true,
      liveStackValue: f.keepLast,
      cannot: `the job prunes with ${pruneOther.join(",") || "no retention"}, which the stack cannot state`,
    });
  } else {
    // Each retention key is its own stack field (keepLast, keepWeekly...): --write states every one.
    for (const [field] of RETENTION_KEYS) compare(ctx, object, field, f[field], j[field], { stated: j[field] !== undefined, liveStackValue: f[field] });
  }
  compare(ctx, object, "notesTemplate", f.notesTemplate, notesTemplateOf(j), { stated: true, liveStackValue: f.notesTemplate });
}

/**
 * A root@pam-only value (a VM's `args`, a restricted container feature) set by hand on a guest that is
 * not in `adoption.live` (one the program created): the config refuses it there (stacks/config/rootOnly.ts)
 * and discover never adds such a guest to `live` (./adopt.ts), so --write cannot state it; the
 * resource ignores the field, and the operator acknowledges it.
 */
function rootOnlyCannot(ctx: Ctx, from: number, g: GuestModel): void {
  const fields: string[] = g.kind === "vm" ? ["args"] : rootOnlyFeatures((g as CtModel).unprivileged).map((f) => `features.${f}`);
  for (let i = from; i < ctx.changes.length; i++) {
    const c = ctx.changes[i];
    const v = c.liveStackValue;
    const sets = v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
    if (!fields.includes(c.field) || !sets || c.cannot) continue;
    ctx.changes[i] = {
      ...c,
      cannot:
        "only root@pam may set it, and the config refuses it on a guest that is not in adoption.live (stacks/config/rootOnly.ts); " +
        `the resource ignores it: list ${c.path} in adoption.acknowledge`,
    };
  }
}

/** Mark the changes of a running guest that need a restart (stacks/config/restart.ts). */
function markRestarts(ctx: Ctx, from: number, g: GuestModel): void {
  if (g.template || !g.running) return;
  for (let i = from; i < ctx.changes.length; i++) {
    const c = ctx.changes[i];
    if (needsRestart(g.kind, c.field) && !c.recorded) ctx.changes[i] = { ...c, restart: { allowed: g.restartOnUpdate } };
  }
}

/**
 * The keys of a guest's pending section: `key: value` lines, and the keys of a pending `delete:` line
 * (qemu-server and pve-container write a pending removal as `delete: key1,key2`).
 */
function pendingKeys(pending: readonly string[]): string[] {
  const keys: string[] = [];
  for (const line of pending) {
    const at = line.indexOf(": ");
    const k = at === -1 ? line : line.slice(0, at);
    if (k === "delete")
      keys.push(
        ...line
          .slice(at + 2)
          .split(/[,;\s]+/)
          .filter(Boolean),
      );
    else keys.push(k);
  }
  return [...new Set(keys)];
}

/**
 * A declared guest with a pending section (`[PENDING]`, `[pve:pending]`): counted, because an up
 * would drop it. Proxmox's config GET returns the pending values unless `current` is set
 * (qemu-server PVE/API2/Qemu.pm, pve-container src/PVE/API2/LXC/Config.pm: `vm_config` with
 * `current`), so the provider reads the pending value, sends the declared one, and the operator's
 * pending change is gone (and for a change that needs a restart, bpg restarts the guest). No stack
 * value resolves it: apply it by a restart, or revert it (`revert`, a pve-configid-list, of
 * `PUT /nodes/{node}/qemu/{vmid}/config` and of `.../lxc/{vmid}/config`: `qm set --revert`, `pct set --revert`).
 */
function pendingText(g: GuestModel, l: LiveGuest): string {
  const cli = g.kind === "vm" ? "qm" : "pct";
  const keys = pendingKeys(l.pending);
  return (
    `guests.${g.name} (${g.kind === "vm" ? "VM" : "container"} ${g.vmid}) has pending changes Proxmox applies at the next restart: ${l.pending.join("; ")}; ` +
    "an up would send the declared values and drop them. Resolve it on the host first: " +
    `see them with \`${cli} pending ${g.vmid}\`; apply them by restarting the guest (\`${cli} reboot ${g.vmid}\`), then npm run discover -- --write; ` +
    `or revert them: \`${cli} set ${g.vmid} --revert ${keys.join(",")}\``
  );
}

/** A declared rule in the shape the rule meaning reads: guests resolved; with a macro or a group, proto comes from it. */
export function declaredRuleShape(r: FirewallRuleModel): FirewallRuleShape {
  return { ...r, source: r.sourceAddress, dest: r.destAddress, proto: r.macro !== undefined || r.group !== undefined ? undefined : r.proto };
}

/** A live rule's meaning; a rule without a stack form compares as its line. */
export function liveRuleMeaning(r: LiveRule): string {
  return r.unexpressed ? `raw ${r.raw}` : firewallRuleMeaning(r);
}

/** A live rule as shown: its line when it has no stack form. */
const liveRuleText = (r: LiveRule) => (r.unexpressed ? r.raw : firewallRuleLine(r));

/** Why --write cannot state a rule list, or undefined. */
function rulesCannot(live: readonly LiveRule[], file: string): string | undefined {
  const unexpressed = live.filter((r) => r.unexpressed);
  return unexpressed.length
    ? `rules without a stack form: ${unexpressed.map((r) => `"${r.raw}" (${r.unexpressed})`).join("; ")}; change them in ${file} (over SSH behind a confirm timer, docs/adopting.md) or acknowledge`
    : undefined;
}

/** Compare a rule list positionally by meaning (cluster.fw or host.fw order). */
function compareRules(ctx: Ctx, field: string, live: readonly LiveRule[], declared: readonly FirewallRuleModel[], file: string): void {
  const liveMeaning = live.map(liveRuleMeaning);
  const declaredMeaning = declared.map((d) => firewallRuleMeaning(declaredRuleShape(d)));
  if (same(liveMeaning, declaredMeaning)) return;
  // A position equal in meaning shows the live line on both sides (the report lists differing positions only).
  compare(
    ctx,
    "firewall",
    field,
    live.map(liveRuleText),
    declared.map((d, i) => (live[i] && liveMeaning[i] === declaredMeaning[i] ? liveRuleText(live[i]) : firewallRuleLine(declaredRuleShape(d)))),
    { stated: true, liveStackValue: live.filter((r) => !r.unexpressed), cannot: rulesCannot(live, file) },
  );
}

/** Options of a file against the declared record; keys outside `known` cannot be stated. */
function compareOptions(
  ctx: Ctx,
  field: string,
  live: Readonly<Record<string, string>>,
  declared: Readonly<Record<string, string | undefined>>,
  known: readonly string[],
  file: string,
): void {
  const norm = (o: Readonly<Record<string, string | undefined>>) =>
    Object.fromEntries(
      Object.entries(o)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, (v as string).trim().toLowerCase()])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  if (same(norm(live), norm(declared))) return;
  const unknown = Object.keys(live).filter((k) => !known.includes(k));
  compare(ctx, "firewall", field, live, declared, {
    stated: true,
    liveStackValue: Object.fromEntries(Object.entries(live).filter(([k]) => known.includes(k))),
    cannot: unknown.length
      ? `${file} option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} pve-firewall does not read (it skips the line with a warning); remove ${unknown.length > 1 ? "them" : "it"} from ${file}`
      : undefined,
  });
}

/** A group list in comparable form. */
const groupsMeaning = (g: Readonly<Record<string, { readonly comment?: string; readonly rules: readonly string[] }>>) =>
  Object.fromEntries(Object.entries(g).sort(([a], [b]) => a.localeCompare(b)));

/**
 * The firewall, closed world: cluster.fw's options (each key), rules, IP sets, aliases and security
 * groups, and the node's host.fw options and rules, each compared by meaning (stacks/common/firewallRule.ts).
 * What the stack cannot state is a counted change saying what to do. Guest `<vmid>.fw` files are
 * reported, not compared: the program never writes them, and they do not decide the host's access
 * (pve-firewall applies them to the guest's own chains).
 */
function checkFirewall(ctx: Ctx, model: NeveModel, live: LiveVocabulary, info: string[], creations: string[]): void {
  const fw = live.firewall;
  if (!fw) return;
  const d = model.firewall;
  compare(ctx, "firewall", "enabled", fw.enabled, d.enabled, { stated: true, liveStackValue: fw.enabled });
  compare(ctx, "firewall", "inputPolicy", fw.inputPolicy, d.inputPolicy, { stated: true, liveStackValue: fw.inputPolicy });
  compare(ctx, "firewall", "outputPolicy", fw.outputPolicy, d.outputPolicy, { stated: true, liveStackValue: fw.outputPolicy });
  compareOptions(ctx, "options", fw.options, d.options, CLUSTER_EXTRA_OPTIONS, "cluster.fw");
  compareRules(ctx, "rules", fw.rules, d.rules, "cluster.fw");
  const setMeaning = (sets: Readonly<Record<string, readonly string[]>>) =>
    Object.fromEntries(
      Object.entries(sets)
        .map(([n, e]) => [n, [...new Set(e.map(ipsetEntryMeaning))].sort()] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  if (!same(setMeaning(fw.ipsets), setMeaning(d.ipsets)))
    compare(ctx, "firewall", "ipsets", fw.ipsets, d.ipsets, {
      stated: true,
      liveStackValue: Object.fromEntries(
        Object.entries(fw.ipsets).map(([n, e]) => [n, e.map((x) => x.replace(/^(!?)\s*(?:dc\/)?([A-Za-z][\w-]*)$/, (_m, b, a) => `${b}${a.toLowerCase()}`))]),
      ),
    });
  const aliasMeaning = (a: Readonly<Record<string, string>>) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([n, v]) => [n, addressListMeaning(v)] as const)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  if (!same(aliasMeaning(fw.aliases), aliasMeaning(d.aliases)))
    compare(ctx, "firewall", "aliases", fw.aliases, d.aliases, { stated: true, liveStackValue: fw.aliases });
  const liveGroups = groupsMeaning(
    Object.fromEntries(Object.entries(fw.groups).map(([n, g]) => [n, { ...(g.comment ? { comment: g.comment } : {}), rules: g.rules.map(liveRuleMeaning) }])),
  );
  const declaredGroups = groupsMeaning(
    Object.fromEntries(
      Object.entries(d.groups).map(([n, g]) => [
        n,
        { ...(g.comment ? { comment: g.comment } : {}), rules: g.rules.map((r) => firewallRuleMeaning(declaredRuleShape(r))) },
      ]),
    ),
  );
  if (!same(liveGroups, declaredGroups)) {
    const unexpressed = Object.values(fw.groups).flatMap((g) => g.rules);
    compare(
      ctx,
      "firewall",
      "groups",
      Object.fromEntries(Object.entries(fw.groups).map(([n, g]) => [n, g.rules.map(liveRuleText)])),
      Object.fromEntries(Object.entries(d.groups).map(([n, g]) => [n, g.rules.map((r) => firewallRuleLine(declaredRuleShape(r)))])),
      {
        stated: true,
        liveStackValue: Object.fromEntries(
          Object.entries(fw.groups).map(([n, g]) => [
            n,
            {
              ...(g.comment ? { comment: g.comment } : {}),
              rules: g.rules
                .filter((r) => !r.unexpressed)
                .map((r) =>
                  ruleEntry(
                    r,
                    model.guests.map((x) => x.name),
                  ),
                ),
            },
          ]),
        ),
        cannot: rulesCannot(unexpressed, "cluster.fw"),
      },
    );
  }
  // host.fw: absent is no options and no rules (pve-firewall load_hostfw_conf returns an empty config);
  // declared host options or rules for a host without the file are a creation of the file, not a change.
  const hostFile = `/etc/pve/nodes/${live.node}/host.fw`;
  if (fw.host) {
    compareOptions(ctx, "hostOptions", fw.host.options, d.hostOptions, HOST_OPTIONS, hostFile);
    compareRules(ctx, "hostRules", fw.host.rules, d.hostRules, hostFile);
  } else if (d.hostRules.length || Object.keys(d.hostOptions).length) {
    creations.push(`firewall.hostRules/hostOptions: ${hostFile} would be created (${d.hostRules.length} rules)`);
  }
  for (const g of fw.guestFiles)
    info.push(
      `${g.path}: guest ${g.vmid}'s own firewall (${g.enabled ? "enabled" : "not enabled"}, ${g.rules} rule${g.rules === 1 ? "" : "s"}${g.options.length ? `, ${g.options.join(", ")}` : ""}) is not managed by the stack and left alone: the program never writes it, and it applies to that guest's traffic only, not to the host's access`,
    );
}

/** Match declared jobs to live ones: existingId, then the same id, then the same storage and schedule. */
function matchJobs(model: NeveModel, live: LiveVocabulary): Map<string, LiveJob> {
  const out = new Map<string, LiveJob>();
  const used = new Set<string>();
  for (const j of model.backups) {
    const byId = live.jobs.find((l) => l.id === (j.existingId ?? j.id));
    if (byId) {
      out.set(j.id, byId);
      used.add(byId.id);
    }
  }
  for (const j of model.backups) {
    if (out.has(j.id) || j.existingId !== undefined) continue;
    // The same storage and the same calendar event, however each is spelled (`02:30` is `*-*-* 02:30`).
    const l = live.jobs.find(
      (x) => !used.has(x.id) && x.fields.storage === j.storage && typeof x.fields.schedule === "string" && sameCalendarEvent(x.fields.schedule, j.schedule),
    );
    if (l) {
      out.set(j.id, l);
      used.add(l.id);
    }
  }
  return out;
}

/** What the first `up` would change, what the stack does not know, and the conflicts. */
export function checkStack(model: NeveModel, live: LiveVocabulary): CheckReport {
  const ctx: Ctx = { changes: [], ack: new Set(model.adoption.acknowledge) };
  const unknown: Unknown[] = [];
  const conflicts: Conflict[] = [];
  const creations: string[] = [];
  const info: string[] = [];
  const unmanaged = model.adoption.unmanaged ?? { guests: [], storage: [], jobs: [] };
  // A declared object listed in adoption.live is imported, never created: when it is gone it is reported as gone, not as a creation.
  const record = model.adoption.live;

  // Guests
  for (const g of model.guests) {
    const l = live.guests.find((x) => x.fields.vmid === g.vmid);
    if (!l) {
      if (record?.guests.includes(g.vmid)) continue;
      const clash = live.guests.find((x) => x.name === g.name);
      if (clash)
        conflicts.push({
          kind: "duplicate",
          path: `guests.${g.name}.vmid`,
          text: `guests.${g.name} (${g.vmid}) would be created, but the host already has a guest named ${g.name} with id ${clash.fields.vmid}`,
        });
      else creations.push(`guests.${g.name} (${g.kind === "vm" ? "VM" : "container"} ${g.vmid}) would be created`);
      continue;
    }
    if ((l.fields.kind === "vm") !== (g.kind === "vm")) {
      compare(ctx, `guests.${g.name}`, "kind", l.fields.kind, g.kind, { stated: true, cannot: "a VM and a container with the same id: fix the stack by hand" });
      continue;
    }
    const from = ctx.changes.length;
    if (g.kind === "vm") checkVm(ctx, model, g, l);
    else checkCt(ctx, g as CtModel, l);
    checkCountedKeys(
      ctx,
      `guests.${g.name}`,
      l.counted,
      `remove it on the host (${g.kind === "vm" ? "qm" : "pct"} set ${g.vmid} --delete <key>), or leave the guest out of guests (recorded as unmanaged)`,
    );
    if (record && !record.guests.includes(g.vmid)) rootOnlyCannot(ctx, from, g);
    markRestarts(ctx, from, g);
    if (l.pending.length) conflicts.push({ kind: "pending", path: `guests.${g.name}`, text: pendingText(g, l) });
  }
  for (const l of live.guests) {
    // A guest the stack does not declare is never updated by an up: its pending change is only a note.
    if (l.pending.length && !model.guests.some((g) => g.vmid === l.fields.vmid))
      info.push(`guest ${l.fields.vmid} ${l.name} has pending changes Proxmox applies at the next restart: ${l.pending.join("; ")}`);
    if (model.guests.some((g) => g.vmid === l.fields.vmid) || unmanaged.guests.includes(l.fields.vmid)) continue;
    unknown.push({
      kind: "guest",
      id: String(l.fields.vmid),
      text: `guest ${l.fields.vmid} ${l.name} (${l.fields.kind === "vm" ? (l.fields.template ? "VM template" : "VM") : "container"}${l.fields.ipv4 ? `, ${l.fields.ipv4}` : ""})`,
    });
  }

  // Storage
  for (const s of model.storage) {
    const l = live.storage.find((x) => x.id === s.id);
    if (l) {
      checkStorage(ctx, s, l);
      checkCountedKeys(ctx, `storage.${s.id}`, l.counted, "remove it from /etc/pve/storage.cfg (pvesm set <id> --delete <key>)");
    } else if (!record?.storage.includes(s.id)) creations.push(`storage.${s.id} (${s.type}) would be created`);
  }
  for (const l of live.storage) {
    if (model.storage.some((s) => s.id === l.id) || unmanaged.storage.includes(l.id)) continue;
    unknown.push({ kind: "storage", id: l.id, text: `storage ${l.id} (${l.fields.type})` });
  }

  // Backup jobs
  const matches = matchJobs(model, live);
  const jobMatches: Record<string, string> = {};
  for (const j of model.backups) {
    const l = matches.get(j.id);
    if (!l) {
      if (!record?.jobs.includes(j.existingId ?? j.id)) creations.push(`backups.${j.id} would be created`);
      continue;
    }
    if (j.existingId === undefined && l.id !== j.id) {
      jobMatches[j.id] = l.id;
      compare(ctx, `backups.${j.id}`, "existingId", l.id, undefined, { stated: false, liveStackValue: l.id });
    }
    checkJob(ctx, model, j, l);
    checkCountedKeys(ctx, `backups.${j.id}`, l.counted, "remove it from the job (Datacenter > Backup, or /etc/pve/jobs.cfg)");
  }
  for (const l of live.jobs) {
    if ([...matches.values()].includes(l) || unmanaged.jobs.includes(l.id)) continue;
    const what =
      typeof l.fields.pool === "string"
        ? `the guests of pool ${l.fields.pool}`
        : l.fields.vmids === "all"
          ? "all guests"
          : `guests ${l.fields.vmids.join(", ")}`;
    unknown.push({ kind: "job", id: l.id, text: `backup job ${l.id} (${what} to ${String(l.fields.storage)}, ${String(l.fields.schedule)})` });
  }

  // Bridges
  for (const [name, b] of Object.entries(model.network.bridges)) {
    const l = live.bridges.find((x) => x.name === name);
    if (!l) {
      // Never a creation: the guards refuse every bridge create (it reloads the node's whole network).
      if (!record?.bridges.includes(name)) {
        conflicts.push({
          kind: "bridge",
          path: `network.bridges.${name}`,
          text:
            `network.bridges.${name} is declared but the host has no bridge ${name}, and no up creates a bridge (the guards refuse it: ` +
            `a bridge create reloads the node's whole network, vmbr0 included). Create it on the host by hand behind a confirm timer ` +
            `(docs/adopting.md §7), then npm run discover -- --write --adopt bridge:${name}; or take it out of the stack file`,
        });
      }
      continue;
    }
    const object = `network.bridges.${name}`;
    compare(ctx, object, "ports", [...l.fields.ports].sort(), [...b.ports].sort(), { stated: true, liveStackValue: l.fields.ports });
    compare(ctx, object, "ipv4", l.fields.ipv4, b.ipv4, {
      stated: true,
      liveStackValue: l.fields.ipv4,
      cannot: l.fields.ipv4 === undefined ? "the bridge has no IPv4 on the host" : undefined,
    });
    compare(ctx, object, "ipv6", l.fields.ipv6, b.ipv6, { stated: b.ipv6 !== undefined, liveStackValue: l.fields.ipv6 });
  }
  for (const l of live.bridges) {
    if (!model.network.bridges[l.name])
      unknown.push({
        kind: "bridge",
        id: l.name,
        text: `bridge ${l.name} (ports ${l.fields.ports.join(" ") || "none"}${l.fields.ipv4 ? `, ${l.fields.ipv4}` : ""})`,
      });
  }

  checkFirewall(ctx, model, live, info, creations);

  // NAT and forwarding
  for (const [name, b] of Object.entries(model.network.bridges)) {
    const hostNat = live.nat.filter((n) => n.bridge === name || n.source === model.network.ipv4.subnet);
    // With host services off the stack renders no NAT at all: nothing would be doubled.
    if (b.nat === true && hostNat.length && model.hostServices.enabled) {
      conflicts.push({
        kind: "nat",
        path: `network.bridges.${name}.nat`,
        text: `network.bridges.${name}.nat: the host already masquerades ${hostNat.map((n) => n.source ?? name).join(", ")} (${hostNat[0].where}); the stack's nftables NAT (host service nat) would be a second one`,
        fix: "interfaces",
      });
    }
    if (b.nat === "interfaces" && !hostNat.length) {
      conflicts.push({
        kind: "nat",
        path: `network.bridges.${name}.nat`,
        text: `network.bridges.${name}.nat is interfaces, but /etc/network/interfaces has no MASQUERADE line for ${name}: nothing would NAT it`,
      });
    }
  }
  const needed = [
    ...(Object.values(model.network.bridges).some((b) => b.nat !== false) ? ["net.ipv4.ip_forward"] : []),
    ...(model.network.ipv6 ? ["net.ipv6.conf.all.forwarding"] : []),
  ];
  const elsewhere = (key: string) => live.forwarding.filter((x) => x.key === key);
  if (model.hostServices.enabled && model.hostServices.forwarding === "stack") {
    const set = live.forwarding;
    if (set.length) {
      const allNeeded = needed.every((k) => elsewhere(k).some((x) => x.value === "1"));
      conflicts.push({
        kind: "forwarding",
        path: "hostServices.forwarding",
        text: `hostServices.forwarding: the host already sets ${set.map((x) => `${x.key}=${x.value} in ${x.where}`).join("; ")}; the stack's /etc/sysctl.d/90-neve-forwarding.conf would be a second place${allNeeded ? "" : ` (and ${needed.filter((k) => !elsewhere(k).some((x) => x.value === "1")).join(", ")} is set nowhere else, so the stack must keep its drop-in: remove the other setting by hand)`}`,
        fix: allNeeded ? "external" : undefined,
      });
    }
  }
  if (model.hostServices.forwarding === "external") {
    for (const k of needed) {
      if (!elsewhere(k).some((x) => x.value === "1")) {
        conflicts.push({
          kind: "forwarding",
          path: "hostServices.forwarding",
          text: `hostServices.forwarding is external, but nothing on the host sets ${k}=1`,
          fix: "stack",
        });
      }
    }
  }

  // Staged network changes: counted, since the next network reload applies them (./staged.ts).
  const staged = live.stagedNetwork && stagedConflictText(live.stagedNetwork);
  if (staged) conflicts.push({ kind: "staged", path: INTERFACES_NEW, text: staged });
  else if (live.stagedNetwork) info.push(`${INTERFACES_NEW} exists but equals /etc/network/interfaces: a network reload would apply nothing new`);

  if (live.guests.length) info.push("whether a guest runs is not in Proxmox's files: guests.<name>.running is not compared");

  const onHost = declaredOnHost(model, live, matches);
  const notListed = notInLive(record, onHost);
  const gone = goneFromHost(record, model, live);
  const counted = ctx.changes.filter((c) => !c.acknowledged).length + unknown.length + conflicts.length + gone.filter((o) => o.declared).length;
  return { changes: ctx.changes, unknown, conflicts, creations, info, jobMatches, onHost, notInLive: notListed, gone, code: counted > 0 ? 1 : 0 };
}

/** The report as text: one line per field, then unknown objects, conflicts, creations, notes. */
/**
 * The closing line of `--check`: objects (exit 1 of {@link checkStack}) first, then the managed host
 * files (counted unless acknowledged at their live content's hash). One place for the wording and the code.
 */
export function checkResult(objectsCode: 0 | 1, filesCounted: boolean): string {
  if (objectsCode === 1)
    return "Result: the first `pulumi up` would change the host or the stack does not describe it (exit 1); `npm run discover -- --write` updates the stack file, or acknowledge a field in neve-infra:adoption.acknowledge.";
  if (filesCounted)
    return "Result: the first `pulumi up` would replace the host files counted above (exit 1); state their directives (`npm run discover -- --write`) or accept each exact file (`npm run discover -- --write --acknowledge-file PATH`).";
  return "Result: nothing that exists on the host would change (exit 0).";
}

/** The report as text; `withResult: false` leaves the closing line to the caller (who adds the host files first). */
export function formatCheck(r: CheckReport, withResult = true): string {
  const out: string[] = [];
  const line = (c: Change): string => {
    if (c.object === "firewall" && (c.field === "rules" || c.field === "hostRules") && Array.isArray(c.live) && Array.isArray(c.declared)) {
      // One line per differing position, the file's order.
      const live = c.live as string[];
      const declared = c.declared as string[];
      const rows = [
        `  firewall ${c.field}: live ${live.length} rules, declared ${declared.length}${c.cannot ? ` (--write cannot state it: ${c.cannot})` : ""}`,
      ];
      for (let i = 0; i < Math.max(live.length, declared.length); i++) {
        if (live[i] !== declared[i]) rows.push(`    [${i}] live ${live[i] ?? "(none)"}, declared ${declared[i] ?? "(none)"}`);
      }
      return rows.join("\n");
    }
    const restart = c.restart
      ? c.restart.allowed
        ? " [the up restarts the running guest: restartOnUpdate]"
        : " [needs a restart of the running guest: restartOnUpdate is false, so it cannot be acknowledged]"
      : "";
    return `  ${c.object} ${c.field}: live ${show(c.live)}, declared ${show(c.declared)}${c.recorded ? " (recorded only: the resource ignores it)" : c.stated ? "" : " (provider default)"}${restart}`;
  };
  const changes = r.changes.filter((c) => !c.acknowledged);
  const acknowledged = r.changes.filter((c) => c.acknowledged);
  out.push(`Changes the first \`pulumi up\` would make (or recorded fields that differ): ${changes.length}`);
  for (const c of changes) out.push(line(c));
  if (acknowledged.length) {
    out.push(`Acknowledged (adoption.acknowledge; the up applies the declared value): ${acknowledged.length}`);
    for (const c of acknowledged) out.push(line(c));
  }
  out.push(`Objects on the host the stack does not know: ${r.unknown.length}`);
  for (const u of r.unknown) out.push(`  ${u.text}`);
  out.push(`Host-level conflicts: ${r.conflicts.length}`);
  for (const c of r.conflicts) out.push(`  ${c.text}`);
  if (r.creations.length) {
    out.push(`Creations (allowed): ${r.creations.length}`);
    for (const c of r.creations) out.push(`  ${c}`);
  }
  if (r.notInLive.length) {
    out.push(`Declared objects on the host not in adoption.live (not counted: an object this program created is never listed there): ${r.notInLive.length}`);
    for (const o of r.notInLive) out.push(`  ${notInLiveText(o)}`);
  }
  if (r.gone.length) {
    out.push(`adoption.live entries not on the host (kept; counted while the stack declares them): ${r.gone.length}`);
    for (const o of r.gone) out.push(`  ${goneText(o)}`);
  }
  for (const i of r.info) out.push(`Note: ${i}`);
  if (withResult) out.push(checkResult(r.code, false));
  return `${out.join("\n")}\n`;
}

/** A rule of the live firewall as a `firewall.rules` (or `hostRules`, group `rules`) entry: a macro as the macro, a group as `group`. */
export function ruleEntry(r: LiveRule, guestNames: readonly string[] = []): Record<string, unknown> {
  const e: Record<string, unknown> = { name: r.name };
  // In the stack a plain name is a guest before an alias; an alias sharing a guest's name is written dc/<name>.
  const ref = (v: string) => (guestNames.includes(v.toLowerCase()) ? `dc/${v}` : v);
  if (r.group !== undefined) e.group = r.group;
  else e.action = r.action;
  if (r.direction === "out") e.direction = "out";
  if (r.macro) e.macro = r.macro;
  if (r.proto) e.proto = r.proto;
  if (r.source) e.source = ref(r.source);
  if (r.dest) e.dest = ref(r.dest);
  if (r.dports.length) e.dports = [...r.dports];
  if (r.sports.length) e.sports = [...r.sports];
  if (r.icmpType) e.icmpType = r.icmpType;
  if (r.log) e.log = r.log;
  if (r.iface) e.iface = r.iface;
  if (r.comment) e.comment = r.comment;
  if (!r.enabled) e.enabled = false;
  return e;
}

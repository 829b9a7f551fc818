/**
 * `neve-infra:adoption.live` is append-only once recorded (docs/discover.md, section "adoption.live").
 *
 * Every object listed there carries its `import` id on every run of the program. The Pulumi engine
 * treats a resource as an import when its import id differs from the one in the state (the state's
 * importID, or the resource ID when none is recorded: pulumi/pulumi step_generator.go generateSteps,
 * `isImport := goal.ID != "" && (old == nil || old.External || oldImportID != goal.ID)`), and a guest
 * the program CREATED has ID `1201` but import id `neve/1201`. Listing such a guest would make the next
 * `up` an import-replacement: import, then Delete on the old ID, i.e. the live guest is deleted
 * (`protect` does not block a replacement). Discover cannot tell a guest the program created from one
 * made by hand (the state is not read), so it adds a declared object found on the host only
 * - when nothing is recorded yet (the first adoption, before any `up`), or
 * - when the operator names it: `--adopt guest:1207`.
 * Every other declared object found on the host and missing from `live` is reported, never added; an
 * entry whose object is gone from the host is kept and reported. Pure: no I/O.
 */

import { isLive, type LiveObjectRef } from "../components/proxmox/options";
import type { NeveModel } from "../config/model";
import type { LiveJob, LiveVocabulary } from "./vocab";

/** The kinds `--adopt` names (the lists of `adoption.live`). */
const ADOPT_KINDS = ["guest", "storage", "bridge", "job", "firewall"] as const;

/** One of {@link ADOPT_KINDS}. */
export type AdoptKind = (typeof ADOPT_KINDS)[number];

/** An object named by `--adopt <kind>:<id>` (`firewall` has no id: ""). */
export interface AdoptRequest {
  readonly kind: AdoptKind;
  /** vmid, storage id, bridge interface, jobs.cfg id; "" for the firewall. */
  readonly id: string;
}

/** A declared object found on the host (what `adoption.live` can list). */
export interface HostObject extends AdoptRequest {
  /** For the report: `guest 1207 (name)`, `storage local (dir)`, ... */
  readonly text: string;
}

/** An `adoption.live` entry whose object is not on the host. */
export interface GoneObject extends AdoptRequest {
  readonly text: string;
  /** The stack still declares it (then the program imports an object that does not exist). */
  readonly declared: boolean;
}

/** The recorded `adoption.live`. */
export type LiveRecord = NonNullable<NeveModel["adoption"]["live"]>;

/** `guest:1207`, or `firewall`: the `--adopt` value that names the object. */
export function adoptArg(o: AdoptRequest): string {
  return o.kind === "firewall" ? "firewall" : `${o.kind}:${o.id}`;
}

/** Parse one `--adopt` value; throws an Error naming the value and the accepted forms. */
export function parseAdopt(value: string): AdoptRequest {
  const colon = value.indexOf(":");
  const kind = (colon < 0 ? value : value.slice(0, colon)) as AdoptKind;
  const id = colon < 0 ? "" : value.slice(colon + 1);
  const forms = "guest:<vmid>, storage:<id>, bridge:<iface>, job:<jobs.cfg id> or firewall";
  if (!ADOPT_KINDS.includes(kind)) throw new Error(`--adopt ${JSON.stringify(value)}: unknown kind ${JSON.stringify(kind)}; use ${forms}`);
  if (kind === "firewall") {
    if (colon >= 0) throw new Error(`--adopt ${JSON.stringify(value)}: the cluster firewall has no id; write --adopt firewall`);
    return { kind, id: "" };
  }
  if (id === "") throw new Error(`--adopt ${JSON.stringify(value)}: ${kind} needs an id; use ${forms}`);
  if (kind === "guest" && !/^[1-9]\d*$/.test(id)) throw new Error(`--adopt ${JSON.stringify(value)}: a guest is named by its vmid, e.g. guest:1207`);
  return { kind, id };
}

/** The object as the program names it (stacks/components/proxmox/options.ts), so one predicate decides what `live` lists. */
function liveRef(o: AdoptRequest): LiveObjectRef {
  switch (o.kind) {
    case "guest":
      return { kind: "guest", vmid: Number(o.id) };
    case "storage":
      return { kind: "storage", id: o.id };
    case "bridge":
      return { kind: "bridge", iface: o.id };
    case "job":
      return { kind: "job", id: o.id };
    case "firewall":
      return { kind: "firewall" };
    default: {
      const never: never = o.kind;
      throw new Error(`unknown object kind ${String(never)}`);
    }
  }
}

/** True when the record lists the object: the program's own `isLive`, which gives it its import id. */
export function inRecord(record: LiveRecord, o: AdoptRequest): boolean {
  return isLive(record, liveRef(o));
}

/**
 * The declared objects that exist on the host, in the host's order: guests by vmid, storages by id,
 * bridges by interface, jobs by their jobs.cfg id (`jobs`: declared job id -> matched live job, from
 * `matchJobs`), the cluster firewall when cluster.fw exists (the stack always declares it).
 */
export function declaredOnHost(model: NeveModel, live: LiveVocabulary, jobs: ReadonlyMap<string, LiveJob>): HostObject[] {
  const out: HostObject[] = [];
  for (const l of live.guests) {
    if (model.guests.some((g) => g.vmid === l.fields.vmid)) out.push({ kind: "guest", id: String(l.fields.vmid), text: `guest ${l.fields.vmid} (${l.name})` });
  }
  for (const l of live.storage) {
    if (model.storage.some((s) => s.id === l.id)) out.push({ kind: "storage", id: l.id, text: `storage ${l.id} (${l.fields.type})` });
  }
  for (const l of live.bridges) {
    if (model.network.bridges[l.name]) out.push({ kind: "bridge", id: l.name, text: `bridge ${l.name}` });
  }
  for (const l of live.jobs) {
    const declared = [...jobs.entries()].find(([, x]) => x === l)?.[0];
    if (declared !== undefined) out.push({ kind: "job", id: l.id, text: `backup job ${l.id} (backups.${declared})` });
  }
  if (live.firewall) out.push({ kind: "firewall", id: "", text: "the cluster firewall (cluster.fw)" });
  return out;
}

/** The declared objects on the host that the record does not list (empty while nothing is recorded). */
export function notInLive(record: LiveRecord | undefined, found: readonly HostObject[]): HostObject[] {
  return record === undefined ? [] : found.filter((o) => !inRecord(record, o));
}

/** The record's entries whose object is not on the host, each saying whether the stack still declares it. */
export function goneFromHost(record: LiveRecord | undefined, model: NeveModel, live: LiveVocabulary): GoneObject[] {
  if (record === undefined) return [];
  const out: GoneObject[] = [];
  for (const vmid of record.guests) {
    if (live.guests.some((l) => l.fields.vmid === vmid)) continue;
    const g = model.guests.find((x) => x.vmid === vmid);
    out.push({ kind: "guest", id: String(vmid), text: `guest ${vmid}${g ? ` (guests.${g.name})` : ""}`, declared: g !== undefined });
  }
  for (const id of record.storage) {
    if (live.storage.some((l) => l.id === id)) continue;
    out.push({ kind: "storage", id, text: `storage ${id}`, declared: model.storage.some((s) => s.id === id) });
  }
  for (const id of record.bridges) {
    if (live.bridges.some((l) => l.name === id)) continue;
    out.push({ kind: "bridge", id, text: `bridge ${id}`, declared: model.network.bridges[id] !== undefined });
  }
  for (const id of record.jobs) {
    if (live.jobs.some((l) => l.id === id)) continue;
    const j = model.backups.find((x) => (x.existingId ?? x.id) === id);
    out.push({ kind: "job", id, text: `backup job ${id}${j ? ` (backups.${j.id})` : ""}`, declared: j !== undefined });
  }
  if (record.firewall && !live.firewall) out.push({ kind: "firewall", id: "", text: "the cluster firewall (cluster.fw)", declared: true });
  return out;
}

/**
 * The report line of a declared object on the host that `adoption.live` does not list. Only guests
 * (ID `1201`, import id `neve/1201`) and the cluster firewall rules (ID `rule-<hash>`, import id
 * `cluster`) have an import id that differs from their ID, so only for them would listing a created
 * object be an import-replacement; storages, bridges and jobs are imported by their ID.
 */
export function notInLiveText(o: HostObject): string {
  const why = o.kind === "guest" || o.kind === "firewall" ? "importing it would make pulumi up delete it" : "it needs no import";
  return (
    `${o.text} exists on the host and is declared but is not in adoption.live: if this program created it, leave it ` +
    `(${why}); if it was made by hand, adopt it: npm run discover -- --write --adopt ${adoptArg(o)}`
  );
}

/** The report line of an `adoption.live` entry whose object is gone from the host. */
export function goneText(o: GoneObject): string {
  return o.declared
    ? `${o.text} is in adoption.live but not on the host: the program imports it and pulumi preview fails ("does not exist"); ` +
        `restore it on the host, take it out of the stack${o.kind === "guest" ? ", or, for the program to create it anew, run pulumi refresh (so the state forgets it) and then give it a new vmid" : ""} ` +
        "(discover never removes an adoption.live entry; docs/discover.md)"
    : `${o.text} is in adoption.live but not on the host; the stack no longer declares it, so nothing imports it (kept: the list is append-only)`;
}

/**
 * Check the `--adopt` requests against the declared objects on the host: each must name one of them.
 * Returns the objects in request order (duplicates once); throws an Error listing every bad request,
 * what is wrong with it and the values that would be accepted.
 */
export function resolveAdopts(requests: readonly AdoptRequest[], found: readonly HostObject[], model: NeveModel, live: LiveVocabulary): HostObject[] {
  const out: HostObject[] = [];
  const problems: string[] = [];
  for (const r of requests) {
    const o = found.find((x) => x.kind === r.kind && x.id === r.id);
    if (o) {
      if (!out.includes(o)) out.push(o);
      continue;
    }
    problems.push(`--adopt ${adoptArg(r)}: ${whyNot(r, model, live)}`);
  }
  if (problems.length) {
    const choices = found.map(adoptArg);
    throw new Error(
      `${problems.join("\n")}\n--adopt names an object that is both declared in the stack and on the host (${choices.length ? `here: ${choices.join(", ")}` : "there is none"}). Nothing was written.`,
    );
  }
  return out;
}

function whyNot(r: AdoptRequest, model: NeveModel, live: LiveVocabulary): string {
  switch (r.kind) {
    case "guest": {
      const vmid = Number(r.id);
      const declared = model.guests.some((g) => g.vmid === vmid);
      const onHost = live.guests.some((l) => l.fields.vmid === vmid);
      if (declared) return `the host has no guest ${vmid} (the program creates it: there is nothing to adopt)`;
      return onHost
        ? `no guest with vmid ${vmid} is declared in guests (declare it there first, and drop it from adoption.unmanaged.guests)`
        : `no guest with vmid ${vmid} is declared in guests, and the host has none`;
    }
    case "storage": {
      const declared = model.storage.some((s) => s.id === r.id);
      return declared ? `the host has no storage ${r.id} (the program creates it)` : `no storage ${r.id} is declared in storage`;
    }
    case "bridge": {
      const declared = model.network.bridges[r.id] !== undefined;
      return declared ? `the host has no bridge ${r.id} (the program creates it)` : `no bridge ${r.id} is declared in network.bridges`;
    }
    case "job": {
      const byDeclaredId = model.backups.find((j) => j.id === r.id && j.existingId !== undefined && j.existingId !== r.id);
      if (byDeclaredId) return `backups.${r.id} is job ${byDeclaredId.existingId} on the host: use --adopt job:${byDeclaredId.existingId}`;
      const onHost = live.jobs.some((l) => l.id === r.id);
      return onHost
        ? `no declared backup job matches job ${r.id} of jobs.cfg (declare it under backups with existingId: ${r.id})`
        : `jobs.cfg has no job ${r.id} (--adopt job: takes the id in jobs.cfg, as adoption.live.jobs lists it)`;
    }
    case "firewall":
      return "the host has no cluster.fw (the program creates the rules)";
    default: {
      const never: never = r.kind;
      throw new Error(`unknown object kind ${String(never)}`);
    }
  }
}

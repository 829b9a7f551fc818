/**
 * `discover --write`: update the stack file in place (the `yaml` package's Document API keeps its
 * comments and key order) so that it describes the host as it is, and say what was chosen for each
 * object. Pure over text: the CLI reads and writes the file.
 *
 * Choices (docs/discover.md):
 * - a changed field gets the live value (an acknowledged field is left as declared);
 * - an existing NAT (post-up MASQUERADE in /etc/network/interfaces) is adopted: `nat: interfaces`;
 *   forwarding set elsewhere: `hostServices.forwarding: external`;
 * - a guest, job or storage the stack does not know is recorded as unmanaged (`adoption.unmanaged`),
 *   never adopted into management silently; a guest's address on the IP plan is also recorded as held;
 * - `adoption.live` is append-only once recorded (./adopt.ts): the first record lists every declared
 *   object found on the host; later a declared object is added only when `--adopt` names it, every
 *   entry is kept; whenever objects are added, `neve-infra:adopt` is set to true (it arms the
 *   adoption gate for the `up` that imports them);
 * - `reconciled` is set only when `--check` on the written file exits 0.
 */
import { isMap, isSeq, parse, parseDocument } from "yaml";
import { firewallRuleMeaning } from "../common/firewallRule";
import { adoptionFingerprint } from "../config/adoption";
import { adoptionScopeOf } from "../config/adoptionScope";
import { ipv4InCidr } from "../config/ipplan";
import type { NeveModel } from "../config/model";
import { SECRET_KEYS } from "../config/secrets";
import { type ParseOptions, parseStackConfig, rawConfigFromPulumi } from "../config/stack";
import { type AdoptRequest, adoptArg, type HostObject, inRecord, resolveAdopts } from "./adopt";
import { type Change, type CheckReport, checkStack, declaredRuleShape, liveRuleMeaning, ruleEntry } from "./check";
import type { HostFileFacts } from "./facts";
import { show } from "./fields";
import { hostFilePaths, stateHostFiles, unstatedHostFiles } from "./hostfiles";
import type { LiveRule, LiveVocabulary } from "./vocab";

const NS = "neve-infra";
/** Keep the file's own style: `[a, b]` flow lists, no folding of long lines. */
const TO_STRING = { flowCollectionPadding: false, lineWidth: 0 } as const;

/** The model of a stack file's text, validated like the program does (throws ConfigError). */
export function modelFromText(text: string, opts: ParseOptions = {}): NeveModel {
  const doc = parse(text) as { config?: Record<string, unknown> } | null;
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    if (v && typeof v === "object" && !Array.isArray(v) && "secure" in v) continue;
    config[k] = v;
  }
  return parseStackConfig(rawConfigFromPulumi(config, SECRET_KEYS), opts);
}

/** YAML path of a change's object (`guests.etoile` -> section guests, key etoile). */
function objectPath(object: string): string[] {
  if (object === "firewall") return [`${NS}:firewall`];
  if (object.startsWith("network.bridges.")) return [`${NS}:network`, "bridges", object.slice("network.bridges.".length)];
  const dot = object.indexOf(".");
  return [`${NS}:${object.slice(0, dot)}`, object.slice(dot + 1)];
}

/** --write would produce a stack file the program refuses: nothing is written (exit 2). */
export class WriteRefusedError extends Error {}

/** Result of {@link writeStack}. */
export interface WriteResult {
  /** The new file text. */
  readonly text: string;
  /** One line per choice made (or left undone), for the operator. */
  readonly choices: readonly string[];
  /** `--check` on the written file. */
  readonly after: CheckReport;
}

/** Options of {@link writeStack}. */
export interface WriteOptions {
  /** Timestamp for `adoption.discoveredAt` (ISO 8601). */
  readonly now: string;
  /** `--adopt`: declared objects on the host to add to a recorded `adoption.live`. */
  readonly adopt?: readonly AdoptRequest[];
  /** The managed host files read from the host (./hostfiles): what they state is written too. Defaults to none. */
  readonly hostFiles?: Readonly<Record<string, HostFileFacts>>;
  /** `--acknowledge-file`: managed host file path -> `sha256:<hex>` of its live content, for `adoption.files`. */
  readonly acknowledgeFiles?: Readonly<Record<string, string>>;
}

function valueForYaml(c: Change): unknown {
  return c.liveStackValue;
}

/**
 * Make `firewall.rules` (or `firewall.hostRules`) the live rules, item by item: a declared rule equal in
 * meaning to the live one at the same position keeps its node (its name and the comments around it);
 * the others are replaced. A macro is written as the macro, an IP set or alias as the reference.
 */
function writeRules(
  doc: ReturnType<typeof parseDocument>,
  p: (string | number)[],
  declared: NeveModel["firewall"]["rules"],
  live: readonly LiveRule[],
  what: string,
  guestNames: readonly string[],
): string {
  const same = (d: (typeof declared)[number] | undefined, r: LiveRule | undefined) =>
    d !== undefined && r !== undefined && firewallRuleMeaning(declaredRuleShape(d)) === liveRuleMeaning(r);
  let kept = 0;
  const names = new Set<string>();
  if (declared.length === 0 && live.length) doc.setIn(p, doc.createNode([]));
  live.forEach((r, i) => {
    const d = declared[i];
    if (same(d, r)) {
      kept++;
      names.add(d.name);
      return;
    }
    let name = r.name;
    for (let n = 2; names.has(name) || declared.some((x, k) => k !== i && x.name === name && same(x, live[k] ?? r)); n++) name = `${r.name}-${n}`;
    names.add(name);
    const node = doc.createNode({ ...ruleEntry(r, guestNames), name });
    if (isMap(node)) node.flow = true;
    doc.setIn([...p, i], node);
  });
  for (let i = declared.length - 1; i >= live.length; i--) doc.deleteIn([...p, i]);
  return `${what}: the ${live.length} rules of the file in order (${kept} kept as declared, ${live.length - kept} from the host; was ${declared.length} declared)`;
}

/**
 * Write `adoption.live` append-only: the whole list of declared objects on the host when nothing is
 * recorded; otherwise only the `--adopt`ed objects the record lacks, one item each (the record's
 * entries and comments stay). Returns the objects added.
 */
function writeLive(
  doc: ReturnType<typeof parseDocument>,
  p: (string | number)[],
  record: NeveModel["adoption"]["live"],
  found: readonly HostObject[],
  requested: readonly HostObject[],
  choices: string[],
): HostObject[] {
  const ids = (kind: HostObject["kind"]) => found.filter((o) => o.kind === kind).map((o) => (kind === "guest" ? Number(o.id) : o.id));
  const flow = (v: unknown) => {
    const n = doc.createNode(v);
    if (isSeq(n)) n.flow = true;
    return n;
  };
  if (record === undefined) {
    doc.setIn(p, {
      guests: flow(ids("guest")),
      storage: flow(ids("storage")),
      bridges: flow(ids("bridge")),
      jobs: flow(ids("job")),
      firewall: found.some((o) => o.kind === "firewall"),
    });
    choices.push(
      `adoption.live: first record: the ${found.length} declared objects found on the host (${found.map(adoptArg).join(", ") || "none"}); from now on the list only grows by --adopt`,
    );
    return [...found];
  }
  const added: HostObject[] = [];
  for (const o of requested) {
    if (inRecord(record, o)) {
      choices.push(`--adopt ${adoptArg(o)}: already in adoption.live (nothing to add)`);
      continue;
    }
    if (o.kind === "firewall") doc.setIn([...p, "firewall"], true);
    else {
      const key = ({ guest: "guests", storage: "storage", bridge: "bridges", job: "jobs" } as const)[o.kind];
      if (!isSeq(doc.getIn([...p, key]))) doc.setIn([...p, key], flow([...(record[key] as readonly (string | number)[])]));
      doc.addIn([...p, key], o.kind === "guest" ? Number(o.id) : o.id);
    }
    added.push(o);
    choices.push(`adoption.live: added ${o.text} (--adopt ${adoptArg(o)})`);
  }
  for (const o of found) {
    if (!inRecord(record, o) && !added.includes(o)) choices.push(`${o.text}: not added to adoption.live (see "not in adoption.live" below)`);
  }
  return added;
}

/**
 * The recorded-fact markers (stacks/config/recorded.ts): what discover just wrote from the host and an `up`
 * does not apply is marked as the record it is, so the adopted file stays valid. `firewall.recorded` while
 * `firewall.filesManaged` is false (its options exist on every host); `recorded` on each declared bridge
 * found on the host while `network.interfacesFile` is false (a bridge not on the host stays unmarked: the plan
 * refuses it, since no up would create it). With a switch on, a marker left over is removed (the files apply it).
 */
function writeRecorded(doc: ReturnType<typeof parseDocument>, model: NeveModel, found: readonly HostObject[], choices: string[]): void {
  const fwAt = ["config", `${NS}:firewall`, "recorded"];
  if (model.firewall.filesManaged) {
    if (doc.hasIn(fwAt)) {
      doc.deleteIn(fwAt);
      choices.push("firewall.recorded: removed (firewall.filesManaged is true: an up applies the firewall files)");
    }
  } else if (!model.firewall.recorded) {
    doc.setIn(fwAt, true);
    choices.push(
      "firewall.recorded: true (the firewall as read from the host; an up does not apply it while firewall.filesManaged is false: set that to change it by up)",
    );
  }
  const onHost = new Set(found.filter((o) => o.kind === "bridge").map((o) => o.id));
  for (const [name, b] of Object.entries(model.network.bridges)) {
    const p = ["config", `${NS}:network`, "bridges", name, "recorded"];
    if (model.network.interfacesFile) {
      if (doc.hasIn(p)) {
        doc.deleteIn(p);
        choices.push(`network.bridges.${name}.recorded: removed (network.interfacesFile is true: an up applies the bridges)`);
      }
    } else if (!b.recorded && onHost.has(name)) {
      doc.setIn(p, true);
      choices.push(
        `network.bridges.${name}.recorded: true (as read from the host; an up does not apply it while network.interfacesFile is false: set that to change it by up)`,
      );
    }
  }
}

/** Update the stack file text from the live vocabulary; see the module comment for the choices. */
export function writeStack(text: string, model: NeveModel, live: LiveVocabulary, opts: WriteOptions): WriteResult {
  const report = checkStack(model, live);
  const record = model.adoption.live;
  const found = report.onHost;
  let requested: HostObject[];
  try {
    requested = resolveAdopts(opts.adopt ?? [], found, model, live);
  } catch (e) {
    throw new WriteRefusedError((e as Error).message);
  }
  const doc = parseDocument(text);
  const choices: string[] = [];
  const at = (...p: (string | number)[]) => ["config", ...p];
  const flow = (v: unknown) => {
    const n = doc.createNode(v);
    if (isSeq(n) || isMap(n)) n.flow = true;
    return n;
  };

  for (const c of report.changes) {
    if (c.acknowledged) {
      choices.push(`${c.path}: kept ${show(c.declared)} (acknowledged; the first up applies it over live ${show(c.live)})`);
      continue;
    }
    if (c.cannot) {
      // The config refuses to acknowledge a change that restarts a running guest without restartOnUpdate.
      const ack =
        c.restart && !c.restart.allowed
          ? `change it on the host, or set ${c.object}.restartOnUpdate: true and add it to adoption.acknowledge (the up then restarts the guest)`
          : "change it by hand or add it to adoption.acknowledge";
      choices.push(`${c.path}: left as ${show(c.declared)}: ${c.cannot}; ${ack}`);
      continue;
    }
    const p = at(...objectPath(c.object), ...c.field.split("."));
    if (c.object === "firewall" && (c.field === "rules" || c.field === "hostRules")) {
      const declared = c.field === "rules" ? model.firewall.rules : model.firewall.hostRules;
      choices.push(
        writeRules(
          doc,
          p,
          declared,
          c.liveStackValue as LiveRule[],
          `firewall.${c.field}`,
          model.guests.map((g) => g.name),
        ),
      );
      continue;
    }
    const v = valueForYaml(c);
    if (v === undefined) doc.deleteIn(p);
    else doc.setIn(p, typeof v === "object" && v !== null ? flow(v) : v);
    choices.push(`${c.path}: ${show(c.liveStackValue)} (live; was ${show(c.declared)}${c.stated ? "" : ", the provider's default"})`);
  }

  for (const k of report.conflicts) {
    if (k.fix === undefined) {
      choices.push(`${k.path}: left: ${k.text}`);
      continue;
    }
    const [section, ...rest] = k.path.split(".");
    doc.setIn(at(`${NS}:${section}`, ...rest), k.fix);
    choices.push(
      k.kind === "nat"
        ? `${k.path}: ${String(k.fix)} (adopted the host's own NAT, named in the conflict; the stack declares no second NAT)`
        : `${k.path}: ${String(k.fix)} (${k.fix === "external" ? "forwarding stays where the host sets it; the stack declares no drop-in" : "the stack sets forwarding itself"})`,
    );
  }

  if (opts.hostFiles) {
    for (const st of stateHostFiles(model, opts.hostFiles)) {
      const p = at(...st.path);
      if (st.value === undefined) doc.deleteIn(p);
      else {
        const node = doc.createNode(st.value);
        // Short values on one line, as the file writes routes; extra lines one per line.
        if ((isMap(node) || isSeq(node)) && st.path.at(-1) !== "extraLines") node.flow = true;
        doc.setIn(p, node);
      }
      choices.push(st.text);
    }
  }

  writeRecorded(doc, model, found, choices);

  const unmanaged = {
    guests: [...(model.adoption.unmanaged?.guests ?? [])],
    storage: [...(model.adoption.unmanaged?.storage ?? [])],
    jobs: [...(model.adoption.unmanaged?.jobs ?? [])],
  };
  const plan = model.network.ipv4;
  const held = new Set<string>([
    plan.gateway,
    ...plan.unmanaged.map((u) => u.address),
    ...model.guests.filter((g) => !g.template && (g.ipv4 ?? g.dhcpReserved)).map((g) => (g.ipv4 ?? g.dhcpReserved) as string),
  ]);
  for (const u of report.unknown) {
    switch (u.kind) {
      case "guest": {
        const g = live.guests.find((x) => String(x.fields.vmid) === u.id);
        unmanaged.guests.push(Number(u.id));
        let extra = "";
        const addr = g?.fields.ipv4 as string | undefined;
        if (g && addr && !g.fields.template && ipv4InCidr(addr, plan.subnet)) {
          if (held.has(addr)) extra = `; its address ${addr} is already recorded as held`;
          else {
            const list = at(`${NS}:network`, "ipv4", "unmanaged");
            if (!doc.hasIn(list)) doc.setIn(list, doc.createNode([]));
            doc.addIn(list, flow({ address: addr, holder: g.name }));
            held.add(addr);
            extra = `; its address ${addr} recorded in network.ipv4.unmanaged`;
          }
        }
        choices.push(`${u.text}: recorded as unmanaged (adoption.unmanaged.guests)${extra}`);
        break;
      }
      case "storage":
        unmanaged.storage.push(u.id);
        choices.push(`${u.text}: recorded as unmanaged (adoption.unmanaged.storage)`);
        break;
      case "job":
        unmanaged.jobs.push(u.id);
        choices.push(`${u.text}: recorded as unmanaged (adoption.unmanaged.jobs)`);
        break;
      case "bridge":
        choices.push(`${u.text}: left: add it to network.bridges by hand (the stack has no unmanaged bridges)`);
        break;
      default: {
        const never: never = u.kind;
        throw new Error(`unknown object kind ${String(never)}`);
      }
    }
  }
  for (const c of report.creations) choices.push(`${c} (kept: not on the host)`);

  const adoption = [`${NS}:adoption`];
  const added = writeLive(doc, at(...adoption, "live"), record, found, requested, choices);
  for (const o of added) {
    // The program imports a job only by its existingId (stacks/components/proxmox/backups.ts): state it.
    const j = o.kind === "job" ? model.backups.find((x) => x.existingId === undefined && (report.jobMatches[x.id] ?? x.id) === o.id) : undefined;
    if (j && !doc.hasIn(at(`${NS}:backups`, j.id, "existingId"))) {
      doc.setIn(at(`${NS}:backups`, j.id, "existingId"), o.id);
      choices.push(`backups.${j.id}.existingId: ${o.id} (the job in adoption.live: the program imports a job by its existingId)`);
    }
  }
  if (added.length) {
    doc.setIn(at(`${NS}:adopt`), true);
    choices.push(
      `neve-infra:adopt: true (${added.length} object${added.length === 1 ? "" : "s"} added to adoption.live: the next up imports ${added.length === 1 ? "it" : "them"}, ` +
        "and adopt: true makes the program refuse to run unless adoption.reconciled matches this file). After that up has succeeded, " +
        "set it back: pulumi config set neve-infra:adopt false",
    );
  }
  if (unmanaged.guests.length + unmanaged.storage.length + unmanaged.jobs.length) {
    doc.setIn(at(...adoption, "unmanaged"), { guests: flow(unmanaged.guests), storage: flow(unmanaged.storage), jobs: flow(unmanaged.jobs) });
  }
  for (const [file, hash] of Object.entries(opts.acknowledgeFiles ?? {})) {
    doc.setIn(at(...adoption, "files", file), hash);
    choices.push(
      `adoption.files: ${file} acknowledged at its live content's hash (the up may replace exactly this content; a later edit on the host counts again)`,
    );
  }
  doc.setIn(at(...adoption, "discoveredAt"), opts.now);
  doc.setIn(at(...adoption, "source"), live.source);
  doc.deleteIn(at(...adoption, "reconciled"));

  // Reconciled only when --check on the written file finds nothing.
  let textOut = doc.toString(TO_STRING);
  let model2: NeveModel;
  try {
    model2 = modelFromText(textOut);
  } catch (e) {
    throw new WriteRefusedError(
      `the stack file with the live values would not validate, so it was not written:\n${(e as Error).message}\n` +
        `Live values discover would have written:\n${choices.map((c) => `  ${c}`).join("\n")}\nFix the related fields by hand (or the host), then run discover --write again.`,
    );
  }
  if (opts.hostFiles) {
    const left = unstatedHostFiles(model2, opts.hostFiles);
    if (left.length) {
      choices.push(
        `host files: ${left.length} live directives the stack cannot state (the first up would drop or change them; change the host file, or acknowledge the file):`,
      );
      for (const l of left) choices.push(`  left: ${l}`);
    }
    const read = hostFilePaths(model2).filter((p) => opts.hostFiles?.[p]?.kind === "file");
    if (left.length === 0 && read.length) choices.push(`host files read (${read.join(", ")}): each renders equal in meaning to the live file`);
  }
  const after = checkStack(model2, live);
  if (after.code === 0) {
    doc.setIn(at(...adoption, "reconciled"), adoptionFingerprint(adoptionScopeOf(model2)));
    textOut = doc.toString(TO_STRING);
    choices.push("adoption.reconciled: set (--check on the written file exits 0)");
  } else {
    choices.push(
      `adoption.reconciled: not set: --check on the written file still reports ${after.changes.filter((c) => !c.acknowledged).length} changes, ${after.unknown.length} unknown objects, ${after.conflicts.length} conflicts (see the lines above marked "left")`,
    );
  }
  return { text: textOut, choices, after };
}

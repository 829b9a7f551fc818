/**
 * The host files the stack manages (HostConfig files, LxcRawConfig raw lines) compared with what
 * discover read from the host ({@link LiveFacts}; the same exec reads these files and Proxmox's): the
 * "host files" section of `npm run discover -- --check` ({@link fileReport}).
 *
 * Secret files (flagged `secret`, or whose content is a Pulumi secret) are compared by the sha256 of
 * the live file against the sha256 of the declared content, in memory only: neither their content nor
 * either hash is ever printed. Unified diffs go live -> declared.
 */
import { createHash } from "node:crypto";
import { createTwoFilesPatch } from "diff";
import type { CapturedResource } from "../../scripts/lib/mockRunner";
import { isSecretValue, unwrapSecret } from "../../scripts/lib/secretValue";
import { redactHaproxyCredentials } from "../common/haproxy";
import { canonicalRawLxcLine, isRawLxcLine, lxcConfigPath } from "../render/lxcRaw";
import { type BesideFinding, besideOf } from "./beside";
import type { LiveFacts } from "./facts";
import { DiscoverError } from "./probe";

/** Type token of the HostConfig dynamic resource. */
export const HOSTCONFIG_TYPE = "pulumi-nodejs:dynamic/neve:HostConfig";
/** Type token of the LxcRawConfig dynamic resource. */
export const LXCRAW_TYPE = "pulumi-nodejs:dynamic/neve:LxcRawConfig";

/** Where one group of resources connects (the declared connection, minus its private key). */
export interface HostTarget {
  /** Host name or address. */
  readonly host: string;
  /** sshd port. */
  readonly port: number;
  /** Remote user. */
  readonly username: string;
  /** Pinned host key ("SHA256:..." or a key line). */
  readonly hostKey: string;
}

/** One file a HostConfig declares. */
export interface DeclaredFile {
  /** Logical name of the HostConfig resource that declares it. */
  readonly resource: string;
  /** Absolute path on the host. */
  readonly path: string;
  /** Declared content (for secret files: held in memory only, never printed). */
  readonly content: string;
  /** Four octal digits, e.g. "0644". */
  readonly mode: string;
  /** Declared owner. */
  readonly owner: string;
  /** Declared group. */
  readonly group: string;
  /** Secret file: compared by hash only. */
  readonly secret: boolean;
}

/** The raw lxc lines an LxcRawConfig declares for one container. */
export interface DeclaredLxc {
  /** Logical name of the LxcRawConfig resource. */
  readonly resource: string;
  /** Container id. */
  readonly vmid: number;
  /** Declared raw lines, in order. */
  readonly rawLines: readonly string[];
}

/** Everything declared for one host. */
export interface HostGroup {
  /** Where to connect. */
  readonly target: HostTarget;
  /** Declared files, in declaration order. */
  readonly files: readonly DeclaredFile[];
  /** Declared raw lxc lines per container. */
  readonly lxc: readonly DeclaredLxc[];
}

const DEFAULT_MODE = "0644";

/**
 * Group every HostConfig file and LxcRawConfig declaration of a program run by connection host.
 * Throws {@link DiscoverError} for a resource whose connection or files are not plain values.
 */
export function collectDeclared(resources: readonly CapturedResource[]): HostGroup[] {
  const groups = new Map<string, { target: HostTarget; files: DeclaredFile[]; lxc: DeclaredLxc[] }>();
  const groupOf = (r: CapturedResource) => {
    const c = unwrapSecret(r.inputs.connection) as Record<string, unknown> | undefined;
    if (!c || typeof c !== "object" || typeof c.host !== "string" || typeof c.hostKey !== "string") {
      throw new DiscoverError(`${r.name}: its connection has no plain host and hostKey (ssh.host / ssh.hostKey in the stack)`);
    }
    const target: HostTarget = {
      host: c.host,
      port: typeof c.port === "number" ? c.port : 22,
      username: typeof c.username === "string" ? c.username : "root",
      hostKey: c.hostKey,
    };
    const key = `${target.username}@${target.host}:${target.port} ${target.hostKey}`;
    let g = groups.get(key);
    if (!g) {
      g = { target, files: [], lxc: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const r of resources) {
    if (r.type === HOSTCONFIG_TYPE) {
      const files = unwrapSecret(r.inputs.files);
      if (!Array.isArray(files)) throw new DiscoverError(`${r.name}: files is not a list`);
      const g = groupOf(r);
      for (const raw of files) {
        const wrapped = isSecretValue(raw);
        const f = unwrapSecret(raw) as Record<string, unknown>;
        const content = unwrapSecret(f.content);
        if (typeof f.path !== "string" || typeof content !== "string") throw new DiscoverError(`${r.name}: a file has no path or content`);
        g.files.push({
          resource: r.name,
          path: f.path,
          content,
          mode: typeof f.mode === "string" ? f.mode : DEFAULT_MODE,
          owner: typeof f.owner === "string" ? f.owner : "root",
          group: typeof f.group === "string" ? f.group : "root",
          secret: wrapped || f.secret === true || isSecretValue(f.content),
        });
      }
    } else if (r.type === LXCRAW_TYPE) {
      const vmid = unwrapSecret(r.inputs.vmid);
      const rawLines = unwrapSecret(r.inputs.rawLines);
      if (typeof vmid !== "number" || !Array.isArray(rawLines)) throw new DiscoverError(`${r.name}: vmid or rawLines is not a plain value`);
      groupOf(r).lxc.push({ resource: r.name, vmid, rawLines: rawLines.map(String) });
    }
  }
  return [...groups.values()];
}

/** The `files` of a discover read request for one group: every declared path, secret ones by hash only. */
export function requestedFiles(group: HostGroup): Array<{ path: string; secret: boolean }> {
  const out: Array<{ path: string; secret: boolean }> = [];
  for (const f of group.files) {
    const seen = out.find((o) => o.path === f.path);
    if (seen) seen.secret = seen.secret || f.secret;
    else out.push({ path: f.path, secret: f.secret });
  }
  return out;
}

/** Outcome for one declared file. */
export type FileStatus = "same" | "differs" | "absent" | "notfile" | "broken" | "unreadable" | "unverified";

/** The comparison of one declared file with the live one. */
export interface FileReport {
  /** The declaration. */
  readonly declared: DeclaredFile;
  /** Overall outcome ("differs" also when only mode/owner/group differ). */
  readonly status: FileStatus;
  /** True when the content differs (or the file is absent). */
  readonly contentDiffers: boolean;
  /** "mode live 0640, declared 0644" ... one per differing attribute. */
  readonly metadata: readonly string[];
  /** Unified diff live -> declared (non-secret files with different content only). */
  readonly patch?: string;
  /**
   * The operator's acknowledgement (`neve-infra:adoption.files`) against this live file: `match` when
   * it names the live content's hash (the difference does not count), `stale` when it names another
   * content (the file was edited since: counted again), absent when there is none.
   */
  readonly acknowledgement?: "match" | "stale";
  /**
   * For a file with a reader (stacks/discover/hostfiles) whose content differs: each live directive the
   * render would drop or change, and each it adds, by meaning. `[]`: equal in meaning (only comments,
   * white space, order or spelling differ), which does not count. Absent: no reader, compared by content.
   */
  readonly meaning?: readonly string[];
}

/** Differences in meaning between a live managed file and its declared content, or undefined when no reader knows the file. */
export type MeaningDiff = (path: string, live: string, declared: string) => readonly string[] | undefined;

/** The comparison of one container's raw lxc lines. */
export interface LxcReport {
  /** The declaration. */
  readonly declared: DeclaredLxc;
  /** "same", "differs", or "absent" (no such container config on the node). */
  readonly status: "same" | "differs" | "absent";
  /** Raw lines found in the main section (when the config was read). */
  readonly live?: readonly string[];
  /** Unified diff of the raw lines, live -> declared. */
  readonly patch?: string;
}

/** A live file beside a managed one (./beside.ts): the same service configured under another name. */
export interface BesideReport {
  /** Which file, beside which managed one, and who reads it. */
  readonly finding: BesideFinding;
  /** A regular file, or something else at that path (a directory, a link that does not resolve). */
  readonly kind: "file" | "other";
  /** `match` when `neve-infra:adoption.files` names its live hash (kept knowingly: not counted), `stale` when another. */
  readonly acknowledgement?: "match" | "stale";
}

/** Everything compared for one group. */
export interface GroupReport {
  /** Per declared file. */
  readonly files: readonly FileReport[];
  /** Live files beside the declared ones, in path order. */
  readonly beside: readonly BesideReport[];
  /** Per declared container. */
  readonly lxc: readonly LxcReport[];
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** The raw `lxc.*` lines of a container's main section as Proxmox writes them back (`key: value`). */
export function liveRawLines(facts: LiveFacts, vmid: number): string[] | undefined {
  const g = facts.guests.find((x) => x.vmid === vmid && x.kind === "lxc");
  return g?.main.filter(([k]) => k.startsWith("lxc.")).map(([k, v]) => `${k}: ${v}`);
}

/**
 * Compare one group's declarations with the facts. `placeholders`: secret values that are only
 * placeholders; a secret file holding one is `unverified` (not compared).
 */
export function compareGroup(
  group: HostGroup,
  facts: LiveFacts,
  placeholders: readonly string[] = [],
  acknowledged: Readonly<Record<string, string>> = {},
  meaningOf?: MeaningDiff,
): GroupReport {
  const files = group.files.map((d): FileReport => {
    const e = facts.files[d.path];
    if (d.secret && placeholders.some((p) => p !== "" && d.content.includes(p))) {
      return { declared: d, status: "unverified", contentDiffers: false, metadata: [] };
    }
    if (!e) throw new DiscoverError(`${d.path} was not read (the read request did not name it); this is a bug in discover`);
    if (e.kind !== "file") {
      const status: FileStatus = e.kind === "absent" ? "absent" : e.problem === "broken" ? "broken" : e.problem ? "unreadable" : "notfile";
      const patch =
        status === "absent" && !d.secret ? createTwoFilesPatch(`live:${d.path}`, `declared:${d.path}`, "", d.content, "(absent)", undefined) : undefined;
      return { declared: d, status, contentDiffers: true, metadata: [], patch };
    }
    const metadata: string[] = [];
    const mode = d.mode.padStart(4, "0");
    if (e.mode !== mode) metadata.push(`mode live ${e.mode}, declared ${mode}`);
    if (e.owner !== d.owner) metadata.push(`owner live ${e.owner}, declared ${d.owner}`);
    if (e.group !== d.group) metadata.push(`group live ${e.group}, declared ${d.group}`);
    const contentDiffers = e.sha256 !== sha256(d.content);
    // A password in a hand-written haproxy line is never printed.
    const patch =
      contentDiffers && !d.secret && e.content !== undefined
        ? redactHaproxyCredentials(createTwoFilesPatch(`live:${d.path}`, `declared:${d.path}`, e.content, d.content))
        : undefined;
    const status: FileStatus = contentDiffers || metadata.length > 0 ? "differs" : "same";
    const ack = acknowledged[d.path];
    const acknowledgement = status === "differs" && ack !== undefined ? (ack === `sha256:${e.sha256}` ? "match" : "stale") : undefined;
    const meaning = contentDiffers && !d.secret && e.content !== undefined && meaningOf ? meaningOf(d.path, e.content, d.content) : undefined;
    return { declared: d, status, contentDiffers, metadata, patch, acknowledgement, ...(meaning === undefined ? {} : { meaning }) };
  });
  const lxc = group.lxc.map((d): LxcReport => {
    const found = liveRawLines(facts, d.vmid);
    if (!found) return { declared: d, status: "absent" };
    // Both sides as Proxmox writes them back: "lxc.key = v" and "lxc.key: v" are the same line.
    const declared = d.rawLines.map((l) => (isRawLxcLine(l) ? canonicalRawLxcLine(l) : l));
    const same = found.length === declared.length && found.every((l, k) => l === declared[k]);
    const path = lxcConfigPath(d.vmid);
    const text = (ls: readonly string[]) => (ls.length ? `${ls.join("\n")}\n` : "");
    return {
      declared: d,
      status: same ? "same" : "differs",
      live: found,
      patch: same ? undefined : createTwoFilesPatch(`live:${path}`, `declared:${path}`, text(found), text(declared), "raw lxc lines", "raw lxc lines"),
    };
  });
  const managed = group.files.map((f) => f.path);
  const beside = Object.values(facts.beside ?? {})
    .filter((e) => e.kind !== "absent")
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .flatMap((e): BesideReport[] => {
      const finding = besideOf(e.path, managed);
      if (!finding) return [];
      const ack = acknowledged[e.path];
      const acknowledgement = ack === undefined ? undefined : e.kind === "file" && ack === `sha256:${e.sha256}` ? "match" : "stale";
      return [{ finding, kind: e.kind === "file" ? "file" : "other", ...(acknowledgement ? { acknowledgement } : {}) }];
    });
  return { files, beside, lxc };
}

const STATUS_TEXT: Record<FileStatus, string> = {
  same: "same",
  differs: "differs",
  absent: "absent",
  notfile: "not a regular file",
  broken: "a symbolic link that does not resolve",
  unreadable: "unreadable",
  unverified: "unchecked",
};

/** Report lines for one group: a line per file, its diff and attribute differences, then the containers' raw lines. */
function formatGroup(r: GroupReport): string[] {
  const out: string[] = [];
  for (const f of r.files) {
    const d = f.declared;
    let line = `  ${STATUS_TEXT[f.status].padEnd(9)} ${d.path} (${d.resource})`;
    if (d.secret) {
      line +=
        f.status === "unverified"
          ? " [secret: the declared value is a placeholder; pass the real one with --secret KEY=FILE to compare]"
          : f.contentDiffers && f.status === "differs"
            ? " [secret: content differs, compared by hash, not shown]"
            : f.status === "differs"
              ? " [secret: content same, compared by hash]"
              : " [secret: compared by hash, not shown]";
    } else if (f.status === "differs" && !f.contentDiffers) {
      line += " [content same]";
    }
    out.push(line);
    if (f.status === "differs") out.push(`            ${fileTodo(f)}`);
    if (f.status === "differs" && f.meaning !== undefined && f.meaning.length > 0) {
      out.push(
        `            ${f.meaning.length} difference${f.meaning.length === 1 ? "" : "s"} in meaning (each live directive the render would drop or change, each it adds):`,
      );
      for (const m of f.meaning) out.push(`              ${m}`);
    }
    for (const m of f.metadata) out.push(`            ${m}`);
    if (f.patch) out.push(f.patch.trimEnd());
  }
  for (const b of r.beside) {
    out.push(`  ${"beside".padEnd(9)} ${b.finding.path}${b.kind === "other" ? " (not a regular file)" : ""} [${b.finding.reader}]`);
    out.push(`            ${besideTodo(b)}`);
  }
  for (const l of r.lxc) {
    const path = lxcConfigPath(l.declared.vmid);
    out.push(
      l.status === "absent"
        ? `  ${"absent".padEnd(9)} ${path} (${l.declared.resource}) [no such container config]`
        : `  ${l.status.padEnd(9)} ${path} (${l.declared.resource}) [raw lxc lines of the main section]`,
    );
    if (l.patch) out.push(l.patch.trimEnd());
  }
  return out;
}

/** The stack-file field that acknowledges live host files, by path. */
export const ACK_FILES_FIELD = "neve-infra:adoption.files";

/** What to do about one differing live file: the counted line of `--check`. */
function fileTodo(f: FileReport): string {
  const p = f.declared.path;
  const fix = `state its directives in the stack file (npm run discover -- --write), or accept that the up replaces this exact file: npm run discover -- --write --acknowledge-file ${p}`;
  if (f.acknowledgement === "match") return `acknowledged (${ACK_FILES_FIELD}: the live content's hash): the up replaces it; not counted`;
  if (equalInMeaning(f))
    return "equal in meaning: the render differs from the live file only in comments, white space, order or spelling; the up replaces it; not counted";
  if (f.acknowledgement === "stale") return `counted: ${p} changed since it was acknowledged (${ACK_FILES_FIELD} names another content); ${fix}`;
  return `counted: the up would replace ${p}; ${fix}`;
}

/** What to do about a live file beside a managed one: the counted line of `--check`. */
function besideTodo(b: BesideReport): string {
  const p = b.finding.path;
  if (b.acknowledgement === "match") return `acknowledged (${ACK_FILES_FIELD}: its live content's hash): kept beside the render knowingly; not counted`;
  const fix =
    `move what it configures into the stack file (npm run discover -- --write states what it can) and remove ${p} from the host, ` +
    `or keep it beside the render knowingly: npm run discover -- --write --acknowledge-file ${p}`;
  if (b.acknowledgement === "stale") return `counted: ${p} changed since it was acknowledged (${ACK_FILES_FIELD} names another content); ${fix}`;
  return `counted: the up leaves ${p} in place, so what it configures keeps applying beside ${b.finding.managed}; ${fix}`;
}

/** True when a file beside a managed one counts in `--check`'s exit status: unless acknowledged at its live hash. */
export function besideCounts(b: BesideReport): boolean {
  return b.acknowledgement !== "match";
}

/**
 * True when a file of this group counts in `--check`'s exit status: a live file (or its mode/owner)
 * that the up would replace and that no acknowledgement covers, a live path that is not a regular
 * file, or raw lxc lines that differ (or a missing container config). An absent file is a creation (allowed, as for objects): not counted.
 */
export function fileCounts(f: FileReport): boolean {
  if (f.status === "same" || f.status === "unverified" || f.status === "absent") return false;
  if (equalInMeaning(f)) return false;
  return f.acknowledgement !== "match";
}

/** A differing file whose reader finds no difference in meaning and whose mode, owner and group are the declared ones. */
function equalInMeaning(f: FileReport): boolean {
  return f.status === "differs" && f.metadata.length === 0 && f.meaning !== undefined && f.meaning.length === 0;
}

/** True when something of this group counts in `--check`'s exit status ({@link fileCounts}). */
export function groupDiffers(r: GroupReport): boolean {
  return r.files.some(fileCounts) || r.beside.some(besideCounts) || r.lxc.some((l) => l.status !== "same");
}

/** Options of {@link fileReport}. */
export interface FileReportOptions {
  /** Secret values that are only placeholders (secret files holding one are not compared). */
  readonly placeholders?: readonly string[];
  /** `neve-infra:adoption.files`: path -> `sha256:<hex>` of the live content the operator accepted replacing. */
  readonly acknowledged?: Readonly<Record<string, string>>;
  /** Differences in meaning for the files a reader knows (stacks/discover/hostfiles `meaningDiffOf`). */
  readonly meaning?: MeaningDiff;
}

/**
 * One group's managed files compared with the facts: unified diffs live -> declared, mode/owner/group
 * lines, the raw lxc lines; secret files only as same/differs/absent. `differs` is true when anything
 * compared differs (secret files left unchecked do not count).
 */
export function fileReport(group: HostGroup, facts: LiveFacts, opts: FileReportOptions = {}): { lines: string[]; differs: boolean } {
  const r = compareGroup(group, facts, opts.placeholders, opts.acknowledged, opts.meaning);
  return { lines: formatGroup(r), differs: groupDiffers(r) };
}

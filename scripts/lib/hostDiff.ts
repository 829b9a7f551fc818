/**
 * host-diff: compare what the program declares for the host (HostConfig files, LxcRawConfig raw lines)
 * with what is live there today, before the first `pulumi up` creates those resources.
 *
 * READ-ONLY on the host: one SSH connection and one exec per host, whose command only runs `test`,
 * `sha256sum`, `stat`, `base64`, `printf` and `echo` on the managed paths. Nothing is written, moved,
 * stashed, reloaded or restarted there.
 *
 * Secret files (flagged `secret`, or whose content is a Pulumi secret) are compared by the sha256 of the
 * live file against the sha256 of the declared content, in memory only: neither their content nor
 * either hash is ever printed.
 */
import { createHash } from "crypto";
import { createTwoFilesPatch } from "diff";
import { close, connect, exec, shellQuote, type SshSession } from "../../providers/ssh";
import { canonicalRawLxcLine, extractLxcRawLines, isRawLxcLine, lxcConfigPath } from "../../stacks/render/lxcRaw";
import type { CapturedResource } from "./mockRunner";
import type { SecretKey } from "../../stacks/config/secrets";
import { isSecretValue, unwrapSecret } from "./secretValue";

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

/** An error host-diff reports with exit code 2 (its message is safe to print). */
export class HostDiffError extends Error {}

const DEFAULT_MODE = "0644";

/**
 * Group every HostConfig file and LxcRawConfig declaration of a program run by connection host.
 * Throws {@link HostDiffError} for a resource whose connection or files are not plain values.
 */
export function collectDeclared(resources: readonly CapturedResource[]): HostGroup[] {
  const groups = new Map<string, { target: HostTarget; files: DeclaredFile[]; lxc: DeclaredLxc[] }>();
  const groupOf = (r: CapturedResource) => {
    const c = unwrapSecret(r.inputs.connection) as Record<string, unknown> | undefined;
    if (!c || typeof c !== "object" || typeof c.host !== "string" || typeof c.hostKey !== "string") {
      throw new HostDiffError(`${r.name}: its connection has no plain host and hostKey (ssh.host / ssh.hostKey in the stack)`);
    }
    const target: HostTarget = {
      host: c.host,
      port: typeof c.port === "number" ? c.port : 22,
      username: typeof c.username === "string" ? c.username : "root",
      hostKey: c.hostKey,
    };
    const key = `${target.username}@${target.host}:${target.port} ${target.hostKey}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { target, files: [], lxc: [] }));
    return g;
  };
  for (const r of resources) {
    if (r.type === HOSTCONFIG_TYPE) {
      const files = unwrapSecret(r.inputs.files);
      if (!Array.isArray(files)) throw new HostDiffError(`${r.name}: files is not a list`);
      const g = groupOf(r);
      for (const raw of files) {
        const wrapped = isSecretValue(raw);
        const f = unwrapSecret(raw) as Record<string, unknown>;
        const content = unwrapSecret(f.content);
        if (typeof f.path !== "string" || typeof content !== "string") throw new HostDiffError(`${r.name}: a file has no path or content`);
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
      if (typeof vmid !== "number" || !Array.isArray(rawLines)) throw new HostDiffError(`${r.name}: vmid or rawLines is not a plain value`);
      groupOf(r).lxc.push({ resource: r.name, vmid, rawLines: rawLines.map(String) });
    }
  }
  return [...groups.values()];
}

/** One path the probe reads, and whether its content comes back. */
export interface ProbeItem {
  /** Absolute path on the host. */
  readonly path: string;
  /** True to return the content (never for secret files). */
  readonly content: boolean;
}

/** What the probe found at one path. */
export type LiveEntry =
  | { readonly state: "absent" }
  | { readonly state: "notfile" }
  | { readonly state: "unreadable" }
  | {
      readonly state: "file";
      /** Mode as four octal digits. */
      readonly mode: string;
      readonly owner: string;
      readonly group: string;
      /** sha256 (hex) of the live bytes. */
      readonly sha256: string;
      /** Live content (UTF-8), only when it was asked for. */
      readonly content?: string;
    };

const MARK = "@@host-diff";

/**
 * The one read-only command that reports every item: a "@@host-diff <i> ..." line per item, the content
 * base64-framed between "<i> content" and "<i> end" when asked for, and a final "@@host-diff done" so a
 * cut-short answer is detected. Paths are shell-quoted; nothing here creates, changes or removes a file.
 * Wrapped in `sh -c` so the remote user's login shell (whatever it is) only starts a POSIX shell.
 */
export function buildProbeCommand(items: readonly ProbeItem[]): string {
  const L = ["LC_ALL=C; export LC_ALL"];
  items.forEach((it, i) => {
    const p = shellQuote(it.path);
    const body = [
      `h=$(sha256sum 2>/dev/null < ${p}) && s=$(stat -c '%a:%U:%G' -- ${p} 2>/dev/null) || { echo '${MARK} ${i} unreadable'; }`,
      `[ -n "$s" ] && [ -n "$h" ] && printf '${MARK} ${i} file %s %s\\n' "\${h%% *}" "$s"`,
    ];
    if (it.content) body.push(`[ -n "$s" ] && [ -n "$h" ] && { echo '${MARK} ${i} content'; base64 2>/dev/null < ${p}; echo '${MARK} ${i} end'; }`);
    L.push(
      `h=; s=; if [ -f ${p} ]; then ${body.join("; ")}; elif [ -e ${p} ] || [ -L ${p} ]; then echo '${MARK} ${i} notfile'; else echo '${MARK} ${i} absent'; fi`,
    );
  });
  L.push(`echo '${MARK} done'`);
  return `sh -c ${shellQuote(L.join("\n"))}`;
}

/** Parse the probe's stdout into one entry per item. Throws {@link HostDiffError} on an incomplete answer. */
export function parseProbeOutput(stdout: string, items: readonly ProbeItem[], where: string): LiveEntry[] {
  const lines = stdout.split("\n");
  const found = new Map<number, LiveEntry>();
  let done = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (!line.startsWith(MARK + " ")) continue;
    const f = line.slice(MARK.length + 1).split(" ");
    if (f[0] === "done") {
      done = true;
      continue;
    }
    const i = Number(f[0]);
    if (!Number.isInteger(i) || i < 0 || i >= items.length) continue;
    switch (f[1]) {
      case "absent":
      case "notfile":
      case "unreadable":
        found.set(i, { state: f[1] });
        break;
      case "file": {
        const [mode, owner, group] = (f[3] ?? "").split(":");
        found.set(i, { state: "file", sha256: f[2], mode: mode.padStart(4, "0"), owner, group });
        break;
      }
      case "content": {
        const b64: string[] = [];
        for (k++; k < lines.length && lines[k] !== `${MARK} ${i} end`; k++) b64.push(lines[k]);
        const prev = found.get(i);
        if (prev && prev.state === "file") found.set(i, { ...prev, content: Buffer.from(b64.join(""), "base64").toString("utf8") });
        break;
      }
      default:
        break;
    }
  }
  const missing = items.findIndex((_, i) => !found.has(i));
  if (!done || missing !== -1) {
    throw new HostDiffError(`the read-only probe on ${where} answered incompletely (${missing === -1 ? "no end marker" : `nothing for ${items[missing].path}`}); nothing was compared`);
  }
  return items.map((_, i) => found.get(i)!);
}

/** Outcome for one declared file. */
export type FileStatus = "same" | "differs" | "absent" | "notfile" | "unreadable" | "unverified";

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
}

/** The comparison of one container's raw lxc lines. */
export interface LxcReport {
  /** The declaration. */
  readonly declared: DeclaredLxc;
  /** "same", "differs", "absent" (no config file), or not a regular / readable file. */
  readonly status: "same" | "differs" | "absent" | "notfile" | "unreadable";
  /** Raw lines found in the main section (when the config was read). */
  readonly live?: readonly string[];
  /** Unified diff of the raw lines, live -> declared. */
  readonly patch?: string;
}

/** Everything found on one host. */
export interface HostReport {
  /** "user@host:port". */
  readonly where: string;
  /** Per declared file. */
  readonly files: readonly FileReport[];
  /** Per declared container. */
  readonly lxc: readonly LxcReport[];
}

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/**
 * Compare one host's declarations with the probe's entries (files first, then one entry per container
 * config). `unverified` names secret files whose declared content holds only a placeholder secret.
 */
export function compareHost(where: string, group: HostGroup, live: readonly LiveEntry[], placeholders: readonly string[] = []): HostReport {
  const files = group.files.map((d, i): FileReport => {
    const e = live[i];
    if (d.secret && placeholders.some((p) => p !== "" && d.content.includes(p))) {
      return { declared: d, status: "unverified", contentDiffers: false, metadata: [] };
    }
    if (e.state !== "file") {
      const patch = e.state === "absent" && !d.secret ? createTwoFilesPatch(`live:${d.path}`, `declared:${d.path}`, "", d.content, "(absent)", undefined) : undefined;
      return { declared: d, status: e.state, contentDiffers: true, metadata: [], patch };
    }
    const metadata: string[] = [];
    const mode = d.mode.padStart(4, "0");
    if (e.mode !== mode) metadata.push(`mode live ${e.mode}, declared ${mode}`);
    if (e.owner !== d.owner) metadata.push(`owner live ${e.owner}, declared ${d.owner}`);
    if (e.group !== d.group) metadata.push(`group live ${e.group}, declared ${d.group}`);
    const contentDiffers = e.sha256 !== sha256(d.content);
    const patch =
      contentDiffers && !d.secret && e.content !== undefined
        ? createTwoFilesPatch(`live:${d.path}`, `declared:${d.path}`, e.content, d.content)
        : undefined;
    return { declared: d, status: contentDiffers || metadata.length > 0 ? "differs" : "same", contentDiffers, metadata, patch };
  });
  const lxc = group.lxc.map((d, j): LxcReport => {
    const e = live[group.files.length + j];
    if (e.state !== "file") return { declared: d, status: e.state };
    const found = extractLxcRawLines(e.content ?? "");
    // Both sides as Proxmox writes them back: "lxc.key = v" and "lxc.key: v" are the same line.
    const declared = d.rawLines.map((l) => (isRawLxcLine(l) ? canonicalRawLxcLine(l) : l));
    const same = found.length === declared.length && found.every((l, k) => l === declared[k]);
    const path = lxcConfigPath(d.vmid);
    const text = (ls: readonly string[]) => (ls.length ? ls.join("\n") + "\n" : "");
    return {
      declared: d,
      status: same ? "same" : "differs",
      live: found,
      patch: same ? undefined : createTwoFilesPatch(`live:${path}`, `declared:${path}`, text(found), text(d.rawLines), "raw lxc lines", "raw lxc lines"),
    };
  });
  return { where, files, lxc };
}

/** How to reach the hosts, overriding the declared connection. */
export interface ConnectOptions {
  /** Connect here instead of the declared host (only when one host is declared). */
  readonly host?: string;
  /** Connect to this port instead of the declared one. */
  readonly port?: number;
  /** Pin this host key instead of the declared one. */
  readonly hostKey?: string;
  /** Private key text; when absent the agent at SSH_AUTH_SOCK is used. Never printed. */
  readonly privateKey?: string;
  /** Handshake timeout in ms. Defaults to 15000. */
  readonly connectTimeoutMs?: number;
  /** Secret values in play (for `unverified` detection and scrubbing): placeholders and real ones. */
  readonly placeholders?: readonly string[];
}

/** Probe each host (one connection, one exec) and compare. Throws {@link HostDiffError} on any failure. */
export async function probeHosts(groups: readonly HostGroup[], opts: ConnectOptions = {}): Promise<HostReport[]> {
  if (groups.length > 1 && (opts.host !== undefined || opts.port !== undefined || opts.hostKey !== undefined)) {
    throw new HostDiffError(`--host, --port and --host-key apply to one host, but the stack declares ${groups.length}; leave them out`);
  }
  const reports: HostReport[] = [];
  for (const g of groups) {
    const target = {
      host: opts.host ?? g.target.host,
      port: opts.port ?? g.target.port,
      username: g.target.username,
      hostKey: opts.hostKey ?? g.target.hostKey,
      privateKey: opts.privateKey ?? null,
      connectTimeoutMs: opts.connectTimeoutMs,
    };
    const items: ProbeItem[] = [
      ...g.files.map((f) => ({ path: f.path, content: !f.secret })),
      ...g.lxc.map((l) => ({ path: lxcConfigPath(l.vmid), content: true })),
    ];
    let session: SshSession;
    try {
      session = await connect(target);
    } catch (e) {
      throw new HostDiffError(
        (e as Error).message
          .replace(/connection\.privateKey \(as a Pulumi secret\)/g, "--key FILE")
          .replace(/connection\.privateKey/g, "--key FILE")
          .replace(/ where pulumi runs/g, "")
          .replace(/connection\.hostKey/g, "ssh.hostKey (or --host-key)"),
      );
    }
    try {
      const r = await exec(session, buildProbeCommand(items), { label: "host-diff's read-only probe", timeoutMs: 60000 });
      if (r.code !== 0) throw new HostDiffError(`host-diff's read-only probe on ${session.where} exited with ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
      reports.push(compareHost(session.where, g, parseProbeOutput(r.stdout, items, session.where), opts.placeholders));
    } catch (e) {
      throw e instanceof HostDiffError ? e : new HostDiffError((e as Error).message);
    } finally {
      close(session);
    }
  }
  return reports;
}

/** Counts over all hosts. */
export interface DiffSummary {
  same: number;
  differ: number;
  absent: number;
  unverified: number;
  lxcSame: number;
  lxcDiffer: number;
}

/** Count outcomes. */
export function summarize(reports: readonly HostReport[]): DiffSummary {
  const s: DiffSummary = { same: 0, differ: 0, absent: 0, unverified: 0, lxcSame: 0, lxcDiffer: 0 };
  for (const r of reports) {
    for (const f of r.files) {
      if (f.status === "same") s.same++;
      else if (f.status === "absent") s.absent++;
      else if (f.status === "unverified") s.unverified++;
      else s.differ++;
    }
    for (const l of r.lxc) {
      if (l.status === "same") s.lxcSame++;
      else s.lxcDiffer++;
    }
  }
  return s;
}

/** Exit code for a set of reports: 0 when everything compared matches, 1 when anything differs. */
export function exitCodeOf(reports: readonly HostReport[]): 0 | 1 {
  const s = summarize(reports);
  return s.differ + s.absent + s.lxcDiffer > 0 ? 1 : 0;
}

const STATUS_TEXT: Record<FileStatus, string> = {
  same: "same",
  differs: "differs",
  absent: "absent",
  notfile: "not a regular file",
  unreadable: "unreadable",
  unverified: "unchecked",
};

/** Human-readable report: a line per file, its unified diff and attribute differences, then a summary. */
export function formatReports(reports: readonly HostReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.where}: ${r.files.length} files, ${r.lxc.length} container configs`);
    for (const f of r.files) {
      const d = f.declared;
      let line = `  ${STATUS_TEXT[f.status].padEnd(9)} ${d.path} (${d.resource})`;
      if (d.secret) {
        line += f.status === "unverified"
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
      for (const m of f.metadata) out.push(`            ${m}`);
      if (f.patch) out.push(f.patch.trimEnd());
    }
    for (const l of r.lxc) {
      const path = lxcConfigPath(l.declared.vmid);
      const what =
        l.status === "absent" ? `${"absent".padEnd(9)} ${path} (${l.declared.resource}) [no such container config]` : `${(l.status === "notfile" ? "not a regular file" : l.status).padEnd(9)} ${path} (${l.declared.resource}) [raw lxc lines of the main section]`;
      out.push(`  ${what}`);
      if (l.patch) out.push(l.patch.trimEnd());
    }
  }
  const s = summarize(reports);
  const parts = [`${s.same} same`, `${s.differ} differ`, `${s.absent} absent`];
  if (s.unverified) parts.push(`${s.unverified} secret unchecked`);
  parts.push(`container raw lxc lines: ${s.lxcSame} same, ${s.lxcDiffer} differ or absent`);
  out.push("", `Summary: ${parts.join(", ")}. ${exitCodeOf(reports) === 0 ? "Everything compared matches." : "The first `pulumi up` would change the host."}`);
  return out.join("\n") + "\n";
}

/** Replace every secret value (and private key) in a text with "[secret]". */
export function scrub(text: string, secrets: readonly string[]): string {
  let t = text;
  for (const v of secrets) if (v && v.length >= 4) t = t.split(v).join("[secret]");
  return t;
}

/** The program's declarations for host-diff, from one program run. */
export interface Declared {
  /** Declarations grouped by host. */
  readonly groups: readonly HostGroup[];
  /** Every secret value the program was given (placeholder or real), for scrubbing output. */
  readonly secretValues: readonly string[];
  /** The placeholder secret values (secrets not given): secret files holding one are not compared. */
  readonly placeholders: readonly string[];
}

/** Options of {@link loadDeclared}. */
export interface LoadOptions {
  /** Stack file. Defaults to the repository's Pulumi.neve.yaml. */
  readonly stackFile?: string;
  /** Pin this host key as ssh.hostKey (for a stack that pins none yet); the program validates it. */
  readonly hostKey?: string;
  /** Real secret values to render secret files with (else placeholders, and those files are not compared). */
  readonly secrets?: Partial<Record<SecretKey, string>>;
}

/**
 * Run the program under Pulumi's mocks (once per process / jest module registry, see mockRunner) and
 * collect its host declarations. A stack without ssh.hostKey fails with the program's own error unless
 * `hostKey` is given: never a placeholder, never trust on first use.
 */
export async function loadDeclared(opts: LoadOptions = {}): Promise<Declared> {
  const { runProgram } = await import("./mockRunner");
  const { readStackConfig, DEFAULT_STACK_FILE } = await import("./stackFile");
  const { CONFIG_NAMESPACE } = await import("../../stacks/config/secrets");
  const stackFile = opts.stackFile ?? DEFAULT_STACK_FILE;
  const configOverrides: Record<string, unknown> = {};
  if (opts.hostKey !== undefined) {
    const ssh = readStackConfig(stackFile)[`${CONFIG_NAMESPACE}:ssh`];
    configOverrides.ssh = { ...(ssh && typeof ssh === "object" ? ssh : {}), hostKey: opts.hostKey };
  }
  const run = await runProgram({ stackFile, configOverrides, secrets: opts.secrets, placeholderHostKey: false });
  const given = new Set(Object.keys(opts.secrets ?? {}));
  const entries = Object.entries(run.secretValues) as [string, string][];
  return {
    groups: collectDeclared(run.resources),
    secretValues: entries.map(([, v]) => v),
    placeholders: entries.filter(([k]) => !given.has(k)).map(([, v]) => v),
  };
}

/** Result of {@link runHostDiff}: what to print and the exit code. */
export interface HostDiffResult {
  /** 0 everything matches, 1 something differs, 2 error. */
  readonly code: 0 | 1 | 2;
  /** The report (empty on error). */
  readonly stdout: string;
  /** The error message (empty unless code 2). */
  readonly stderr: string;
}

/**
 * Probe every declared host read-only and report. Never throws for an expected failure (unreachable,
 * host key mismatch, auth refused, incomplete answer): that is code 2 with a message free of key
 * material and secret content.
 */
export async function runHostDiff(declared: Declared, opts: ConnectOptions = {}): Promise<HostDiffResult> {
  const secrets = [...declared.secretValues, ...(opts.privateKey ? [opts.privateKey] : [])];
  try {
    const reports = await probeHosts(declared.groups, { ...opts, placeholders: declared.placeholders });
    return { code: exitCodeOf(reports), stdout: scrub(formatReports(reports), secrets), stderr: "" };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { code: 2, stdout: "", stderr: scrub(`host-diff: ${msg}\n`, secrets) };
  }
}

/**
 * The host files comparison, per host, as a library (the `npm run host-diff` command is gone:
 * `npm run discover -- --check` prints the same comparison in its "host files" section): what the
 * program declares for the host (HostConfig files, LxcRawConfig raw lines) against what is live there.
 *
 * READ-ONLY on the host: one SSH connection and one exec per host, discover's read
 * (scripts/lib/discover/read.ts), which also reads the managed paths; the comparison is
 * scripts/lib/discover/files.ts. Nothing is written, moved, stashed, reloaded or restarted there.
 *
 * Secret files (flagged `secret`, or whose content is a Pulumi secret) are compared by the sha256 of the
 * live file against the sha256 of the declared content, in memory only: neither their content nor
 * either hash is ever printed.
 */
import { redact } from "../../providers/common/provider";
import type { SecretKey } from "../../stacks/config/secrets";
import { type DeclaredHosts, loadDeclaredHosts } from "./discover/declared";
import { compareGroup, type FileReport, formatGroup, type HostGroup, type LxcReport, requestedFiles } from "./discover/files";
import { DiscoverError as HostDiffError } from "./discover/probe";
import { readLive } from "./discover/read";

export {
  collectDeclared,
  type DeclaredFile,
  type DeclaredLxc,
  type FileReport,
  type FileStatus,
  HOSTCONFIG_TYPE,
  type HostGroup,
  type HostTarget,
  LXCRAW_TYPE,
  type LxcReport,
} from "./discover/files";
/** An error host-diff reports with exit code 2 (its message is safe to print): discover's. */
export { DiscoverError as HostDiffError } from "./discover/probe";

/** Everything found on one host. */
export interface HostReport {
  /** "user@host:port". */
  readonly where: string;
  /** Per declared file. */
  readonly files: readonly FileReport[];
  /** Per declared container. */
  readonly lxc: readonly LxcReport[];
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
  /** Proxmox node name (container configs are read under /etc/pve/nodes/<node>/lxc): the stack's proxmox.nodeName. */
  readonly node?: string;
}

/** Probe each host (one connection, one exec) and compare. Throws {@link HostDiffError} on any failure. */
export async function probeHosts(groups: readonly HostGroup[], opts: ConnectOptions = {}): Promise<HostReport[]> {
  if (groups.length > 1 && (opts.host !== undefined || opts.port !== undefined || opts.hostKey !== undefined)) {
    throw new HostDiffError(`--host, --port and --host-key apply to one host, but the stack declares ${groups.length}; leave them out`);
  }
  const node = opts.node;
  if (node === undefined)
    throw new HostDiffError("no Proxmox node name: set proxmox.nodeName in the stack (container configs are read under /etc/pve/nodes/<node>)");
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
    const facts = await readLive({ kind: "ssh", ...target, privateKey: target.privateKey ?? undefined }, { node, files: requestedFiles(g) });
    const where = facts.source.replace(/^ssh:\/\//, "");
    reports.push({ where, ...compareGroup(g, facts, opts.placeholders) });
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

/** Human-readable report: a line per file, its unified diff and attribute differences, then a summary. */
export function formatReports(reports: readonly HostReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.where}: ${r.files.length} files, ${r.lxc.length} container configs`);
    out.push(...formatGroup(r));
  }
  const s = summarize(reports);
  const parts = [`${s.same} same`, `${s.differ} differ`, `${s.absent} absent`];
  if (s.unverified) parts.push(`${s.unverified} secret unchecked`);
  parts.push(`container raw lxc lines: ${s.lxcSame} same, ${s.lxcDiffer} differ or absent`);
  out.push("", `Summary: ${parts.join(", ")}. ${exitCodeOf(reports) === 0 ? "Everything compared matches." : "The first `pulumi up` would change the host."}`);
  return `${out.join("\n")}\n`;
}

/** The program's declarations for host-diff, from one program run. */
export interface Declared extends DeclaredHosts {
  /** The stack's Proxmox node name (proxmox.nodeName): container configs are read under /etc/pve/nodes/<node>. */
  readonly node?: string;
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
 * The program's host declarations (discover's loader) plus the node name. A stack without
 * ssh.hostKey fails with the program's own error unless `hostKey` is given: never a placeholder,
 * never trust on first use.
 */
export async function loadDeclared(opts: LoadOptions = {}): Promise<Declared> {
  const { readStackConfig, DEFAULT_STACK_FILE } = await import("./stackFile");
  const { CONFIG_NAMESPACE } = await import("../../stacks/config/secrets");
  const stackFile = opts.stackFile ?? DEFAULT_STACK_FILE;
  const declared = await loadDeclaredHosts({ stackFile, hostKey: opts.hostKey, secrets: opts.secrets, placeholderHostKey: false });
  const proxmox = readStackConfig(stackFile)[`${CONFIG_NAMESPACE}:proxmox`] as { nodeName?: unknown } | undefined;
  return { ...declared, node: typeof proxmox?.nodeName === "string" ? proxmox.nodeName : undefined };
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
    const reports = await probeHosts(declared.groups, { node: declared.node, ...opts, placeholders: declared.placeholders });
    return { code: exitCodeOf(reports), stdout: redact(formatReports(reports), secrets), stderr: "" };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { code: 2, stdout: "", stderr: redact(`host-diff: ${msg}\n`, secrets) };
  }
}

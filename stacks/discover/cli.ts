/**
 * `npm run discover`: argument parsing and the three modes (print, --check, --write) over the reader
 * (./read.ts), the mapping (./vocab.ts), the comparison (./check.ts, ./files.ts) and the writer
 * (./write.ts). scripts/discover.ts only calls {@link main}.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { redact } from "../../providers/common/provider";
import { UsageError } from "../../scripts/lib/cli";
import { DEFAULT_STACK_FILE } from "../../scripts/lib/stackFile";
import { ConfigError } from "../config/errors";
import type { NeveModel } from "../config/model";
import { SECRET_KEYS, type SecretKey } from "../config/secrets";
import { type AdoptRequest, parseAdopt } from "./adopt";
import { besideOf } from "./beside";
import { checkResult, checkStack, formatCheck } from "./check";
import { type DeclaredHosts, loadDeclaredHosts } from "./declared";
import { DiscoverError, type ReadTarget, readLive } from "./read";
import { type LiveVocabulary, liveVocabulary, NFTABLES_CONF } from "./vocab";
import { modelFromText, WriteRefusedError, writeStack } from "./write";

export const USAGE =
  "usage: npm run discover [-- --check | --write [--adopt KIND:ID ...]] [--config FILE] [--root DIR | --key FILE --host H --port P --host-key K] [--secret KEY=FILE] [--acknowledge-file PATH ...]";

/** Parsed arguments. */
export interface DiscoverArgs {
  readonly mode: "print" | "check" | "write";
  readonly stackFile: string;
  readonly root?: string;
  readonly keyFile?: string;
  readonly host?: string;
  readonly port?: number;
  readonly hostKey?: string;
  readonly secretFiles: Partial<Record<SecretKey, string>>;
  /** `--acknowledge-file PATH` (repeatable, --write only): managed host files whose live content the up may replace. */
  readonly acknowledgeFiles: readonly string[];
  /** `--adopt KIND:ID` (repeatable, --write only): declared objects on the host to add to a recorded adoption.live. */
  readonly adopt: readonly AdoptRequest[];
}

/**
 * A usage error (exit 2): the one class of the repo's commands (scripts/lib/cli.ts). The parser below stays
 * discover's own: the shared `parseFlags` knows switches and path flags given once, and discover has value
 * flags (--host, --port, --secret KEY=FILE) and a repeatable --adopt, with messages of their own.
 */
export { UsageError };

/** Parse argv (after `--`). Throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): DiscoverArgs {
  let mode: DiscoverArgs["mode"] = "print";
  const adopt: AdoptRequest[] = [];
  const a: { -readonly [K in keyof DiscoverArgs]: DiscoverArgs[K] } = { mode, stackFile: DEFAULT_STACK_FILE, secretFiles: {}, acknowledgeFiles: [], adopt };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--check":
      case "--write":
        if (mode !== "print") throw new UsageError(`--check and --write exclude each other; ${USAGE}`);
        mode = flag === "--check" ? "check" : "write";
        break;
      case "--config":
        a.stackFile = path.resolve(value());
        break;
      case "--root":
        a.root = path.resolve(value());
        break;
      case "--key":
        a.keyFile = path.resolve(value());
        break;
      case "--host":
        a.host = value();
        break;
      case "--port": {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--port must be an integer 1-65535, got ${JSON.stringify(v)}`);
        a.port = Number(v);
        break;
      }
      case "--host-key":
        a.hostKey = value();
        break;
      case "--secret": {
        const v = value();
        const k = v.indexOf("=");
        const key = v.slice(0, k) as SecretKey;
        if (k <= 0 || !SECRET_KEYS.includes(key)) throw new UsageError(`--secret takes KEY=FILE with KEY one of ${SECRET_KEYS.join(", ")}`);
        a.secretFiles[key] = path.resolve(v.slice(k + 1));
        break;
      }
      case "--fail-on-files":
        // Accepted, no effect: differing host files always count now (docs/discover.md).
        break;
      case "--acknowledge-file": {
        const v = value();
        if (!v.startsWith("/"))
          throw new UsageError(`--acknowledge-file takes the absolute host path of a managed file as --check prints it, got ${JSON.stringify(v)}`);
        a.acknowledgeFiles = [...a.acknowledgeFiles, v];
        break;
      }
      case "--adopt": {
        const v = value();
        try {
          adopt.push(parseAdopt(v));
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      }
      default:
        throw new UsageError(`unknown argument "${arg}"; ${USAGE}`);
    }
  }
  if (a.root !== undefined && (a.keyFile !== undefined || a.host !== undefined || a.port !== undefined || a.hostKey !== undefined)) {
    throw new UsageError("--root reads copies of the files; --key, --host, --port and --host-key are for SSH: leave them out");
  }
  if (adopt.length && mode !== "write") {
    throw new UsageError("--adopt adds objects to adoption.live in the stack file, so it goes with --write (npm run discover -- --write --adopt guest:1207)");
  }
  if (a.acknowledgeFiles.length && mode !== "write") {
    throw new UsageError(
      "--acknowledge-file records the live file's hash in the stack file, so it goes with --write (npm run discover -- --write --acknowledge-file /etc/haproxy/haproxy.cfg)",
    );
  }
  return { ...a, mode };
}

/** Read a file the operator named; the error names the option and the path, never the content. */
function readNamed(option: string, file: string): string {
  return readNamedBytes(option, file).toString("utf8");
}

function readNamedBytes(option: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${option} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Where to read, from the arguments and the stack's `ssh` section (host key pinned, never TOFU). */
export function targetOf(args: DiscoverArgs, model: NeveModel, privateKey: string | undefined): ReadTarget {
  if (args.root !== undefined) return { kind: "root", dir: args.root };
  const hostKey = args.hostKey ?? model.ssh.hostKey;
  if (hostKey === undefined) {
    throw new UsageError(
      "ssh.hostKey is not pinned (no trust on first use): on the host run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`, then `pulumi config set --path neve-infra:ssh.hostKey SHA256:...` or pass --host-key SHA256:...",
    );
  }
  return { kind: "ssh", host: args.host ?? model.ssh.host, port: args.port ?? model.ssh.port, username: model.ssh.user, hostKey, privateKey };
}

/** The live vocabulary as the stack-shaped YAML that `discover` prints without flags. */
export function vocabularyYaml(v: LiveVocabulary): string {
  const drop = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).filter(
        ([, x]) =>
          x !== undefined && !(Array.isArray(x) && x.length === 0) && !(x && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length === 0),
      ),
    );
  const doc = {
    guests: Object.fromEntries(v.guests.map((g) => [g.name, drop({ ...g.fields, pending: g.pending })])),
    storage: Object.fromEntries(v.storage.map((s) => [s.id, drop(s.fields)])),
    backups: Object.fromEntries(v.jobs.map((j) => [j.id, drop({ ...j.fields, guests: j.fields.vmids, vmids: undefined })])),
    network: {
      bridges: Object.fromEntries(
        v.bridges.map((b) => [b.name, drop({ ...b.fields, nat: v.nat.some((n) => n.bridge === b.name) ? "interfaces" : undefined })]),
      ),
      natInInterfaces: v.nat.map((n) => n.where),
      forwardingSetElsewhere: v.forwarding.map((f) => `${f.key}=${f.value} (${f.where})`),
    },
    firewall: v.firewall
      ? {
          enabled: v.firewall.enabled,
          inputPolicy: v.firewall.inputPolicy,
          outputPolicy: v.firewall.outputPolicy,
          rules: v.firewall.rules.map((r) => drop({ ...r, raw: r.unexpressed ? r.raw : undefined })),
          otherSections: v.firewall.otherSections,
        }
      : undefined,
  };
  return `# Live facts of node ${v.node} from ${v.source}, in the vocabulary of Pulumi.neve.yaml (guests.<name>, storage.<id>, ...).\n# backups.<id>.guests are Proxmox ids here. Read-only: nothing was changed on the host.\n${stringify(doc, { flowCollectionPadding: false, lineWidth: 0 })}`;
}

/** Output streams (replaceable in tests). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** ISO 8601 now, for adoption.discoveredAt. */
  now(): string;
  /**
   * Test hook of `--write`: called after the temp file is written, before the stack file is compared
   * with what was read and the temp renamed over it (a test makes a kill or an edit happen exactly there).
   */
  afterTempWrite?(tmp: string): void;
}

/** The temp file a `--write` of `stackFile` by process `pid` writes beside it before the rename. */
export function tempFileOf(stackFile: string, pid: number): string {
  return `${stackFile}.discover-${pid}.tmp`;
}

/** True while a process with this id runs (EPERM: it runs, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove the temp files ({@link tempFileOf}) that a `--write` killed between its write and its rename
 * left beside the stack file: those whose process is gone (or is this one, from an earlier run under the
 * same id). A temp of a `--write` still running is left to it. Returns the removed paths.
 */
export function removeStaleTemps(stackFile: string, alive: (pid: number) => boolean = processAlive): string[] {
  const dir = path.dirname(stackFile);
  const base = path.basename(stackFile);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(`${base}.discover-`) || !n.endsWith(".tmp")) continue;
    const pid = n.slice(base.length + ".discover-".length, -".tmp".length);
    if (!/^\d+$/.test(pid) || (Number(pid) !== process.pid && alive(Number(pid)))) continue;
    fs.rmSync(path.join(dir, n), { force: true });
    removed.push(path.join(dir, n));
  }
  return removed;
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

/**
 * Put `text` in place of the stack file: a temp beside it, then (only if the stack file still holds the
 * bytes read, sha256 `readSha`) a rename over it. Refuses (WriteRefusedError, the temp removed) when the
 * file changed since it was read: an edit made while discover read the host is never overwritten.
 */
function replaceStackFile(stackFile: string, shown: string, text: string, readSha: string, io: Io): void {
  const tmp = tempFileOf(stackFile, process.pid);
  try {
    fs.writeFileSync(tmp, text);
    io.afterTempWrite?.(tmp);
    let now: string;
    try {
      now = sha256(fs.readFileSync(stackFile));
    } catch (e) {
      now = `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    if (now !== readSha) {
      throw new WriteRefusedError(
        `${shown} changed while discover was reading the host (sha256 ${readSha.slice(0, 12)} when read, ${/^[0-9a-f]{64}$/.test(now) ? now.slice(0, 12) : now} now), so it was not written and the change made meanwhile is kept. ` +
          "Run discover --write again: it starts from the file as it is now",
      );
    }
    fs.renameSync(tmp, stackFile);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Run discover; returns the exit code (0, 1, 2). Never throws for an expected failure. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let args: DiscoverArgs;
  let text: string;
  let model: NeveModel;
  let privateKey: string | undefined;
  const secrets: Partial<Record<SecretKey, string>> = {};
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.err(`discover: ${(e as Error).message}\n`);
    return 2;
  }
  const shown = path.relative(process.cwd(), args.stackFile) || args.stackFile;
  for (const t of removeStaleTemps(args.stackFile))
    io.err(`discover: removed ${path.relative(process.cwd(), t) || t}, left by a --write that was stopped before its rename\n`);
  let readSha: string;
  try {
    const bytes = readNamedBytes("--config", args.stackFile);
    readSha = sha256(bytes);
    text = bytes.toString("utf8");
    if (args.keyFile) privateKey = readNamed("--key", args.keyFile);
    for (const [k, f] of Object.entries(args.secretFiles) as [SecretKey, string][]) secrets[k] = readNamed(`--secret ${k}=`, f).replace(/\r?\n$/, "");
    // Not yet the recorded-fact markers: --write writes them (./write.ts writeRecorded), and its result is checked in full.
    model = modelFromText(text, { skipRecorded: true });
  } catch (e) {
    // The yaml package's parse errors carry their line and column but not the file.
    const notYaml = (e as Error).name === "YAMLParseError" ? `${shown} is not valid YAML (fix it, or restore it with git checkout): ` : "";
    io.err(`discover: ${e instanceof ConfigError ? `${shown}: ` : notYaml}${(e as Error).message}\n`);
    return 2;
  }
  const scrubList = () => [...Object.values(secrets), privateKey ?? ""];
  try {
    const target = targetOf(args, model, privateKey);
    let files: Array<{ path: string; secret: boolean }> = [];
    let declared: DeclaredHosts | undefined;
    if ((args.mode === "check" || args.acknowledgeFiles.length) && model.hostServices.enabled) {
      // With --root nothing connects: the offline plan's placeholder host key is enough.
      declared = await loadDeclaredHosts({
        stackFile: args.stackFile,
        hostKey: args.hostKey,
        secrets,
        placeholderHostKey: args.root !== undefined,
        markRecorded: true,
      });
      if (declared.groups.length > 1) throw new UsageError(`the stack declares host files on ${declared.groups.length} hosts; discover reads one`);
      const { requestedFiles } = await import("./files");
      files = declared.groups.length ? requestedFiles(declared.groups[0]) : [];
    }
    if (args.mode === "write" && model.hostServices.enabled) {
      // --write states what the managed files carry (./hostfiles); secret files are never among them.
      const { hostFilePaths } = await import("./hostfiles");
      for (const p of hostFilePaths(model)) if (!files.some((f) => f.path === p)) files = [...files, { path: p, secret: false }];
    }
    for (const p of args.acknowledgeFiles) {
      // A managed file, or one beside a managed file (./beside.ts: kept knowingly).
      if (
        !files.some((f) => f.path === p) &&
        !besideOf(
          p,
          files.map((f) => f.path),
        )
      ) {
        const managed = files.map((f) => f.path).join(", ") || "none (hostServices.enabled: false)";
        throw new UsageError(
          `--acknowledge-file ${p}: neither a host file the stack manages nor one beside a managed file (--check names those as "beside"); managed files: ${managed}`,
        );
      }
    }
    // A NAT may also live in Debian's nftables ruleset: read it too (it holds no secret), in every mode.
    if (!files.some((f) => f.path === NFTABLES_CONF)) files = [...files, { path: NFTABLES_CONF, secret: false }];
    const facts = await readLive(target, { node: model.proxmox.nodeName, files });
    const live = liveVocabulary(facts);
    switch (args.mode) {
      case "print":
        io.out(vocabularyYaml(live));
        return 0;
      case "check": {
        const report = checkStack(model, live);
        io.out(`discover --check of ${shown} against ${facts.source} (read-only)\n\n`);
        io.out(formatCheck(report, false));
        let filesDiffer = false;
        if (declared?.groups.length) {
          const { fileReport } = await import("./files");
          const { meaningDiffOf } = await import("./hostfiles");
          const r = fileReport(declared.groups[0], facts, {
            placeholders: declared.placeholders,
            acknowledged: model.adoption.files,
            meaning: meaningDiffOf(model),
          });
          filesDiffer = r.differs;
          io.out(
            "\nHost files (the first up replaces each differing file, stashing the original first; counted in the exit status unless equal in meaning or acknowledged at the live content's hash, absent files are creations):\n",
          );
          io.out(redact(`${r.lines.join("\n")}\n`, [...declared.secretValues, ...scrubList()]));
        } else {
          io.out("\nHost files: none declared (hostServices.enabled: false).\n");
        }
        io.out(`\n${checkResult(report.code, filesDiffer)}\n`);
        return report.code === 1 || filesDiffer ? 1 : 0;
      }
      case "write": {
        const acknowledgeFiles: Record<string, string> = {};
        for (const p of args.acknowledgeFiles) {
          const e = facts.files[p] ?? facts.beside?.[p];
          if (e?.kind !== "file" || !e.sha256)
            throw new UsageError(`--acknowledge-file ${p}: the host has no readable regular file there (${e?.kind ?? "not read"}); nothing to acknowledge`);
          acknowledgeFiles[p] = `sha256:${e.sha256}`;
        }
        const result = writeStack(text, model, live, { now: io.now(), adopt: args.adopt, acknowledgeFiles, hostFiles: facts.files });
        if (result.text !== text) replaceStackFile(args.stackFile, shown, result.text, readSha, io);
        io.out(`discover --write: ${shown} ${result.text === text ? "unchanged" : "updated"} from ${facts.source}\n`);
        for (const c of result.choices) io.out(`  ${c}\n`);
        io.out("\n--check of the written file (host files: run --check):\n");
        io.out(formatCheck(result.after));
        return result.after.code;
      }
      default: {
        const never: never = args.mode;
        throw new Error(`unknown mode ${String(never)}`);
      }
    }
  } catch (e) {
    const known = e instanceof DiscoverError || e instanceof UsageError || e instanceof WriteRefusedError || e instanceof ConfigError;
    io.err(redact(`discover: ${known ? (e as Error).message : `failed: ${(e as Error).stack ?? String(e)}`}\n`, scrubList()));
    return 2;
  }
}

/**
 * readLive: what `npm run discover` knows about a Proxmox host, read over ONE pinned SSH connection
 * with ONE read-only exec, or from a directory of copies (`--root DIR`), and parsed into {@link LiveFacts}.
 * Which files and how they are read: ./probe.ts (over SSH) and ./root.ts (--root). How each is parsed: ./parse/*.ts.
 */
import { close, connect, exec, isOutputLimitError, partialStdoutOf, type SshSession } from "../../providers/ssh";
import type { GuestFacts, HostFileFacts, LiveFacts } from "./facts";
import { parseFirewall } from "./parse/firewall";
import { parseGuestConf } from "./parse/guestConf";
import { parseInterfaces } from "./parse/interfaces";
import { duplicateSections, parseSectionConfig } from "./parse/sectionConfig";
import { parseSysctl } from "./parse/sysctl";
import {
  answerLimitBytes,
  buildReadCommand,
  DiscoverError,
  INTERFACES,
  limitMessage,
  parseReadOutput,
  type RawRead,
  type RawRecord,
  READ_LIMIT_BYTES,
  ReadLimitError,
} from "./probe";
import { readRoot } from "./root";

export { DiscoverError, READ_LIMIT_BYTES, ReadLimitError } from "./probe";

/** Where to read: a host over SSH (host key pinned, no trust on first use) or a directory of copies. */
export type ReadTarget =
  | {
      kind: "ssh";
      host: string;
      port: number;
      username: string;
      /** Pinned host key: "SHA256:..." or a key line. */
      hostKey: string;
      /** Private key text; when absent the agent at SSH_AUTH_SOCK is used. Never printed. */
      privateKey?: string;
      /** Handshake timeout in ms. Defaults to 15000. */
      connectTimeoutMs?: number;
    }
  | { kind: "root"; dir: string };

/** What to read besides the Proxmox files every read covers. */
export interface ReadRequest {
  /** Proxmox node name: guest configs are read under /etc/pve/nodes/<node>/ */
  node: string;
  /** Managed host files to read as well (HostConfig files); secret ones only by sha256, never content. */
  files: ReadonlyArray<{ path: string; secret: boolean }>;
  /** Most bytes of file content one read holds (docs/discover.md "Size limit"). Defaults to {@link READ_LIMIT_BYTES}. */
  limitBytes?: number;
}

/** Message of the connect error in discover's words (options instead of the provider's input names). */
function connectMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e))
    .replace(/connection\.privateKey \(as a Pulumi secret\)/g, "--key FILE")
    .replace(/connection\.privateKey/g, "--key FILE")
    .replace(/ where pulumi runs/g, "")
    .replace(/connection\.hostKey/g, "ssh.hostKey (or --host-key)");
}

/** One read-only SSH exec (or a directory of copies): everything discover needs. Throws DiscoverError (message safe to print). */
export async function readLive(target: ReadTarget, request: ReadRequest): Promise<LiveFacts> {
  if (target.kind === "root") {
    return assembleFacts(readRoot(target.dir, request), request, `root:${target.dir}`);
  }
  const command = buildReadCommand(request); // validates the request before any connection
  let session: SshSession;
  try {
    session = await connect({
      host: target.host,
      port: target.port,
      username: target.username,
      hostKey: target.hostKey,
      privateKey: target.privateKey ?? null,
      connectTimeoutMs: target.connectTimeoutMs,
    });
  } catch (e) {
    throw new DiscoverError(connectMessage(e));
  }
  const limit = request.limitBytes ?? READ_LIMIT_BYTES;
  try {
    const r = await exec(session, command, { label: "discover's read-only read", timeoutMs: 120000, maxStdoutBytes: answerLimitBytes(limit) });
    if (r.code !== 0) throw new DiscoverError(`discover's read-only read on ${session.where} exited with ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    return assembleFacts(parseReadOutput(r.stdout, session.where, limit), request, `ssh://${session.where}`);
  } catch (e) {
    if (isOutputLimitError(e)) {
      // Only headers can pass the answer's limit before the content limit (the script stops there): name the file in progress.
      const last = [...partialStdoutOf(e).matchAll(/^@@discover \S+ (\S+) /gm)].pop();
      const at = last ? Buffer.from(last[1], "base64").toString("utf8") : "the first file";
      throw new ReadLimitError(`${limitMessage(`ssh://${session.where}`, limit, at)} (the answer passed ${answerLimitBytes(limit)} bytes)`);
    }
    throw e instanceof DiscoverError ? e : new DiscoverError((e as Error).message);
  } finally {
    close(session);
  }
}

/** What a record's state means, in a sentence after its path. */
const STATE_TEXT: Record<Exclude<RawRecord["state"], "file" | "absent">, string> = {
  notfile: "is not a regular file",
  broken: "is a symbolic link that does not resolve (dangling, or a loop)",
  unreadable: "cannot be read (permissions or I/O)",
  refused: "resolves into /etc/pve/priv, which discover never reads",
  notdir: "is not a directory",
};

/** Is this a guest config Proxmox reads (`<vmid>.conf`)? Other names there are not guests and are skipped. */
const guestVmid = (r: RawRecord) => /\/(\d+)\.conf$/.exec(r.path)?.[1];

/**
 * Everything discover cannot read or parse, one line each naming the file (and the line): a file that is
 * not a regular file, a link that does not resolve, a directory it cannot list, bytes that are not
 * UTF-8 text or hold a NUL, a section id twice in storage.cfg or jobs.cfg. Managed host files that are
 * not regular files are reported by `--check` itself (they are replaced by the first up), not here.
 */
function readProblems(raw: RawRead): string[] {
  const out: string[] = [];
  for (const r of raw.records) {
    if (r.tag === "dir") {
      out.push(
        `${r.path}/ ${r.state === "unreadable" ? "is a directory discover cannot list (permissions): the files in it would be missed" : STATE_TEXT[r.state as "notdir"]}`,
      );
      continue;
    }
    if ((r.tag === "qemu" || r.tag === "lxc") && guestVmid(r) === undefined) continue;
    if (r.state === "absent") continue;
    if (r.state !== "file") {
      // Managed and beside files that are not regular files are counted by --check itself (./files.ts).
      if (r.tag !== "file" && r.tag !== "beside") out.push(`${r.path} ${STATE_TEXT[r.state]}`);
      continue;
    }
    if (r.notText !== undefined) {
      out.push(`${r.path} ${r.notText}`);
      continue;
    }
    if ((r.tag === "qemu" || r.tag === "lxc") && r.content !== undefined) {
      const g = parseGuestConf(r.content, Number(guestVmid(r)), r.tag);
      for (const [n, line] of lineNumbers(r.content, g.unparsed ?? [], (l) => l.replace(/\r$/, ""))) {
        out.push(
          `${r.path} line ${n}: ${JSON.stringify(line)} is not a line Proxmox can parse (${r.tag === "qemu" ? "qemu-server" : "pve-container"} skips it with "unable to parse config"); discover does not guess what it meant: fix or remove it`,
        );
      }
    }
    if ((r.tag === "firewall" || r.tag === "hostfw" || r.tag === "guestfw") && r.content !== undefined) {
      for (const [n, line] of lineNumbers(r.content, parseFirewall(r.content).unparsed ?? [], (l) => l.replace(/^[ \t]+|[ \t\r]+$/g, ""))) {
        out.push(
          `${r.path} line ${n}: ${JSON.stringify(line)} is not a line pve-firewall can parse (it skips it with a warning); discover does not guess what it meant: fix or remove it`,
        );
      }
    }
    if ((r.tag === "storage" || r.tag === "jobs") && r.content !== undefined) {
      for (const d of duplicateSections(r.content)) {
        out.push(
          `${r.path} line ${d.line}: a second section with the id ${d.id} (the first is at line ${d.firstLine}); Proxmox keeps only the last one and drops the other without a word (pve-common SectionConfig.pm parse_config): remove or rename one`,
        );
      }
    }
  }
  return out;
}

/** The line numbers (from 1) of `items`, lines of `text` in order as `norm` gives them. */
function lineNumbers(text: string, items: readonly string[], norm: (line: string) => string): Array<[number, string]> {
  const lines = text.split("\n");
  const out: Array<[number, string]> = [];
  let k = 0;
  for (const item of items) {
    while (k < lines.length && norm(lines[k]) !== item) k++;
    out.push([k < lines.length ? k + 1 : 0, item]);
    k++;
  }
  return out;
}

/** Content of a Proxmox file record (its problems were refused before): undefined when absent. */
function textOf(r: RawRecord | undefined): string | undefined {
  if (r?.state !== "file") return undefined;
  return r.content ?? "";
}

/** Parse a raw read into LiveFacts. Exported for tests. */
export function assembleFacts(raw: RawRead, request: ReadRequest, source: string): LiveFacts {
  const problems = readProblems(raw);
  if (problems.length) {
    throw new DiscoverError(
      `${source}: discover cannot read ${problems.length === 1 ? "this" : `these ${problems.length}`}, so it reports nothing (fix ${problems.length === 1 ? "it" : "each"} on the host, then run discover again):\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
  }
  if (!raw.nodePresent) {
    if (!raw.nodes.length) {
      // Not a node-name problem: /etc/pve/nodes is empty or absent, so this is not (a copy of) a Proxmox host's files.
      throw new DiscoverError(
        `${source}: /etc/pve/nodes/${request.node} does not exist (no node directories there at all): with --root, DIR must hold copies of the host's files at their host paths (DIR/etc/pve/nodes/${request.node}/...); over SSH, /etc/pve is empty while pve-cluster (pmxcfs) is not running`,
      );
    }
    throw new DiscoverError(
      `${source}: /etc/pve/nodes/${request.node} does not exist (nodes there: ${raw.nodes.join(", ")}); set proxmox.nodeName in the stack to the host's node name`,
    );
  }
  const guests: GuestFacts[] = [];
  for (const r of raw.records) {
    if (r.tag !== "qemu" && r.tag !== "lxc") continue;
    const vmid = guestVmid(r);
    if (vmid === undefined) continue; // not a guest config (Proxmox only writes <vmid>.conf there)
    const text = textOf(r);
    if (text === undefined) continue;
    guests.push(parseGuestConf(text, Number(vmid), r.tag));
  }
  guests.sort((a, b) => a.vmid - b.vmid || a.kind.localeCompare(b.kind));
  const one = (tag: RawRecord["tag"]) => textOf(raw.records.find((r) => r.tag === tag));
  const storage = one("storage");
  const jobs = one("jobs");
  const firewall = one("firewall");
  const staged = one("staged");
  const hostFirewall = one("hostfw");
  const guestFirewalls = raw.records
    .filter((r) => r.tag === "guestfw" && r.state === "file" && r.content !== undefined)
    .map((r) => ({ vmid: Number(/\/(\d+)\.fw$/.exec(r.path)?.[1]), path: r.path, fw: parseFirewall(r.content as string) }))
    .filter((g) => Number.isInteger(g.vmid))
    .sort((a, b) => a.vmid - b.vmid);
  const texts = (tag: RawRecord["tag"]) => raw.records.filter((r) => r.tag === tag && r.state === "file").map((r) => ({ path: r.path, text: r.content ?? "" }));
  const files: Record<string, HostFileFacts> = {};
  const beside: Record<string, HostFileFacts> = {};
  for (const r of raw.records.filter((x) => x.tag === "file" || x.tag === "beside")) {
    const secret = r.tag === "beside" || (request.files.find((f) => f.path === r.path)?.secret ?? true);
    const into = r.tag === "beside" ? beside : files;
    if (r.tag === "beside" && r.state === "absent") continue;
    if (r.state === "file") {
      into[r.path] = {
        path: r.path,
        exists: true,
        kind: "file",
        ...(secret ? {} : { content: r.content ?? "" }),
        sha256: r.sha256,
        mode: r.mode,
        owner: r.owner,
        group: r.group,
      };
    } else if (r.state === "absent") {
      into[r.path] = { path: r.path, exists: false, kind: "absent" };
    } else {
      into[r.path] = {
        path: r.path,
        exists: false,
        kind: "other",
        ...(r.state === "notfile" ? {} : { problem: r.state as "unreadable" | "refused" | "broken" }),
      };
    }
  }
  return {
    node: request.node,
    source,
    guests,
    storage: storage === undefined ? [] : parseSectionConfig(storage),
    jobs: jobs === undefined ? [] : parseSectionConfig(jobs),
    ...(firewall === undefined ? {} : { firewall: parseFirewall(firewall) }),
    ...(hostFirewall === undefined ? {} : { hostFirewall: parseFirewall(hostFirewall) }),
    ...(guestFirewalls.length ? { guestFirewalls } : {}),
    network: {
      ...parseInterfaces(texts("net")),
      ...(staged === undefined ? {} : { staged: { text: staged, current: texts("net").find((t) => t.path === INTERFACES)?.text ?? "" } }),
    },
    sysctl: parseSysctl(texts("sysctl")),
    ...(raw.runtime ? { sysctlRuntime: raw.runtime } : {}),
    files,
    beside,
  };
}

/**
 * readLive: what `npm run discover` knows about a Proxmox host, read over ONE pinned SSH connection
 * with ONE read-only exec, or from a directory of copies (`--root DIR`), and parsed into {@link LiveFacts}.
 * Which files and how they are read: ./probe.ts (over SSH) and ./root.ts (--root). How each is parsed: ./parse/*.ts.
 */
import { close, connect, exec, type SshSession } from "../../../providers/ssh";
import type { GuestFacts, HostFileFacts, LiveFacts } from "./facts";
import { parseFirewall } from "./parse/firewall";
import { parseGuestConf } from "./parse/guestConf";
import { parseInterfaces } from "./parse/interfaces";
import { parseSectionConfig } from "./parse/sectionConfig";
import { parseSysctl } from "./parse/sysctl";
import { buildReadCommand, DiscoverError, INTERFACES, parseReadOutput, type RawRead, type RawRecord } from "./probe";
import { readRoot } from "./root";

export { DiscoverError } from "./probe";

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
  try {
    const r = await exec(session, command, { label: "discover's read-only read", timeoutMs: 120000 });
    if (r.code !== 0) throw new DiscoverError(`discover's read-only read on ${session.where} exited with ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    return assembleFacts(parseReadOutput(r.stdout, session.where), request, `ssh://${session.where}`);
  } catch (e) {
    throw e instanceof DiscoverError ? e : new DiscoverError((e as Error).message);
  } finally {
    close(session);
  }
}

/** Content of a Proxmox file record: "" when absent; unreadable or not a file is an error (the facts would be wrong). */
function textOf(r: RawRecord | undefined, where: string): string | undefined {
  if (!r || r.state === "absent") return undefined;
  if (r.state !== "file") {
    throw new DiscoverError(
      `${where}: ${r.path} is ${r.state === "notfile" ? "not a regular file" : r.state}; discover cannot report it (check the path on the host)`,
    );
  }
  return r.content ?? "";
}

/** Parse a raw read into LiveFacts. Exported for tests. */
export function assembleFacts(raw: RawRead, request: ReadRequest, source: string): LiveFacts {
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
    const m = /\/(\d+)\.conf$/.exec(r.path);
    if (!m) continue; // not a guest config (Proxmox only writes <vmid>.conf there)
    const text = textOf(r, source);
    if (text === undefined) continue;
    guests.push(parseGuestConf(text, Number(m[1]), r.tag));
  }
  guests.sort((a, b) => a.vmid - b.vmid || a.kind.localeCompare(b.kind));
  const one = (tag: RawRecord["tag"]) =>
    textOf(
      raw.records.find((r) => r.tag === tag),
      source,
    );
  const storage = one("storage");
  const jobs = one("jobs");
  const firewall = one("firewall");
  const staged = one("staged");
  const texts = (tag: RawRecord["tag"]) => raw.records.filter((r) => r.tag === tag && r.state === "file").map((r) => ({ path: r.path, text: r.content ?? "" }));
  const files: Record<string, HostFileFacts> = {};
  for (const r of raw.records.filter((x) => x.tag === "file")) {
    const secret = request.files.find((f) => f.path === r.path)?.secret ?? true;
    if (r.state === "file") {
      files[r.path] = {
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
      files[r.path] = { path: r.path, exists: false, kind: "absent" };
    } else {
      files[r.path] = { path: r.path, exists: false, kind: "other", ...(r.state === "notfile" ? {} : { problem: r.state }) };
    }
  }
  return {
    node: request.node,
    source,
    guests,
    storage: storage === undefined ? [] : parseSectionConfig(storage),
    jobs: jobs === undefined ? [] : parseSectionConfig(jobs),
    ...(firewall === undefined ? {} : { firewall: parseFirewall(firewall) }),
    network: {
      ...parseInterfaces(texts("net")),
      ...(staged === undefined ? {} : { staged: { text: staged, current: texts("net").find((t) => t.path === INTERFACES)?.text ?? "" } }),
    },
    sysctl: parseSysctl(texts("sysctl")),
    ...(raw.runtime ? { sysctlRuntime: raw.runtime } : {}),
    files,
  };
}

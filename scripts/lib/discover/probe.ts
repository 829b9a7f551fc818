/**
 * The reading half of discover, below the parsers: which host files are read and how.
 *
 * Two readers that must agree (tests/host/discover-read.test.ts proves it on the same tree):
 * - {@link buildReadCommand}: ONE read-only shell command for ONE SSH exec. It only runs `test`, `cat`
 *   (of /proc/sys forwarding keys), `sed` (to find `source` lines), `readlink -f`, `stat`, `sha256sum`,
 *   `base64`, `tr` and `printf`; it creates, changes and removes nothing.
 * - `readRoot` (./root.ts): the same files under a directory of copies (`--root DIR`), with Node's fs, read only.
 *
 * Framing of the command's answer (robust against any file content: contents travel base64-encoded,
 * and base64 never contains "@"): one header line per file
 *   `@@discover <tag> <base64 path> file <sha256> <mode>:<owner>:<group> [content]`
 *   (or `... absent` / `notfile` / `unreadable` / `refused`), the content as base64 lines closed by
 *   `@@discover end`, and last `@@discover done <number of files>`. A cut-short answer (no `done`, a
 *   count that does not match, an open content block, or content whose sha256 is not the announced one)
 *   is refused by {@link parseReadOutput}.
 *
 * Never read: /etc/pve/priv. The command reads no fixed path there; a requested path under it is
 * refused before anything is sent ({@link checkRequest}), and a requested path that resolves into it
 * through a symbolic link is reported `refused` by the command itself (`readlink -f`), unread.
 * Secret requested files travel as sha256 only, never their content.
 */
import { createHash } from "node:crypto";
import { shellQuote } from "../../../providers/ssh";

/** An error discover reports with exit code 2; its message is safe to print. */
export class DiscoverError extends Error {}

/** Which reader produced a record, i.e. what the file is. */
export type RecordTag = "qemu" | "lxc" | "storage" | "jobs" | "firewall" | "net" | "staged" | "sysctl" | "file";
const TAGS: readonly RecordTag[] = ["qemu", "lxc", "storage", "jobs", "firewall", "net", "staged", "sysctl", "file"];

/** What the reader found at one path. */
export interface RawRecord {
  /** What the file is. */
  readonly tag: RecordTag;
  /** Host path (absolute, as on the host, also with --root). */
  readonly path: string;
  /** `file` (a regular file, symbolic links followed), `absent`, `notfile`, `unreadable` or `refused`. */
  readonly state: "file" | "absent" | "notfile" | "unreadable" | "refused";
  /** sha256 (hex) of the bytes, for `file`. */
  readonly sha256?: string;
  /** Octal mode as four digits, owner and group names, for `file`. */
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
  /** UTF-8 content, for `file` records whose content was asked for. */
  readonly content?: string;
}

/** Everything one read returned, before parsing. */
export interface RawRead {
  /** Whether /etc/pve/nodes/<node> exists. */
  readonly nodePresent: boolean;
  /** Node names found under /etc/pve/nodes (for the error when the node is wrong). */
  readonly nodes: readonly string[];
  /** Records in reading order. */
  readonly records: readonly RawRecord[];
  /** Live kernel values of the forwarding keys (SSH only). */
  readonly runtime?: Readonly<Record<string, string>>;
}

/** What to read (see read.ts ReadRequest). */
export interface ProbeRequest {
  readonly node: string;
  readonly files: ReadonlyArray<{ path: string; secret: boolean }>;
}

/** Fixed Proxmox files, in reading order. */
export const PVE_FILES: ReadonlyArray<{ tag: RecordTag; path: string }> = [
  { tag: "storage", path: "/etc/pve/storage.cfg" },
  { tag: "jobs", path: "/etc/pve/jobs.cfg" },
  { tag: "firewall", path: "/etc/pve/firewall/cluster.fw" },
];
/** The main network file; what it sources is read after it. */
export const INTERFACES = "/etc/network/interfaces";
/**
 * Network changes staged in the Proxmox UI (or API) but not applied: pve-common src/PVE/INotify.pm
 * (`$shadowfiles`) writes /etc/network/interfaces there; read with its content (tag `staged`), it holds no secret.
 */
export const INTERFACES_NEW = "/etc/network/interfaces.new";
/** sysctl files: /etc/sysctl.d/*.conf in name order, then /etc/sysctl.conf (procps `sysctl --system` reads it last). */
export const SYSCTL_DIR = "/etc/sysctl.d";
export const SYSCTL_CONF = "/etc/sysctl.conf";
/** Kernel forwarding keys whose live values are read over SSH. */
export const RUNTIME_KEYS = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] as const;

/** Proxmox's private directory (keys, tokens): never read. */
export const PRIV = "/etc/pve/priv";
const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MARK = "@@discover";

/** True when a host path is /etc/pve/priv or below it. */
export function isPrivPath(p: string): boolean {
  return p === PRIV || p.startsWith(`${PRIV}/`);
}

/** Refuse a request discover must not send: a bad node name, a relative or odd path, anything under /etc/pve/priv. */
export function checkRequest(request: ProbeRequest): void {
  if (typeof request.node !== "string" || !NODE_NAME.test(request.node)) {
    throw new DiscoverError(`node ${JSON.stringify(request.node)} is not a Proxmox node name (letters, digits, '-'); set proxmox.nodeName in the stack`);
  }
  request.files.forEach((f, i) => {
    const p = f.path;
    if (typeof p !== "string" || !p.startsWith("/") || /[\0\n\r]/.test(p) || p.split("/").some((s) => s === "." || s === "..")) {
      throw new DiscoverError(`files[${i}].path ${JSON.stringify(p)} must be an absolute host path without "." or ".." segments or line breaks`);
    }
    if (isPrivPath(p.replace(/\/+/g, "/").replace(/\/$/, ""))) {
      throw new DiscoverError(`files[${i}].path ${p} lies under ${PRIV}, which discover never reads (it holds Proxmox's keys); remove it from the request`);
    }
  });
}

/** The shell script (see the module comment). Exported for tests, which also run it with a local sh. */
export function buildReadScript(request: ProbeRequest): string {
  checkRequest(request);
  const q = shellQuote;
  const L = [
    "LC_ALL=C; export LC_ALL",
    `M=${MARK}; n=0; seen=`,
    `enc() { printf '%s' "$1" | base64 | tr -d '\\n'; }`,
    // rec TAG PATH WITH_CONTENT: one record; never reads a path that resolves into /etc/pve/priv.
    `rec() {
  n=$((n+1)); p=$(enc "$2")
  if [ -f "$2" ]; then
    case "$(readlink -f -- "$2" 2>/dev/null)" in ${PRIV}|${PRIV}/*) printf '%s %s %s refused\\n' "$M" "$1" "$p"; return 0;; esac
    h=$(sha256sum < "$2" 2>/dev/null) && s=$(stat -L -c '%a:%U:%G' -- "$2" 2>/dev/null) || { printf '%s %s %s unreadable\\n' "$M" "$1" "$p"; return 0; }
    if [ "$3" = 1 ]; then
      printf '%s %s %s file %s %s content\\n' "$M" "$1" "$p" "\${h%% *}" "$s"
      base64 < "$2" 2>/dev/null
      printf '%s end\\n' "$M"
    else
      printf '%s %s %s file %s %s\\n' "$M" "$1" "$p" "\${h%% *}" "$s"
    fi
  elif [ -e "$2" ] || [ -L "$2" ]; then printf '%s %s %s notfile\\n' "$M" "$1" "$p"
  else printf '%s %s %s absent\\n' "$M" "$1" "$p"; fi
}`,
    // net FILE: the file, then (depth first, in line order) what its source / source-directory lines name:
    // ifupdown2 networkinterfaces.py process_source: a relative glob is taken from the sourcing file's
    // directory and expanded sorted; process_source_directory: every entry of the (globbed) directory,
    // dot files too, in os.listdir order (arbitrary; here: names sorted, dot names after the others).
    // Positional parameters are per call, and loop lists are expanded before a recursive call changes a variable.
    `net() {
  case " $seen " in *" $1 "*) return 0;; esac
  seen="$seen $1"
  rec net "$1" 1
  [ -f "$1" ] || return 0
  t=$(sed -n -e 's/^[[:space:]]*source[[:space:]][[:space:]]*\\([^[:space:]]\\{1,\\}\\).*$/s:\\1/p' -e 's/^[[:space:]]*source-directory[[:space:]][[:space:]]*\\([^[:space:]]\\{1,\\}\\).*$/d:\\1/p' "$1" 2>/dev/null)
  set -f
  for x in $t; do
    set +f
    v=\${x#?:}
    case $v in /*) ;; *) v=\${1%/*}/$v;; esac
    case $x in
      s:*) for g in $v; do [ -e "$g" ] && net "$g"; done;;
      d:*) for sd in $v; do for g in "$sd"/* "$sd"/.[!.]* "$sd"/..?*; do [ -e "$g" ] && net "$g"; done; done;;
    esac
  done
  set +f
}`,
    `N=/etc/pve/nodes/${q(request.node)}`,
    `if [ -d "$N" ]; then printf '%s node present\\n' "$M"; else printf '%s node absent\\n' "$M"; fi`,
    `for d in /etc/pve/nodes/*; do [ -d "$d" ] && printf '%s nodename %s\\n' "$M" "$(enc "\${d##*/}")"; done`,
    `for f in "$N"/qemu-server/*.conf; do [ -e "$f" ] && rec qemu "$f" 1; done`,
    `for f in "$N"/lxc/*.conf; do [ -e "$f" ] && rec lxc "$f" 1; done`,
    ...PVE_FILES.map((f) => `rec ${f.tag} ${q(f.path)} 1`),
    `net ${q(INTERFACES)}`,
    `rec staged ${q(INTERFACES_NEW)} 1`,
    `for f in ${SYSCTL_DIR}/*.conf; do [ -e "$f" ] || continue; [ "$f" -ef ${SYSCTL_CONF} ] && continue; rec sysctl "$f" 1; done`,
    `rec sysctl ${SYSCTL_CONF} 1`,
    ...request.files.map((f) => `rec file ${q(f.path)} ${f.secret ? 0 : 1}`),
    ...RUNTIME_KEYS.map((k) => `v=$(cat /proc/sys/${k.replace(/\./g, "/")} 2>/dev/null) && printf '%s runtime %s %s\\n' "$M" ${k} "$v"`),
    `printf '%s done %s\\n' "$M" "$n"`,
  ];
  return L.join("\n");
}

/**
 * The exec command: the script run by `sh -c`, so the remote user's login shell (whatever it is) only
 * starts a POSIX shell.
 */
export function buildReadCommand(request: ProbeRequest): string {
  return `sh -c ${shellQuote(buildReadScript(request))}`;
}

/** sha256 (hex) of bytes. */
export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/** Parse the command's answer. Throws {@link DiscoverError} on anything incomplete or inconsistent. */
export function parseReadOutput(stdout: string, where: string): RawRead {
  const lines = stdout.split("\n");
  const records: RawRecord[] = [];
  const nodes: string[] = [];
  const runtime: Record<string, string> = {};
  let nodePresent: boolean | undefined;
  let done: number | undefined;
  const fail = (why: string) => new DiscoverError(`the read-only read on ${where} answered incompletely (${why}); nothing was reported, run discover again`);
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (!line.startsWith(`${MARK} `)) continue;
    const f = line.slice(MARK.length + 1).split(" ");
    if (f[0] === "done") {
      done = Number(f[1]);
      continue;
    }
    if (f[0] === "node") {
      nodePresent = f[1] === "present";
      continue;
    }
    if (f[0] === "nodename") {
      nodes.push(b64(f[1] ?? ""));
      continue;
    }
    if (f[0] === "runtime") {
      runtime[f[1]] = (f[2] ?? "").trim();
      continue;
    }
    if (!TAGS.includes(f[0] as RecordTag)) continue;
    const tag = f[0] as RecordTag;
    const p = b64(f[1] ?? "");
    const state = f[2];
    if (state === "absent" || state === "notfile" || state === "unreadable" || state === "refused") {
      records.push({ tag, path: p, state });
      continue;
    }
    if (state !== "file") throw fail(`unknown state for ${p}`);
    const [mode, owner, group] = (f[4] ?? "").split(":");
    const rec = { tag, path: p, state, sha256: f[3], mode: (mode ?? "").padStart(4, "0"), owner, group } as const;
    if (f[5] === "content") {
      const chunks: string[] = [];
      for (k++; k < lines.length && lines[k] !== `${MARK} end`; k++) chunks.push(lines[k]);
      if (k >= lines.length) throw fail(`the content of ${p} is cut short`);
      const bytes = Buffer.from(chunks.join(""), "base64");
      if (sha256(bytes) !== rec.sha256) throw fail(`${p} changed while it was read, or its content is cut short`);
      records.push({ ...rec, content: bytes.toString("utf8") });
    } else {
      records.push(rec);
    }
  }
  if (done === undefined) throw fail("no end marker");
  if (done !== records.length) throw fail(`${records.length} of ${done} files`);
  if (nodePresent === undefined) throw fail("no node line");
  return { nodePresent, nodes, records, runtime };
}

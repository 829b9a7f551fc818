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
 *   (or `... absent` / `notfile` / `broken` / `unreadable` / `refused`), the content as base64 lines closed by
 *   `@@discover end`; a directory discover lists but cannot (`@@discover dir <base64 path> unreadable|notdir|broken`);
 *   and last `@@discover done <number of records>`. Past the size limit ({@link READ_LIMIT_BYTES}) the
 *   command stops with `@@discover limit <base64 path>` (the file that passed it) instead of reading on. A cut-short answer (no `done`, a
 *   count that does not match, an open content block, or content whose sha256 is not the announced one)
 *   is refused by {@link parseReadOutput}.
 *
 * Never read: /etc/pve/priv. The command reads no fixed path there; a requested path under it is
 * refused before anything is sent ({@link checkRequest}), and a requested path that resolves into it
 * through a symbolic link is reported `refused` by the command itself (`readlink -f`), unread.
 * Secret requested files travel as sha256 only, never their content.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { formatBytes, shellQuote } from "../../providers/ssh";
import { besideSources } from "./beside";

/** An error discover reports with exit code 2; its message is safe to print. */
export class DiscoverError extends Error {}

/** Which reader produced a record, i.e. what the file is. */
export type RecordTag = "qemu" | "lxc" | "storage" | "jobs" | "firewall" | "hostfw" | "guestfw" | "net" | "staged" | "sysctl" | "file" | "dir" | "beside";
const TAGS: readonly RecordTag[] = ["qemu", "lxc", "storage", "jobs", "firewall", "hostfw", "guestfw", "net", "staged", "sysctl", "file", "dir", "beside"];

/** What the reader found at one path. */
export interface RawRecord {
  /** What the file is. */
  readonly tag: RecordTag;
  /** Host path (absolute, as on the host, also with --root). */
  readonly path: string;
  /**
   * `file` (a regular file, symbolic links followed), `absent`, `notfile`, `broken` (a symbolic link
   * that does not resolve: dangling, or a loop), `unreadable` or `refused`. For a `dir` record (only
   * written for a directory discover cannot list): `unreadable`, `notdir` or `broken`.
   */
  readonly state: "file" | "absent" | "notfile" | "broken" | "unreadable" | "refused" | "notdir";
  /** sha256 (hex) of the bytes, for `file`. */
  readonly sha256?: string;
  /** Octal mode as four digits, owner and group names, for `file`. */
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
  /** UTF-8 content, for `file` records whose content was asked for (absent when the bytes are not text: see `notText`). */
  readonly content?: string;
  /** Why the bytes are not text discover can read (`line 3: ...`), for `file` records whose content was asked for. */
  readonly notText?: string;
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
  /** Most bytes of file content one read holds. Defaults to {@link READ_LIMIT_BYTES}. */
  readonly limitBytes?: number;
}

/**
 * Most bytes of file content (files read with their content, summed) that one read of discover holds:
 * 64 MiB. neve's files are a few hundred KiB; pmxcfs keeps each file under /etc/pve below 1 MiB and all
 * of them below 128 MiB (proxmox/pve-cluster src/pmxcfs/memdb.h). Past it the read stops and discover
 * exits 2 with its own message (docs/discover.md, "Size limit").
 */
export const READ_LIMIT_BYTES = 64 * 1024 * 1024;

/** The stdout limit of the SSH exec for a read limit: base64 (4/3, a newline every 76 characters) plus the header lines. */
export function answerLimitBytes(limitBytes: number): number {
  return 2 * limitBytes + 1024 * 1024;
}

/** The message of a read that passed its size limit (both readers). */
export function limitMessage(source: string, limitBytes: number, at: string): string {
  return (
    `${source}: the files discover reads passed its limit of ${formatBytes(limitBytes)} of content in one read at ${at}; ` +
    'nothing was reported (the files were not cut: discover stops rather than hold more, docs/discover.md "Size limit"). ' +
    `Proxmox writes no file that large (pmxcfs keeps each file under /etc/pve below 1 MiB): check ${at} on the host`
  );
}

/** A read that passed its size limit. */
export class ReadLimitError extends DiscoverError {}

/**
 * Why bytes are not text discover reads, naming the line: invalid UTF-8 or a NUL byte (a decoder would
 * put replacement characters there, and the values of that line would silently read as absent or wrong).
 * Undefined for UTF-8 text without NUL.
 */
export function notTextReason(bytes: Buffer): string | undefined {
  if (isUtf8(bytes) && !bytes.includes(0)) return undefined;
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    const b = bytes.subarray(start, end);
    const nul = b.indexOf(0);
    if (nul !== -1) return `line ${line} holds a NUL byte (column ${nul + 1}): ${quoteBytes(b)}`;
    if (!isUtf8(b)) return `line ${line} is not UTF-8 text: ${quoteBytes(b)}`;
    start = end + 1;
  }
  return "it is not UTF-8 text";
}

/** A line's bytes as a quoted string, every byte that is not printable UTF-8 as \xNN, at most 120 characters. */
function quoteBytes(b: Buffer): string {
  let out = "";
  for (let i = 0; i < b.length && out.length < 120; ) {
    const c = b[i];
    const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    const seq = b.subarray(i, i + len);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      out += String.fromCharCode(c);
      i++;
    } else if (len > 1 && seq.length === len && isUtf8(seq)) {
      out += seq.toString("utf8");
      i += len;
    } else {
      out += `\\x${c.toString(16).padStart(2, "0")}`;
      i++;
    }
  }
  return `"${out.length >= 120 ? `${out.slice(0, 120)}...` : out}"`;
}

/** The text of content bytes: `content` when they are text, else `notText` (see {@link notTextReason}). */
export function textFields(bytes: Buffer): { content: string } | { notText: string } {
  const why = notTextReason(bytes);
  return why === undefined ? { content: bytes.toString("utf8") } : { notText: why };
}

/** Fixed Proxmox files, in reading order. */
export const PVE_FILES: ReadonlyArray<{ tag: RecordTag; path: string }> = [
  { tag: "storage", path: "/etc/pve/storage.cfg" },
  { tag: "jobs", path: "/etc/pve/jobs.cfg" },
  { tag: "firewall", path: "/etc/pve/firewall/cluster.fw" },
];
/**
 * The firewall directory: cluster.fw (above) and each guest's `<vmid>.fw` (pve-firewall
 * src/PVE/Firewall.pm `load_vmfw_conf`, "$pvefw_conf_dir/$vmid.fw"); the node's own rules are in
 * /etc/pve/nodes/<node>/host.fw (`$hostfw_conf_filename`), both at pve-firewall commit 6f1311f3.
 */
export const FIREWALL_DIR = "/etc/pve/firewall";
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
const RUNTIME_KEYS = ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] as const;

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
    `M=${MARK}; n=0; seen=; total=0; limit=${Math.floor(request.limitBytes ?? READ_LIMIT_BYTES)}`,
    `enc() { printf '%s' "$1" | base64 | tr -d '\\n'; }`,
    // dir PATH: a record only for a directory discover lists but cannot (a glob over it would silently match nothing).
    `dir() {
  if [ -d "$1" ]; then
    [ -r "$1" ] && [ -x "$1" ] && return 0
    n=$((n+1)); printf '%s dir %s unreadable\\n' "$M" "$(enc "$1")"
  elif [ -e "$1" ]; then n=$((n+1)); printf '%s dir %s notdir\\n' "$M" "$(enc "$1")"
  elif [ -L "$1" ]; then n=$((n+1)); printf '%s dir %s broken\\n' "$M" "$(enc "$1")"
  fi
}`,
    // A glob entry that exists, or is a link that does not resolve (reported, not skipped).
    `ent() { [ -e "$1" ] || [ -L "$1" ]; }`,
    // rec TAG PATH WITH_CONTENT: one record; never reads a path that resolves into /etc/pve/priv.
    `rec() {
  n=$((n+1)); p=$(enc "$2")
  if [ -f "$2" ]; then
    case "$(readlink -f -- "$2" 2>/dev/null)" in ${PRIV}|${PRIV}/*) printf '%s %s %s refused\\n' "$M" "$1" "$p"; return 0;; esac
    h=$(sha256sum < "$2" 2>/dev/null) && s=$(stat -L -c '%a:%U:%G:%s' -- "$2" 2>/dev/null) || { printf '%s %s %s unreadable\\n' "$M" "$1" "$p"; return 0; }
    z=\${s##*:}; s=\${s%:*}
    if [ "$3" = 1 ]; then
      total=$((total+z))
      if [ "$total" -gt "$limit" ]; then printf '%s limit %s\\n' "$M" "$p"; exit 0; fi
      printf '%s %s %s file %s %s content\\n' "$M" "$1" "$p" "\${h%% *}" "$s"
      base64 < "$2" 2>/dev/null
      printf '%s end\\n' "$M"
    else
      printf '%s %s %s file %s %s\\n' "$M" "$1" "$p" "\${h%% *}" "$s"
    fi
  elif [ -e "$2" ]; then printf '%s %s %s notfile\\n' "$M" "$1" "$p"
  elif [ -L "$2" ]; then printf '%s %s %s broken\\n' "$M" "$1" "$p"
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
      s:*) for g in $v; do ent "$g" && net "$g"; done;;
      d:*) for sd in $v; do dir "$sd"; for g in "$sd"/* "$sd"/.[!.]* "$sd"/..?*; do ent "$g" && net "$g"; done; done;;
    esac
  done
  set +f
}`,
    `N=/etc/pve/nodes/${q(request.node)}`,
    `if [ -d "$N" ]; then printf '%s node present\\n' "$M"; else printf '%s node absent\\n' "$M"; fi`,
    "dir /etc/pve/nodes",
    `for d in /etc/pve/nodes/*; do [ -d "$d" ] && printf '%s nodename %s\\n' "$M" "$(enc "\${d##*/}")"; done`,
    `dir "$N"/qemu-server`,
    `for f in "$N"/qemu-server/*.conf; do ent "$f" && rec qemu "$f" 1; done`,
    `dir "$N"/lxc`,
    `for f in "$N"/lxc/*.conf; do ent "$f" && rec lxc "$f" 1; done`,
    ...PVE_FILES.map((f) => `rec ${f.tag} ${q(f.path)} 1`),
    `rec hostfw "$N"/host.fw 1`,
    `dir ${FIREWALL_DIR}`,
    `for f in ${FIREWALL_DIR}/*.fw; do case "\${f##*/}" in [0-9]*.fw) ent "$f" && rec guestfw "$f" 1;; esac; done`,
    `net ${q(INTERFACES)}`,
    `rec staged ${q(INTERFACES_NEW)} 1`,
    `dir ${SYSCTL_DIR}`,
    `for f in ${SYSCTL_DIR}/*.conf; do ent "$f" || continue; [ "$f" -ef ${SYSCTL_CONF} ] && continue; rec sysctl "$f" 1; done`,
    `rec sysctl ${SYSCTL_CONF} 1`,
    ...request.files.map((f) => `rec file ${q(f.path)} ${f.secret ? 0 : 1}`),
    // Files beside the managed ones (./beside.ts): names, kinds and hashes only, never their content.
    ...besideSources(request.files.map((f) => f.path)).map(
      (b) => `for f in ${q(b.path)}/* ${q(b.path)}/.[!.]* ${q(b.path)}/..?*; do ent "$f" && rec beside "$f" 0; done`,
    ),
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

/**
 * Parse the command's answer. Throws {@link DiscoverError} on anything incomplete or inconsistent, and
 * a {@link ReadLimitError} when the command stopped at the size limit (`limitBytes`, as in the request).
 */
export function parseReadOutput(stdout: string, where: string, limitBytes: number = READ_LIMIT_BYTES): RawRead {
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
    if (f[0] === "limit") throw new ReadLimitError(limitMessage(`ssh://${where}`, limitBytes, b64(f[1] ?? "")));
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
    if (state === "absent" || state === "notfile" || state === "broken" || state === "unreadable" || state === "refused" || state === "notdir") {
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
      records.push({ ...rec, ...textFields(bytes) });
    } else {
      records.push(rec);
    }
  }
  if (done === undefined) throw fail("no end marker");
  if (done !== records.length) throw fail(`${records.length} of ${done} files`);
  if (nodePresent === undefined) throw fail("no node line");
  return { nodePresent, nodes, records, runtime };
}

/**
 * `--root DIR`: the reads of ./probe.ts's one SSH exec, done with Node's fs on copies at DIR/<host path>
 * (for offline use and tests). Read only: nothing here opens a file for writing, creates or removes one.
 * The same rules as the shell script, so both give the same records (tests/unit/discover-read.test.ts
 * runs both on this machine's files; tests/host/discover-read.test.ts on the test host's): shell glob
 * order (sorted, no dot files), symbolic links followed, `source` resolved as ifupdown2 does, a link into
 * /etc/pve/priv refused unread.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { besideSources } from "./beside";
import { sourceLines } from "./parse/interfaces";
import {
  checkRequest,
  DiscoverError,
  FIREWALL_DIR,
  INTERFACES,
  INTERFACES_NEW,
  isPrivPath,
  limitMessage,
  PRIV,
  type ProbeRequest,
  PVE_FILES,
  type RawRead,
  type RawRecord,
  READ_LIMIT_BYTES,
  ReadLimitError,
  type RecordTag,
  SYSCTL_CONF,
  SYSCTL_DIR,
  sha256,
  textFields,
} from "./probe";

/** uid/gid -> name from DIR/etc/passwd|group, else this machine's, else the number. */
function namer(root: string, file: "passwd" | "group"): (id: number) => string {
  const map = new Map<number, string>();
  for (const candidate of [path.join(root, "etc", file), `/etc/${file}`]) {
    try {
      for (const l of fs.readFileSync(candidate, "utf8").split("\n")) {
        const parts = l.split(":");
        if (parts.length >= 3 && /^\d+$/.test(parts[2]) && !map.has(Number(parts[2]))) map.set(Number(parts[2]), parts[0]);
      }
      break;
    } catch {
      // next candidate
    }
  }
  return (id) => map.get(id) ?? String(id);
}

/** Sorted directory entries (no dot files, as a shell glob), or [] when it is not a readable directory. */
/** `fs.statSync` (following links), or undefined where there is nothing to stat (absent, broken link, no access). */
function statOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => !n.startsWith("."))
      .sort();
  } catch {
    return [];
  }
}

/** Every entry of a directory in the order of the shell's `D/* D/.[!.]* D/..?*`: names sorted, dot names after the others. */
function listAll(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n !== "." && n !== "..");
  } catch {
    return [];
  }
  const plain = names.filter((n) => !n.startsWith(".")).sort();
  const dot = names.filter((n) => n.startsWith(".") && !n.startsWith("..")).sort();
  const dotdot = names.filter((n) => n.startsWith("..")).sort();
  return [...plain, ...dot, ...dotdot];
}

/** Expand a shell glob (`*`, `?`, `[...]` per path segment), sorted; a pattern without a match yields itself. */
export function expandGlob(root: string, pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const segs = pattern.split("/").filter((s, i) => i === 0 || s !== "");
  let paths = [""];
  for (const seg of segs.slice(1)) {
    if (!/[*?[]/.test(seg)) {
      paths = paths.map((p) => `${p}/${seg}`);
      continue;
    }
    const re = new RegExp(
      "^" +
        seg
          .replace(/\[!/g, "[^")
          .replace(/[.+^${}()|\\]/g, (c) => (c === "^" ? "^" : `\\${c}`))
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".") +
        "$",
    );
    paths = paths.flatMap((p) =>
      list(path.join(root, p || "/"))
        .filter((n) => re.test(n))
        .map((n) => `${p}/${n}`),
    );
  }
  return paths.length ? paths : [pattern];
}

/** Read everything {@link buildReadScript} reads, from copies at DIR/<host path>. Never writes. */
export function readRoot(dir: string, request: ProbeRequest): RawRead {
  checkRequest(request);
  const root = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new DiscoverError(`--root ${dir}: no such directory`);
  }
  if (!st.isDirectory()) throw new DiscoverError(`--root ${dir}: not a directory`);
  const userOf = namer(root, "passwd");
  const groupOf = namer(root, "group");
  const at = (p: string) => path.join(root, p);
  const privReal = (() => {
    try {
      return fs.realpathSync(at(PRIV));
    } catch {
      return at(PRIV);
    }
  })();
  const records: RawRecord[] = [];
  const limit = Math.floor(request.limitBytes ?? READ_LIMIT_BYTES);
  let total = 0;
  const lexists = (local: string) => {
    try {
      fs.lstatSync(local);
      return true;
    } catch {
      return false;
    }
  };
  /** The shell's `dir`: a record only for a directory discover lists but cannot. */
  const listable = (p: string) => {
    const local = at(p);
    const s = statOrNone(local);
    if (s?.isDirectory()) {
      try {
        fs.accessSync(local, fs.constants.R_OK | fs.constants.X_OK);
      } catch {
        records.push({ tag: "dir", path: p, state: "unreadable" });
      }
    } else if (s) records.push({ tag: "dir", path: p, state: "notdir" });
    else if (lexists(local)) records.push({ tag: "dir", path: p, state: "broken" });
  };
  /** One record; returns the bytes read (the network reader follows `source` lines even in a file that is not text, as sed does). */
  const rec = (tag: RecordTag, p: string, withContent: boolean): Buffer | undefined => {
    const local = at(p);
    const s = statOrNone(local);
    if (s?.isFile()) {
      let real = local;
      try {
        real = fs.realpathSync(local);
      } catch {
        // keep
      }
      // Refused: into the copy's /etc/pve/priv, or (an absolute link in the copy) into this machine's.
      if (real === privReal || real.startsWith(`${privReal}/`) || isPrivPath(real)) {
        records.push({ tag, path: p, state: "refused" });
        return undefined;
      }
      if (withContent) {
        total += s.size;
        if (total > limit) throw new ReadLimitError(limitMessage(`root:${dir}`, limit, p));
      }
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(local);
      } catch {
        records.push({ tag, path: p, state: "unreadable" });
        return undefined;
      }
      records.push({
        tag,
        path: p,
        state: "file",
        sha256: sha256(bytes),
        mode: (s.mode & 0o7777).toString(8).padStart(4, "0"),
        owner: userOf(s.uid),
        group: groupOf(s.gid),
        ...(withContent ? textFields(bytes) : {}),
      });
      return bytes;
    }
    records.push({ tag, path: p, state: s !== undefined ? "notfile" : lexists(local) ? "broken" : "absent" });
    return undefined;
  };
  /** The shell's `ent`: a glob entry that exists, or a link that does not resolve (reported, not skipped). */
  const exists = (p: string) => lexists(at(p));
  const seen = new Set<string>();
  const net = (p: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    const bytes = rec("net", p, true);
    if (bytes === undefined) return;
    for (const s of sourceLines(bytes.toString("latin1"))) {
      const v = s.arg.startsWith("/") ? s.arg : `${p.slice(0, p.lastIndexOf("/"))}/${s.arg}`;
      if (s.kind === "source") {
        for (const g of expandGlob(root, v)) if (exists(g)) net(g);
      } else {
        for (const d of expandGlob(root, v)) {
          listable(d);
          for (const n of listAll(at(d))) if (exists(`${d}/${n}`)) net(`${d}/${n}`);
        }
      }
    }
  };
  const nodeDir = `/etc/pve/nodes/${request.node}`;
  const isDir = (p: string) => {
    try {
      return fs.statSync(at(p)).isDirectory();
    } catch {
      return false;
    }
  };
  listable("/etc/pve/nodes");
  const nodes = list(at("/etc/pve/nodes")).filter((n) => isDir(`/etc/pve/nodes/${n}`));
  for (const kind of ["qemu-server", "lxc"] as const) {
    listable(`${nodeDir}/${kind}`);
    for (const n of list(at(`${nodeDir}/${kind}`))) {
      if (n.endsWith(".conf") && exists(`${nodeDir}/${kind}/${n}`)) rec(kind === "lxc" ? "lxc" : "qemu", `${nodeDir}/${kind}/${n}`, true);
    }
  }
  for (const f of PVE_FILES) rec(f.tag, f.path, true);
  rec("hostfw", `${nodeDir}/host.fw`, true);
  listable(FIREWALL_DIR);
  for (const n of list(at(FIREWALL_DIR)))
    if (/^[0-9]/.test(n) && n.endsWith(".fw") && exists(`${FIREWALL_DIR}/${n}`)) rec("guestfw", `${FIREWALL_DIR}/${n}`, true);
  net(INTERFACES);
  rec("staged", INTERFACES_NEW, true);
  const sysctlConfReal = (() => {
    try {
      return fs.realpathSync(at(SYSCTL_CONF));
    } catch {
      return undefined;
    }
  })();
  listable(SYSCTL_DIR);
  for (const n of list(at(SYSCTL_DIR))) {
    if (!n.endsWith(".conf") || !exists(`${SYSCTL_DIR}/${n}`)) continue;
    let real: string | undefined;
    try {
      real = fs.realpathSync(at(`${SYSCTL_DIR}/${n}`));
    } catch {
      real = undefined;
    }
    if (real !== undefined && real === sysctlConfReal) continue;
    rec("sysctl", `${SYSCTL_DIR}/${n}`, true);
  }
  rec("sysctl", SYSCTL_CONF, true);
  for (const f of request.files) rec("file", f.path, !f.secret);
  // Files beside the managed ones (./beside.ts), as the shell's loop lists them: names, kinds and hashes only.
  for (const b of besideSources(request.files.map((f) => f.path))) {
    for (const n of listAll(at(b.path))) if (exists(`${b.path}/${n}`)) rec("beside", `${b.path}/${n}`, false);
  }
  return { nodePresent: isDir(nodeDir), nodes, records };
}

/**
 * Parser of a Proxmox guest config: /etc/pve/nodes/<node>/qemu-server/<vmid>.conf and lxc/<vmid>.conf.
 *
 * Follows the parsers Proxmox itself uses (read in the sources, not guessed):
 * - proxmox/qemu-server src/PVE/QemuServer.pm `parse_vm_config` / `write_vm_config`: blank lines skipped;
 *   `[PENDING]` (case-insensitive) opens the pending section, `[special:cloudinit]` / `[special:fleecing]`
 *   a special section, `[name]` (`[a-z][a-z0-9_-]+`, case-insensitive) a snapshot, any other `[...]` an
 *   unknown section whose lines are skipped; `#` lines are the description of the section they are in
 *   (`PVE::Tools::decode_text`: %XX escapes), written first in the section; `description:` is appended
 *   to it; `key: value` with `key` = `[a-z][a-z_-]*\d*`, value trimmed; a later key replaces an earlier one.
 * - proxmox/pve-container src/PVE/LXC/Config.pm `parse_pct_config` / `write_pct_config`: the pending
 *   section is `[pve:pending]`; `lxc.*` keys (`lxc.key: value` or `lxc.key = value`) may repeat and are
 *   kept in order (Proxmox writes them back as `lxc.key: value`, after the other keys); other keys are
 *   `[a-z][a-z_]*\d*`.
 * Values are kept as written (after trimming), without interpretation (see ../facts.ts).
 */
import type { ConfEntries, GuestFacts, SnapshotFacts } from "../facts";

type Kind = GuestFacts["kind"];

/** Section being filled while parsing. */
interface Section {
  readonly type: "main" | "pending" | "snapshot" | "special" | "unknown";
  readonly name: string;
  readonly entries: Array<[string, string]>;
  readonly description: string[];
}

/**
 * `PVE::Tools::decode_text` (proxmox/pve-common src/PVE/Tools.pm): `Encode::decode("utf8", uri_unescape($data))`,
 * i.e. every %XX back to a byte, the bytes read as UTF-8. (`encode_text` escapes control and non-ASCII
 * characters and ':', not '%', so a literal "%41" written by hand also decodes, as in Proxmox.)
 */
export function decodeText(s: string): string {
  if (!s.includes("%")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^%([0-9a-fA-F]{2})/.exec(s.slice(i, i + 3));
    if (m) {
      bytes.push(parseInt(m[1], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

const QEMU_KEY = /^([a-z][a-z_-]*\d*):\s*(.+?)\s*$/;
const LXC_PVE_KEY = /^([a-z][a-z_]*\d*):\s*(.+?)\s*$/;
const LXC_RAW = /^(lxc\.[a-z0-9_\-.]+)(?::|\s*=)\s*(.*?)\s*$/;
const SNAPSHOT = /^\[([a-z][a-z0-9_-]+)\]\s*$/i;
const ANY_SECTION = /^\[([^\]]*)\]\s*$/;

/** Set `key` in a section: a later key replaces an earlier one in place (Perl hash semantics), except `lxc.*`, which repeat. */
function put(entries: Array<[string, string]>, key: string, value: string, repeatable: boolean): void {
  const i = repeatable ? -1 : entries.findIndex(([k]) => k === key);
  if (i === -1) entries.push([key, value]);
  else entries[i] = [key, value];
}

/**
 * Parse the text of one guest config. `vmid` comes from the file name. Lines Proxmox itself would
 * refuse to parse (e.g. `key:` without a value) are kept in `unparsed`, never silently dropped.
 */
export function parseGuestConf(text: string, vmid: number, kind: Kind): GuestFacts {
  const main: Section = { type: "main", name: "", entries: [], description: [] };
  const sections: Section[] = [main];
  const specialSections: string[] = [];
  const unparsed: string[] = [];
  let cur: Section = main;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    if (/^\s*$/.test(line)) continue;
    if (line.startsWith("[")) {
      let next: Section | undefined;
      if (kind === "qemu" ? /^\[PENDING\]\s*$/i.test(line) : /^\[pve:pending\]\s*$/i.test(line)) {
        next = { type: "pending", name: "pending", entries: [], description: [] };
      } else if (kind === "qemu" && /^\[special:(cloudinit|fleecing)\]\s*$/i.test(line)) {
        const name = /^\[([^\]]*)\]/.exec(line)![1];
        specialSections.push(name);
        next = { type: "special", name, entries: [], description: [] };
      } else if (SNAPSHOT.test(line)) {
        next = { type: "snapshot", name: SNAPSHOT.exec(line)![1], entries: [], description: [] };
      } else if (ANY_SECTION.test(line)) {
        // Unknown section (qemu-server skips its lines with a warning): named for diagnostics only.
        const name = ANY_SECTION.exec(line)![1];
        specialSections.push(name);
        next = { type: "unknown", name, entries: [], description: [] };
      }
      if (next) {
        sections.push(next);
        cur = next;
        continue;
      }
    }
    if (cur.type === "unknown") continue;
    const comment = /^#(.*)$/.exec(line);
    if (comment) {
      cur.description.push(decodeText(comment[1]));
      continue;
    }
    const desc = /^description:\s*(.*\S)\s*$/.exec(line);
    if (desc) {
      cur.description.push(decodeText(desc[1]));
      continue;
    }
    const raw = kind === "lxc" ? LXC_RAW.exec(line) : null;
    if (raw) {
      put(cur.entries, raw[1], raw[2], true);
      continue;
    }
    const kv = (kind === "qemu" ? QEMU_KEY : LXC_PVE_KEY).exec(line);
    if (kv) {
      put(cur.entries, kv[1], kv[2], false);
      continue;
    }
    unparsed.push(line);
  }
  const snapshots: SnapshotFacts[] = sections
    .filter((s) => s.type === "snapshot")
    .map((s) => {
      const get = (k: string) => s.entries.find(([key]) => key === k)?.[1];
      const snaptime = get("snaptime");
      return {
        name: s.name,
        ...(get("parent") !== undefined ? { parent: get("parent") } : {}),
        vmstate: get("vmstate") !== undefined,
        ...(snaptime !== undefined && /^\d+$/.test(snaptime) ? { snaptime: Number(snaptime) } : {}),
        entries: s.entries,
      };
    });
  const pending = sections.find((s) => s.type === "pending");
  // qemu-server trims trailing whitespace of the description (`$descr =~ s/\s+$//`).
  const description = main.description.length ? main.description.join("\n").replace(/\s+$/, "") : undefined;
  return {
    vmid,
    kind,
    ...(description !== undefined ? { description } : {}),
    main: main.entries,
    pending: (pending?.entries ?? []) as ConfEntries,
    snapshots,
    specialSections,
    ...(unparsed.length ? { unparsed } : {}),
  };
}

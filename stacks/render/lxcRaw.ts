import { RenderModelError, show } from "./validate";

/** Raw LXC keys to set in the main section of a container's /etc/pve/lxc/<id>.conf. */
export interface LxcRawModel {
  /** Container id, for error messages and the target path, e.g. 201. */
  readonly vmid: number;
  /**
   * Raw lines in the order they should appear, each "lxc.<key>: <value>", e.g.
   * "lxc.apparmor.profile: unconfined". An empty list removes every raw line of the main section.
   */
  readonly rawLines: readonly string[];
}

/** Raw lines that give a privileged container /dev/fuse (char 10:229) and no AppArmor confinement. */
export const FUSE_UNCONFINED_RAW_LINES: readonly string[] = [
  "lxc.apparmor.profile: unconfined",
  "lxc.cgroup2.devices.allow: c 10:229 rwm",
  "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0",
];

/** Path of a container's config on a Proxmox node (pmxcfs). */
export function lxcConfigPath(vmid: number): string {
  return `/etc/pve/lxc/${vmid}.conf`;
}

// Proxmox's own parser accepts "lxc.key: value" and "lxc.key = value".
const RAW_KEY = /^lxc\.[a-z0-9_.-]+\s*[:=]/;
const RAW_LINE = /^lxc\.[a-z0-9][a-z0-9_.-]*: \S.*$/;
// Every section after the main one: snapshots "[name]" and pending changes "[pve:pending]".
const SECTION = /^\[[^\]\s]+\]\s*$/;
const PVE_KEY = /^[a-z][a-z0-9_]*: /;

/** Split a config into its main section and the rest (snapshots, pending changes), both as lines. */
function splitSections(text: string): { main: string[]; rest: string[] } {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let firstSection = lines.findIndex((l) => SECTION.test(l));
  if (firstSection === -1) firstSection = lines.length;
  return { main: lines.slice(0, firstSection), rest: lines.slice(firstSection) };
}

/**
 * The raw lxc.* lines of a config's main section, as written (for drift detection: compare with the
 * desired `rawLines`). Snapshot and pending sections are ignored.
 */
export function extractLxcRawLines(text: string): string[] {
  return splitSections(text).main.filter((l) => RAW_KEY.test(l));
}

/**
 * Return the new text of a container config: `existing` with the raw `lxc.*` lines of its main
 * section replaced by `model.rawLines` (placed after the Proxmox-managed keys, where Proxmox itself
 * writes them). Description comments, every Proxmox-managed key and every later section
 * (snapshots, pending changes) are kept byte for byte. Pure: the same input gives the same output,
 * and a file that already holds the desired lines comes back unchanged.
 *
 * The existing text is only known on the host, so this runs where the file is read (inside the
 * provider's update, `require`d there); it has no dependency besides ./validate.
 */
export function renderLxcRawConfig(existing: string, model: LxcRawModel): string {
  const where = `lxc[${show(model.vmid)}]`;
  if (!Number.isInteger(model.vmid) || model.vmid < 100 || model.vmid > 999999999) {
    throw new RenderModelError(`${where}.vmid`, `must be a Proxmox guest id 100-999999999, got ${show(model.vmid)}`);
  }
  if (!Array.isArray(model.rawLines)) {
    throw new RenderModelError(`${where}.rawLines`, "must be a list of lines (it may be empty)");
  }
  model.rawLines.forEach((line, i) => {
    if (typeof line !== "string" || !RAW_LINE.test(line) || /[\r\n]/.test(line)) {
      throw new RenderModelError(
        `${where}.rawLines[${i}]`,
        `${show(line)} is not a raw LXC line; write one "lxc.<key>: <value>" per entry, e.g. "lxc.apparmor.profile: unconfined"`,
      );
    }
  });
  if (typeof existing !== "string" || existing.includes("\r")) {
    throw new RenderModelError(`${where}.existing`, `${lxcConfigPath(model.vmid)} must be the text Proxmox wrote (LF line ends)`);
  }

  const { main, rest } = splitSections(existing);

  if (!main.some((l) => PVE_KEY.test(l))) {
    throw new RenderModelError(
      `${where}.existing`,
      `${lxcConfigPath(model.vmid)} has no Proxmox keys in its main section (is the container id right?); refusing to write only raw lines`,
    );
  }

  const kept = main.filter((l) => !RAW_KEY.test(l));
  while (kept.length > 0 && kept[kept.length - 1].trim() === "") kept.pop();
  const out = [...kept, ...model.rawLines];
  if (rest.length > 0) out.push("", ...rest);
  return out.join("\n") + "\n";
}

/**
 * The text of a Proxmox container config (/etc/pve/lxc/<vmid>.conf) as far as raw `lxc.*` lines go:
 * which lines Proxmox takes as raw lines, how it writes them, where they live, and the splice that
 * replaces them. Pure (no node module, no secret): serialized into LxcRawConfig's `__provider`, and
 * the one rule the config schema and the renderer import, so the three can never disagree.
 *
 * Source: proxmox/pve-container src/PVE/LXC/Config.pm, `parse_pct_config` reads a raw line with
 * `m/^(lxc\.[a-z0-9_\-\.]+)(:|\s*=)\s*(.*?)\s*$/` (so "lxc.key: value", "lxc.key:value",
 * "lxc.key = value" and "lxc.key=value"; not "lxc.key : value"), and `write_pct_config` writes every
 * one back as "$key: $value" after the Proxmox keys of its section. Which keys Proxmox keeps
 * (`is_valid_lxc_conf_key`) depends on its version and is not checked here.
 */

/** Path of a container's config on a Proxmox node (pmxcfs). */
export function lxcConfigPath(vmid: number): string {
  return `/etc/pve/lxc/${vmid}.conf`;
}

// parse_pct_config's own pattern (see above), anchored on one line.
const RAW_LXC = /^(lxc\.[a-z0-9_\-.]+)(?::|[ \t]*=)[ \t]*(.*?)[ \t]*$/;
// Every section after the main one: snapshots "[name]" and pending changes "[pve:pending]".
const SECTION = /^\[[^\]\s]+\]\s*$/;
const PVE_KEY = /^[a-z][a-z0-9_]*: /;

/** A raw line split as Proxmox splits it. */
export interface RawLxcLine {
  /** "lxc.apparmor.profile" */
  key: string;
  /** The value without surrounding blanks (may be empty: some keys take "" to reset a list). */
  value: string;
}

/** The key and value of a raw `lxc.*` line as Proxmox parses it, or null when Proxmox would not take it as one. */
export function parseRawLxcLine(line: unknown): RawLxcLine | null {
  if (typeof line !== "string" || /[\r\n]/.test(line)) return null;
  const m = RAW_LXC.exec(line);
  return m ? { key: m[1], value: m[2] } : null;
}

/**
 * THE raw lxc line rule, shared by the config schema, the renderer and LxcRawConfig's check: true
 * exactly when Proxmox reads `line` as one raw `lxc.*` entry ("lxc.key: value" or "lxc.key = value").
 */
export function isRawLxcLine(line: unknown): boolean {
  return parseRawLxcLine(line) !== null;
}

/** The line as Proxmox writes it back ("lxc.key: value"); throws for a line that is not a raw lxc line. */
export function canonicalRawLxcLine(line: string): string {
  const p = parseRawLxcLine(line);
  if (!p) throw new Error(`${JSON.stringify(line)} is not a raw LXC line`);
  return `${p.key}: ${p.value}`;
}

/** Why `line` is not a raw lxc line, or null; the reason says how to write it. */
export function rawLxcLineProblem(line: unknown): string | null {
  if (typeof line !== "string") return `must be a string "lxc.<key>: <value>", got ${JSON.stringify(line)}`;
  if (/[\r\n]/.test(line)) {
    return `${JSON.stringify(line)} contains a line break (it would smuggle another key into the config); give one "lxc.<key>: <value>" per entry`;
  }
  if (!line.startsWith("lxc.")) {
    return `${JSON.stringify(line)} does not start with "lxc."; only raw LXC keys belong here, set Proxmox keys (features, memory, ...) on the container resource`;
  }
  if (!isRawLxcLine(line)) {
    return `${JSON.stringify(line)} is not a raw LXC line Proxmox reads; write "lxc.<key>: <value>" (or "lxc.<key> = <value>") with a key of a-z 0-9 _ - ., e.g. "lxc.apparmor.profile: unconfined"`;
  }
  return null;
}

/** Split a config into its main section and the rest (snapshots, pending changes), both as lines. */
function splitSections(text: string): { main: string[]; rest: string[] } {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let firstSection = lines.findIndex((l) => SECTION.test(l));
  if (firstSection === -1) firstSection = lines.length;
  return { main: lines.slice(0, firstSection), rest: lines.slice(firstSection) };
}

/**
 * The raw lxc.* lines of a config's main section, as Proxmox would write them back (for drift
 * detection: compare with the desired `rawLines`). Snapshot and pending sections are ignored.
 */
export function extractLxcRawLines(text: string): string[] {
  return splitSections(text).main.filter(isRawLxcLine).map(canonicalRawLxcLine);
}

/** Why an existing config text must not be rewritten (CR line ends, no Proxmox key), or null. */
export function existingConfigProblem(text: string, vmid: number): string | null {
  if (text.includes("\r")) return `${lxcConfigPath(vmid)} has CR line ends, not the text Proxmox writes; refusing to rewrite it`;
  if (!splitSections(text).main.some((l) => PVE_KEY.test(l))) {
    return `${lxcConfigPath(vmid)} has no Proxmox keys in its main section (is vmid ${vmid} the right container?); refusing to write only raw lines`;
  }
  return null;
}

/** The line "lock: <what>" of the main section when a Proxmox operation holds the container, or undefined. */
export function lockLine(text: string): string | undefined {
  return splitSections(text).main.find((l) => /^lock: /.test(l));
}

/** Raw LXC keys to set in the main section of a container's /etc/pve/lxc/<id>.conf. */
export interface LxcRawModel {
  /** Container id, for error messages and the target path, e.g. 201. */
  readonly vmid: number;
  /**
   * Raw lines in the order they should appear, each accepted by {@link isRawLxcLine}, e.g.
   * "lxc.apparmor.profile: unconfined"; they are written as Proxmox writes them. An empty list
   * removes every raw line of the main section.
   */
  readonly rawLines: readonly string[];
}

/**
 * Return the new text of a container config: `existing` with the raw `lxc.*` lines of its main
 * section replaced by `model.rawLines` (placed after the Proxmox-managed keys, where Proxmox itself
 * writes them, in its "key: value" form). Description comments, every Proxmox-managed key and every
 * later section (snapshots, pending changes) are kept byte for byte. Pure: the same input gives the
 * same output, and a file that already holds the desired lines comes back unchanged.
 *
 * Errors are plain Errors whose message starts with the field ("lxc[201].rawLines[0]: ..."): this
 * runs inside the provider (the existing text is only known on the host).
 */
export function renderLxcRawConfig(existing: string, model: LxcRawModel): string {
  const where = `lxc[${JSON.stringify(model.vmid)}]`;
  if (!Number.isInteger(model.vmid) || model.vmid < 100 || model.vmid > 999999999) {
    throw new Error(`${where}.vmid: must be a Proxmox guest id 100-999999999, got ${JSON.stringify(model.vmid)}`);
  }
  if (!Array.isArray(model.rawLines)) throw new Error(`${where}.rawLines: must be a list of lines (it may be empty)`);
  model.rawLines.forEach((line, i) => {
    const p = rawLxcLineProblem(line);
    if (p) throw new Error(`${where}.rawLines[${i}]: ${p}`);
  });
  if (typeof existing !== "string" || existing.includes("\r")) {
    throw new Error(`${where}.existing: ${lxcConfigPath(model.vmid)} must be the text Proxmox wrote (LF line ends)`);
  }
  const problem = existingConfigProblem(existing, model.vmid);
  if (problem) throw new Error(`${where}.existing: ${problem}`);

  const { main, rest } = splitSections(existing);
  const kept = main.filter((l) => !isRawLxcLine(l));
  while (kept.length > 0 && kept[kept.length - 1].trim() === "") kept.pop();
  const out = [...kept, ...model.rawLines.map(canonicalRawLxcLine)];
  if (rest.length > 0) out.push("", ...rest);
  return `${out.join("\n")}\n`;
}

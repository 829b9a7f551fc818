/**
 * Raw `lxc.*` lines of containers. The rule (which lines Proxmox reads as raw lines), the config path
 * and the splice live in providers/lxcraw/format.ts, where LxcRawConfig runs them against the live
 * file; the program, the schema and the scripts use them from here (arrows point down).
 */

export type { LxcRawModel, RawLxcLine } from "../../providers/lxcraw/format";
export {
  canonicalRawLxcLine,
  extractLxcRawLines,
  isRawLxcLine,
  lxcConfigPath,
  parseRawLxcLine,
  rawLxcLineProblem,
  renderLxcRawConfig,
} from "../../providers/lxcraw/format";

/** Raw lines that give a privileged container /dev/fuse (char 10:229) and no AppArmor confinement. */
export const FUSE_UNCONFINED_RAW_LINES: readonly string[] = [
  "lxc.apparmor.profile: unconfined",
  "lxc.cgroup2.devices.allow: c 10:229 rwm",
  "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0",
];

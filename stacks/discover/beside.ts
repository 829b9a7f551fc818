/**
 * Live files "beside" a managed one: the same service configured under another file name, which the service
 * reads as well as (or instead of) the file the stack renders. The first `up` replaces the managed file and
 * leaves these alone, so what they say keeps applying (a second dnsmasq `dhcp-range`, an haproxy frontend
 * on the same port, a unit drop-in overriding `ExecStart`): `discover --check` counts each one.
 *
 * One place for the rule: the read over SSH (./probe.ts) and the read of a copy (./root.ts) list what
 * {@link besideSources} names, and `--check` (./files.ts) keeps what {@link besideOf} says the service reads.
 * How each service finds its other files (from its manual):
 * - dnsmasq `--conf-dir` (Debian: `/etc/dnsmasq.d`, with `.dpkg-dist,.dpkg-old,.dpkg-new` excluded in
 *   /etc/default/dnsmasq): every file of the directory, except names starting with `.`, ending with `~`, or
 *   starting and ending with `#` (dnsmasq(8), --conf-dir).
 * - haproxy `-f DIR`: the non-hidden `*.cfg` files of the directory in lexical order (haproxy's management
 *   guide, "-f <cfgfile|cfgdir>"); `/etc/haproxy/conf.d` is the directory packages and hand setups pass.
 * - cloudflared: the managed unit passes `--config` (templates/cloudflared.service.hbs), so cloudflared's default
 *   search list is not read; another `*.yml`/`*.yaml` beside the managed config is a second tunnel's config that
 *   another unit (or a hand-started `cloudflared --config`) runs.
 * - systemd units: drop-ins `<unit>.d/*.conf` and the prefix drop-ins of a dashed name (`novnc-.service.d`)
 *   in every directory of the system unit search path that holds drop-ins: /etc/systemd/system.control and
 *   /run/systemd/system.control (`systemctl set-property`), /etc/systemd/system, /run/systemd/system and
 *   /usr/lib/systemd/system (merged /usr: /lib is the same directory). A unit file of the same name elsewhere in the
 *   path does not count: /etc/systemd/system comes before /run/systemd/system and /usr/lib/systemd/system, so the
 *   managed unit is the one loaded (systemd.unit(5), "Unit File Load Path" and the drop-in description).
 */

/** Where the read looks for files beside one managed path: a directory it lists (every entry). */
export interface BesideSource {
  /** Absolute host path of the directory. */
  readonly path: string;
}

/** Why a live path counts as beside a managed file. */
export interface BesideFinding {
  /** The live path beside. */
  readonly path: string;
  /** The managed file it sits beside. */
  readonly managed: string;
  /** Who reads it, in words: "dnsmasq reads every file of /etc/dnsmasq.d (--conf-dir)". */
  readonly reader: string;
}

const DNSMASQ_DIR = "/etc/dnsmasq.d";
const HAPROXY_CFG = "/etc/haproxy/haproxy.cfg";
const HAPROXY_DIR = "/etc/haproxy/conf.d";
const UNIT_DIRS = ["/etc/systemd/system.control", "/run/systemd/system.control", "/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system"];
const UNIT_RE = /^\/etc\/systemd\/system\/([^/]+\.(service|timer|socket|path|mount))$/;

const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
const baseOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** The drop-in directory names of a unit: `a-b-c.service.d`, then `a-b-.service.d`, `a-.service.d` (systemd.unit(5)). */
function dropInNames(unit: string): string[] {
  const dot = unit.lastIndexOf(".");
  const stem = unit.slice(0, dot);
  const type = unit.slice(dot);
  const out = [`${unit}.d`];
  for (let i = stem.lastIndexOf("-"); i > 0; i = stem.lastIndexOf("-", i - 1)) out.push(`${stem.slice(0, i + 1)}${type}.d`);
  return out;
}

/** What the read must list or read for the managed paths (duplicates removed, managed paths never among them). */
export function besideSources(managed: readonly string[]): BesideSource[] {
  const out: BesideSource[] = [];
  const add = (path: string) => {
    if (!out.some((s) => s.path === path) && !managed.includes(path)) out.push({ path });
  };
  for (const p of managed) {
    if (dirOf(p) === DNSMASQ_DIR) add(DNSMASQ_DIR);
    if (p === HAPROXY_CFG) add(HAPROXY_DIR);
    if (dirOf(p) === "/etc/cloudflared" && /\.ya?ml$/.test(p)) {
      add("/etc/cloudflared");
    }
    const unit = UNIT_RE.exec(p)?.[1];
    if (unit) {
      for (const d of UNIT_DIRS) for (const n of dropInNames(unit)) add(`${d}/${n}`);
    }
  }
  return out;
}

/**
 * Whether a live path the read found (listed or read through {@link besideSources}) is read by the service
 * of a managed path, and why; undefined when it is the managed file itself, one the service skips, or ours.
 */
export function besideOf(path: string, managed: readonly string[]): BesideFinding | undefined {
  if (managed.includes(path)) return undefined;
  const dir = dirOf(path);
  const name = baseOf(path);
  // A push's own staged or restore copy (providers/hostconfig/script.ts) is never a configuration.
  if (name.startsWith(".neve-")) return undefined;
  for (const m of managed) {
    if (dir === DNSMASQ_DIR && dirOf(m) === DNSMASQ_DIR) {
      const skipped = name.startsWith(".") || name.endsWith("~") || (name.startsWith("#") && name.endsWith("#")) || /\.dpkg-(dist|old|new)$/.test(name);
      if (!skipped) return { path, managed: m, reader: `dnsmasq reads every file of ${DNSMASQ_DIR} (--conf-dir), this one as well as ${m}` };
    }
    if (dir === HAPROXY_DIR && m === HAPROXY_CFG && name.endsWith(".cfg") && !name.startsWith(".")) {
      return { path, managed: m, reader: `haproxy reads the *.cfg files of ${HAPROXY_DIR} after ${m} when its unit passes -f ${HAPROXY_DIR}` };
    }
    if (dirOf(m) === "/etc/cloudflared" && /\.ya?ml$/.test(m) && dir === "/etc/cloudflared" && /\.ya?ml$/.test(name) && !name.startsWith(".")) {
      return { path, managed: m, reader: `a second cloudflared config beside ${m} (another unit, or cloudflared --config, runs a tunnel from it)` };
    }
    const unit = UNIT_RE.exec(m)?.[1];
    if (unit) {
      for (const d of UNIT_DIRS) {
        for (const n of dropInNames(unit)) {
          if (dir === `${d}/${n}` && name.endsWith(".conf"))
            return { path, managed: m, reader: `a systemd drop-in of ${unit}: it changes the unit ${m} defines` };
        }
      }
    }
  }
  return undefined;
}

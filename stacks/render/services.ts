// The provider-facing facts every host service states the same way: file specs, unit files and
// probes. The services themselves are entries of stacks/components/host/registry.ts.

/** What a file is, so the caller can pair it with the renderer output that fills it. */
/** `hostRules`: the node's host.fw beside cluster.fw (the firewall service's second config file). */
export type ServiceFileRole = "config" | "credentials" | "unit" | "timer" | "hostRules";

/** One file of a service as the provider must write it. */
export interface ServiceFileSpec {
  /** Which rendered text goes here. */
  readonly role: ServiceFileRole;
  /** Absolute target path on the host. */
  readonly path: string;
  /** Octal mode, e.g. "0644"; "0600" for secrets. */
  readonly mode: "0644" | "0640" | "0600";
  /** Owning user. */
  readonly owner: string;
  /** Owning group. */
  readonly group: string;
  /** The content is secret: keep it out of plain outputs, diffs and logs (hash only). */
  readonly secret: boolean;
  /**
   * Shell commands run on the host against the STAGED copy before anything moves; `{staged}` is
   * replaced by that copy's path (quoted by the provider). Non-zero exit = refuse the change.
   */
  readonly validate: readonly string[];
}

/** Everything the SSH provider needs about a service besides the rendered content. */
export interface ServiceSpec {
  /** Stable resource name, e.g. "haproxy", "novnc-1201". */
  readonly name: string;
  /** One line for humans. */
  readonly description: string;
  /** Files of the service, written together and rolled back together. */
  readonly files: readonly ServiceFileSpec[];
  /** Shell command run once after the files changed; null when the change applies later by itself. */
  readonly activate: string | null;
  /** Shell command that must exit 0 after activation, or the change is rolled back; null for none. */
  readonly healthCheck: string | null;
  /**
   * A bad change can cut the operator off (network path, tunnel): the provider arms a host-side
   * restore timer before activating and proves access with a new SSH connection afterwards.
   */
  readonly accessCritical: boolean;
  /**
   * When the stack stops declaring the service, its files stay on the host as they are, whatever
   * `hostServices.onDelete` says: removing or restoring them would change what they guard (a removed
   * cluster.fw turns the firewall off). Defaults to false.
   */
  readonly keepOnDelete?: boolean;
}

/** TCP probe that needs nothing but bash: connect within 5 s or fail. */
export function tcpProbe(address: string, port: number): string {
  return `timeout 5 bash -c '</dev/tcp/${address}/${port}'`;
}

/**
 * `systemd-analyze verify` insists on a real unit file name, and the staged copy has a temporary
 * one: verify a copy under the target's name in a scratch directory.
 */
function verifyUnit(unitFile: string): string {
  return `d=$(mktemp -d) && cp {staged} "$d/${unitFile}" && systemd-analyze verify "$d/${unitFile}"; rc=$?; rm -rf "$d"; exit $rc`;
}

/** Where the managed systemd units live. */
const UNIT_DIR = "/etc/systemd/system";

/** A systemd unit file of a service, verified by `systemd-analyze verify`. */
export function unitFile(role: ServiceFileRole, name: string): ServiceFileSpec {
  return { role, path: `${UNIT_DIR}/${name}`, mode: "0644", owner: "root", group: "root", secret: false, validate: [verifyUnit(name)] };
}

/** A plain root-owned 0644 config file with its validators. */
export function configFile(path: string, validate: readonly string[]): ServiceFileSpec {
  return { role: "config", path, mode: "0644", owner: "root", group: "root", secret: false, validate };
}

/**
 * A file inside pmxcfs (/etc/pve). Its chmod accepts only 0640 (0600 under priv/) and its chown only root and
 * the `www-data` group (proxmox/pve-cluster src/pmxcfs/pmxcfs.c `cfs_fuse_chmod`, `cfs_fuse_chown`; every
 * other value is EPERM), so the staged copy is made with exactly those and the push's chown/chmod succeed.
 * rename(2) within it works and replaces the target (`cfs_fuse_rename` -> memdb.c `memdb_rename`).
 */
export function pmxcfsFile(role: ServiceFileRole, path: string, validate: readonly string[]): ServiceFileSpec {
  return { role, path, mode: "0640", owner: "root", group: "www-data", secret: false, validate };
}

/** Reload systemd, enable and restart a unit. */
export function restartUnit(unit: string): string {
  return `systemctl daemon-reload && systemctl enable ${unit} && systemctl restart ${unit}`;
}

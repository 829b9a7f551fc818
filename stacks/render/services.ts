import { CLOUDFLARED_DIR, cloudflaredConfigPath, cloudflaredCredentialsPath } from "./cloudflared";
import { DEFAULT_NAT_TABLE, natFilePath, natLoaderUnitName } from "./nat";
import { lxcConfigPath } from "./lxcRaw";
import { novncUnitName } from "./systemd";

/**
 * One host service the project manages, with the few facts that decide its paths and probes.
 * A closed set: add a variant here and the compiler points at every switch that must handle it.
 */
export type HostServiceRef =
  | {
      /** HAProxy edge proxy. */
      readonly kind: "haproxy";
      /** Loopback port of the stats page, probed after a reload (neve: 8404). */
      readonly statsPort: number;
    }
  | {
      /** Cloudflare tunnel: config.yml, credentials JSON and cloudflared.service. */
      readonly kind: "cloudflared";
      /** Tunnel UUID (names the credentials file). */
      readonly tunnelId: string;
    }
  | {
      /** dnsmasq DHCP/DNS for one private bridge. */
      readonly kind: "dnsmasq";
      /** Bridge served, e.g. "vmbr1" (names the drop-in). */
      readonly bridge: string;
      /** The bridge's address where DNS answers, probed after a restart (neve: 10.10.10.1). */
      readonly listenAddress: string;
    }
  | {
      /** noVNC web console of one VM. */
      readonly kind: "novnc";
      /** VM id (names the unit). */
      readonly vmid: number;
      /** Browser-facing port (neve: 6081). */
      readonly port: number;
      /** Address websockify listens on; probed there, or on 127.0.0.1 for "0.0.0.0". Defaults to "0.0.0.0". */
      readonly listenAddress?: string;
    }
  | {
      /** socat TCP relay to the local SPICE proxy. */
      readonly kind: "spiceproxy-socat";
      /** Listening port, probed on loopback (neve: 61001). */
      readonly port: number;
    }
  | {
      /** Node certificate fix-up: service + timer. */
      readonly kind: "fix-pve-certs";
    }
  | {
      /** IPv4/IPv6 forwarding sysctl drop-in. */
      readonly kind: "sysctl-forwarding";
    }
  | {
      /** NAT nftables table for the private bridge. */
      readonly kind: "nat";
      /** Table name. Defaults to "neve_nat". */
      readonly table?: string;
    }
  | {
      /** Raw lxc.* lines of one container's config. */
      readonly kind: "lxc-raw";
      /** Container id, e.g. 201. */
      readonly vmid: number;
    };

/** The service kinds, e.g. for iteration and exhaustiveness tests. */
export type HostServiceKind = HostServiceRef["kind"];

/** All kinds, in the order a first deployment should push them (network before the services that use it). */
export const HOST_SERVICE_KINDS: readonly HostServiceKind[] = [
  "sysctl-forwarding",
  "nat",
  "dnsmasq",
  "haproxy",
  "cloudflared",
  "novnc",
  "spiceproxy-socat",
  "fix-pve-certs",
  "lxc-raw",
];

/** What a file is, so the caller can pair it with the renderer output that fills it. */
export type ServiceFileRole = "config" | "credentials" | "unit" | "timer";

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
  /** The service kind. */
  readonly kind: HostServiceKind;
  /** Stable resource name, e.g. "haproxy", "novnc-1201", "lxc-201-raw". */
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
}

/** TCP probe that needs nothing but bash: connect within 5 s or fail. */
function tcpProbe(address: string, port: number): string {
  return `timeout 5 bash -c '</dev/tcp/${address}/${port}'`;
}

/**
 * `systemd-analyze verify` insists on a real unit file name, and the staged copy has a temporary
 * one: verify a copy under the target's name in a scratch directory.
 */
function verifyUnit(unitFile: string): string {
  return `d=$(mktemp -d) && cp {staged} "$d/${unitFile}" && systemd-analyze verify "$d/${unitFile}"; rc=$?; rm -rf "$d"; exit $rc`;
}

const unitDir = "/etc/systemd/system";

function unitFile(role: ServiceFileRole, name: string): ServiceFileSpec {
  return { role, path: `${unitDir}/${name}`, mode: "0644", owner: "root", group: "root", secret: false, validate: [verifyUnit(name)] };
}

function restartUnit(unit: string): string {
  return `systemctl daemon-reload && systemctl enable ${unit} && systemctl restart ${unit}`;
}

/** The provider-facing facts of one host service. */
export function serviceSpec(ref: HostServiceRef): ServiceSpec {
  switch (ref.kind) {
    case "haproxy":
      return {
        kind: ref.kind,
        name: "haproxy",
        description: "HAProxy: TLS passthrough by SNI on 443, Host routing on 80",
        files: [
          { role: "config", path: "/etc/haproxy/haproxy.cfg", mode: "0644", owner: "root", group: "root", secret: false, validate: ["haproxy -c -f {staged}"] },
        ],
        // reload = haproxy's own graceful hand-over: open connections keep going.
        activate: "systemctl reload haproxy",
        healthCheck: `systemctl is-active --quiet haproxy && ${tcpProbe("127.0.0.1", ref.statsPort)}`,
        // The operator reaches the host through Tailscale and the tunnel, not through HAProxy.
        accessCritical: false,
      };
    case "cloudflared":
      return {
        kind: ref.kind,
        name: "cloudflared",
        description: `Cloudflare tunnel ${ref.tunnelId}: config, credentials and unit`,
        files: [
          {
            role: "config",
            path: cloudflaredConfigPath(CLOUDFLARED_DIR),
            mode: "0644",
            owner: "root",
            group: "root",
            secret: false,
            validate: ["cloudflared tunnel --config {staged} ingress validate"],
          },
          { role: "credentials", path: cloudflaredCredentialsPath(ref.tunnelId), mode: "0600", owner: "root", group: "root", secret: true, validate: [] },
          unitFile("unit", "cloudflared.service"),
        ],
        activate: restartUnit("cloudflared.service"),
        healthCheck: "systemctl is-active --quiet cloudflared",
        // The public Proxmox UI runs through this tunnel.
        accessCritical: true,
      };
    case "dnsmasq":
      return {
        kind: ref.kind,
        name: `dnsmasq-${ref.bridge}`,
        description: `dnsmasq: DHCP and DNS on ${ref.bridge} only`,
        files: [
          {
            role: "config",
            path: `/etc/dnsmasq.d/neve-${ref.bridge}.conf`,
            mode: "0644",
            owner: "root",
            group: "root",
            secret: false,
            validate: ["dnsmasq --test --conf-file={staged}"],
          },
        ],
        activate: "systemctl restart dnsmasq",
        healthCheck: `systemctl is-active --quiet dnsmasq && ${tcpProbe(ref.listenAddress, 53)}`,
        accessCritical: false,
      };
    case "novnc": {
      const unit = novncUnitName(ref.vmid);
      return {
        kind: ref.kind,
        name: `novnc-${ref.vmid}`,
        description: `noVNC web console for VM ${ref.vmid} on port ${ref.port}`,
        files: [unitFile("unit", unit)],
        activate: restartUnit(unit),
        healthCheck: `systemctl is-active --quiet ${unit} && ${tcpProbe(
          ref.listenAddress === undefined || ref.listenAddress === "0.0.0.0" ? "127.0.0.1" : ref.listenAddress,
          ref.port,
        )}`,
        accessCritical: false,
      };
    }
    case "spiceproxy-socat":
      return {
        kind: ref.kind,
        name: "spiceproxy-socat",
        description: `socat relay from port ${ref.port} to the SPICE proxy`,
        files: [unitFile("unit", "spiceproxy-socat.service")],
        activate: restartUnit("spiceproxy-socat.service"),
        healthCheck: `systemctl is-active --quiet spiceproxy-socat.service && ${tcpProbe("127.0.0.1", ref.port)}`,
        accessCritical: false,
      };
    case "fix-pve-certs":
      return {
        kind: ref.kind,
        name: "fix-pve-certs",
        description: "Node certificate fix-up: oneshot service and its timer",
        files: [unitFile("unit", "fix-pve-certs.service"), unitFile("timer", "fix-pve-certs.timer")],
        // Re-arm the timer only: running the service now would restart pveproxy during a deployment.
        activate: "systemctl daemon-reload && systemctl enable fix-pve-certs.timer && systemctl restart fix-pve-certs.timer",
        healthCheck: "systemctl is-active --quiet fix-pve-certs.timer",
        accessCritical: false,
      };
    case "sysctl-forwarding":
      return {
        kind: ref.kind,
        name: "sysctl-forwarding",
        description: "IPv4 and IPv6 forwarding",
        files: [
          {
            role: "config",
            path: "/etc/sysctl.d/90-neve-forwarding.conf",
            mode: "0644",
            owner: "root",
            group: "root",
            secret: false,
            // sysctl has no dry run: refuse (and print) anything but comments and "key = value" lines.
            validate: ["! grep -Ev '^[[:space:]]*(#.*)?$|^[a-z0-9_.]+ = [0-9]+$' {staged}"],
          },
        ],
        activate: "sysctl -p /etc/sysctl.d/90-neve-forwarding.conf",
        healthCheck: null,
        // Turning on IPv6 forwarding makes the kernel ignore router advertisements on vmbr0: a host
        // whose IPv6 default route came from an RA loses it. Guard it like the network change it is.
        accessCritical: true,
      };
    case "nat": {
      const table = ref.table ?? DEFAULT_NAT_TABLE;
      const path = natFilePath(table);
      const loader = natLoaderUnitName(table);
      return {
        kind: ref.kind,
        name: "nat",
        description: `NAT table ip ${table} and its boot-time loader ${loader}`,
        files: [
          { role: "config", path, mode: "0644", owner: "root", group: "root", secret: false, validate: ["nft -c -f {staged}"] },
          unitFile("unit", loader),
        ],
        // Load the table directly (atomic replace); the unit only matters at the next boot.
        activate: `systemctl daemon-reload && systemctl enable ${loader} && nft -f ${path}`,
        healthCheck: `nft list table ip ${table} >/dev/null`,
        accessCritical: true,
      };
    }
    case "lxc-raw":
      return {
        kind: ref.kind,
        name: `lxc-${ref.vmid}-raw`,
        description: `raw lxc.* lines of CT ${ref.vmid}`,
        // pmxcfs shows every file as root:www-data 0640 whatever is requested.
        files: [{ role: "config", path: lxcConfigPath(ref.vmid), mode: "0640", owner: "root", group: "www-data", secret: false, validate: [] }],
        // Raw LXC keys apply at the next container start; restarting a running guest is the operator's call.
        activate: null,
        // Proves Proxmox still parses the file it owns.
        healthCheck: `pct config ${ref.vmid} >/dev/null`,
        accessCritical: false,
      };
    default: {
      const unknown: never = ref;
      throw new Error(`unknown host service ${JSON.stringify(unknown)}`);
    }
  }
}

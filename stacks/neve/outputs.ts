// The outputs contract of stack `neve` (docs/outputs.md): types only, no runtime imports, so a
// consumer package type-checks against it without pulling in the program. Built by ./buildOutputs.

/** One guest as other stacks see it. */
export interface GuestOutput {
  /** Proxmox VM/CT id, e.g. `9100`. */
  readonly id: number;
  /** Guest name (host name), e.g. `cipher`. */
  readonly name: string;
  /** `vm` (QEMU) or `ct` (LXC). */
  readonly kind: "vm" | "ct";
  /** Bridge of the first interface, e.g. `vmbr1`. */
  readonly bridge: string;
  /** Static IPv4 (no prefix), or null when the guest uses DHCP. For a template: its cloud-init placeholder. */
  readonly ipv4: string | null;
  /** Static IPv6 (no prefix), or null. */
  readonly ipv6: string | null;
  /** True for a template. */
  readonly template: boolean;
  /** True when the guest is meant to run. */
  readonly running: boolean;
  /**
   * MAC address of each network interface, in interface order, e.g. `["BC:24:11:2E:4F:01"]`, as the
   * Proxmox provider reports them (VM `networkDevices[].macAddress`, container
   * `networkInterfaces[].macAddress`), never from the config. Null while the provider has not
   * reported them: the offline plan, or a preview of a guest that does not exist yet.
   */
  readonly macAddresses: readonly string[] | null;
}

/** One public hostname and where it goes. */
export interface PublicRouteOutput {
  /** Public hostname, e.g. `cipher.wenzelarifiandi.com`. */
  readonly hostname: string;
  /** `edge` (haproxy on the host: 80 by Host, 443 by SNI passthrough) or `tunnel` (Cloudflare Tunnel). */
  readonly via: "edge" | "tunnel";
  /** Guest name for edge routes; null for tunnel routes to the host itself. */
  readonly guest: string | null;
  /** Target: `10.10.10.90` for edge routes, the origin URL (`https://127.0.0.1:8006`) for tunnel routes. */
  readonly target: string;
  /** Guest port for plain HTTP (edge only), or null. */
  readonly http: number | null;
  /** Guest port for TLS passthrough (edge only), or null. */
  readonly https: number | null;
}

/** An inclusive IPv4 range, e.g. `10.10.10.91`-`10.10.10.99`. */
export interface Ipv4RangeOutput {
  /** First address. */
  readonly start: string;
  /** Last address (inclusive). */
  readonly end: string;
}

/** A range kept free for later static allocations. */
export interface ReservedRangeOutput extends Ipv4RangeOutput {
  /** What the range is kept for, e.g. `future static allocations`. */
  readonly purpose: string;
}

/** An address and who holds it. */
export interface AddressHolderOutput {
  /** IPv4 address without prefix, e.g. `10.10.10.91`. */
  readonly address: string;
  /** Holder: a guest name, an unmanaged holder's name, or `gateway` for the host. */
  readonly holder: string;
}

/** The private network and its IPv4 plan. */
export interface NetworkOutput {
  /** Private subnet, `10.10.10.0/24`. */
  readonly cidr: string;
  /** Gateway (the host), `10.10.10.1`. */
  readonly gateway: string;
  /** Bridge of the private network, `vmbr1`. */
  readonly bridge: string;
  /** DHCP range served by dnsmasq: never hand out an address inside it. */
  readonly dhcpRange: Ipv4RangeOutput;
  /** Range for template clones (.91-.99), handed out lowest free first. */
  readonly cloneRange: Ipv4RangeOutput;
  /** Public IPv6 prefix routed to guests, or null. */
  readonly ipv6Prefix: string | null;
  /** Ranges kept for later static allocations: not free for a consumer. */
  readonly reserved: readonly ReservedRangeOutput[];
  /** Addresses held by guests this stack does not manage (clones made by hand). */
  readonly unmanaged: readonly AddressHolderOutput[];
  /**
   * Every address in use, lowest first: the gateway, each unmanaged holder and each non-template
   * guest with a static IPv4 (template placeholders do not count: every clone overrides them).
   */
  readonly taken: readonly AddressHolderOutput[];
  /** Lowest free address of the clone range (what `npm run next-ip` prints), or null when the range is full. */
  readonly nextFreeCloneAddress: string | null;
}

/** One Linux bridge of the node. */
export interface BridgeOutput {
  /** Interface name, e.g. `vmbr1`. */
  readonly name: string;
  /** Comment shown in the Proxmox UI, or null. */
  readonly comment: string | null;
  /** Enslaved physical ports, e.g. `["enp5s0"]`; empty for a host-only bridge. */
  readonly ports: readonly string[];
  /** `static` (address from the stack) or `dhcp` (leased; not managed by this stack). */
  readonly ipv4Method: "static" | "dhcp";
  /**
   * The host's IPv4 on the bridge with prefix, e.g. `10.10.10.1/24`. For a DHCP bridge: the lease
   * recorded in `network.publicIpv4` when it is the public bridge, else null.
   */
  readonly ipv4: string | null;
  /** The host's static IPv6 on the bridge with prefix, e.g. `2001:bc8:1201:722::1/64`, or null. */
  readonly ipv6: string | null;
  /** True for the bridge facing the internet. */
  readonly public: boolean;
  /** True when the host masquerades the bridge's subnet to the outside. */
  readonly nat: boolean;
}

/** The Proxmox VE API of the node. */
export interface ProxmoxOutput {
  /** API endpoint as the stack reaches it, e.g. `https://neve:8006`. */
  readonly endpoint: string;
  /** Node name, e.g. `neve`. */
  readonly nodeName: string;
  /** Proxmox VE version the stack was written against, e.g. `8.3.4`, or null. */
  readonly version: string | null;
  /** True when the stack skips TLS verification of the API (an explicit opt-out). */
  readonly insecure: boolean;
}

/** The host's sshd as the stack reaches it. */
export interface SshOutput {
  /** Address or name, e.g. `100.94.229.96` (the tailnet address). */
  readonly host: string;
  /** Port, e.g. `22`. */
  readonly port: number;
  /** Login user, e.g. `root`. */
  readonly user: string;
  /**
   * The pinned host key's fingerprint as `ssh-keygen -lf` prints it (`SHA256:...`), computed from
   * `ssh.hostKey` (a key line or a fingerprint). Null while the stack pins none: then
   * `hostKeyUnpinnedReason` says so. Never a placeholder.
   */
  readonly hostKeyFingerprint: string | null;
  /** Key type when `ssh.hostKey` is a key line (`ssh-ed25519`), else null. */
  readonly hostKeyType: string | null;
  /** Why `hostKeyFingerprint` is null, or null when a key is pinned. */
  readonly hostKeyUnpinnedReason: string | null;
}

/** The host's public addresses, e.g. for A/AAAA records of names routed through the edge proxy. */
export interface PublicAddressesOutput {
  /** The public bridge, e.g. `vmbr0`, or null when no bridge is marked public. */
  readonly bridge: string | null;
  /** Public IPv4 without prefix, e.g. `51.159.96.140` (DHCP lease recorded in `network.publicIpv4`), or null. */
  readonly ipv4: string | null;
  /** The host's public IPv6 without prefix, e.g. `2001:bc8:1201:722::1`, or null. */
  readonly ipv6: string | null;
}

/** The Cloudflare Tunnel. */
export interface TunnelOutput {
  /** Tunnel UUID. */
  readonly id: string;
  /** CNAME target of every hostname routed through the tunnel: `<id>.cfargotunnel.com`. */
  readonly cnameTarget: string;
  /** Hostnames the tunnel serves, in ingress order. */
  readonly hostnames: readonly string[];
}

/** The tailnet the operator comes from. */
export interface TailnetOutput {
  /** Tailnet range allowed to SSH and the API, `100.64.0.0/10`. */
  readonly cidr: string;
  /** The host's own tailnet address, `100.94.229.96`. */
  readonly hostAddress: string;
}

/** A noVNC web console on the host. */
export interface NovncPortOutput {
  /** VM name, e.g. `etoile`. */
  readonly guest: string;
  /** VM id, e.g. `1201`. */
  readonly vmid: number;
  /** Listen address, e.g. `0.0.0.0`. */
  readonly address: string;
  /** Browser-facing port, e.g. `6081`. */
  readonly port: number;
}

/** Ports the host's own services listen on. */
export interface HostPortsOutput {
  /** True when the stack manages the host services (`hostServices.enabled`); false: the values describe the config only. */
  readonly managed: boolean;
  /** sshd, e.g. `22`. */
  readonly ssh: number;
  /** Proxmox API and web UI, e.g. `8006`. */
  readonly proxmoxApi: number;
  /** Public edge proxy (haproxy): plain HTTP routed by Host header (`80`) and TLS passthrough by SNI (`443`). */
  readonly edge: { readonly http: number; readonly https: number };
  /** haproxy's stats page, e.g. `127.0.0.1:8404/stats`. */
  readonly haproxyStats: { readonly address: string; readonly port: number; readonly path: string };
  /** noVNC consoles (websockify). */
  readonly novnc: readonly NovncPortOutput[];
  /** socat relay to the local SPICE proxy, e.g. `61001` -> `127.0.0.1:3128`, or null. */
  readonly spiceRelay: { readonly port: number; readonly target: { readonly host: string; readonly port: number } } | null;
}

/**
 * The outputs contract of stack `neve` (docs/outputs.md). Other stacks read it with
 * `new pulumi.StackReference("<org>/neve-infra/neve")`. Fields are only ever added, never renamed.
 */
export interface NeveStackOutputs {
  /** The private network and its IPv4 plan (taken addresses, next free clone address). */
  readonly network: NetworkOutput;
  /** Every guest, keyed by name. */
  readonly guests: Readonly<Record<string, GuestOutput>>;
  /** Every public hostname. */
  readonly publicRoutes: readonly PublicRouteOutput[];
  /** Proxmox storage ids. */
  readonly storageIds: readonly string[];
  /** The Proxmox API endpoint and node name. */
  readonly proxmox: ProxmoxOutput;
  /** The SSH endpoint and the pinned host key's fingerprint. */
  readonly ssh: SshOutput;
  /** The host's public IPv4 and IPv6. */
  readonly publicAddresses: PublicAddressesOutput;
  /** The Cloudflare Tunnel id and CNAME target. */
  readonly tunnel: TunnelOutput;
  /** Every bridge with its addresses, keyed by name. */
  readonly bridges: Readonly<Record<string, BridgeOutput>>;
  /** The tailnet range and the host's tailnet address. */
  readonly tailnet: TailnetOutput;
  /** Ports of the host's own services (noVNC, SPICE relay, haproxy stats, edge, API, SSH). */
  readonly hostPorts: HostPortsOutput;
  /** The commit the run deployed from and the objects it adopted (read back by the next run). */
  readonly deployment: DeploymentOutput;
}

/** `adoption.live` as a deployment recorded it (the objects its state imported). */
export interface AdoptedObjectsOutput {
  readonly guests: readonly number[];
  readonly storage: readonly string[];
  readonly bridges: readonly string[];
  readonly jobs: readonly string[];
  readonly firewall: boolean;
}

/**
 * What the run deployed from: the next real run reads it back from the state and refuses a checkout
 * that does not contain `commit`, a lost `live` entry, and `adopt: false` with objects not yet imported
 * (stacks/guards/deployment.ts, docs/adopting.md §13).
 */
export interface DeploymentOutput {
  /** The git commit (HEAD) of the checkout the run came from (`unknown` outside a checkout: a real run refuses that). */
  readonly commit: string;
  /** `adoption.live` of the run, or null when none was recorded. */
  readonly live: AdoptedObjectsOutput | null;
}

/** Every output name, in the order the program exports them. */
export const NEVE_OUTPUT_NAMES = [
  "network",
  "guests",
  "publicRoutes",
  "storageIds",
  "proxmox",
  "ssh",
  "publicAddresses",
  "tunnel",
  "bridges",
  "tailnet",
  "hostPorts",
  "deployment",
] as const satisfies readonly (keyof NeveStackOutputs)[];

// Compile-time check that NEVE_OUTPUT_NAMES names every field of NeveStackOutputs.
type MissingOutputName = Exclude<keyof NeveStackOutputs, (typeof NEVE_OUTPUT_NAMES)[number]>;
const everyOutputNamed: [MissingOutputName] extends [never] ? true : MissingOutputName = true;
void everyOutputNamed;

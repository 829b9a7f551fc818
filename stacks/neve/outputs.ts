import type { NeveModel } from "../config";

/** One guest as other stacks see it. */
export interface GuestOutput {
  /** Proxmox VM/CT id. */
  readonly id: number;
  /** Guest name (host name). */
  readonly name: string;
  /** `vm` (QEMU) or `ct` (LXC). */
  readonly kind: "vm" | "ct";
  /** Bridge of the first interface. */
  readonly bridge: string;
  /** Static IPv4 (no prefix), or null when the guest uses DHCP. For a template: its cloud-init placeholder. */
  readonly ipv4: string | null;
  /** Static IPv6 (no prefix), or null. */
  readonly ipv6: string | null;
  /** True for a template. */
  readonly template: boolean;
  /** True when the guest is meant to run. */
  readonly running: boolean;
}

/** One public hostname and where it goes. */
export interface PublicRouteOutput {
  /** Public hostname. */
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

/** The private network. */
export interface NetworkOutput {
  /** Private subnet, `10.10.10.0/24`. */
  readonly cidr: string;
  /** Gateway (the host), `10.10.10.1`. */
  readonly gateway: string;
  /** Bridge of the private network, `vmbr1`. */
  readonly bridge: string;
  /** DHCP range served by dnsmasq. */
  readonly dhcpRange: { readonly start: string; readonly end: string };
  /** Range for template clones (.91-.99). */
  readonly cloneRange: { readonly start: string; readonly end: string };
  /** Public IPv6 prefix routed to guests, or null. */
  readonly ipv6Prefix: string | null;
}

/**
 * The outputs contract of stack `neve` (docs/outputs.md). Other stacks read it with
 * `new pulumi.StackReference("<org>/neve-infra/neve")`. Fields are only ever added, never renamed.
 */
export interface NeveStackOutputs {
  /** The private network. */
  readonly network: NetworkOutput;
  /** Every guest, keyed by name. */
  readonly guests: Readonly<Record<string, GuestOutput>>;
  /** Every public hostname. */
  readonly publicRoutes: readonly PublicRouteOutput[];
  /** Proxmox storage ids. */
  readonly storageIds: readonly string[];
}

/** Build the outputs from the model (pure, so the contract is testable without Pulumi). */
export function buildOutputs(model: NeveModel): NeveStackOutputs {
  const plan = model.network.ipv4;
  const guests: Record<string, GuestOutput> = {};
  for (const g of model.guests) {
    guests[g.name] = {
      id: g.vmid,
      name: g.name,
      kind: g.kind,
      bridge: g.bridge,
      ipv4: g.ipv4 ?? null,
      ipv6: g.ipv6 ?? null,
      template: g.template,
      running: g.running,
    };
  }
  return {
    network: {
      cidr: plan.subnet,
      gateway: plan.gateway,
      bridge: plan.bridge,
      dhcpRange: { start: plan.dhcpRange.start, end: plan.dhcpRange.end },
      cloneRange: { start: plan.cloneRange.start, end: plan.cloneRange.end },
      ipv6Prefix: model.network.ipv6?.prefix ?? null,
    },
    guests,
    publicRoutes: [
      ...model.routes.map((r) => ({
        hostname: r.hostname,
        via: "edge" as const,
        guest: r.guest,
        target: r.targetIpv4,
        http: r.http ?? null,
        https: r.https ?? null,
      })),
      ...model.tunnel.ingress.map((t) => ({
        hostname: t.hostname,
        via: "tunnel" as const,
        guest: null,
        target: t.service,
        http: null,
        https: null,
      })),
    ],
    storageIds: model.storage.map((s) => s.id),
  };
}

import { z } from "zod";
import { ifnameProblem } from "../common/predicates";
import { ipv4CidrSchema, ipv4NetworkSchema, ipv4RangeSchema, ipv4Schema, ipv6CidrSchema, ipv6NetworkSchema, ipv6Schema, refineWith } from "./common";

/** Linux bridge names as Proxmox accepts them: a letter first, letters/digits/_ after, at most 10 characters. */
const BRIDGE_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,9}$/;

/** One Linux bridge of the node. */
const bridgeSchema = z.strictObject({
  /** Free-text comment shown in the Proxmox UI. */
  comment: z.string().optional(),
  /** Physical ports enslaved to the bridge (`enp5s0`); empty for a host-only bridge. */
  ports: z.array(z.string().min(1)).default([]),
  /**
   * IPv4 of the host on this bridge: a CIDR (`10.10.10.1/24`) or `dhcp`. The provider has no
   * DHCP method, so `dhcp` means "not managed by this stack" (see docs/adopting.md).
   */
  ipv4: z.union([z.literal("dhcp"), ipv4CidrSchema]),
  /** Static IPv6 of the host on this bridge, with prefix (`2001:db8::1/64`). */
  ipv6: ipv6CidrSchema.optional(),
  /**
   * True for the bridge facing the internet. Changing it can cut the operator off, so it is
   * always protected, and firewall rules must never open the API port on it.
   */
  public: z.boolean().default(false),
  /**
   * The host masquerades this bridge's own IPv4 subnet (the network of `ipv4`) to the outside
   * through the public bridge. `true`: this stack renders the NAT (nftables table, host config;
   * needs a static `ipv4`). `interfaces`: the host's own `post-up iptables ... MASQUERADE` lines in
   * /etc/network/interfaces do it (Proxmox's documented recipe, adopted by
   * `npm run discover -- --write`); the stack declares no second NAT. Defaults to false.
   */
  nat: z.union([z.boolean(), z.literal("interfaces")], { error: "must be true, false or interfaces" }).default(false),
  /**
   * The bridge's `comment`, `ports`, `ipv4` and `ipv6` are a record of the host, which an `up` does not
   * apply: with `network.interfacesFile: false` every bridge resource is read-only or refused by the
   * guards. The plan refuses an unmarked bridge then (stacks/config/recorded.ts); with `interfacesFile: true`
   * the marker has no effect (the file applies the bridge). `discover --write` marks the bridges it finds.
   */
  recorded: z.boolean().default(false),
});

/** A range of the private IPv4 plan with its purpose. */
const reservedRangeSchema = ipv4RangeSchema.extend({
  /** What the range is kept for. */
  purpose: z.string().min(1),
});

/** An address held by something this stack does not manage (e.g. a VM cloned by hand). */
const unmanagedHolderSchema = z.strictObject({
  /** The held address. */
  address: ipv4Schema,
  /** Who holds it (free text, usually the guest's name). */
  holder: z.string().min(1),
});

/** The private IPv4 plan of the guest bridge. */
const ipv4PlanSchema = z.strictObject({
  /** Bridge the plan applies to (`vmbr1`). */
  bridge: z.string(),
  /** Subnet, e.g. `10.10.10.0/24` (its network address). */
  subnet: ipv4NetworkSchema,
  /** Gateway (the host on the bridge), e.g. `10.10.10.1`. */
  gateway: ipv4Schema,
  /** Range served by dnsmasq; no static address may lie inside. */
  dhcpRange: ipv4RangeSchema,
  /** Range for VMs cloned from a template, handed out lowest first (`npm run next-ip`). */
  cloneRange: ipv4RangeSchema,
  /** Ranges kept for later static allocations. */
  reserved: z.array(reservedRangeSchema).default([]),
  /** Addresses held outside this stack; never handed out again. */
  unmanaged: z.array(unmanagedHolderSchema).default([]),
  /** Upstream DNS servers handed to guests (cloud-init); defaults to the gateway. */
  dns: z.array(ipv4Schema).optional(),
});

/** The public IPv6 prefix routed to guests through the host. */
const ipv6PlanSchema = z.strictObject({
  /** Prefix, e.g. `2001:bc8:1201:722::/64` (its network address). */
  prefix: ipv6NetworkSchema,
  /** Gateway for guests (the host), e.g. `2001:bc8:1201:722::1`. */
  gateway: ipv6Schema,
});

/** Tailscale's interface name on the host (docs/neve.md). */
export const TAILNET_IFACE = "tailscale0";

/** The tailnet (Tailscale) the operator comes from. */
const tailnetSchema = z.strictObject({
  /** Tailnet range allowed to SSH and the web UI, `100.64.0.0/10` (its network address). */
  cidr: ipv4NetworkSchema,
  /** The host's own tailnet address (`tailscale0`). */
  hostAddress: ipv4Schema,
  /**
   * The host's tailnet interface (docs/neve.md: tailscale0). Firewall rules may name it in `iface`
   * (only tailnet traffic arrives there). Defaults to `tailscale0`.
   */
  iface: z.string().superRefine(refineWith(ifnameProblem)).default(TAILNET_IFACE),
});

/** `neve-infra:network`: bridges, IP plans, public and tailnet addresses. */
export const networkSchema = z.strictObject({
  /** Bridges keyed by interface name (`vmbr0`, `vmbr1`). */
  bridges: z.record(
    z.string().refine((s) => BRIDGE_NAME.test(s), {
      error: "bridge names start with a letter, then letters, digits or _, at most 10 characters (e.g. vmbr1)",
    }),
    bridgeSchema,
  ),
  /** The host's public IPv4 with prefix (informational; obtained by DHCP on the public bridge). */
  publicIpv4: ipv4CidrSchema.optional(),
  /** Private IPv4 plan. */
  ipv4: ipv4PlanSchema,
  /** Public IPv6 plan. */
  ipv6: ipv6PlanSchema.optional(),
  /** Tailnet facts. */
  tailnet: tailnetSchema,
  /**
   * Who owns the bridges. `false` (the default): the Proxmox API through the provider's Linux bridge
   * resources, read-only once the host has them. `true`: the stack renders /etc/network/interfaces from
   * `bridges` (vmbr0's `inet dhcp` included, which the API cannot express) and pushes it as a host file
   * under the commit-confirmed net (validated by ifupdown2's parser, activated by `ifreload -a`, restored
   * by the host unless a fresh SSH login and a fresh API handshake confirm access), and declares no
   * Proxmox bridge resource (one owner per object). Switching an existing state over: docs/adopting.md §7.
   */
  interfacesFile: z.boolean().default(false),
});

/** Parsed `neve-infra:network`. */
export type NetworkConfig = z.infer<typeof networkSchema>;

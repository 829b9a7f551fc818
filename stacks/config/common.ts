import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { pathProblem } from "../../providers/common/paths";
// The providers' own predicates: what their `check` refuses, the schema refuses first (one rule, one place).
import { rawLxcLineProblem } from "../../providers/lxcraw/format";
import { networkAddressProblem, nodeNameProblem, portProblem, publicHostnameProblem } from "../common/predicates";

/**
 * A zod refinement from one of the shared predicates (./predicates): the predicate's reason becomes
 * the issue's message, so the schema and every other user of the rule say the same thing.
 */
export function refineWith<T>(problem: (v: T) => string | null) {
  return (v: T, ctx: z.core.$RefinementCtx<T>): void => {
    const p = problem(v);
    if (p !== null) ctx.addIssue({ code: "custom", message: p, input: v });
  };
}

/** One label of a DNS name (RFC 1123): letters, digits and inner hyphens, 1-63 characters. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** True when `s` is a valid single-label host name (guest names; node names follow `nodeNameProblem`). */
export function isHostname(s: string): boolean {
  return LABEL.test(s);
}

/**
 * True when `s` is a DNS name as Proxmox accepts it for a container's `hostname` and a VM's `name`: the
 * `dns-name` format (proxmox/pve-common@f665029eac78 src/PVE/JSONSchema.pm pve_verify_dns_name: labels of
 * letters, digits and inner hyphens joined by dots; pve-container@94f558522ef6 src/PVE/LXC/Config.pm
 * `hostname` adds maxLength 255; qemu-server@e6352be67f70 src/PVE/QemuServer.pm `name` has format dns-name).
 */
export function isDnsName(s: string): boolean {
  return s.length <= 255 && /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(s);
}

/** True when `s` is a public hostname: a lower-case DNS name of at least two labels (see `publicHostnameProblem`). */
export function isFqdn(s: string): boolean {
  return publicHostnameProblem(s) === null;
}

/** A single-label host name, e.g. a guest name. */
export const hostnameSchema = z.string().refine(isHostname, { error: "must be a valid host name (letters, digits, inner hyphens, at most 63 characters)" });

/** A Proxmox node name (`nodeNameProblem`: pve-common's `pve-node` format): `proxmox.nodeName`, storage `nodes`, a backup job's `node`. */
export const nodeNameSchema = z.string().superRefine(refineWith(nodeNameProblem));

/** A public hostname in lower case, e.g. `cipher.wenzelarifiandi.com` (the renderers use the same predicate). */
export const fqdnSchema = z.string().superRefine(refineWith(publicHostnameProblem));

/** A TCP/UDP port, 1-65535 (`portProblem`, shared with the renderers). */
export const portSchema = z.number({ error: "must be a port number" }).superRefine(refineWith(portProblem));

/** A dotted-quad IPv4 address without prefix, e.g. `10.10.10.90`. */
export const ipv4Schema = z.string().refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), { error: "must be an IPv4 address like 10.10.10.90" });

/** An IPv6 address without prefix, e.g. `2001:bc8:1201:722::90`. */
export const ipv6Schema = z.string().refine((s) => ipaddr.IPv6.isValid(s) && !s.includes("/"), {
  error: "must be an IPv6 address like 2001:db8::90 (no prefix length)",
});

/** An IPv4 CIDR written as its network address, e.g. `10.10.10.0/24` (host bits set is refused). */
export const ipv4NetworkSchema = z
  .string()
  .refine(isIpv4Cidr, { error: "must be an IPv4 CIDR like 10.10.10.0/24" })
  .superRefine(refineWith(networkAddressProblem));

/** An IPv6 prefix written as its network address, e.g. `2001:bc8:1201:722::/64`. */
export const ipv6NetworkSchema = z
  .string()
  .refine(isIpv6Cidr, { error: "must be an IPv6 CIDR like 2001:db8::/64" })
  .superRefine(refineWith(networkAddressProblem));

/** An IPv4 CIDR, e.g. `10.10.10.0/24`. */
export const ipv4CidrSchema = z.string().refine(isIpv4Cidr, { error: "must be an IPv4 CIDR like 10.10.10.0/24" });

/** An IPv6 CIDR, e.g. `2001:bc8:1201:722::/64`. */
export const ipv6CidrSchema = z.string().refine(isIpv6Cidr, { error: "must be an IPv6 CIDR like 2001:db8::/64" });

/** True when `s` is `a.b.c.d/n` with a valid address and prefix length. */
function isIpv4Cidr(s: string): boolean {
  const [addr, len, ...rest] = s.split("/");
  if (rest.length || len === undefined || !ipaddr.IPv4.isValidFourPartDecimal(addr)) return false;
  try {
    ipaddr.IPv4.parseCIDR(s);
    return true;
  } catch {
    return false;
  }
}

/** True when `s` is an IPv6 address with a prefix length. */
function isIpv6Cidr(s: string): boolean {
  try {
    ipaddr.IPv6.parseCIDR(s);
    return true;
  } catch {
    return false;
  }
}

/** True when `s` is an IPv4 address, an IPv6 address or a CIDR of either family. */
export function isAddressOrCidr(s: string): boolean {
  if (s.includes("/")) return isIpv4Cidr(s) || isIpv6Cidr(s);
  return ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv6.isValid(s);
}

/** Why an address/CIDR reference (firewall source or dest) is refused, or null: a CIDR must be a network address. */
export function addressOrCidrProblem(s: string): string | null {
  return s.includes("/") && isAddressOrCidr(s) ? networkAddressProblem(s) : null;
}

/** One raw LXC config line as Proxmox reads it (`lxc.<key>: <value>` or `lxc.<key> = <value>`): exactly what LxcRawConfig's check accepts. */
export const rawLxcLineSchema = z.string().superRefine(refineWith(rawLxcLineProblem));

/** An absolute host path: exactly what HostConfig's check accepts (no control characters, no . or ..). */
export const hostPathSchema = z.string().superRefine(refineWith((s: string) => pathProblem(s)));

/** An inclusive IPv4 range `start`-`end`. */
export const ipv4RangeSchema = z.strictObject({
  /** First address of the range. */
  start: ipv4Schema,
  /** Last address of the range (inclusive). */
  end: ipv4Schema,
});

/** Inferred type of {@link ipv4RangeSchema}. */
export type Ipv4Range = z.infer<typeof ipv4RangeSchema>;

/** Recursively readonly view of a parsed config section. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

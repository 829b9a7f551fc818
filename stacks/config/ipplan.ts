import * as ipaddr from "ipaddr.js";
import type { Ipv4Range } from "./common";

/** Pure IPv4 helpers over ipaddr.js (no hand-written address parsing). */

/** The address as an unsigned 32-bit number, for ordering and ranges. */
export function ipv4ToNumber(address: string): number {
  const [a, b, c, d] = ipaddr.IPv4.parse(address).octets;
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/** The dotted-quad form of an unsigned 32-bit number. */
function numberToIpv4(n: number): string {
  return new ipaddr.IPv4([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

/** True when the IPv4 `address` lies in `cidr`. */
export function ipv4InCidr(address: string, cidr: string): boolean {
  return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(cidr));
}

/** True when the IPv6 `address` lies in `cidr`. */
export function ipv6InCidr(address: string, cidr: string): boolean {
  return ipaddr.IPv6.parse(address).match(ipaddr.IPv6.parseCIDR(cidr));
}

/** Canonical network form of a CIDR, e.g. `10.10.10.7/24` -> `10.10.10.0/24`. */
export function ipv4NetworkOf(cidr: string): string {
  const [addr, len] = ipaddr.IPv4.parseCIDR(cidr);
  return `${ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${len}`).toString()}/${len}`;
}

/** True when the IPv4 CIDRs `a` and `b` share an address (one contains the other's network address). */
export function ipv4CidrsOverlap(a: string, b: string): boolean {
  const na = ipv4NetworkOf(a).split("/")[0];
  const nb = ipv4NetworkOf(b).split("/")[0];
  return ipv4InCidr(na, b) || ipv4InCidr(nb, a);
}

/** Prefix length of a CIDR. */
export function prefixLength(cidr: string): number {
  return ipaddr.parseCIDR(cidr)[1];
}

/** True when `address` lies in the inclusive range. */
export function ipv4InRange(address: string, range: Ipv4Range): boolean {
  const n = ipv4ToNumber(address);
  return n >= ipv4ToNumber(range.start) && n <= ipv4ToNumber(range.end);
}

/** True when two inclusive ranges share at least one address. */
export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return ipv4ToNumber(a.start) <= ipv4ToNumber(b.end) && ipv4ToNumber(b.start) <= ipv4ToNumber(a.end);
}

/** `10.10.10.100-10.10.10.200`. */
export function formatRange(range: Ipv4Range): string {
  return `${range.start}-${range.end}`;
}

/** Every address of an inclusive range, lowest first. */
function rangeAddresses(range: Ipv4Range): string[] {
  const out: string[] = [];
  for (let n = ipv4ToNumber(range.start); n <= ipv4ToNumber(range.end); n++) out.push(numberToIpv4(n));
  return out;
}

/** The lowest address of `range` not in `used`, or `undefined` when the range is full. */
export function lowestFree(range: Ipv4Range, used: Iterable<string>): string | undefined {
  const taken = new Set<number>();
  for (const u of used) taken.add(ipv4ToNumber(u));
  return rangeAddresses(range).find((a) => !taken.has(ipv4ToNumber(a)));
}

import * as ipaddr from "ipaddr.js";
import { ifnameProblem, portProblem, publicHostnameProblem } from "../common/predicates";

/**
 * A render model value that would produce a broken file. The message names the field path
 * (for example `haproxy.routes[0].hostname`), what is wrong and how to fix it.
 */
export class RenderModelError extends Error {
  /** Dotted path of the offending field, for example `dnsmasq.dhcpRange.start`. */
  public readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "RenderModelError";
    this.field = field;
  }
}

/** Lowercase DNS hostname with at least two labels (RFC 1123); no trailing dot, no wildcard. Same predicate as the config schema. */
export function assertHostname(field: string, value: unknown): string {
  const problem = publicHostnameProblem(value);
  if (problem !== null) throw new RenderModelError(field, typeof value === "string" && value !== "" ? problem : `${problem}, got ${show(value)}`);
  return value as string;
}

/** TCP/UDP port: an integer 1-65535 (the config schema's predicate). */
export function assertPort(field: string, value: unknown): number {
  const problem = portProblem(value);
  if (problem !== null) throw new RenderModelError(field, problem);
  return value as number;
}

/** Which address families a field accepts. */
export type IpFamily = "ipv4" | "ipv6" | "any";

/** A literal IP address (no CIDR, no hostname); returns the parsed address. */
export function assertIp(field: string, value: unknown, family: IpFamily = "any"): ipaddr.IPv4 | ipaddr.IPv6 {
  const want = family === "any" ? "an IPv4 or IPv6 address" : family === "ipv4" ? "an IPv4 address" : "an IPv6 address";
  if (typeof value !== "string") {
    throw new RenderModelError(field, `must be ${want}, got ${show(value)}`);
  }
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(value)) parsed = ipaddr.IPv4.parse(value);
  else if (ipaddr.IPv6.isValid(value) && !value.includes("%")) parsed = ipaddr.IPv6.parse(value);
  if (parsed === undefined || (family !== "any" && parsed.kind() !== family)) {
    throw new RenderModelError(field, `${show(value)} is not ${want}`);
  }
  return parsed;
}

/** An IPv4 CIDR written as its network address, e.g. "10.10.10.0/24"; returns [network, prefix]. */
export function assertIpv4Network(field: string, value: unknown): [ipaddr.IPv4, number] {
  if (typeof value !== "string" || !ipaddr.IPv4.isValidCIDRFourPartDecimal(value)) {
    throw new RenderModelError(field, `must be an IPv4 network in CIDR form such as "10.10.10.0/24", got ${show(value)}`);
  }
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(value);
  const network = ipaddr.IPv4.networkAddressFromCIDR(value);
  if (addr.toString() !== network.toString()) {
    throw new RenderModelError(field, `${value} has host bits set; write the network address ${network.toString()}/${prefix}`);
  }
  return [network, prefix];
}

/** Absolute POSIX path without "..", whitespace or control characters. */
export function assertAbsPath(field: string, value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || /[\s\0-\x1f]/.test(value) || value.split("/").includes("..")) {
    throw new RenderModelError(field, `must be an absolute path without "..", spaces or control characters, got ${show(value)}`);
  }
  return value;
}

/** Linux interface name (IFNAMSIZ: at most 15 characters of [A-Za-z0-9_.-]). */
export function assertIfname(field: string, value: unknown): string {
  const problem = ifnameProblem(value);
  if (problem !== null) throw new RenderModelError(field, problem);
  return value as string;
}

/** A non-empty list. */
export function assertNonEmpty<T>(field: string, value: readonly T[] | undefined, hint: string): readonly T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RenderModelError(field, `must list at least one entry; ${hint}`);
  }
  return value;
}

/** Throws when two entries of a list share a key, naming both positions. */
export function assertUnique<T>(field: string, items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) {
      throw new RenderModelError(`${field}[${i}]`, `${what} ${show(k)} is already used by ${field}[${first}]; each ${what} may appear once`);
    }
    seen.set(k, i);
  });
}

/** Short printable form of a value for error messages (never used for secrets). */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

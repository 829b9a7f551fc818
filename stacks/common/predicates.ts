// One predicate per rule, shared by the config schema (stacks/config), the renderers
// (stacks/render) and, where the rule is the providers' own, imported from providers/.
// Pure: no zod, no Pulumi; each returns the reason a value is refused, or null.
import * as ipaddr from "ipaddr.js";

// A backup job's schedule: Proxmox's calendar-event grammar, ported in its own module.
export { CALENDAR_EVENT_KEYWORDS, calendarEventProblem } from "./calendarEvent";

/** One label of a public DNS name (RFC 1123), lower case: a-z, 0-9 and inner hyphens, 1-63 characters. */
const LOWER_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Why `s` is not a public hostname (a lower-case DNS name of at least two labels, no trailing dot,
 * no wildcard), or null. Lower case because haproxy's ACLs and cloudflared's ingress compare the text
 * as written, and one spelling per name keeps "one hostname routes to one place" checkable.
 */
export function publicHostnameProblem(s: unknown): string | null {
  if (typeof s !== "string" || s === "") return 'must be a fully qualified host name such as "cipher.example.com"';
  const labels = s.split(".");
  if (
    s !== s.toLowerCase() &&
    s
      .toLowerCase()
      .split(".")
      .every((l) => LOWER_LABEL.test(l)) &&
    labels.length >= 2
  ) {
    return `${JSON.stringify(s)} has upper-case letters; write it in lower case: ${s.toLowerCase()}`;
  }
  if (s.length > 253 || labels.length < 2 || !labels.every((l) => LOWER_LABEL.test(l))) {
    return `${JSON.stringify(s)} is not a fully qualified host name; use lower-case labels of a-z, 0-9 and inner "-" separated by dots, such as "cipher.example.com"`;
  }
  // An all-numeric last label makes it an IP address (or nothing): no top-level domain is numeric
  // (RFC 3696 §2), and TLS clients send no IP address in SNI (RFC 6066 §3), so haproxy could not route it.
  if (/^[0-9]+$/.test(labels[labels.length - 1])) {
    return `${JSON.stringify(s)} is an address, not a host name; routes and tunnel ingress match names: write the public name, such as "cipher.example.com"`;
  }
  return null;
}

/** Why `n` is not a TCP/UDP port (an integer 1-65535), or null. Port 0 means "any" to the kernel: never a target. */
export function portProblem(n: unknown): string | null {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) return `must be a port in 1-65535 (got ${JSON.stringify(n)})`;
  return null;
}

/** URL schemes cloudflared accepts for an origin (https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/configure-tunnels/origin-configuration/). */
const ORIGIN_SCHEMES: readonly string[] = ["http", "https", "tcp", "ssh", "rdp", "smb"];

/**
 * Why `s` is not a tunnel origin `scheme://host:port` (explicit port 1-65535, no path, query or
 * credentials), or null. `schemes` narrows the accepted schemes (the stack config allows http/https).
 */
export function originUrlProblem(s: unknown, schemes: readonly string[] = ORIGIN_SCHEMES): string | null {
  const example = 'an origin URL with an explicit port, such as "https://127.0.0.1:8006"';
  if (typeof s !== "string" || /\s/.test(s)) return `must be ${example}`;
  const m = /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@[\]]+):(\d+)(\/?)(.*)$/.exec(s);
  if (!m) return `${JSON.stringify(s)} is not ${example} (${schemes.join(", ")})`;
  const [, scheme, , portText, , rest] = m;
  if (!schemes.includes(scheme)) return `${JSON.stringify(s)} has scheme ${scheme}; use one of ${schemes.join(", ")}`;
  if (rest !== "") return `${JSON.stringify(s)} has a path, query or credentials; write only scheme://host:port`;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `${JSON.stringify(s)} has port ${portText}; use a port in 1-65535`;
  try {
    new URL(s);
  } catch {
    return `${JSON.stringify(s)} is not ${example}`;
  }
  return null;
}

/** The host part of an origin URL that passed {@link originUrlProblem}, without IPv6 brackets. */
export function originHost(s: string): string {
  return new URL(s).hostname.replace(/^\[|\]$/g, "");
}

/**
 * Why the CIDR `s` is not written as its network address (host bits set), or null. Assumes `s` is a
 * valid IPv4 or IPv6 CIDR. A firewall source `10.10.10.5/24` matches all of 10.10.10.0/24, which is
 * rarely what its writer meant: ask for the network address so the text says what the rule does.
 */
export function networkAddressProblem(s: string): string | null {
  let network: string;
  try {
    if (ipaddr.IPv4.isValidCIDRFourPartDecimal(s)) network = ipaddr.IPv4.networkAddressFromCIDR(s).toString();
    else network = ipaddr.IPv6.networkAddressFromCIDR(s).toString();
  } catch {
    return null;
  }
  const [addr, len] = s.split("/");
  const same = ipaddr.parse(addr).toNormalizedString() === ipaddr.parse(network).toNormalizedString();
  return same ? null : `${s} is not a network address; write ${network}/${len}`;
}

/**
 * Why `s` is not a dnsmasq lease time, or null: seconds (at least 120, dnsmasq's minimum), a number
 * with m/h/d/w, or "infinite" (dnsmasq(8), --dhcp-range lease time).
 */
export function leaseTimeProblem(s: unknown): string | null {
  const m = typeof s === "string" ? /^(\d+)([mhdw]?)$/.exec(s) : null;
  if (s === "infinite") return null;
  if (m === null || Number(m[1]) === 0 || (m[2] === "" && Number(m[1]) < 120)) {
    return `must be seconds (at least 120), a number with m/h/d/w such as "12h", or "infinite"; got ${JSON.stringify(s)}`;
  }
  return null;
}

/** Why `s` is not a Linux interface name (IFNAMSIZ: 1-15 of A-Z a-z 0-9 _ . -), or null. */
export function ifnameProblem(s: unknown): string | null {
  return typeof s === "string" && /^[A-Za-z0-9_.-]{1,15}$/.test(s)
    ? null
    : `must be a network interface name such as "vmbr1" (1-15 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(s)}`;
}

/** Why `s` is not one line of text (it holds a line break or another control character), or null. */
export function singleLineProblem(s: string): string | null {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(s) ? `${JSON.stringify(s)} contains a line break or another control character; write it on one line` : null;
}

/**
 * Why `s` is not a Proxmox node name, or null: pve-common's `pve-node` format (pve_verify_node_name,
 * src/PVE/JSONSchema.pm at f665029e: `^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$`; pmxcfs's
 * valid_nodename in pve-cluster src/pmxcfs/memdb.c applies the same letters-digits-hyphen rule).
 * Upper case is allowed there, and so here. At most 63 characters besides: the node name is the
 * host name up to its first dot (pmxcfs.c) and the node's certificate carries it as a DNS name,
 * whose labels are at most 63 characters (RFC 1035 §2.3.4).
 */
export function nodeNameProblem(s: unknown): string | null {
  if (typeof s === "string" && s.length <= 63 && /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(s)) return null;
  return `must be a Proxmox node name such as "neve" (letters, digits and inner "-", at most 63 characters: the host name without its domain), got ${JSON.stringify(s)}`;
}

import * as ipaddr from "ipaddr.js";
import { groupMember, ruleReachesTcpPort, tailnetAccessIssues } from "../access";
import { isAddressOrCidr } from "../common";
import type { FirewallRuleConfig } from "../firewall";
import { once, type SectionRules } from "./types";

/** Ranges no Internet host sends from: RFC 1918, the tailnet's CGNAT range (RFC 6598), loopback, link-local, IPv6 ULA. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"];

/** True when the address or CIDR `s` lies wholly inside one private range. */
function isPrivateSource(s: string): boolean {
  try {
    const [addr, len] = s.includes("/") ? ipaddr.parseCIDR(s) : [ipaddr.parse(s), ipaddr.parse(s).kind() === "ipv4" ? 32 : 128];
    return PRIVATE_RANGES.some((r) => {
      const [net, netLen] = ipaddr.parseCIDR(r);
      return net.kind() === addr.kind() && len >= netLen && addr.match(net, netLen);
    });
  } catch {
    return false;
  }
}

/** Firewall rules: known guests and interfaces; the API port never open to a public source or on the public bridge. */
export const firewallRules: SectionRules = (c, add) => {
  const guestNames = once(() => Object.keys(c.guests).join(", "));
  const bridges = Object.keys(c.network.bridges);
  const apiPort = c.firewall.apiPort;
  // The ports no rule may open to a public source: the API, and the consoles that ask for no password
  // (noVNC's websockify binds 0.0.0.0 and the VNC display has none; the SPICE relay).
  const neverPublic = once(() => [
    { port: apiPort, what: `the Proxmox API port ${apiPort}` },
    ...c.hostServices.novnc.map((n) => ({ port: n.port, what: `the noVNC console of ${n.guest} on port ${n.port} (no VNC password)` })),
    ...(c.hostServices.spiceProxy ? [{ port: c.hostServices.spiceProxy.port, what: `the SPICE relay on port ${c.hostServices.spiceProxy.port}` }] : []),
  ]);
  const refProblem = (v: string): string | null => {
    const set = /^\+(?:dc\/)?(.+)$/.exec(v);
    if (set)
      return c.firewall.ipsets[set[1]]
        ? null
        : `IP set "${set[1]}" is not in firewall.ipsets; add it there (${Object.keys(c.firewall.ipsets).join(", ") || "none declared"})`;
    const name = v.replace(/^dc\//, "");
    const guest = !v.startsWith("dc/") && c.guests[name];
    const alias = c.firewall.aliases[name];
    if (guest && alias !== undefined) return `"${v}" is both a guest and an alias in firewall.aliases; write dc/${name} for the alias or the guest's address`;
    if (alias !== undefined) return null;
    if (guest) return guest.ipv4 ? null : `guest "${v}" has no static IPv4 to match on; write an address instead`;
    return `"${v}" is neither an address/CIDR, a known guest nor an alias in firewall.aliases; write an address or one of ${guestNames()}`;
  };
  // A source is private when it lies wholly in private ranges: an alias by its value, an IP set when
  // every match entry does (nomatch entries only remove addresses); an unknown name is reported above.
  const privateRef = (v: string): boolean => {
    const set = /^\+(?:dc\/)?(.+)$/.exec(v);
    if (set) {
      const entries = (c.firewall.ipsets[set[1]] ?? []).filter((e) => !e.startsWith("!"));
      return entries.length > 0 && entries.every((e) => privateRef(e));
    }
    if (isAddressOrCidr(v)) return isPrivateSource(v);
    const alias = c.firewall.aliases[v.replace(/^dc\//, "")];
    return alias !== undefined && isPrivateSource(alias);
  };
  for (const [set, entries] of Object.entries(c.firewall.ipsets)) {
    entries.forEach((e, k) => {
      const v = e.replace(/^!/, "");
      if (!isAddressOrCidr(v) && c.firewall.aliases[v.replace(/^dc\//, "")] === undefined) {
        add(`firewall.ipsets.${set}[${k}]`, `"${v}" is neither an address/CIDR nor an alias in firewall.aliases; add the alias or write the address`);
      }
    });
  }
  // The rule line's shape, for every list: a GROUP rule takes -i only (pve-firewall parse_fw_rule stops
  // after -i for type group), names a declared group, and no group holds one (generate_group_rules
  // generates in/out rules only); -icmp-type goes with an ICMP proto, -sport with tcp/udp.
  const shape = (r: FirewallRuleConfig, at: string, inGroup: boolean) => {
    if (r.group !== undefined) {
      if (inGroup)
        add(`${at}.group`, "a security group cannot reference another group (pve-firewall generates only IN/OUT rules in a group); write its rules here");
      else if (!c.firewall.groups[r.group])
        add(
          `${at}.group`,
          `security group "${r.group}" is not in firewall.groups; add it there (${Object.keys(c.firewall.groups).join(", ") || "none declared"})`,
        );
      const extra = (["macro", "source", "dest", "log", "icmpType", "direction"] as const).filter((k) => r[k] !== undefined);
      if (r.dports.length) extra.push("dports" as never);
      if (r.sports.length) extra.push("sports" as never);
      if (r.action !== "ACCEPT") extra.push("action" as never);
      if (extra.length) add(`${at}.group`, `a GROUP rule takes only iface, comment and enabled (the group's rules decide); remove ${extra.join(", ")}`);
      return;
    }
    if (inGroup && r.iface !== undefined)
      add(
        `${at}.iface`,
        "pve-firewall does not allow -i on a security group's rule (it skips the rule); remove iface here and set it on the GROUP rule that uses the group",
      );
    if (r.icmpType !== undefined && r.macro === undefined && r.proto !== "icmp" && r.proto !== "ipv6-icmp")
      add(`${at}.icmpType`, "icmpType needs proto icmp or ipv6-icmp");
    if (r.sports.length && r.macro === undefined && r.proto !== "tcp" && r.proto !== "udp") add(`${at}.sports`, "sports need proto tcp or udp");
    if (r.dports.length && r.macro === undefined && r.proto !== "tcp" && r.proto !== "udp") add(`${at}.dports`, "dports need proto tcp or udp");
    for (const field of ["source", "dest"] as const) {
      const v = r[field];
      if (v === undefined || isAddressOrCidr(v)) continue;
      const p = refProblem(v);
      if (p) add(`${at}.${field}`, p);
    }
  };
  c.firewall.hostRules.forEach((r, i) => {
    shape(r, `firewall.hostRules[${i}]`, false);
  });
  for (const [g, grp] of Object.entries(c.firewall.groups)) {
    grp.rules.forEach((r, i) => {
      shape(r, `firewall.groups.${g}.rules[${i}]`, true);
    });
  }
  const tailnetIface = c.network.tailnet.iface;
  /**
   * An ACCEPT may not open the API or a console to a public source or on a public bridge. A GROUP rule
   * is judged by its group's rules under its interface (as pve-firewall runs them), host.fw rules as
   * cluster rules (both are the host's input chain).
   */
  const neverOpen = (r: FirewallRuleConfig, at: string): void => {
    if (r.group !== undefined) {
      (c.firewall.groups[r.group]?.rules ?? []).forEach((g, k) => {
        const inner = groupMember(r, g);
        // A rule that never matches under this GROUP rule's interface opens nothing.
        if (inner !== null) neverOpen(inner, `${at} -> firewall.groups.${r.group}.rules[${k}]`);
      });
      return;
    }
    if (r.action !== "ACCEPT" || r.direction === "out") return;
    // Only tailnet traffic arrives on the tailnet interface: a rule bound to it is not open to everyone.
    // Otherwise open = any source, or one that reaches beyond the private ranges (0.0.0.0/1 is half the Internet).
    const open = r.iface !== tailnetIface && (r.source === undefined || (!c.guests[r.source] && !privateRef(r.source)));
    const anySource = r.source === undefined || r.source === "0.0.0.0/0" || r.source === "::/0";
    const publicIface = r.iface !== undefined && c.network.bridges[r.iface]?.public;
    if (!open && !publicIface) return;
    const where = publicIface ? `on the public bridge ${r.iface}` : anySource ? "to any source" : `to public addresses (source ${r.source})`;
    for (const p of neverPublic()) {
      const reaches = ruleReachesTcpPort(r, p.port);
      if (reaches === false) continue;
      add(
        at,
        reaches === "undecidable"
          ? `macro ${r.macro} may open ${p.what} ${where}, and the check cannot expand it; restrict source to the tailnet (${c.network.tailnet.cidr}) or write the rule with proto and dports`
          : `opens ${p.what} ${where}${r.dports.length || r.macro ? "" : " (no dports: every port)"}; restrict source to the tailnet (${c.network.tailnet.cidr})${r.dports.length || r.macro ? "" : " or list the ports it opens in dports"}`,
      );
      break;
    }
  };
  c.firewall.hostRules.forEach((r, i) => {
    neverOpen(r, `firewall.hostRules[${i}]`);
  });
  const firstByName = new Map<string, number>();
  c.firewall.rules.forEach((r, i) => {
    const at = `firewall.rules[${i}]`;
    // The name is the rule's identity in the comment (`name: comment`) and in discover's mapping.
    const first = firstByName.get(r.name);
    if (first !== undefined) add(`${at}.name`, `"${r.name}" is already the name of firewall.rules[${first}]; give each rule its own name`);
    else firstByName.set(r.name, i);
    shape(r, at, false);
    if (r.iface !== undefined && !c.network.bridges[r.iface] && r.iface !== tailnetIface) {
      add(`${at}.iface`, `unknown interface "${r.iface}"; use one of ${[...bridges, tailnetIface].join(", ")} or omit iface`);
    }
    neverOpen(r, at);
  });
  // Whether an up applies the section at all (filesManaged, hostServices): stacks/config/recorded.ts.
  for (const i of tailnetAccessIssues(c)) add(i.path, i.message);
};

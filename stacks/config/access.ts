import * as ipaddr from "ipaddr.js";
import { isAddressOrCidr } from "./common";
import type { ConfigIssue } from "./errors";
import type { FirewallRuleConfig } from "./firewall";
import type { StackConfig } from "./schema";

/**
 * The operator's only way in: the tailnet reaching the host's SSH (22) and the Proxmox API / web UI
 * (`firewall.apiPort`, 8006) over tcp. There is no console. A stack file in which the cluster
 * firewall would not let that traffic in is refused, whatever else it says, because such a file is
 * either wrong about the host or a plan to lock the operator out.
 *
 * The firewall is evaluated the way pve-firewall evaluates cluster.fw's `[RULES]` for the host:
 * enabled rules top to bottom, the first match decides, then `policy_in`. The traffic checked is
 * every tcp packet from `network.tailnet.cidr` to `network.tailnet.hostAddress` on the port,
 * arriving on the tailnet interface (`network.tailnet.iface`, tailscale0): a rule bound to that
 * interface matches it, a rule bound to a bridge never does. Conservative on purpose: an earlier DROP/REJECT
 * that may match *part* of that traffic counts as blocking, and an ACCEPT counts only when it
 * matches *all* of it.
 */

/** One required path: the port and what listens there. */
interface AccessPort {
  readonly port: number;
  readonly what: string;
}

/** Where the operator's access must come from and go to. */
interface AccessTraffic {
  /** Tailnet range, e.g. `100.64.0.0/10`. */
  readonly sourceCidr: string;
  /** The host's tailnet address, e.g. `100.94.229.96`. */
  readonly hostAddress: string;
}

/**
 * An address/CIDR as an IPv4 [network, prefix], or undefined when it is IPv6 (never matches tailnet
 * IPv4) or not an address at all (the config rules report that field on their own).
 */
function ipv4Cidr(v: string): [ipaddr.IPv4, number] | undefined {
  if (!isAddressOrCidr(v)) return undefined;
  if (v.includes("/")) {
    const [a, len] = ipaddr.parseCIDR(v);
    return a.kind() === "ipv4" ? [a as ipaddr.IPv4, len] : undefined;
  }
  const a = ipaddr.parse(v);
  return a.kind() === "ipv4" ? [a as ipaddr.IPv4, 32] : undefined;
}

/** The rule's address field as the firewall sees it: a guest name is that guest's IPv4. */
function resolve(c: StackConfig, v: string | undefined): string | undefined | null {
  if (v === undefined) return undefined;
  const g = c.guests[v];
  if (g) return g.ipv4 ?? null; // null: a guest without a static IPv4 (the config rules refuse it elsewhere)
  return v;
}

/** How a rule's address field relates to a set of addresses: all of them, some, or none. */
type Cover = "all" | "some" | "none";

function cover(field: string | undefined | null, cidr: string): Cover {
  if (field === undefined) return "all";
  if (field === null) return "none";
  const f = ipv4Cidr(field);
  if (!f) return "none";
  const [net, len] = ipv4Cidr(cidr) as [ipaddr.IPv4, number];
  if (len >= f[1] && net.match(f)) return "all";
  if (f[0].match([net, len])) return "some";
  return "none";
}

/** How much of the traffic (tcp, tailnet -> host:port, on tailscale0) a rule matches. */
function ruleCover(c: StackConfig, r: FirewallRuleConfig, port: number, t: AccessTraffic): Cover {
  if (!r.enabled || r.proto !== "tcp" || (r.iface !== undefined && r.iface !== c.network.tailnet.iface)) return "none";
  if (r.dports.length && !r.dports.includes(port)) return "none";
  const dest = cover(resolve(c, r.dest), `${t.hostAddress}/32`);
  const source = cover(resolve(c, r.source), t.sourceCidr);
  if (dest === "none" || source === "none") return "none";
  return dest === "all" && source === "all" ? "all" : "some";
}

/** Why the traffic to `port` would not get in, or undefined when it does. */
function blockedBy(c: StackConfig, port: number, t: AccessTraffic): string | undefined {
  const fw = c.firewall;
  if (!fw.enabled) return undefined;
  for (const [i, r] of fw.rules.entries()) {
    const m = ruleCover(c, r, port, t);
    if (m === "none") continue;
    if (r.action === "ACCEPT" && m === "all") return undefined;
    if (r.action !== "ACCEPT") return `firewall.rules[${i}] (${r.name}, ${r.action}) matches it before any rule accepts it`;
  }
  if (fw.inputPolicy === "ACCEPT") return undefined;
  return `no enabled rule accepts it (an ACCEPT rule with proto tcp, dports containing ${port}, source ${t.sourceCidr} or wider, no dest or one containing ${t.hostAddress}, and no iface or the tailnet interface), so inputPolicy ${fw.inputPolicy} drops it`;
}

/**
 * The access predicate: an issue for each of tcp 22 and `firewall.apiPort` that the tailnet could
 * not reach on the host under the stack file's cluster firewall (missing or disabled rule, wrong
 * proto, port, source, dest or iface, or an earlier DROP/REJECT rule). Empty when access holds.
 */
export function tailnetAccessIssues(c: StackConfig): ConfigIssue[] {
  const t: AccessTraffic = { sourceCidr: c.network.tailnet.cidr, hostAddress: c.network.tailnet.hostAddress };
  const ports: AccessPort[] = [
    { port: 22, what: "SSH" },
    { port: c.firewall.apiPort, what: "the Proxmox API and web UI" },
  ];
  const issues: ConfigIssue[] = [];
  for (const p of ports) {
    const why = blockedBy(c, p.port, t);
    if (why === undefined) continue;
    issues.push({
      path: "firewall.rules",
      message:
        `the tailnet ${t.sourceCidr} could not reach ${p.what} (tcp ${p.port}) on ${t.hostAddress}: ${why}. ` +
        `That path is the operator's only way in (there is no console), so the stack file must keep it: an enabled rule ` +
        `{ action: ACCEPT, proto: tcp, source: ${t.sourceCidr}, dports: [${p.port}] } without iface (or with iface ${c.network.tailnet.iface}) above every DROP/REJECT rule that matches it. ` +
        `To really change access on the host, edit cluster.fw over SSH behind a confirm timer (docs/adopting.md, "Changing the firewall or vmbr0 safely"), then bring this file in line`,
    });
  }
  return issues;
}

import { z } from "zod";
import { addressOrCidrProblem, isAddressOrCidr, portSchema, refineWith } from "./common";

/**
 * A Proxmox firewall object name (IP set, alias, security group), as pve-firewall's `$ipset_name_pattern` /
 * alias and group name patterns allow (proxmox/pve-firewall src/PVE/Firewall.pm): a letter, then letters,
 * digits, `-` and `_`. Proxmox lowercases IP set and alias names when it reads a file, so the stack
 * writes them lowercase.
 */
const objectNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*$/, { error: "firewall object names are a lowercase letter, then lowercase letters, digits, - and _" });

/** Why a rule's `source`/`dest` is refused, or null: an address/CIDR (network address), `+set`, `+dc/set`, `dc/alias` or a plain name (guest or alias; the config rules resolve it). */
function refProblem(s: string): string | null {
  if (isAddressOrCidr(s)) return addressOrCidrProblem(s);
  if (/^\+(?:dc\/)?[a-z][a-z0-9_-]*$/.test(s) || /^(?:dc\/)?[a-z][a-z0-9_-]*$/.test(s)) return null;
  return "write an address, a CIDR, a guest name, an alias name (or dc/<alias>), or an IP set as +<name> (or +dc/<name>)";
}

/**
 * One entry of an IP set: an address or CIDR, or an alias name; a leading `!` makes it a nomatch entry
 * (addresses it covers are excluded, the most specific entry deciding as in an ipset hash:net).
 */
const ipsetEntrySchema = z.string().superRefine(
  refineWith((s: string) => {
    const v = s.startsWith("!") ? s.slice(1) : s;
    if (isAddressOrCidr(v)) return addressOrCidrProblem(v);
    if (/^(?:dc\/)?[a-z][a-z0-9_-]*$/.test(v)) return null;
    return "an IP set entry is an address, a CIDR or an alias name, optionally prefixed with ! (nomatch)";
  }),
);

const policySchema = z.enum(["ACCEPT", "DROP", "REJECT"], { error: "policy must be ACCEPT, DROP or REJECT" });

/** One cluster-level firewall rule (direction `in`). */
export const firewallRuleSchema = z.strictObject({
  /** Short name, used as the rule's comment prefix. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: "rule names are lowercase letters, digits and -" }),
  /** What to do with matching packets. */
  action: policySchema,
  /** Protocol. Defaults to tcp. */
  proto: z.enum(["tcp", "udp", "icmp", "ipv6-icmp"], { error: "proto must be tcp, udp, icmp or ipv6-icmp" }).default("tcp"),
  /** Source: an address, a CIDR written as its network address, or a guest name. Omit for any source. */
  source: z.string().min(1).superRefine(refineWith(refProblem)).optional(),
  /** Destination: an address, a CIDR written as its network address, a guest name, an alias or `+set`. Omit for the host itself / any. */
  dest: z.string().min(1).superRefine(refineWith(refProblem)).optional(),
  /**
   * A pve-firewall macro (`SSH`, `DNS`, `Ping`, ...): the rule is `Macro(ACTION)` and the macro supplies
   * proto and ports. Proxmox looks macro names up case-insensitively (`get_firewall_macros`, lc). Omit for a plain rule.
   */
  macro: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, { error: "a macro is a pve-firewall macro name such as SSH, DNS or Ping" })
    .optional(),
  /** Destination ports. */
  dports: z.array(portSchema).default([]),
  /** Interface (bridge name) the rule is bound to. Omit for all interfaces. */
  iface: z.string().optional(),
  /** Free-text comment. */
  comment: z.string().optional(),
  /** Enabled. Defaults to true. */
  enabled: z.boolean().default(true),
});

/** `neve-infra:firewall`: the datacenter (cluster.fw) firewall. */
export const firewallSchema = z.strictObject({
  /** Firewall enabled. */
  enabled: z.boolean(),
  /** Default policy for incoming traffic. */
  inputPolicy: policySchema,
  /** Default policy for outgoing traffic. */
  outputPolicy: policySchema.default("ACCEPT"),
  /** Rules, evaluated top to bottom. */
  rules: z.array(firewallRuleSchema),
  /** Proxmox API / web UI port that must never be open to the public. Defaults to 8006. */
  apiPort: portSchema.default(8006),
  /** cluster.fw `[IPSET <name>]` sections: name -> entries (address, CIDR or alias, `!` for nomatch). */
  ipsets: z.record(objectNameSchema, z.array(ipsetEntrySchema)).default({}),
  /** cluster.fw `[ALIASES]`: name -> address or CIDR. */
  aliases: z
    .record(
      objectNameSchema,
      z.string().superRefine(refineWith((s: string) => (isAddressOrCidr(s) ? addressOrCidrProblem(s) : "an alias is an address or a CIDR"))),
    )
    .default({}),
  /** The node's host.fw `[RULES]` (direction in), which pve-firewall applies to the host before the cluster rules. */
  hostRules: z.array(firewallRuleSchema).default([]),
  /**
   * Who writes the firewall files. `false` (the default): Proxmox's API through the provider's cluster
   * firewall resources, read-only (protected, every field ignored): the stack only records the rules.
   * `true`: the stack renders /etc/pve/firewall/cluster.fw (options, aliases, IP sets, rules) and the node's
   * host.fw (`hostRules`) and pushes them as the host service `pve-firewall` under the commit-confirmed net
   * (restored by the host unless a fresh SSH login and a fresh API handshake confirm access), and declares
   * no Proxmox firewall resource (one owner per object). Switching an existing state over: docs/adopting.md §7.
   */
  filesManaged: z.boolean().default(false),
});

/** Parsed `neve-infra:firewall`. */
export type FirewallConfig = z.infer<typeof firewallSchema>;
/** Parsed firewall rule. */
export type FirewallRuleConfig = z.infer<typeof firewallRuleSchema>;

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

/** cluster.fw options the stack states in `options` (the others have their own fields). */
export const CLUSTER_EXTRA_OPTIONS = ["ebtables", "policy_forward", "log_ratelimit"] as const;
/** host.fw options (pve-firewall src/PVE/Firewall.pm `parse_hostfw_option`, commit 6f1311f3). */
export const HOST_OPTIONS = [
  "enable",
  "nosmurfs",
  "tcpflags",
  "ndp",
  "log_nf_conntrack",
  "nf_conntrack_allow_invalid",
  "protection_synflood",
  "nftables",
  "log_level_in",
  "log_level_out",
  "log_level_forward",
  "tcp_flags_log_level",
  "smurf_log_level",
  "nf_conntrack_helpers",
  "nf_conntrack_max",
  "nf_conntrack_tcp_timeout_established",
  "nf_conntrack_tcp_timeout_syn_recv",
  "protection_synflood_rate",
  "protection_synflood_burst",
  "protection_limit",
] as const;

const policySchema = z.enum(["ACCEPT", "DROP", "REJECT"], { error: "policy must be ACCEPT, DROP or REJECT" });

/** pve-firewall's log levels for a rule's `-log` (parse_fw_rule); `nolog` is the same as no `-log`. */
export const FIREWALL_LOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog"] as const;

/**
 * One firewall rule (`IN` unless `direction: out`), of cluster.fw, host.fw or a security group. The fields are
 * the options of pve-firewall's rule line (src/PVE/Firewall.pm `parse_fw_rule`, commit 6f1311f3):
 * `-i`, `-p`, `-dport`, `-sport`, `-source`, `-dest`, `-log`, `-icmp-type`, a `Macro(ACTION)`, and
 * `GROUP <name>` (here `group`), which takes `-i` only.
 */
const firewallRuleObject = z.strictObject({
  /** Short name, used as the rule's comment prefix. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: "rule names are lowercase letters, digits and -" }),
  /** What to do with matching packets. */
  action: policySchema,
  /** Protocol. Defaults to tcp. `any`: the rule has no `-p` and matches every protocol (then no ports). */
  proto: z.enum(["tcp", "udp", "icmp", "ipv6-icmp", "any"], { error: "proto must be tcp, udp, icmp, ipv6-icmp or any" }).default("tcp"),
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
  /** Source ports (`-sport`). */
  sports: z.array(portSchema).default([]),
  /** `-log <level>`: log matching packets at this syslog level. Omit (or `nolog`) for none. */
  log: z.enum(FIREWALL_LOG_LEVELS, { error: `log is one of ${FIREWALL_LOG_LEVELS.join(", ")}` }).optional(),
  /** `-icmp-type` (a name such as `echo-request`, or a number), with proto icmp or ipv6-icmp. */
  icmpType: z
    .string()
    .regex(/^[a-z0-9-]+$/, { error: "icmpType is an ICMP type name such as echo-request, or its number" })
    .optional(),
  /**
   * A security group (`firewall.groups`): the rule is `GROUP <name>`, whose rules decide (action is
   * not written; omit it). Only `iface`, `comment` and `enabled` go with it.
   */
  group: objectNameSchema.optional(),
  /** `out` for an `OUT` rule (traffic the host or, in a group, the guest sends). Omit for `IN`. */
  direction: z.enum(["in", "out"], { error: "direction is in or out" }).optional(),
});

/** A group reference has no action of its own: the schema fills ACCEPT, which nothing renders. */
export const firewallRuleSchema = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && "group" in v && !("action" in v) ? { ...v, action: "ACCEPT" } : v),
  firewallRuleObject,
);

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
  /**
   * The node's host.fw `[RULES]` (direction in), which pve-firewall applies to the host before the
   * cluster rules (src/PVE/Firewall.pm `enable_host_firewall`: "add host rules first", `@$rules, @$cluster_rules`).
   */
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
  /**
   * The section is a record of the host, which an `up` does not apply: with `filesManaged: false` the
   * options and the rule list are read-only bpg resources and the rest is sent nowhere. The plan refuses
   * the section then unless this is true (stacks/config/recorded.ts); with `filesManaged: true` it has
   * no effect (the files apply the section). `discover --write` sets it when it records the firewall.
   */
  recorded: z.boolean().default(false),
  /** cluster.fw `[group <name>]` security groups: name -> rules (and a comment), referenced by a rule's `group`. */
  groups: z
    .record(
      objectNameSchema,
      z.strictObject({
        /** The comment after the section header. */
        comment: z.string().optional(),
        /** The group's rules, in order. */
        rules: z.array(firewallRuleSchema).default([]),
      }),
    )
    .default({}),
  /**
   * cluster.fw `[OPTIONS]` besides enable/policy_in/policy_out, as written: `ebtables`, `policy_forward`,
   * `log_ratelimit` (`parse_clusterfw_option`).
   */
  options: z.partialRecord(z.enum(CLUSTER_EXTRA_OPTIONS), z.string().min(1)).default({}),
  /** host.fw `[OPTIONS]`, as written (`parse_hostfw_option`: enable, nosmurfs, tcpflags, log_level_in, nftables, ...). */
  hostOptions: z.partialRecord(z.enum(HOST_OPTIONS), z.string()).default({}),
});

/** Parsed `neve-infra:firewall`. */
export type FirewallConfig = z.infer<typeof firewallSchema>;
/** Parsed firewall rule. */
export type FirewallRuleConfig = z.output<typeof firewallRuleSchema>;

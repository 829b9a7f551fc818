import { z } from "zod";
import { addressOrCidrProblem, portSchema, refineWith } from "./common";

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
  source: z.string().min(1).superRefine(refineWith(addressOrCidrProblem)).optional(),
  /** Destination: an address, a CIDR written as its network address, or a guest name. Omit for the host itself / any. */
  dest: z.string().min(1).superRefine(refineWith(addressOrCidrProblem)).optional(),
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
});

/** Parsed `neve-infra:firewall`. */
export type FirewallConfig = z.infer<typeof firewallSchema>;
/** Parsed firewall rule. */
export type FirewallRuleConfig = z.infer<typeof firewallRuleSchema>;

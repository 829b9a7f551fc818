import type { ConfigIssue } from "../errors";
import { lowestFree } from "../ipplan";
import type { StackConfig } from "../schema";
import { backupRules } from "./backups";
import { firewallRules } from "./firewall";
import { guestRules } from "./guests";
import { hostServiceRules } from "./hostServices";
import { networkRules } from "./network";
import { restartRules } from "./restart";
import { routeRules } from "./routes";
import { storageRules } from "./storage";
import { tunnelRules } from "./tunnel";
import type { SectionRules, SharedFacts } from "./types";

/**
 * The cross-field rules of each section, in the order they run (routes before the tunnel: a
 * hostname is reported where it is routed the second time). Add a section's module here.
 */
export const SECTION_RULES: readonly SectionRules[] = [
  networkRules,
  guestRules,
  restartRules,
  storageRules,
  routeRules,
  tunnelRules,
  firewallRules,
  backupRules,
  hostServiceRules,
];

/**
 * Cross-field rules of the stack config (the schema checks each field alone). Every issue names
 * the field path and the fix. Returns an empty list when the config is consistent.
 */
export function checkRules(c: StackConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const plan = c.network.ipv4;
  // Suggest the next free clone address in messages: everything statically held counts.
  const staticV4 = [
    plan.gateway,
    ...plan.unmanaged.map((u) => u.address),
    ...Object.values(c.guests)
      .filter((g) => !g.template && (g.ipv4 ?? g.dhcpReserved))
      .map((g) => (g.ipv4 ?? g.dhcpReserved) as string),
  ];
  const nextClone = lowestFree(plan.cloneRange, staticV4);
  const shared: SharedFacts = { nextClone, cloneHint: nextClone ? `next free: ${nextClone}` : "the clone range is full", hostnames: new Map() };
  for (const rules of SECTION_RULES) rules(c, add, shared);
  return issues;
}

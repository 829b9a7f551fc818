import * as ipaddr from "ipaddr.js";
import { isAddressOrCidr } from "./common";
import { ipv4InRange, lowestFree, prefixLength } from "./ipplan";
import type { BackupJobModel, FirewallRuleModel, GuestModel, NeveModel, RouteModel, StorageModel } from "./model";
import type { StackConfig } from "./schema";

/** Deep-freeze so the model is readonly at run time too, not only in the types. */
function freeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) freeze(v);
  }
  return o;
}

/** Build the model from a config that passed `checkRules` (so every reference resolves). */
export function buildModel(c: StackConfig): NeveModel {
  const v4len = prefixLength(c.network.ipv4.subnet);
  const v6len = c.network.ipv6 ? prefixLength(c.network.ipv6.prefix) : undefined;

  const guests: GuestModel[] = Object.entries(c.guests).map(([name, g]) => ({
    ...g,
    name,
    ipv4Cidr: g.ipv4 ? `${g.ipv4}/${v4len}` : undefined,
    ipv6Cidr: g.ipv6 && v6len !== undefined ? `${ipaddr.IPv6.parse(g.ipv6).toString()}/${v6len}` : undefined,
    protect: g.running,
  }));
  const addressOf = (ref: string): string => (isAddressOrCidr(ref) ? ref : (c.guests[ref].ipv4 as string));
  // A firewall reference that is no guest (an IP set `+name`, an alias) goes to Proxmox as written: Proxmox resolves it.
  const ruleAddressOf = (ref: string): string => (c.guests[ref] ? (c.guests[ref].ipv4 as string) : ref);

  const storage: StorageModel[] = Object.entries(c.storage).map(([id, s]) =>
    s.type === "pbs" ? { ...s, id, serverAddress: addressOf(s.server) } : { ...s, id },
  );
  const routes: RouteModel[] = c.routes.map((r) => ({ ...r, targetIpv4: c.guests[r.guest].ipv4 as string }));
  const resolveRule = (r: StackConfig["firewall"]["rules"][number]): FirewallRuleModel => ({
    ...r,
    sourceAddress: r.source === undefined ? undefined : ruleAddressOf(r.source),
    destAddress: r.dest === undefined ? undefined : ruleAddressOf(r.dest),
  });
  const rules = c.firewall.rules.map(resolveRule);
  const hostRules = c.firewall.hostRules.map(resolveRule);
  const groups = Object.fromEntries(Object.entries(c.firewall.groups).map(([n, g]) => [n, { ...g, rules: g.rules.map(resolveRule) }]));
  const backups: BackupJobModel[] = Object.entries(c.backups).map(([id, j]) => ({
    ...j,
    id,
    vmids: j.guests.map((n) => c.guests[n].vmid),
  }));

  return freeze({
    adopt: c.adopt,
    adoption: c.adoption,
    proxmox: c.proxmox,
    network: c.network,
    guests,
    storage,
    routes,
    tunnel: c.tunnel,
    firewall: { ...c.firewall, rules, hostRules, groups },
    backups,
    ssh: c.ssh,
    hostServices: c.hostServices,
  });
}

/** Error thrown when the clone range has no free address left. */
export class CloneRangeFullError extends Error {
  constructor(range: string, holders: string[]) {
    super(
      `network.ipv4.cloneRange ${range} is full (held by ${holders.join(", ")}); ` +
        "delete a clone you no longer need (and its guests/unmanaged entry) or widen network.ipv4.cloneRange",
    );
    this.name = "CloneRangeFullError";
  }
}

/**
 * Every IPv4 address held today, address -> holder: the gateway (`gateway`), each unmanaged holder
 * and each non-template guest with a static or DHCP-reserved address. Template placeholders do not count: every
 * clone overrides them. The one list behind `next-ip` and the `network.taken` output.
 */
export function heldAddresses(model: NeveModel): Map<string, string> {
  const plan = model.network.ipv4;
  const held = new Map<string, string>([[plan.gateway, "gateway"]]);
  for (const u of plan.unmanaged) held.set(u.address, u.holder);
  for (const g of model.guests) {
    if (g.template) continue;
    if (g.ipv4) held.set(g.ipv4, g.name);
    // A DHCP reservation holds its address as firmly as a static one.
    else if (g.dhcpReserved) held.set(g.dhcpReserved, g.name);
  }
  return held;
}

/**
 * The lowest free address of the clone range (.91-.99): not held by a non-template guest, the
 * gateway or an unmanaged holder ({@link heldAddresses}). Throws `CloneRangeFullError`.
 */
export function nextFreeCloneAddress(model: NeveModel): string {
  const plan = model.network.ipv4;
  const held = heldAddresses(model);
  const free = lowestFree(plan.cloneRange, held.keys());
  if (free === undefined) {
    throw new CloneRangeFullError(
      `${plan.cloneRange.start}-${plan.cloneRange.end}`,
      [...held.entries()].filter(([a]) => ipv4InRange(a, plan.cloneRange)).map(([a, h]) => `${h} ${a}`),
    );
  }
  return free;
}

// Example consumer stack (type-checked in CI, not deployed): reads stack `neve`'s outputs through a
// StackReference, typed by the `neve-infra` package it depends on (package.json: "file:../..",
// installed by the root's `npm ci` as an npm workspace). It imports only the package's published entry
// `neve-infra/outputs` (its `exports`: compiled JavaScript and .d.ts), as a consumer that installed it
// from a registry or git would. Set `neveStack` to "<org>/neve-infra/neve" (or
// "organization/neve-infra/neve" on a self-managed backend).
import * as pulumi from "@pulumi/pulumi";
import { type GuestOutput, type NeveStackOutputs, neveOutputs } from "neve-infra/outputs";

const config = new pulumi.Config();
const neve = neveOutputs(new pulumi.StackReference(config.get("neveStack") ?? "organization/neve-infra/neve"));

/** Where cipher lives: an Output<string | null>. */
export const cipherIpv4 = neve.guests.apply((g) => g.cipher?.ipv4 ?? null);

/** Every running guest with a fixed private address, e.g. to build a monitoring target list. */
export const monitoringTargets = neve.guests.apply((guests) =>
  Object.values(guests)
    .filter((g: GuestOutput) => g.running && g.ipv4 !== null)
    .map((g) => `${g.ipv4}:9100`),
);

/** The private subnet and gateway, e.g. for a VPN route. */
export const privateRoute = pulumi.interpolate`${neve.network.cidr} via ${neve.network.gateway}`;

/** One DNS record a DNS stack would create for a public hostname of neve. */
export interface DnsRecord {
  readonly name: string;
  readonly type: "A" | "AAAA" | "CNAME";
  readonly value: string;
}

/**
 * DNS records for every public hostname: edge routes point at the host's public addresses (A and
 * AAAA), tunnel routes at the tunnel (CNAME `<id>.cfargotunnel.com`).
 */
export function dnsRecords(o: Pick<NeveStackOutputs, "publicRoutes" | "publicAddresses" | "tunnel">): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const r of o.publicRoutes) {
    switch (r.via) {
      case "edge":
        if (o.publicAddresses.ipv4) records.push({ name: r.hostname, type: "A", value: o.publicAddresses.ipv4 });
        if (o.publicAddresses.ipv6) records.push({ name: r.hostname, type: "AAAA", value: o.publicAddresses.ipv6 });
        break;
      case "tunnel":
        records.push({ name: r.hostname, type: "CNAME", value: o.tunnel.cnameTarget });
        break;
      default: {
        const never: never = r.via;
        throw new Error(`unknown route kind ${String(never)}`);
      }
    }
  }
  return records;
}

export const records = pulumi
  .all([neve.publicRoutes, neve.publicAddresses, neve.tunnel])
  .apply(([publicRoutes, publicAddresses, tunnel]) => dnsRecords({ publicRoutes, publicAddresses, tunnel }));

/**
 * An address for a new guest on the private bridge that nothing holds: neve's next free clone
 * address, refused when the range is full or the address is taken after all.
 */
export const newGuestAddress = neve.network.apply((n) => {
  if (n.nextFreeCloneAddress === null) throw new Error(`neve's clone range ${n.cloneRange.start}-${n.cloneRange.end} is full`);
  const holder = n.taken.find((t) => t.address === n.nextFreeCloneAddress);
  if (holder) throw new Error(`${n.nextFreeCloneAddress} is held by ${holder.holder}`);
  return n.nextFreeCloneAddress;
});

/** How an automation stack reaches neve's API and sshd (the fingerprint is null until one is pinned). */
export const access = pulumi.all([neve.proxmox, neve.ssh]).apply(([p, s]) => ({
  api: `${p.endpoint}/api2/json/nodes/${p.nodeName}`,
  ssh: `${s.user}@${s.host}:${s.port}`,
  hostKey: s.hostKeyFingerprint ?? `unpinned: ${s.hostKeyUnpinnedReason}`,
}));

/** Public hostnames served by the host's edge proxy, and the MAC of cipher (from the provider). */
export const edgeHostnames = neve.publicRoutes.apply((routes) => routes.filter((r) => r.via === "edge").map((r) => r.hostname));
export const cipherMac = neve.guests.apply((g) => g.cipher?.macAddresses?.[0] ?? null);

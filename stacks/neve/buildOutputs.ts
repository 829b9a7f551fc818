import { parseHostKeyPin } from "../../providers/ssh/hostkey";
import { HOST_SERVICES } from "../components/host/registry";
import { CloneRangeFullError, heldAddresses, nextFreeCloneAddress } from "../config/build";
import { ipv4ToNumber } from "../config/ipplan";
import type { NeveModel } from "../config/model";
import { deploymentRecord } from "../guards/deployment";
import type { AddressHolderOutput, BridgeOutput, GuestOutput, HostPortsOutput, NeveStackOutputs, PublicAddressesOutput, SshOutput } from "./outputs";

/**
 * Suffix of a Cloudflare Tunnel's DNS target: `cloudflared tunnel route dns` points a hostname at
 * `<tunnel UUID>.cfargotunnel.com` with a CNAME (cloudflare/cloudflared, and Cloudflare's docs
 * "DNS records" of Cloudflare Tunnel).
 */
const CFARGOTUNNEL_SUFFIX = "cfargotunnel.com";

/** What `hostKeyUnpinnedReason` says while the stack pins no host key. */
export const HOST_KEY_UNPINNED_REASON = 'ssh.hostKey is not set in the stack config: no host key is pinned yet (README, "Pin the SSH host key")';

/** The address part of a CIDR (`51.159.96.140/24` -> `51.159.96.140`). */
function addressOf(cidr: string): string {
  return cidr.split("/")[0];
}

function sshOutput(model: NeveModel): SshOutput {
  const { host, port, user, hostKey } = model.ssh;
  if (hostKey === undefined) return { host, port, user, hostKeyFingerprint: null, hostKeyType: null, hostKeyUnpinnedReason: HOST_KEY_UNPINNED_REASON };
  // The schema accepted it, so it parses: a key line gives its fingerprint and type, a fingerprint itself.
  const pin = parseHostKeyPin(hostKey);
  return { host, port, user, hostKeyFingerprint: pin.fingerprint, hostKeyType: pin.keyType ?? null, hostKeyUnpinnedReason: null };
}

function bridgeOutputs(model: NeveModel): Record<string, BridgeOutput> {
  const out: Record<string, BridgeOutput> = {};
  for (const [name, b] of Object.entries(model.network.bridges)) {
    const dhcp = b.ipv4 === "dhcp";
    out[name] = {
      name,
      comment: b.comment ?? null,
      ports: [...b.ports],
      ipv4Method: dhcp ? "dhcp" : "static",
      ipv4: dhcp ? (b.public ? (model.network.publicIpv4 ?? null) : null) : b.ipv4,
      ipv6: b.ipv6 ?? null,
      public: b.public,
      // `interfaces`: NATed by the host's own post-up lines (adopted by discover) — NATed all the same.
      nat: b.nat !== false,
    };
  }
  return out;
}

function publicAddresses(model: NeveModel): PublicAddressesOutput {
  const entry = Object.entries(model.network.bridges).find(([, b]) => b.public);
  if (!entry) return { bridge: null, ipv4: model.network.publicIpv4 ? addressOf(model.network.publicIpv4) : null, ipv6: null };
  const [name, b] = entry;
  const v4 = b.ipv4 !== "dhcp" ? b.ipv4 : model.network.publicIpv4;
  return { bridge: name, ipv4: v4 ? addressOf(v4) : null, ipv6: b.ipv6 ? addressOf(b.ipv6) : null };
}

function taken(model: NeveModel): AddressHolderOutput[] {
  return [...heldAddresses(model).entries()]
    .map(([address, holder]) => ({ address, holder }))
    .sort((a, b) => ipv4ToNumber(a.address) - ipv4ToNumber(b.address));
}

function nextFreeClone(model: NeveModel): string | null {
  try {
    return nextFreeCloneAddress(model);
  } catch (e) {
    if (e instanceof CloneRangeFullError) return null;
    throw e;
  }
}

function hostPorts(model: NeveModel): HostPortsOutput {
  // The same registry the host files are rendered from, so the ports cannot drift from haproxy.cfg or the units.
  const haproxy = HOST_SERVICES.haproxy.instances(model)[0].model;
  const spice = HOST_SERVICES["spiceproxy-socat"].instances(model)[0]?.model;
  return {
    managed: model.hostServices.enabled,
    ssh: model.ssh.port,
    proxmoxApi: model.firewall.apiPort,
    edge: { http: haproxy.httpBinds[0].port, https: haproxy.tlsBinds[0].port },
    haproxyStats: { address: haproxy.stats.address, port: haproxy.stats.port, path: haproxy.stats.path },
    novnc: HOST_SERVICES.novnc.instances(model).map(({ model: n }) => ({ guest: n.vmName, vmid: n.vmid, address: n.listenAddress, port: n.listenPort })),
    spiceRelay: spice ? { port: spice.listenPort, target: { host: spice.targetHost, port: spice.targetPort } } : null,
  };
}

/**
 * Build the outputs from the model (pure but for `deployment.commit`, the checkout's HEAD, so the
 * contract is testable without Pulumi). Values only
 * the live resources know (`guests.*.macAddresses`) are null here; the program fills them from the
 * resources' outputs (./liveGuests).
 */
export function buildOutputs(model: NeveModel): NeveStackOutputs {
  const plan = model.network.ipv4;
  const guests: Record<string, GuestOutput> = {};
  for (const g of model.guests) {
    guests[g.name] = {
      id: g.vmid,
      name: g.name,
      kind: g.kind,
      bridge: g.bridge,
      ipv4: g.ipv4 ?? null,
      ipv6: g.ipv6 ?? null,
      template: g.template,
      running: g.running,
      macAddresses: null,
    };
  }
  return {
    deployment: deploymentRecord(model.adoption.live),
    network: {
      cidr: plan.subnet,
      gateway: plan.gateway,
      bridge: plan.bridge,
      dhcpRange: { start: plan.dhcpRange.start, end: plan.dhcpRange.end },
      cloneRange: { start: plan.cloneRange.start, end: plan.cloneRange.end },
      ipv6Prefix: model.network.ipv6?.prefix ?? null,
      reserved: plan.reserved.map((r) => ({ start: r.start, end: r.end, purpose: r.purpose })),
      unmanaged: plan.unmanaged.map((u) => ({ address: u.address, holder: u.holder })),
      taken: taken(model),
      nextFreeCloneAddress: nextFreeClone(model),
    },
    guests,
    publicRoutes: [
      ...model.routes.map((r) => ({
        hostname: r.hostname,
        via: "edge" as const,
        guest: r.guest,
        target: r.targetIpv4,
        http: r.http ?? null,
        https: r.https ?? null,
      })),
      ...model.tunnel.ingress.map((t) => ({
        hostname: t.hostname,
        via: "tunnel" as const,
        guest: null,
        target: t.service,
        http: null,
        https: null,
      })),
    ],
    storageIds: model.storage.map((s) => s.id),
    proxmox: {
      endpoint: model.proxmox.endpoint,
      nodeName: model.proxmox.nodeName,
      version: model.proxmox.version ?? null,
      insecure: model.proxmox.insecure,
    },
    ssh: sshOutput(model),
    publicAddresses: publicAddresses(model),
    tunnel: {
      id: model.tunnel.id,
      cnameTarget: `${model.tunnel.id}.${CFARGOTUNNEL_SUFFIX}`,
      hostnames: model.tunnel.ingress.map((t) => t.hostname),
    },
    bridges: bridgeOutputs(model),
    tailnet: { cidr: model.network.tailnet.cidr, hostAddress: model.network.tailnet.hostAddress },
    hostPorts: hostPorts(model),
  };
}

// Stack `neve`: reads the validated config, wires the components, exports the outputs contract.
import * as pulumi from "@pulumi/pulumi";
import { enforceAdoptionGate } from "../adoption";
import { HostServices } from "../components/host/hostServices";
import { preflightHostServices } from "../components/host/preflight";
import { BackupJobs } from "../components/proxmox/backups";
import { NetworkBridges } from "../components/proxmox/bridges";
import { ctCoresIssues, LxcGuest } from "../components/proxmox/container";
import { ClusterFirewall } from "../components/proxmox/firewall";
import { createProxmoxProvider } from "../components/proxmox/provider";
import { Storages } from "../components/proxmox/storage";
import { QemuGuest } from "../components/proxmox/vm";
import { ConfigError, loadModel, loadSecrets } from "../config";
import { registerGuards } from "../guards/hooks";
import { buildOutputs } from "./buildOutputs";
import { liveGuests } from "./liveGuests";

/** Run `f`; a ConfigError becomes a RunError, which Pulumi prints as the message alone (no stack trace). */
function configured<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

const model = configured(loadModel);
// What the host resources' renderers and providers would refuse, and the invariants across them, before any resource exists.
configured(() => preflightHostServices(model));
// A container's `cores: all` the provider cannot keep (it would cap it at 1 core).
configured(() => {
  const issues = ctCoresIssues(model);
  if (issues.length) throw new ConfigError(issues);
});
// Before any resource: refuse a stack file without adoption.live, and with adopt: true one not reconciled with the host (docs/adopting.md §5).
enforceAdoptionGate(model);
// The guard hooks, registered before any resource: a delete guard recorded in the state must find its hook on every run (stacks/guards/hooks.ts).
registerGuards();
// A secret that is set but empty is refused here, before the provider or any resource uses it.
const secrets = configured(() => loadSecrets());
const provider = createProxmoxProvider("proxmox", model, secrets.proxmoxApiToken);
const ctx = { provider, nodeName: model.proxmox.nodeName, live: model.adoption.live };

const networkBridges = new NetworkBridges("network", { model, ctx });
const storage = new Storages("storage", { model, ctx, pbsPassword: secrets.pbsPassword });
/** Guest components by name (host services that edit a guest's config wait for it). */
const guestComponents: Record<string, QemuGuest | LxcGuest> = {};
// With network.interfacesFile the bridges are the host file's push, declared below with the host services (whose
// raw-lines resources wait for the guests): the guests wait for it through this promise, resolved once it exists.
let resolveNetworkPush: (r: pulumi.Resource[]) => void = () => undefined;
const networkPush = new Promise<pulumi.Resource[]>((resolve) => {
  resolveNetworkPush = resolve;
});
for (const g of model.guests) {
  // Guests need their bridge and storage first when they are created rather than adopted; with network.interfacesFile
  // their bridge exists once /etc/network/interfaces is pushed and access confirmed.
  const opts = { dependsOn: networkPush.then((push) => [networkBridges, storage, ...push]) };
  switch (g.kind) {
    case "vm":
      guestComponents[g.name] = new QemuGuest(g.name, { guest: g, model, ctx }, opts);
      break;
    case "ct":
      guestComponents[g.name] = new LxcGuest(g.name, { guest: g, model, ctx }, opts);
      break;
    default: {
      const never: never = g;
      throw new Error(`unknown guest kind in ${JSON.stringify(never)}`);
    }
  }
}
new ClusterFirewall("firewall", { model, ctx });
new BackupJobs("backups", { model, ctx }, { dependsOn: [storage] });
try {
  if (model.hostServices.enabled) {
    const host = configured(
      () =>
        new HostServices("host", {
          model,
          sshPrivateKey: secrets.sshPrivateKey,
          tunnelCredentials: secrets.tunnelCredentials,
          guests: guestComponents,
        }),
    );
    resolveNetworkPush(host.networkPush ? [host.networkPush] : []);
  }
} finally {
  resolveNetworkPush([]);
}

// The contract is NeveStackOutputs (./outputs, docs/outputs.md); the export names are NEVE_OUTPUT_NAMES.
const outputs = buildOutputs(model);
/** Private network: cidr, gateway, bridge, DHCP and clone ranges, IPv6 prefix, reserved/unmanaged/taken addresses, next free clone address. */
export const network = outputs.network;
/** Every guest by name; MAC addresses from the guests' resources. */
export const guests = liveGuests(outputs.guests, guestComponents);
/** Public hostnames and where they route. */
export const publicRoutes = outputs.publicRoutes;
/** Proxmox storage ids. */
export const storageIds = outputs.storageIds;
/** Proxmox API endpoint, node name, version. */
export const proxmox = outputs.proxmox;
/** SSH endpoint and the pinned host key's fingerprint (null with a reason while none is pinned). */
export const ssh = outputs.ssh;
/** The host's public IPv4 and IPv6 (A/AAAA records of edge-routed names). */
export const publicAddresses = outputs.publicAddresses;
/** Cloudflare Tunnel id, CNAME target and hostnames. */
export const tunnel = outputs.tunnel;
/** Every bridge with its addresses. */
export const bridges = outputs.bridges;
/** Tailnet range and the host's tailnet address. */
export const tailnet = outputs.tailnet;
/** Ports of the host's services (SSH, API, edge, haproxy stats, noVNC, SPICE relay). */
export const hostPorts = outputs.hostPorts;
/** The commit this run deployed from and the objects it adopted: the next run reads it back (stacks/guards/deployment.ts). */
export const deployment = outputs.deployment;

// Pure mapping from the validated stack model to the render models of stacks/render: which host
// services neve runs and with which values. No Pulumi, no SSH: unit-tested directly.
import type { NeveModel } from "../../config";
import {
  HaproxyModel,
  CloudflaredModel,
  DnsmasqModel,
  NatModel,
  SysctlForwardingModel,
  NovncUnitModel,
  SocatForwardUnitModel,
  FixPveCertsModel,
  HostServiceRef,
} from "../../render";

/** The render model of every host service the stack declares. */
export interface HostRenderModels {
  /** Forwarding sysctl drop-in. */
  readonly sysctl: SysctlForwardingModel;
  /** NAT table, or null when no bridge is NATed. */
  readonly nat: NatModel | null;
  /** dnsmasq drop-in for the private bridge. */
  readonly dnsmasq: DnsmasqModel;
  /** haproxy.cfg. */
  readonly haproxy: HaproxyModel;
  /** cloudflared config.yml. */
  readonly cloudflared: CloudflaredModel;
  /** noVNC consoles. */
  readonly novnc: readonly NovncUnitModel[];
  /** SPICE proxy relay, or null when not managed. */
  readonly spiceProxy: SocatForwardUnitModel | null;
  /** Certificate fix-up timer, or null when not managed. */
  readonly fixPveCerts: FixPveCertsModel | null;
}

/** The public bridge (where NAT goes out). */
function publicBridge(model: NeveModel): string {
  const entry = Object.entries(model.network.bridges).find(([, b]) => b.public);
  if (!entry) throw new Error("network.bridges: no bridge is marked public: true; NAT needs the outside interface");
  return entry[0];
}

/** Map the stack model onto the render models (values only; the renderers validate them). */
export function hostRenderModels(model: NeveModel): HostRenderModels {
  const net = model.network;
  const plan = net.ipv4;
  const natBridges = Object.entries(net.bridges).filter(([, b]) => b.nat);
  const otherBridges = Object.keys(net.bridges).filter((b) => b !== plan.bridge);
  const hs = model.hostServices;
  const vmidOf = (guest: string) => model.guests.find((g) => g.name === guest)?.vmid;

  return {
    sysctl: { ipv4Forwarding: natBridges.length > 0, ipv6Forwarding: net.ipv6 !== undefined },
    nat: natBridges.length
      ? { rules: natBridges.map(() => ({ source: plan.subnet, outInterface: publicBridge(model) })) }
      : null,
    dnsmasq: {
      interface: plan.bridge,
      exceptInterfaces: [...new Set([...hs.dnsmasq.exceptInterfaces, ...otherBridges])],
      subnet: plan.subnet,
      router: plan.gateway,
      dhcpRange: { start: plan.dhcpRange.start, end: plan.dhcpRange.end },
      leaseTime: hs.dnsmasq.leaseTime,
    },
    haproxy: {
      tlsBinds: [
        { address: "0.0.0.0", port: 443 },
        { address: "::", port: 443 },
      ],
      httpBinds: [
        { address: "0.0.0.0", port: 80 },
        { address: "::", port: 80 },
      ],
      stats: { address: "127.0.0.1", port: hs.haproxy.statsPort, path: "/stats" },
      // The config rules require both ports while host services are enabled.
      routes: model.routes.map((r) => ({
        hostname: r.hostname,
        backendAddress: r.targetIpv4,
        tlsPort: r.https as number,
        httpPort: r.http as number,
      })),
    },
    cloudflared: {
      tunnelId: model.tunnel.id,
      ingress: model.tunnel.ingress.map((i) => ({ hostname: i.hostname, service: i.service, noTLSVerify: i.noTLSVerify })),
    },
    novnc: hs.novnc.map((n) => ({
      vmid: vmidOf(n.guest) as number,
      vmName: n.guest,
      listenAddress: n.listenAddress,
      listenPort: n.port,
      vncDisplay: n.vncDisplay,
    })),
    spiceProxy: hs.spiceProxy
      ? {
          description: `SPICE proxy relay: ${hs.spiceProxy.port} -> ${hs.spiceProxy.target.host}:${hs.spiceProxy.target.port}`,
          listenPort: hs.spiceProxy.port,
          targetHost: hs.spiceProxy.target.host,
          targetPort: hs.spiceProxy.target.port,
          after: ["spiceproxy.service"],
        }
      : null,
    fixPveCerts: hs.fixPveCerts ? { onCalendar: hs.fixPveCerts.onCalendar } : null,
  };
}

/** The service refs (for stacks/render serviceSpec) in push order. */
export function hostServiceRefs(model: NeveModel, r: HostRenderModels): HostServiceRef[] {
  const refs: HostServiceRef[] = [{ kind: "sysctl-forwarding" }];
  if (r.nat) refs.push({ kind: "nat" });
  refs.push({ kind: "dnsmasq", bridge: r.dnsmasq.interface, listenAddress: r.dnsmasq.router });
  refs.push({ kind: "haproxy", statsPort: r.haproxy.stats.port });
  refs.push({ kind: "cloudflared", tunnelId: model.tunnel.id });
  for (const n of r.novnc) refs.push({ kind: "novnc", vmid: n.vmid, port: n.listenPort, listenAddress: n.listenAddress });
  if (r.spiceProxy) refs.push({ kind: "spiceproxy-socat", port: r.spiceProxy.listenPort });
  if (r.fixPveCerts) refs.push({ kind: "fix-pve-certs" });
  return refs;
}

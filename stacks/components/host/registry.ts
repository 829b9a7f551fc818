// The host services neve runs, one entry each: the templates it renders, its render models taken
// from the stack model, its files (paths, modes, validators), activation, health check, whether it is
// access-critical, the ports it claims and which stack field each render-model field comes from.
// Pure: no Pulumi, no SSH. Adding a service = one key in HostServiceModels and one entry here; the
// mapped type of HOST_SERVICES makes the compiler refuse a kind without an entry.

import * as ipaddr from "ipaddr.js";
import type { NeveModel } from "../../config/model";
import {
  CLOUDFLARED_DIR,
  CLUSTER_FW_PATH,
  type CloudflaredModel,
  cloudflaredConfigPath,
  cloudflaredCredentialsPath,
  configFile,
  DEFAULT_NAT_TABLE,
  type DnsmasqModel,
  type FirewallFilesModel,
  type FixPveCertsModel,
  type FwRuleModel,
  type HaproxyModel,
  hostFwPath,
  INTERFACES_PATH,
  type InterfacesModel,
  type NatModel,
  type NovncUnitModel,
  natFilePath,
  natLoaderUnitName,
  novncUnitName,
  pmxcfsFile,
  renderCloudflaredConfig,
  renderCloudflaredUnit,
  renderClusterFw,
  renderDnsmasqConfig,
  renderFixPveCertsUnits,
  renderHaproxyConfig,
  renderHostFw,
  renderInterfaces,
  renderNatLoaderUnit,
  renderNatNft,
  renderNovncUnit,
  renderSocatForwardUnit,
  renderSysctlForwarding,
  restartUnit,
  type ServiceFileRole,
  type ServiceSpec,
  type SocatForwardUnitModel,
  type SysctlForwardingModel,
  type TemplateName,
  tcpProbe,
  unitFile,
} from "../../render";

/** The render model of each host service kind. The keys are the closed set of kinds. */
export interface HostServiceModels {
  /** /etc/network/interfaces: the node's bridges (with `network.interfacesFile`). */
  "network-interfaces": InterfacesModel;
  /** /etc/pve/firewall/cluster.fw and the node's host.fw (with `firewall.filesManaged`). */
  "pve-firewall": FirewallFilesModel & { readonly node: string };
  /** IPv4/IPv6 forwarding sysctl drop-in. */
  "sysctl-forwarding": SysctlForwardingModel;
  /** NAT nftables table of the bridges marked nat, and its boot-time loader. */
  nat: NatModel;
  /** dnsmasq DHCP/DNS on the private bridge. */
  dnsmasq: DnsmasqModel;
  /** HAProxy edge proxy. */
  haproxy: HaproxyModel;
  /** Cloudflare tunnel: config, credentials, unit. */
  cloudflared: CloudflaredModel;
  /** noVNC web console of one VM. */
  novnc: NovncUnitModel;
  /** socat relay to the local SPICE proxy. */
  "spiceproxy-socat": SocatForwardUnitModel;
  /** Node certificate fix-up: service + timer. */
  "fix-pve-certs": FixPveCertsModel;
}

/** One host service kind. */
export type HostServiceKind = keyof HostServiceModels;

/** A port a service listens on, with the stack field that sets it. */
export interface PortClaim {
  /** TCP port. */
  readonly port: number;
  /** Stack-file field path that sets it, e.g. `hostServices.novnc[0].port`. */
  readonly field: string;
}

/** One declared instance of a service: its render model and where in the stack file it comes from. */
export interface ServiceInstance<M> {
  /** The render model. */
  readonly model: M;
  /** The stack-file section the instance comes from, e.g. `hostServices.novnc[0]` (fallback for errors). */
  readonly at: string;
  /**
   * Render-model field (prefix) -> stack-file field, e.g. `haproxy.routes[0].hostname` ->
   * `routes[0].hostname`, so a renderer's refusal is reported where the operator can fix it.
   */
  readonly fields: Readonly<Record<string, string>>;
  /** Ports this instance listens on (besides the fixed frontends of the host). */
  readonly ports: readonly PortClaim[];
}

/** Everything about one host service kind. */
export interface HostServiceEntry<M> {
  /** templates/*.hbs it renders. */
  readonly templates: readonly TemplateName[];
  /** The instances the stack declares (none when the service is not configured). */
  instances(model: NeveModel): readonly ServiceInstance<M>[];
  /** Files, activation, health check, access-criticality. */
  spec(m: M): ServiceSpec;
  /** Rendered text of one non-secret file of the service (throws RenderModelError naming the render field). */
  render(m: M, role: ServiceFileRole): string;
}

/** Thrown by `render` for a role the service has no (non-secret) file for: a bug, not a config problem. */
function noFile(kind: HostServiceKind, role: ServiceFileRole): Error {
  return new Error(`host service ${kind} has no non-secret ${role} file`);
}

/** The public bridge, where NAT goes out (the config rules require one when a bridge is NATed). */
function publicBridge(model: NeveModel): string {
  return Object.entries(model.network.bridges).find(([, b]) => b.public)?.[0] ?? "";
}

/** `10.10.10.1/24` -> `10.10.10.0/24`. */
function networkOf(cidr: string): string {
  const [, len] = ipaddr.IPv4.parseCIDR(cidr);
  return `${ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()}/${len}`;
}

const one = <M>(model: M, at: string, fields: Record<string, string> = {}, ports: PortClaim[] = []): ServiceInstance<M>[] => [{ model, at, fields, ports }];

/**
 * The registry, in the order a first deployment pushes the services (network before the services
 * that use it). A mapped type over HostServiceKind: a kind without an entry does not compile.
 */
export const HOST_SERVICES: { readonly [K in HostServiceKind]: HostServiceEntry<HostServiceModels[K]> } = {
  "network-interfaces": {
    templates: ["network-interfaces"],
    instances: (model) => {
      if (!model.network.interfacesFile) return [];
      const entries = Object.entries(model.network.bridges);
      const fields: Record<string, string> = { interfaces: "network.bridges" };
      entries.forEach(([name], i) => {
        for (const [k, v] of [
          ["", ""],
          [".name", ""],
          [".ipv4", ".ipv4"],
          [".ipv6", ".ipv6"],
          [".ports", ".ports"],
          [".comment", ".comment"],
          [".hostNat", ".nat"],
        ]) {
          fields[`interfaces.bridges[${i}]${k}`] = `network.bridges.${name}${v}`;
        }
      });
      return one(
        {
          bridges: entries.map(([name, b]) => ({
            name,
            ipv4: b.ipv4,
            ipv6: b.ipv6 ?? null,
            ports: [...b.ports],
            comment: b.comment ?? null,
            hostNat: b.nat === "interfaces",
          })),
        },
        "network.bridges",
        fields,
      );
    },
    spec: (m) => ({
      name: "network-interfaces",
      description: "the node's bridges: /etc/network/interfaces (ifupdown2)",
      // ifupdown2's own parser on the staged copy; `ifreload -a` applies the difference to the running network.
      files: [configFile(INTERFACES_PATH, [INTERFACES_SYNTAX_CHECK])],
      activate: "ifreload -a",
      // Every declared bridge exists and is up (not `ifquery --check`, which also flags attributes the kernel reports differently).
      healthCheck: m.bridges.map((b) => `ip link show dev ${b.name} up | grep -q .`).join(" && ") || null,
      // It carries vmbr0, the operator's path: the dead-man net restores the previous file and reloads.
      accessCritical: true,
      // Switching interfacesFile off (or any delete) leaves the file as it is: a removed interfaces file would take
      // vmbr0, and with it the operator's path, down at the next ifreload or boot; a restored one would bring back bridges from before.
      keepOnDelete: true,
    }),
    render: (m) => renderInterfaces(m),
  },
  "pve-firewall": {
    templates: ["pve-firewall.fw"],
    instances: (model) => {
      const fw = model.firewall;
      if (!fw.filesManaged) return [];
      const fields: Record<string, string> = {
        firewall: "firewall",
        "firewall.rules": "firewall.rules",
        "firewall.hostRules": "firewall.hostRules",
      };
      const ruleFields = (at: string) => {
        for (const k of ["", ".dports", ".comment", ".source", ".dest", ".iface", ".group", ".icmpType"]) fields[`${at}${k}`] = `${at}${k}`;
      };
      for (const list of ["rules", "hostRules"] as const)
        fw[list].forEach((_, i) => {
          ruleFields(`firewall.${list}[${i}]`);
        });
      for (const [g, grp] of Object.entries(fw.groups)) {
        fields[`firewall.groups.${g}.comment`] = `firewall.groups.${g}.comment`;
        grp.rules.forEach((_, i) => {
          ruleFields(`firewall.groups.${g}.rules[${i}]`);
        });
      }
      for (const list of ["options", "hostOptions"] as const) for (const k of Object.keys(fw[list])) fields[`firewall.${list}.${k}`] = `firewall.${list}.${k}`;
      const toRule = (r: (typeof fw.rules)[number]): FwRuleModel => ({
        name: r.name,
        action: r.action,
        direction: r.direction ?? "in",
        macro: r.macro ?? null,
        group: r.group ?? null,
        sports: [...r.sports],
        log: r.log === undefined || r.log === "nolog" ? null : r.log,
        icmpType: r.icmpType ?? null,
        proto: r.proto,
        source: r.sourceAddress ?? null,
        dest: r.destAddress ?? null,
        dports: [...r.dports],
        iface: r.iface ?? null,
        comment: r.comment ?? null,
        enabled: r.enabled,
      });
      return one(
        {
          node: model.proxmox.nodeName,
          enabled: fw.enabled,
          inputPolicy: fw.inputPolicy,
          outputPolicy: fw.outputPolicy,
          aliases: { ...fw.aliases },
          ipsets: Object.fromEntries(Object.entries(fw.ipsets).map(([k, v]) => [k, [...v]])),
          rules: fw.rules.map(toRule),
          hostRules: fw.hostRules.map(toRule),
          groups: Object.fromEntries(Object.entries(fw.groups).map(([g, grp]) => [g, { comment: grp.comment ?? null, rules: grp.rules.map(toRule) }])),
          options: { ...fw.options },
          hostOptions: { ...fw.hostOptions },
        },
        "firewall",
        fields,
      );
    },
    spec: (m) => ({
      name: "pve-firewall",
      description: `the firewall: ${CLUSTER_FW_PATH} and ${hostFwPath(m.node)} (pve-firewall)`,
      files: [
        pmxcfsFile("config", CLUSTER_FW_PATH, [PVE_FIREWALL_CLUSTER_CHECK]),
        pmxcfsFile("hostRules", hostFwPath(m.node), [pveFirewallHostCheck(CLUSTER_FW_PATH)]),
      ],
      activate: PVE_FIREWALL_ACTIVATE,
      healthCheck: PVE_FIREWALL_APPLIED,
      // It decides whether the operator's SSH and API traffic gets in: the dead-man net restores both files.
      accessCritical: true,
      // Switching filesManaged off hands the files back to Proxmox's API as they are: a removed cluster.fw would
      // turn the firewall off, a restored one bring back rules from before the stack managed them.
      keepOnDelete: true,
    }),
    render: (m, role) => {
      if (role === "config") return renderClusterFw(m);
      if (role === "hostRules") return renderHostFw(m);
      throw noFile("pve-firewall", role);
    },
  },
  "sysctl-forwarding": {
    templates: ["sysctl-forwarding.conf"],
    // `forwarding: external`: the host sets forwarding elsewhere (found by discover); no second copy.
    instances: (model) =>
      model.hostServices.forwarding === "external"
        ? []
        : one(
            {
              ipv4Forwarding: Object.values(model.network.bridges).some((b) => b.nat !== false),
              ipv6Forwarding: model.network.ipv6 !== undefined,
            },
            "network",
          ),
    spec: () => ({
      name: "sysctl-forwarding",
      description: "IPv4 and IPv6 forwarding",
      files: [configFile("/etc/sysctl.d/90-neve-forwarding.conf", ["! grep -Ev '^[[:space:]]*(#.*)?$|^[a-z0-9_.]+ = [0-9]+$' {staged}"])],
      // sysctl has no dry run: the validator refuses (and prints) anything but comments and "key = value".
      activate: "sysctl -p /etc/sysctl.d/90-neve-forwarding.conf",
      healthCheck: null,
      // Turning on IPv6 forwarding makes the kernel ignore router advertisements on vmbr0: a host
      // whose IPv6 default route came from an RA loses it. Guard it like the network change it is.
      accessCritical: true,
    }),
    render: (m) => renderSysctlForwarding(m),
  },
  nat: {
    templates: ["nat.nft", "nat-loader.service"],
    instances: (model) => {
      // Each NATed bridge masquerades its own subnet (the network of its static ipv4).
      // `nat: interfaces` is the host's own NAT (adopted by discover): no second one here.
      const natBridges = Object.entries(model.network.bridges).filter(([, b]) => b.nat === true && b.ipv4 !== "dhcp");
      if (natBridges.length === 0) return [];
      const out = publicBridge(model);
      const fields: Record<string, string> = { nat: "network.bridges" };
      natBridges.forEach(([name], i) => {
        fields[`nat.rules[${i}].source`] = `network.bridges.${name}.ipv4`;
        fields[`nat.rules[${i}].outInterface`] = `network.bridges.${out}`;
        fields[`nat.rules[${i}]`] = `network.bridges.${name}`;
      });
      return one({ rules: natBridges.map(([, b]) => ({ source: networkOf(b.ipv4), outInterface: out })) }, "network.bridges", fields);
    },
    spec: (m) => {
      const table = m.table ?? DEFAULT_NAT_TABLE;
      const path = natFilePath(table);
      const loader = natLoaderUnitName(table);
      return {
        name: "nat",
        description: `NAT table ip ${table} and its boot-time loader ${loader}`,
        files: [configFile(path, ["nft -c -f {staged}"]), unitFile("unit", loader)],
        // Load the table directly (atomic replace); the unit only matters at the next boot.
        activate: `systemctl daemon-reload && systemctl enable ${loader} && nft -f ${path}`,
        healthCheck: `nft list table ip ${table} >/dev/null`,
        accessCritical: true,
      };
    },
    render: (m, role) => (role === "unit" ? renderNatLoaderUnit({ table: m.table }) : renderNatNft(m)),
  },
  dnsmasq: {
    templates: ["dnsmasq-bridge.conf"],
    instances: (model) => {
      const plan = model.network.ipv4;
      const hs = model.hostServices;
      const others = Object.keys(model.network.bridges).filter((b) => b !== plan.bridge);
      // One source of truth: each reservation comes from its guest's entry (mac + dhcpReserved).
      const reserved = model.guests.filter((g) => g.dhcpReserved !== undefined && g.mac !== undefined);
      const reservationFields = Object.fromEntries(
        reserved.flatMap((g, i) => [
          [`dnsmasq.staticHosts[${i}]`, `guests.${g.name}.dhcpReserved`],
          [`dnsmasq.staticHosts[${i}].mac`, `guests.${g.name}.mac`],
        ]),
      );
      return one(
        {
          interface: plan.bridge,
          exceptInterfaces: [...new Set([...hs.dnsmasq.exceptInterfaces, ...others])],
          subnet: plan.subnet,
          router: plan.gateway,
          dhcpRange: { start: plan.dhcpRange.start, end: plan.dhcpRange.end },
          leaseTime: hs.dnsmasq.leaseTime,
          ...(hs.dnsmasq.domain === undefined ? {} : { domain: hs.dnsmasq.domain }),
          ...(hs.dnsmasq.local === undefined ? {} : { local: hs.dnsmasq.local }),
          servers: hs.dnsmasq.servers,
          noResolv: hs.dnsmasq.noResolv,
          ...(hs.dnsmasq.cacheSize === undefined ? {} : { cacheSize: hs.dnsmasq.cacheSize }),
          staticHosts: reserved.map((g) => ({ mac: g.mac as string, address: g.dhcpReserved as string, hostname: g.name.toLowerCase() })),
          extraLines: hs.dnsmasq.extraLines ?? [],
        },
        "network.ipv4",
        {
          "dnsmasq.interface": "network.ipv4.bridge",
          "dnsmasq.exceptInterfaces": "hostServices.dnsmasq.exceptInterfaces",
          "dnsmasq.subnet": "network.ipv4.subnet",
          "dnsmasq.router": "network.ipv4.gateway",
          "dnsmasq.dnsServer": "network.ipv4.gateway",
          "dnsmasq.dhcpRange": "network.ipv4.dhcpRange",
          "dnsmasq.leaseTime": "hostServices.dnsmasq.leaseTime",
          "dnsmasq.domain": "hostServices.dnsmasq.domain",
          "dnsmasq.local": "hostServices.dnsmasq.local",
          "dnsmasq.servers": "hostServices.dnsmasq.servers",
          "dnsmasq.noResolv": "hostServices.dnsmasq.noResolv",
          "dnsmasq.cacheSize": "hostServices.dnsmasq.cacheSize",
          "dnsmasq.staticHosts": "guests",
          ...reservationFields,
          "dnsmasq.extraLines": "hostServices.dnsmasq.extraLines",
        },
      );
    },
    spec: (m) => ({
      name: `dnsmasq-${m.interface}`,
      description: `dnsmasq: DHCP and DNS on ${m.interface} only`,
      files: [configFile(`/etc/dnsmasq.d/neve-${m.interface}.conf`, ["dnsmasq --test --conf-file={staged}"])],
      activate: "systemctl restart dnsmasq",
      healthCheck: `systemctl is-active --quiet dnsmasq && ${tcpProbe(m.router, 53)}`,
      accessCritical: false,
    }),
    render: (m) => renderDnsmasqConfig(m),
  },
  haproxy: {
    templates: ["haproxy.cfg"],
    instances: (model) => {
      const fields: Record<string, string> = { "haproxy.stats": "hostServices.haproxy.statsPort", "haproxy.routes": "routes" };
      model.routes.forEach((r, i) => {
        fields[`haproxy.routes[${i}]`] = `routes[${i}]`;
        fields[`haproxy.routes[${i}].hostname`] = `routes[${i}].hostname`;
        fields[`haproxy.routes[${i}].backendAddress`] = `guests.${r.guest}.ipv4`;
        fields[`haproxy.routes[${i}].tlsPort`] = `routes[${i}].https`;
        fields[`haproxy.routes[${i}].httpPort`] = `routes[${i}].http`;
        fields[`haproxy.routes[${i}].tlsServer`] = `routes[${i}].httpsServer`;
        fields[`haproxy.routes[${i}].httpServer`] = `routes[${i}].httpServer`;
        fields[`haproxy.routes[${i}].names`] = `routes[${i}].names`;
      });
      const hx = model.hostServices.haproxy;
      fields["haproxy.tuning.globalMaxconn"] = "hostServices.haproxy.maxconn";
      fields["haproxy.tuning.log"] = "hostServices.haproxy.log";
      fields["haproxy.tuning.timeouts"] = "hostServices.haproxy.defaults.timeouts";
      fields["haproxy.tuning.defaultsMaxconn"] = "hostServices.haproxy.defaults.maxconn";
      fields["haproxy.extraLines"] = "hostServices.haproxy.extraLines";
      fields["haproxy.tlsBinds"] = "hostServices.haproxy.binds.tls";
      fields["haproxy.httpBinds"] = "hostServices.haproxy.binds.http";
      fields["haproxy.names"] = "hostServices.haproxy.names";
      fields["haproxy.statsSection"] = "hostServices.haproxy.names.statsSection";
      fields["haproxy.omit"] = "hostServices.haproxy.omit";
      fields["haproxy.unrouted"] = "hostServices.haproxy.unrouted";
      fields["haproxy.fallbackHostname"] = "hostServices.haproxy.fallback";
      fields["haproxy.hostMatch"] = "hostServices.haproxy.hostMatch";
      for (const name of Object.keys(hx.extraLines.backends))
        fields[`haproxy.extraLines.backends.${name}`] = `hostServices.haproxy.extraLines.backends.${name}`;
      const statsPort = hx.statsPort;
      return one<HaproxyModel>(
        {
          tlsBinds: hx.binds.tls,
          httpBinds: hx.binds.http,
          stats: { address: "127.0.0.1", port: statsPort, path: "/stats" },
          // The config rules require both ports while host services are enabled.
          routes: model.routes.map((r) => ({
            hostname: r.hostname,
            backendAddress: r.targetIpv4,
            tlsPort: r.https as number,
            httpPort: r.http as number,
            ...(r.httpsServer ? { tlsServer: r.httpsServer } : {}),
            ...(r.httpServer ? { httpServer: r.httpServer } : {}),
            ...(r.names ? { names: r.names } : {}),
          })),
          tuning: {
            globalMaxconn: hx.maxconn,
            log: hx.log,
            timeouts: hx.defaults.timeouts,
            defaultsMaxconn: hx.defaults.maxconn,
          },
          extraLines: hx.extraLines,
          names: { tls: hx.names.tls, http: hx.names.http, stats: hx.names.stats },
          statsSection: hx.names.statsSection,
          omit: hx.omit,
          unrouted: hx.unrouted,
          hostMatch: hx.hostMatch,
          ...(hx.fallback !== undefined ? { fallbackHostname: hx.fallback } : {}),
        },
        "routes",
        fields,
        [{ port: statsPort, field: "hostServices.haproxy.statsPort" }],
      );
    },
    spec: (m) => ({
      name: "haproxy",
      description: "HAProxy: TLS passthrough by SNI on 443, Host routing on 80",
      files: [configFile("/etc/haproxy/haproxy.cfg", ["haproxy -c -f {staged}"])],
      // reload = haproxy's own graceful hand-over: open connections keep going.
      activate: "systemctl reload haproxy",
      healthCheck: `systemctl is-active --quiet haproxy && ${tcpProbe("127.0.0.1", m.stats.port)}`,
      // The operator reaches the host through Tailscale and the tunnel, not through HAProxy.
      accessCritical: false,
    }),
    render: (m) => renderHaproxyConfig(m),
  },
  cloudflared: {
    templates: ["cloudflared-config.yml", "cloudflared.service"],
    instances: (model) => {
      const fields: Record<string, string> = {
        "cloudflared.tunnelId": "tunnel.id",
        "cloudflaredUnit.tunnelId": "tunnel.id",
        "cloudflared.ingress": "tunnel.ingress",
      };
      model.tunnel.ingress.forEach((_, i) => {
        for (const k of ["", ".hostname", ".service", ".noTLSVerify"]) fields[`cloudflared.ingress[${i}]${k}`] = `tunnel.ingress[${i}]${k}`;
      });
      return one(
        { tunnelId: model.tunnel.id, ingress: model.tunnel.ingress.map((i) => ({ hostname: i.hostname, service: i.service, noTLSVerify: i.noTLSVerify })) },
        "tunnel",
        fields,
      );
    },
    spec: (m) => ({
      name: "cloudflared",
      description: `Cloudflare tunnel ${m.tunnelId}: config, credentials and unit`,
      files: [
        configFile(cloudflaredConfigPath(CLOUDFLARED_DIR), ["cloudflared tunnel --config {staged} ingress validate"]),
        { role: "credentials", path: cloudflaredCredentialsPath(m.tunnelId), mode: "0600", owner: "root", group: "root", secret: true, validate: [] },
        unitFile("unit", "cloudflared.service"),
      ],
      activate: restartUnit("cloudflared.service"),
      healthCheck: "systemctl is-active --quiet cloudflared",
      // The public Proxmox UI runs through this tunnel.
      accessCritical: true,
    }),
    render: (m, role) => {
      if (role === "unit") return renderCloudflaredUnit({ tunnelId: m.tunnelId });
      if (role === "config") return renderCloudflaredConfig(m);
      throw noFile("cloudflared", role);
    },
  },
  novnc: {
    templates: ["novnc.service"],
    instances: (model) =>
      model.hostServices.novnc.map((n, i) => {
        const at = `hostServices.novnc[${i}]`;
        return {
          model: {
            vmid: model.guests.find((g) => g.name === n.guest)?.vmid as number,
            vmName: n.guest,
            listenAddress: n.listenAddress,
            listenPort: n.port,
            vncDisplay: n.vncDisplay,
            webRoot: n.webRoot,
            ...(n.heartbeat !== undefined ? { heartbeat: n.heartbeat } : {}),
            ...(n.idleTimeout !== undefined ? { idleTimeout: n.idleTimeout } : {}),
            ...(n.timeout !== undefined ? { timeout: n.timeout } : {}),
          },
          at,
          fields: {
            "novnc.vmid": `guests.${n.guest}.vmid`,
            "novnc.vmName": `${at}.guest`,
            "novnc.listenAddress": `${at}.listenAddress`,
            "novnc.listenPort": `${at}.port`,
            "novnc.vncDisplay": `${at}.vncDisplay`,
            "novnc.webRoot": `${at}.webRoot`,
            "novnc.heartbeat": `${at}.heartbeat`,
            "novnc.idleTimeout": `${at}.idleTimeout`,
            "novnc.timeout": `${at}.timeout`,
          },
          // The VM's own VNC server listens on the host too (QEMU `-vnc 127.0.0.1:<display>` is port
          // 5900 + display): two consoles on one display, or another service on its port, cannot both work.
          // A console on its own display's port is the renderer's refusal, which says so more plainly.
          ports: [{ port: n.port, field: `${at}.port` }, ...(n.port === 5900 + n.vncDisplay ? [] : [{ port: 5900 + n.vncDisplay, field: `${at}.vncDisplay` }])],
        };
      }),
    spec: (m) => {
      const unit = novncUnitName(m.vmid);
      const probe = m.listenAddress === "0.0.0.0" ? "127.0.0.1" : m.listenAddress;
      return {
        name: `novnc-${m.vmid}`,
        description: `noVNC web console for VM ${m.vmid} on port ${m.listenPort}`,
        files: [unitFile("unit", unit)],
        activate: restartUnit(unit),
        healthCheck: `systemctl is-active --quiet ${unit} && ${tcpProbe(probe, m.listenPort)}`,
        accessCritical: false,
      };
    },
    render: (m) => renderNovncUnit(m),
  },
  "spiceproxy-socat": {
    templates: ["socat-forward.service"],
    instances: (model) => {
      const s = model.hostServices.spiceProxy;
      if (!s) return [];
      const at = "hostServices.spiceProxy";
      return one(
        {
          description: `SPICE proxy relay: ${s.port} -> ${s.target.host}:${s.target.port}`,
          listenPort: s.port,
          targetHost: s.target.host,
          targetPort: s.target.port,
          after: ["spiceproxy.service"],
        },
        at,
        { "socat.listenPort": `${at}.port`, "socat.targetHost": `${at}.target.host`, "socat.targetPort": `${at}.target.port` },
        [{ port: s.port, field: `${at}.port` }],
      );
    },
    spec: (m) => ({
      name: "spiceproxy-socat",
      description: `socat relay from port ${m.listenPort} to the SPICE proxy`,
      files: [unitFile("unit", "spiceproxy-socat.service")],
      activate: restartUnit("spiceproxy-socat.service"),
      healthCheck: `systemctl is-active --quiet spiceproxy-socat.service && ${tcpProbe("127.0.0.1", m.listenPort)}`,
      accessCritical: false,
    }),
    render: (m) => renderSocatForwardUnit(m),
  },
  "fix-pve-certs": {
    templates: ["fix-pve-certs.service", "fix-pve-certs.timer"],
    instances: (model) => {
      const f = model.hostServices.fixPveCerts;
      return f
        ? one({ onCalendar: f.onCalendar, renew: f.renew }, "hostServices.fixPveCerts", {
            "fixPveCerts.onCalendar": "hostServices.fixPveCerts.onCalendar",
            "fixPveCerts.renew": "hostServices.fixPveCerts.renew",
          })
        : [];
    },
    spec: () => ({
      name: "fix-pve-certs",
      description: "Node certificate fix-up: oneshot service and its timer",
      files: [unitFile("unit", "fix-pve-certs.service"), unitFile("timer", "fix-pve-certs.timer")],
      // Re-arm the timer only: running the service now would restart pveproxy during a deployment.
      activate: "systemctl daemon-reload && systemctl enable fix-pve-certs.timer && systemctl restart fix-pve-certs.timer",
      healthCheck: "systemctl is-active --quiet fix-pve-certs.timer",
      accessCritical: false,
    }),
    render: (m, role) => {
      const units = renderFixPveCertsUnits(m);
      return role === "timer" ? units.timer : units.service;
    },
  },
};

/**
 * ifupdown2's own parser on a staged interfaces file (`ifup --syntax-check`: no interface is touched). It exits
 * 1 on warnings too, and Debian's ifupdown2 3.0 warns on `bridge-ports none`, which pve-manager writes for a
 * bridge without ports and Proxmox's ifupdown2 accepts: that one warning is let through, every other
 * warning and every error refuses the file.
 */
export const INTERFACES_SYNTAX_CHECK =
  "neve_o=$(ifup --syntax-check -a -i {staged} 2>&1); neve_r=$?; printf '%s\\n' \"$neve_o\"; " +
  '[ "$neve_r" -eq 0 ] || ! printf \'%s\\n\' "$neve_o" | grep -v \'bridge-ports: invalid value "none"\' | grep -q .';

/**
 * pve-firewall's own parser on a staged copy, where pve-firewall is installed: `load_clusterfw_conf($file)` /
 * `load_hostfw_conf($cluster, $file)` read any path (proxmox/pve-firewall src/PVE/Firewall.pm, commit
 * 6f1311f3, `generic_fw_config_parser`) and `warn` for each line they would skip (a bad rule, an unknown IP set
 * or alias); a warning refuses the file. `pve-firewall compile` cannot serve here: it reads only the live
 * paths (src/PVE/Service/pve_firewall.pm `compile`: `load_clusterfw_conf()` without a file name), so it runs
 * in the activation instead. Without pve-firewall's Perl modules (a host that is not Proxmox: the test host),
 * the staged copy has been checked by the stack's own parser and predicate in the plan only, and says so.
 */
function pveFirewallParse(what: string, load: string, file: string): string {
  return (
    `if perl -MPVE::Firewall -e 1 2>/dev/null; then perl -MPVE::Firewall -e 'my $bad = 0; local $SIG{__WARN__} = sub { print STDERR $_[0]; $bad = 1 }; ${load}; exit $bad' ${file}; ` +
    `else echo 'PVE::Firewall is not installed here: ${what} checked by the stack only'; fi`
  );
}

/** The staged cluster.fw through pve-firewall's parser. */
export const PVE_FIREWALL_CLUSTER_CHECK = pveFirewallParse("cluster.fw", "PVE::Firewall::load_clusterfw_conf($ARGV[0])", "{staged}");

/** The staged host.fw, read against the staged cluster.fw (its aliases and IP sets), through pve-firewall's parser. */
function pveFirewallHostCheck(clusterPath: string): string {
  return pveFirewallParse(
    "host.fw",
    "PVE::Firewall::load_hostfw_conf(PVE::Firewall::load_clusterfw_conf($ARGV[1]), $ARGV[0])",
    `{staged} {staged:${clusterPath}}`,
  );
}

/**
 * Apply now and wait until applied. pve-firewall's daemon re-reads the files every 10 s (pve_firewall.pm
 * `$updatetime = 10`); `pve-firewall restart` (registered with HUP: pve-common PVE/Daemon.pm runs
 * `systemctl reload-or-restart`, the unit's ExecReload sends the daemon HUP, or starts it when it is not running)
 * makes it re-exec, and its loop applies the files first thing. That is asynchronous, so the activation then waits
 * (at most 20 s, well inside the confirm window: the access checks after it may take half the window) while `pve-firewall status` says `(pending changes)`, which it does while the compiled ruleset
 * differs from the live one (pve_firewall.pm `status`: compile vs `get_ruleset_cmdlist`). First `compile`
 * on the live files: any warning is a line pve-firewall would skip, and fails the push (restored).
 * Without pve-firewall nothing would ever apply the files: the activation fails, and the push is restored.
 */
export const PVE_FIREWALL_ACTIVATE =
  "command -v pve-firewall >/dev/null 2>&1 || { echo 'pve-firewall is not installed on this host: nothing would apply cluster.fw' >&2; exit 1; }; " +
  'neve_fw=$(pve-firewall compile 2>&1 >/dev/null); [ -z "$neve_fw" ] || { printf \'pve-firewall compile warned (a line it would skip):\\n%s\\n\' "$neve_fw" >&2; exit 1; }; ' +
  "pve-firewall restart || exit 1; neve_n=0; while pve-firewall status | grep -q 'pending changes'; do neve_n=$((neve_n + 1)); [ \"$neve_n\" -le 20 ] || { echo 'pve-firewall did not apply the new ruleset within 20 s' >&2; exit 1; }; sleep 1; done";

/** The ruleset in force is the files' (no pending changes) and the daemon runs. */
export const PVE_FIREWALL_APPLIED = "pve-firewall status | grep -q '/running' && ! pve-firewall status | grep -q 'pending changes'";

/** The kinds in push order (the registry's key order). */
export const HOST_SERVICE_KINDS = Object.keys(HOST_SERVICES) as readonly HostServiceKind[];

/** One instance of any kind, with its entry, for code that walks every declared service. */
export interface DeclaredService {
  /** The kind. */
  readonly kind: HostServiceKind;
  /** The instance (render model, stack section, field map, ports). */
  readonly instance: ServiceInstance<unknown>;
  /** Files, activation, health check. */
  readonly spec: ServiceSpec;
  /** Render one non-secret file. */
  render(role: ServiceFileRole): string;
}

/** Every service instance the stack declares, in push order. */
export function declaredServices(model: NeveModel): DeclaredService[] {
  const out: DeclaredService[] = [];
  for (const kind of HOST_SERVICE_KINDS) {
    const entry = HOST_SERVICES[kind] as HostServiceEntry<unknown>;
    for (const instance of entry.instances(model)) {
      out.push({ kind, instance, spec: entry.spec(instance.model), render: (role) => entry.render(instance.model, role) });
    }
  }
  return out;
}

/** The stack-file field a render-model field comes from: the longest matching prefix of the instance's map, else its section. */
export function stackFieldOf(instance: ServiceInstance<unknown>, renderField: string): string {
  let best: string | undefined;
  for (const key of Object.keys(instance.fields)) {
    if ((renderField === key || renderField.startsWith(`${key}.`) || renderField.startsWith(`${key}[`)) && (best === undefined || key.length > best.length))
      best = key;
  }
  return best === undefined ? instance.at : instance.fields[best];
}

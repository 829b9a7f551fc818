/**
 * The bench set (six files like neve's in four HostConfig resources) and the HostConfig arguments each resource is
 * declared with: shared by the provider-host phases (bench/push.ts), the program `pulumi up` would evaluate
 * (bench/upProgram.ts) and the Ansible peer (bench/ansible/).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostConfigArgs } from "../providers/hostconfig";

/** Where the HostConfig resources keep their backups on the host. */
export const STASH_DIR = "/root/etc-pve.stash";

/** The SSH target of the bench: the test host's address, pinned host key and client key. */
export interface BenchTarget {
  address: string;
  port: number;
  username: string;
  hostKeyFingerprint: string;
  clientPrivateKey: string;
  /**
   * `sha256:<hex>` of the test host's own /etc/haproxy/haproxy.cfg (the harness's `initialHaproxyCfgHash`): the first
   * push adopts that live file, acknowledged as an operator does with discover (HostConfig `files[].acceptLive`).
   */
  initialHaproxyCfgHash: string;
}

/** One file of the bench set. */
export interface BenchFile {
  path: string;
  content: string;
  mode?: string;
  /** The test host has its own file here before the first push: the push adopts it (acknowledged by its hash). */
  adopted?: boolean;
}

/** One HostConfig of the bench set. */
export interface BenchResource {
  name: string;
  service: string;
  files: BenchFile[];
  validate: string[];
  activate: string;
  healthCheck?: string;
  /**
   * Access-critical in neve's registry (stacks/components/host/registry.ts: cloudflared is the operator's path to the
   * web UI). Only the ordered phases declare it (`hostConfigArgs(..., { ordered: true })`): pushed alone, after the
   * services before it and before those after it (stacks/components/host/pushOrder.ts), confirmed by a fresh SSH login.
   */
  accessCritical?: boolean;
}

/** The dead-man window of the ordered phases: long enough never to fire during a bench (the confirm disarms it). */
export const BENCH_CONFIRM_SECONDS = 120;

function haproxyCfg(address: string, variant: number): string {
  return `# Managed by neve-infra (bench). Revision ${variant}.
global
    daemon
    maxconn 2048

defaults
    log global
    mode tcp
    option dontlognull
    timeout connect 5s
    timeout client 1m
    timeout server 1m
    timeout tunnel 1h

frontend tls_in
    mode tcp
    bind ${address}:443
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_hello_type 1 }
    use_backend cipher_tls if { req.ssl_sni -i cipher.wenzelarifiandi.com }
    default_backend drop_tls

frontend http_in
    mode http
    option httplog
    option forwardfor
    timeout http-request 10s
    bind ${address}:80
    use_backend cipher_http if { req.hdr(host),host_only -i cipher.wenzelarifiandi.com }
    default_backend not_found

frontend stats
    mode http
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
    stats refresh 10s

backend cipher_tls
    mode tcp
    server cipher 10.10.10.90:443 check

backend drop_tls
    mode tcp
    tcp-request content reject

backend cipher_http
    mode http
    server cipher 10.10.10.90:80 check

backend not_found
    mode http
    http-request return status 404 content-type text/plain string "no route"
`;
}

const DNSMASQ_CONF = `# Managed by neve-infra (bench). Apply with \`systemctl restart dnsmasq\`.
interface=vmbr1
bind-interfaces
except-interface=lo
domain-needed
bogus-priv
dhcp-authoritative
dhcp-range=10.10.10.100,10.10.10.200,255.255.255.0,12h
dhcp-option=option:router,10.10.10.1
dhcp-option=option:dns-server,10.10.10.1
`;

const CLOUDFLARED_CONFIG = `# Managed by neve-infra (bench). Apply with \`systemctl restart cloudflared\`.
tunnel: 464de2f3-7058-4a1f-9f93-ae8425f0ffbe
credentials-file: /etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json
ingress:
  - hostname: neve.wenzelarifiandi.com
    service: https://127.0.0.1:8006
    originRequest:
      noTLSVerify: true
  - service: http_status:404
`;

const unit = (description: string, execStart: string) => `# Managed by neve-infra (bench).
[Unit]
Description=${description}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${execStart}
Restart=on-failure
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;

export function benchSet(address: string, variant: number): BenchResource[] {
  return [
    {
      name: "haproxy",
      service: "haproxy",
      files: [{ path: "/etc/haproxy/haproxy.cfg", content: haproxyCfg(address, variant), adopted: true }],
      validate: ["haproxy -c -q -f {staged}"],
      activate: "systemctl reload haproxy",
      healthCheck: "systemctl is-active --quiet haproxy",
    },
    {
      name: "dnsmasq",
      service: "dnsmasq",
      files: [{ path: "/etc/dnsmasq.d/vmbr1.conf", content: DNSMASQ_CONF }],
      validate: ["dnsmasq --test --conf-file={staged}"],
      activate: "systemctl restart dnsmasq",
      healthCheck: "systemctl is-active --quiet dnsmasq",
    },
    {
      name: "cloudflared",
      service: "cloudflared",
      files: [{ path: "/etc/cloudflared/config.yml", content: CLOUDFLARED_CONFIG, mode: "0640" }],
      validate: [],
      activate: "systemctl restart cloudflared",
      accessCritical: true,
    },
    {
      name: "units",
      service: "units",
      files: [
        {
          path: "/etc/systemd/system/novnc-1201.service",
          content: unit("noVNC web console for VM 1201 (etoile) on port 6081", "/usr/bin/websockify --web /usr/share/novnc 0.0.0.0:6081 127.0.0.1:5901"),
        },
        {
          path: "/etc/systemd/system/spiceproxy-socat.service",
          content: unit("Forward TCP 61001 to the local SPICE proxy", "/usr/bin/socat TCP-LISTEN:61001,fork,reuseaddr TCP:127.0.0.1:3128"),
        },
        {
          path: "/etc/systemd/system/fix-pve-certs.service",
          content: unit("Fix up Proxmox certificates after renewal", "/usr/bin/pvecm updatecerts --force"),
        },
      ],
      validate: [],
      activate: "systemctl daemon-reload",
    },
  ];
}

/** The arguments of one bench resource's HostConfig (the private key wrapped as a Pulumi secret by `secret`). */
export function hostConfigArgs(
  target: BenchTarget,
  r: BenchResource,
  secret: (s: string) => pulumi.Input<string>,
  opts: { ordered?: boolean } = {},
): HostConfigArgs {
  return {
    connection: {
      host: target.address,
      port: target.port,
      username: target.username,
      hostKey: target.hostKeyFingerprint,
      privateKey: secret(target.clientPrivateKey),
    },
    service: r.service,
    files: r.files.map((f) => ({
      path: f.path,
      content: f.content,
      mode: f.mode ?? "0644",
      owner: "root",
      group: "root",
      ...(f.adopted ? { acceptLive: [target.initialHaproxyCfgHash] } : {}),
    })),
    validate: r.validate,
    activate: r.activate,
    healthCheck: r.healthCheck,
    stashDir: STASH_DIR,
    stashKeep: 5,
    onDelete: "keep",
    // The test host has no API port: the confirmation is the fresh SSH login alone (neve's also probes port 8006).
    ...(opts.ordered && r.accessCritical ? { accessCritical: { confirmSeconds: BENCH_CONFIRM_SECONDS, api: null } } : {}),
  };
}

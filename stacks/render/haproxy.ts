import { renderTemplate } from "./handlebars";
import { assertAbsPath, assertHostname, assertIp, assertNonEmpty, assertPort, assertUnique, RenderModelError, show } from "./validate";

/** An address and port HAProxy listens on. */
export interface HaproxyBind {
  /** Literal IPv4 or IPv6 address; "0.0.0.0" and "::" mean every address of that family. */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
}

/** One public hostname and the guest that serves it. */
export interface HaproxyRoute {
  /** Public hostname, matched against the TLS SNI on the TLS frontend and the Host header on the HTTP frontend. */
  readonly hostname: string;
  /** Literal IP address of the guest (a hostname would make HAProxy depend on DNS at start-up). */
  readonly backendAddress: string;
  /** Guest port that receives the passed-through TLS stream, usually 443. */
  readonly tlsPort: number;
  /** Guest port that receives plain HTTP, usually 80. */
  readonly httpPort: number;
}

/** Process settings of the `global` section. Use null to leave a setting out. */
export interface HaproxyRuntime {
  /** chroot directory. Debian: /var/lib/haproxy. */
  readonly chroot: string | null;
  /** Admin socket path. Debian: /run/haproxy/admin.sock. */
  readonly statsSocket: string | null;
  /** User to drop privileges to. Debian: haproxy. */
  readonly user: string | null;
  /** Group to drop privileges to. Debian: haproxy. */
  readonly group: string | null;
}

/** Everything /etc/haproxy/haproxy.cfg is rendered from. */
export interface HaproxyModel {
  /** Listeners of the TLS-passthrough frontend (neve: 0.0.0.0:443 and [::]:443). */
  readonly tlsBinds: readonly HaproxyBind[];
  /** Listeners of the Host-routed HTTP frontend (neve: 0.0.0.0:80 and [::]:80). */
  readonly httpBinds: readonly HaproxyBind[];
  /** The statistics page: keep it on loopback (neve: 127.0.0.1:8404/stats). */
  readonly stats: HaproxyBind & {
    /** URI path of the page, e.g. "/stats". */
    readonly path: string;
  };
  /** Public routes, in match order. May be empty (then every connection takes the fallback). */
  readonly routes: readonly HaproxyRoute[];
  /**
   * Hostname of the route that receives connections whose SNI / Host matches no route.
   * Defaults to none: such TLS connections are closed and such HTTP requests get a 404.
   */
  readonly fallbackHostname?: string;
  /** `global` process settings. Defaults to Debian's: chroot, admin socket, user/group haproxy. */
  readonly runtime?: HaproxyRuntime;
}

/** Debian's packaged defaults for the `global` section. */
export const DEBIAN_HAPROXY_RUNTIME: HaproxyRuntime = {
  chroot: "/var/lib/haproxy",
  statsSocket: "/run/haproxy/admin.sock",
  user: "haproxy",
  group: "haproxy",
};

/** The Proxmox API/UI port: published only through the Cloudflare tunnel, never by HAProxy. */
export const PROXMOX_API_PORT = 8006;

/** HAProxy `bind` argument: IPv6 in brackets; an IPv6 wildcard is v6only so it can sit beside 0.0.0.0. */
function bindText(b: HaproxyBind): string {
  const ip = assertIp("bind", b.address);
  if (ip.kind() === "ipv6") {
    return `[${ip.toString()}]:${b.port}${ip.toString() === "::" ? " v6only" : ""}`;
  }
  return `${ip.toString()}:${b.port}`;
}

function serverText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function checkBinds(field: string, binds: readonly HaproxyBind[] | undefined, hint: string): readonly HaproxyBind[] {
  assertNonEmpty(field, binds, hint);
  binds!.forEach((b, i) => {
    assertIp(`${field}[${i}].address`, b.address);
    assertPort(`${field}[${i}].port`, b.port);
    if (b.port === PROXMOX_API_PORT) {
      throw new RenderModelError(
        `${field}[${i}].port`,
        `${PROXMOX_API_PORT} is the Proxmox API port and is published only through the Cloudflare tunnel; HAProxy must not listen on it`,
      );
    }
  });
  assertUnique(field, binds!, (b) => `${assertIp(field, b.address).toString()}:${b.port}`, "listener");
  return binds!;
}

/**
 * The backend name of a route, derived from its (valid, lower-case) hostname: "." becomes "_" and
 * nothing else changes ("cipher.example.com" -> "cipher_example_com"). Hostname labels never hold "_",
 * so distinct hostnames give distinct names ("a-b.example.com" -> "a-b_example_com",
 * "a.b.example.com" -> "a_b_example_com"). HAProxy accepts letters, digits, "-", "_", "." and ":" in
 * proxy names (haproxy src/tools.c `invalid_char`), and `haproxy -c` runs on every rendered file in the tests.
 */
export function haproxyBackendId(hostname: string): string {
  return hostname.replace(/\./g, "_");
}

/** Validate `model` and render /etc/haproxy/haproxy.cfg. Throws RenderModelError naming the bad field. */
export function renderHaproxyConfig(model: HaproxyModel): string {
  const tlsBinds = checkBinds("haproxy.tlsBinds", model.tlsBinds, 'e.g. [{ address: "0.0.0.0", port: 443 }, { address: "::", port: 443 }]');
  const httpBinds = checkBinds("haproxy.httpBinds", model.httpBinds, 'e.g. [{ address: "0.0.0.0", port: 80 }, { address: "::", port: 80 }]');
  const publicPorts = new Set([...tlsBinds, ...httpBinds].map((b) => b.port));

  const stats = model.stats;
  if (stats === undefined || stats === null) {
    throw new RenderModelError("haproxy.stats", 'is required, e.g. { address: "127.0.0.1", port: 8404, path: "/stats" }');
  }
  const statsIp = assertIp("haproxy.stats.address", stats.address);
  assertPort("haproxy.stats.port", stats.port);
  if (statsIp.range() !== "loopback") {
    throw new RenderModelError("haproxy.stats.address", `${show(stats.address)} is not a loopback address; the stats page must stay on 127.0.0.1 or ::1`);
  }
  if (typeof stats.path !== "string" || !/^\/[A-Za-z0-9._~/-]*$/.test(stats.path)) {
    throw new RenderModelError("haproxy.stats.path", `must be a URI path such as "/stats", got ${show(stats.path)}`);
  }
  if (publicPorts.has(stats.port)) {
    throw new RenderModelError("haproxy.stats.port", `${stats.port} is already a public frontend port; pick another, e.g. 8404`);
  }

  if (!Array.isArray(model.routes)) {
    throw new RenderModelError("haproxy.routes", "must be a list (it may be empty)");
  }
  const routes = model.routes.map((r, i) => {
    const f = `haproxy.routes[${i}]`;
    assertHostname(`${f}.hostname`, r.hostname);
    const ip = assertIp(`${f}.backendAddress`, r.backendAddress);
    if (ip.range() === "unspecified") {
      throw new RenderModelError(`${f}.backendAddress`, `${show(r.backendAddress)} is a wildcard, not a guest address`);
    }
    for (const key of ["tlsPort", "httpPort"] as const) {
      assertPort(`${f}.${key}`, r[key]);
      if (r[key] === PROXMOX_API_PORT) {
        throw new RenderModelError(
          `${f}.${key}`,
          `${PROXMOX_API_PORT} is the Proxmox API port; it must not be routed from the public frontends (the UI is published only through the Cloudflare tunnel)`,
        );
      }
    }
    const id = haproxyBackendId(r.hostname);
    return {
      hostname: r.hostname,
      tlsBackend: `tls_${id}`,
      httpBackend: `http_${id}`,
      serverName: id,
      tlsServer: serverText(ip.toString(), r.tlsPort),
      httpServer: serverText(ip.toString(), r.httpPort),
    };
  });
  assertUnique("haproxy.routes", model.routes, (r) => r.hostname, "hostname");
  assertUnique("haproxy.routes", routes, (r) => r.serverName, "backend name");

  let fallback: (typeof routes)[number] | null = null;
  if (model.fallbackHostname !== undefined) {
    fallback = routes.find((r) => r.hostname === model.fallbackHostname) ?? null;
    if (fallback === null) {
      throw new RenderModelError(
        "haproxy.fallbackHostname",
        `${show(model.fallbackHostname)} is not the hostname of any route; use one of ${show(routes.map((r) => r.hostname))} or leave it out`,
      );
    }
  }

  const runtime = model.runtime ?? DEBIAN_HAPROXY_RUNTIME;
  if (runtime.chroot !== null) assertAbsPath("haproxy.runtime.chroot", runtime.chroot);
  if (runtime.statsSocket !== null) assertAbsPath("haproxy.runtime.statsSocket", runtime.statsSocket);
  for (const key of ["user", "group"] as const) {
    const v = runtime[key];
    if (v !== null && (typeof v !== "string" || !/^[a-z_][a-z0-9_-]{0,31}$/.test(v))) {
      throw new RenderModelError(`haproxy.runtime.${key}`, `must be a system account name such as "haproxy" or null, got ${show(v)}`);
    }
  }

  const ports = (binds: readonly HaproxyBind[]) => [...new Set(binds.map((b) => b.port))].join(", ");
  return renderTemplate("haproxy.cfg", {
    tlsPortsText: ports(tlsBinds),
    httpPortsText: ports(httpBinds),
    runtime,
    tlsBinds: tlsBinds.map(bindText),
    httpBinds: httpBinds.map(bindText),
    stats: { bind: bindText(stats), path: stats.path },
    routes,
    fallback,
    tlsDefaultBackend: fallback === null ? "tls_no_route" : fallback.tlsBackend,
    httpDefaultBackend: fallback === null ? "http_no_route" : fallback.httpBackend,
  });
}

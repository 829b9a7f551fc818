import {
  bindExtraProblem,
  DEFAULT_SERVER_OPTIONS,
  HAPROXY_STANDARD_LINES,
  type HaproxyRole,
  type HaproxySectionKind,
  type HaproxyServerOptions,
  type HaproxyStandardLine,
  haproxyExtraLineProblem,
  haproxyNameProblem,
  haproxyTimeProblem,
  serverExtraProblem,
  serverOptionsText,
  serverWordProblem,
  standardLineClash,
} from "../common/haproxy";
import { singleLineProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { assertAbsPath, assertHostname, assertIp, assertNonEmpty, assertPort, assertUnique, RenderModelError, show } from "./validate";

/** An address and port HAProxy listens on. */
export interface HaproxyBind {
  /** Literal IPv4 or IPv6 address; "0.0.0.0" and "::" mean every address of that family. */
  readonly address: string;
  /** TCP port. */
  readonly port: number;
  /** `v4v6` (an IPv6 wildcard that takes IPv4 too) or `v6only`. Defaults to v6only for "::", none otherwise. */
  readonly family?: "v4v6" | "v6only";
  /** Other bind options, each a keyword with its arguments (`accept-proxy`), after the address. Defaults to none. */
  readonly extra?: readonly string[];
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
  /** Options of the TLS backend's server line. Defaults to a plain `check`. */
  readonly tlsServer?: HaproxyServerOptions;
  /** Options of the HTTP backend's server line. Defaults to a plain `check`. */
  readonly httpServer?: HaproxyServerOptions;
  /** Section and server names, for a file named by hand. Defaults to tls_<id>, http_<id> and <id> ({@link haproxyBackendId}). */
  readonly names?: { readonly tlsBackend?: string; readonly httpBackend?: string; readonly server?: string };
}

/** The four timeouts of the `defaults` section, each a haproxy time ("5s", "1m"), or null to leave it out. */
export interface HaproxyTimeouts {
  readonly connect: string | null;
  readonly client: string | null;
  readonly server: string | null;
  readonly tunnel: string | null;
}

/** Settings of the `global` and `defaults` sections beyond the runtime. */
export interface HaproxyTuning {
  /** `maxconn` of global. Defaults to none (haproxy's own). */
  readonly globalMaxconn?: number;
  /** `log` targets of global (text after `log`). Defaults to /dev/log local0 and local1 notice. */
  readonly log?: readonly string[];
  /** Timeouts of defaults. Defaults to 5s, 1m, 1m, 1h. */
  readonly timeouts?: HaproxyTimeouts;
  /** `maxconn` of defaults. Defaults to none. */
  readonly defaultsMaxconn?: number;
}

/** Lines the model does not know, appended at the end of each named section (each checked by {@link haproxyExtraLineProblem}). */
export interface HaproxyExtraLines {
  readonly global?: readonly string[];
  readonly defaults?: readonly string[];
  /** By frontend role: tls_in (the TLS frontend), http_in (the HTTP frontend), stats, whatever their names. */
  readonly frontends?: Readonly<Partial<Record<"tls_in" | "http_in" | "stats", readonly string[]>>>;
  /** By backend name (tls_<id>, http_<id>, tls_no_route, http_no_route). */
  readonly backends?: Readonly<Record<string, readonly string[]>>;
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
  /** maxconn, log targets, timeouts. Defaults to the values named on each field. */
  readonly tuning?: HaproxyTuning;
  /** The escape hatch: extra lines per section. Defaults to none. */
  readonly extraLines?: HaproxyExtraLines;
  /** Names of the frontends and the stats section. Defaults to tls_in, http_in, stats. */
  readonly names?: { readonly tls?: string; readonly http?: string; readonly stats?: string };
  /** The stats page as a `frontend` or a `listen` section. Defaults to frontend. */
  readonly statsSection?: "frontend" | "listen";
  /** Standard directives left out ({@link HAPROXY_STANDARD_LINES}). Defaults to none. */
  readonly omit?: readonly HaproxyStandardLine[];
  /**
   * A connection that matches no route: `reject` (a default backend that closes TLS and answers HTTP 404)
   * or `none` (no default backend: haproxy closes the connection, answers HTTP 503). Defaults to reject.
   * Ignored when fallbackHostname is set.
   */
  readonly unrouted?: "reject" | "none";
  /**
   * How the HTTP frontend matches a route: `host-only` (`req.hdr(host),host_only -i NAME`: the Host header
   * without its port) or `header` (`hdr(host) -i NAME`: the whole header, so `NAME:80` matches no route).
   * Defaults to host-only.
   */
  readonly hostMatch?: "host-only" | "header";
}

/** Defaults of {@link HaproxyTuning}. */
export const DEFAULT_HAPROXY_TIMEOUTS: HaproxyTimeouts = { connect: "5s", client: "1m", server: "1m", tunnel: "1h" };
/** Debian's packaged log targets. */
export const DEFAULT_HAPROXY_LOG: readonly string[] = ["/dev/log local0", "/dev/log local1 notice"];

function checkLines(
  field: string,
  kind: HaproxySectionKind,
  lines: readonly string[] | undefined,
  role: HaproxyRole | null = null,
  omit: readonly string[] = [],
): readonly string[] {
  if (lines === undefined) return [];
  if (!Array.isArray(lines)) throw new RenderModelError(field, "must be a list of lines");
  return lines.map((l, i) => {
    const p = haproxyExtraLineProblem(kind, l) ?? (role === null ? null : standardLineClash(role, l, omit));
    if (p !== null) throw new RenderModelError(`${field}[${i}]`, p);
    return l.trim();
  });
}

function checkName(field: string, name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  const p = haproxyNameProblem(name);
  if (p) throw new RenderModelError(field, p);
  return name as string;
}

function checkCount(field: string, n: unknown): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || (n as number) < 1) throw new RenderModelError(field, `must be a whole number of at least 1, got ${show(n)}`);
  return n as number;
}

function serverOptions(field: string, o: HaproxyServerOptions | undefined): string {
  const v = o ?? DEFAULT_SERVER_OPTIONS;
  if (v.sendProxy !== undefined && v.sendProxy !== "v1" && v.sendProxy !== "v2")
    throw new RenderModelError(`${field}.sendProxy`, `must be v1 or v2, got ${show(v.sendProxy)}`);
  checkCount(`${field}.maxconn`, v.maxconn);
  if (typeof v.check === "object" && v.check !== null) {
    if (v.check.port !== undefined) assertPort(`${field}.check.port`, v.check.port);
    if (v.check.inter !== undefined) {
      const p = haproxyTimeProblem(v.check.inter);
      if (p) throw new RenderModelError(`${field}.check.inter`, p);
    }
    checkCount(`${field}.check.rise`, v.check.rise);
    checkCount(`${field}.check.fall`, v.check.fall);
  } else if (typeof v.check !== "boolean") {
    throw new RenderModelError(`${field}.check`, `must be true, false or { port, inter, rise, fall }, got ${show(v.check)}`);
  }
  if (v.ssl !== undefined) {
    if (v.ssl.verify !== undefined && v.ssl.verify !== "none" && v.ssl.verify !== "required")
      throw new RenderModelError(`${field}.ssl.verify`, `must be none or required, got ${show(v.ssl.verify)}`);
    for (const k of ["sni", "caFile"] as const) {
      const p = v.ssl[k] === undefined ? null : serverWordProblem(v.ssl[k]);
      if (p) throw new RenderModelError(`${field}.ssl.${k}`, p);
    }
  }
  if (v.backup !== undefined && typeof v.backup !== "boolean") throw new RenderModelError(`${field}.backup`, `must be true or false, got ${show(v.backup)}`);
  if (v.weight !== undefined && (!Number.isInteger(v.weight) || v.weight < 0 || v.weight > 256))
    throw new RenderModelError(`${field}.weight`, `must be a whole number in 0-256, got ${show(v.weight)}`);
  (v.extra ?? []).forEach((e, i) => {
    const p = serverExtraProblem(e);
    if (p) throw new RenderModelError(`${field}.extra[${i}]`, p);
  });
  const t = serverOptionsText(v);
  return t === "" ? "" : ` ${t}`;
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
  const family = b.family ?? (ip.kind() === "ipv6" && ip.toString() === "::" ? "v6only" : undefined);
  const addr = ip.kind() === "ipv6" ? `[${ip.toString()}]` : ip.toString();
  return [`${addr}:${b.port}`, ...(family ? [family] : []), ...(b.extra ?? []).map((e) => e.trim())].join(" ");
}

function serverText(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

function checkBinds(field: string, binds: readonly HaproxyBind[] | undefined, hint: string): readonly HaproxyBind[] {
  assertNonEmpty(field, binds, hint);
  binds!.forEach((b, i) => {
    assertIp(`${field}[${i}].address`, b.address);
    assertPort(`${field}[${i}].port`, b.port);
    if (b.family !== undefined && b.family !== "v4v6" && b.family !== "v6only")
      throw new RenderModelError(`${field}[${i}].family`, `must be v4v6 or v6only, got ${show(b.family)}`);
    (b.extra ?? []).forEach((e, k) => {
      const p = bindExtraProblem(e);
      if (p) throw new RenderModelError(`${field}[${i}].extra[${k}]`, p);
    });
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
      tlsBackend: checkName(`${f}.names.tlsBackend`, r.names?.tlsBackend, `tls_${id}`),
      httpBackend: checkName(`${f}.names.httpBackend`, r.names?.httpBackend, `http_${id}`),
      serverName: checkName(`${f}.names.server`, r.names?.server, id),
      tlsServer: serverText(ip.toString(), r.tlsPort) + serverOptions(`${f}.tlsServer`, r.tlsServer),
      httpServer: serverText(ip.toString(), r.httpPort) + serverOptions(`${f}.httpServer`, r.httpServer),
      tlsLines: [] as readonly string[],
      httpLines: [] as readonly string[],
      httpMatch: "",
    };
  });
  assertUnique("haproxy.routes", model.routes, (r) => r.hostname, "hostname");
  assertUnique(
    "haproxy.routes",
    routes.flatMap((r) => [r.tlsBackend, r.httpBackend]),
    (n) => n,
    "backend name",
  );

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

  const tuning = model.tuning ?? {};
  const timeouts = tuning.timeouts ?? DEFAULT_HAPROXY_TIMEOUTS;
  for (const k of ["connect", "client", "server", "tunnel"] as const) {
    const p = timeouts[k] === null ? null : haproxyTimeProblem(timeouts[k]);
    if (p) throw new RenderModelError(`haproxy.tuning.timeouts.${k}`, p);
  }
  const log = (tuning.log ?? DEFAULT_HAPROXY_LOG).map((l, i) => {
    const p = typeof l === "string" && l.trim() !== "" ? singleLineProblem(l) : "must be a log target such as /dev/log local0";
    if (p) throw new RenderModelError(`haproxy.tuning.log[${i}]`, p);
    return l.trim();
  });
  const extra = model.extraLines ?? {};
  const omit = model.omit ?? [];
  omit.forEach((o, i) => {
    if (!(o in HAPROXY_STANDARD_LINES))
      throw new RenderModelError(`haproxy.omit[${i}]`, `${show(o)} is not a standard line; use one of ${show(Object.keys(HAPROXY_STANDARD_LINES))}`);
  });
  const keep = Object.fromEntries(Object.entries(HAPROXY_STANDARD_LINES).map(([k, v]) => [v.flag, !omit.includes(k as HaproxyStandardLine)]));
  const unrouted = model.unrouted ?? "reject";
  if (unrouted !== "reject" && unrouted !== "none") throw new RenderModelError("haproxy.unrouted", `must be reject or none, got ${show(unrouted)}`);
  const hostMatch = model.hostMatch ?? "host-only";
  if (hostMatch !== "host-only" && hostMatch !== "header")
    throw new RenderModelError("haproxy.hostMatch", `must be host-only or header, got ${show(hostMatch)}`);
  const noRoute = fallback === null && unrouted === "reject";
  const names = {
    tls: checkName("haproxy.names.tls", model.names?.tls, "tls_in"),
    http: checkName("haproxy.names.http", model.names?.http, "http_in"),
    stats: checkName("haproxy.names.stats", model.names?.stats, "stats"),
  };
  const statsSection = model.statsSection ?? "frontend";
  if (statsSection !== "frontend" && statsSection !== "listen")
    throw new RenderModelError("haproxy.statsSection", `must be frontend or listen, got ${show(statsSection)}`);
  const backendNames = [...routes.flatMap((r) => [r.tlsBackend, r.httpBackend]), ...(noRoute ? ["tls_no_route", "http_no_route"] : [])];
  assertUnique("haproxy.names", [names.tls, names.http, names.stats, ...backendNames], (n) => n, "section name");
  const backendLines = new Map<string, readonly string[]>();
  for (const [name, lines] of Object.entries(extra.backends ?? {})) {
    if (!backendNames.includes(name)) {
      throw new RenderModelError(`haproxy.extraLines.backends.${name}`, `is not a backend of this file; use one of ${show(backendNames)}`);
    }
    backendLines.set(name, checkLines(`haproxy.extraLines.backends.${name}`, "backend", lines));
  }
  for (const r of routes) {
    r.tlsLines = backendLines.get(r.tlsBackend) ?? [];
    r.httpLines = backendLines.get(r.httpBackend) ?? [];
    r.httpMatch = hostMatch === "header" ? `hdr(host) -i ${r.hostname}` : `req.hdr(host),host_only -i ${r.hostname}`;
  }
  const fe = extra.frontends ?? {};

  const ports = (binds: readonly HaproxyBind[]) => [...new Set(binds.map((b) => b.port))].join(", ");
  return renderTemplate("haproxy.cfg", {
    tlsPortsText: ports(tlsBinds),
    httpPortsText: ports(httpBinds),
    runtime,
    globalMaxconn: checkCount("haproxy.tuning.globalMaxconn", tuning.globalMaxconn) ?? null,
    defaultsMaxconn: checkCount("haproxy.tuning.defaultsMaxconn", tuning.defaultsMaxconn) ?? null,
    log,
    timeouts,
    globalLines: checkLines("haproxy.extraLines.global", "global", extra.global, "global", omit),
    defaultsLines: checkLines("haproxy.extraLines.defaults", "defaults", extra.defaults, "defaults", omit),
    tlsInLines: checkLines("haproxy.extraLines.frontends.tls_in", "frontend", fe.tls_in, "tls", omit),
    httpInLines: checkLines("haproxy.extraLines.frontends.http_in", "frontend", fe.http_in, "http", omit),
    statsLines: checkLines("haproxy.extraLines.frontends.stats", "frontend", fe.stats, "stats", omit),
    keep,
    hostMatchText: hostMatch === "header" ? "the whole header, port included" : "port stripped",
    names,
    statsSection,
    noRoute,
    tlsNoRouteLines: backendLines.get("tls_no_route") ?? [],
    httpNoRouteLines: backendLines.get("http_no_route") ?? [],
    tlsBinds: tlsBinds.map(bindText),
    httpBinds: httpBinds.map(bindText),
    stats: { bind: bindText(stats), path: stats.path },
    routes,
    fallback,
    tlsDefaultBackend: fallback !== null ? fallback.tlsBackend : noRoute ? "tls_no_route" : null,
    httpDefaultBackend: fallback !== null ? fallback.httpBackend : noRoute ? "http_no_route" : null,
  });
}

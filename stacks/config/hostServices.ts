import { z } from "zod";
import { CONFIRM_WINDOW } from "../../providers/ssh/timeouts";
import { dnsmasqDomainProblem, dnsmasqExtraLineProblem, dnsmasqServerProblem } from "../common/dnsmasqDirectives";
import {
  bindExtraProblem,
  HAPROXY_STANDARD_KEYS,
  type HaproxyRole,
  type HaproxySectionKind,
  haproxyExtraLineProblem,
  haproxyNameProblem,
  standardLineClash,
} from "../common/haproxy";
import { ifnameProblem, leaseTimeProblem, singleLineProblem } from "../common/predicates";
import { fqdnSchema, hostnameSchema, hostPathSchema, ipv4Schema, ipv6Schema, portSchema, refineWith } from "./common";
import { TAILNET_IFACE } from "./network";
import { haproxyTimeSchema } from "./routes";

/** Extra haproxy.cfg lines of one section kind: each one directive the model does not own. */
const extraLinesSchema = (kind: HaproxySectionKind) => z.array(z.string().superRefine(refineWith((l: string) => haproxyExtraLineProblem(kind, l)))).default([]);

/** Names of haproxy proxies (frontends, backends) as the renderer names them. */
const proxyNameSchema = z.string().superRefine(refineWith(haproxyNameProblem));

/** One listener of a public frontend. */
const bindSchema = z.strictObject({
  /** Literal address; "0.0.0.0" and "::" mean every address of that family. */
  address: z.union([ipv4Schema, ipv6Schema], { error: "must be an IPv4 or IPv6 address such as 0.0.0.0 or ::" }),
  /** TCP port. */
  port: portSchema,
  /** `v4v6`: the IPv6 wildcard takes IPv4 too; `v6only`. Defaults to v6only for "::", none otherwise. */
  family: z.enum(["v4v6", "v6only"], { error: "must be v4v6 or v6only" }).optional(),
  /** Other bind options, each a keyword with its arguments (`accept-proxy`), checked by `haproxy -c` at the push. Omit for none. */
  extra: z.array(z.string().superRefine(refineWith(bindExtraProblem))).optional(),
});

const TLS_BINDS = [
  { address: "0.0.0.0", port: 443 },
  { address: "::", port: 443 },
];
const HTTP_BINDS = [
  { address: "0.0.0.0", port: 80 },
  { address: "::", port: 80 },
];

const HAPROXY_TIMEOUTS = { connect: "5s", client: "1m", server: "1m", tunnel: "1h" } as const;
const HAPROXY_LOG = ["/dev/log local0", "/dev/log local1 notice"];

/** haproxy edge proxy: the stats page, global and defaults settings, and the extra lines. */
export const haproxySchema = z
  .strictObject({
    /** Loopback port of the stats page (/stats). Defaults to 8404. */
    statsPort: portSchema.default(8404),
    /** Process-wide connection limit (`maxconn` in global). Omit for haproxy's own default. */
    maxconn: z.number().int().min(1, { error: "must be at least 1" }).optional(),
    /** `log` targets of the global section, each the text after `log`. Defaults to Debian's /dev/log local0 and local1 notice. */
    log: z.array(z.string().min(1, { error: "must be a log target such as /dev/log local0" }).superRefine(refineWith(singleLineProblem))).default(HAPROXY_LOG),
    /** The defaults section. */
    defaults: z
      .strictObject({
        /** `timeout connect/client/server/tunnel`, each null to leave it out. Defaults to 5s, 1m, 1m, 1h. */
        timeouts: z
          .strictObject({
            connect: haproxyTimeSchema.nullable().default(HAPROXY_TIMEOUTS.connect),
            client: haproxyTimeSchema.nullable().default(HAPROXY_TIMEOUTS.client),
            server: haproxyTimeSchema.nullable().default(HAPROXY_TIMEOUTS.server),
            tunnel: haproxyTimeSchema.nullable().default(HAPROXY_TIMEOUTS.tunnel),
          })
          .default(HAPROXY_TIMEOUTS),
        /** Per-frontend connection limit (`maxconn` in defaults). Omit for haproxy's own default. */
        maxconn: z.number().int().min(1, { error: "must be at least 1" }).optional(),
      })
      .default({ timeouts: HAPROXY_TIMEOUTS }),
    /**
     * Directives the model does not know, kept verbatim at defined places (each checked by the shared
     * predicate: one line, not a directive the model renders there; the push runs `haproxy -c` on the
     * whole file). Defaults to none.
     */
    extraLines: z
      .strictObject({
        /** Appended to `global`, e.g. `tune.ssl.default-dh-param 2048`. */
        global: extraLinesSchema("global"),
        /** Appended to `defaults`, e.g. `retries 3`. */
        defaults: extraLinesSchema("defaults"),
        /** Appended to a frontend by name: tls_in, http_in, stats. */
        frontends: z
          .strictObject({ tls_in: extraLinesSchema("frontend"), http_in: extraLinesSchema("frontend"), stats: extraLinesSchema("frontend") })
          .default({ tls_in: [], http_in: [], stats: [] }),
        /** Appended to a backend by name, e.g. tls_cipher_example_com (`tls_`/`http_` + the hostname with "." as "_"), tls_no_route. */
        backends: z.record(proxyNameSchema, extraLinesSchema("backend")).default({}),
      })
      .default({ global: [], defaults: [], frontends: { tls_in: [], http_in: [], stats: [] }, backends: {} }),
    /** Names of the sections, for a file named by hand (each route's backends: `routes[].names`). Defaults to tls_in, http_in, stats. */
    names: z
      .strictObject({
        /** The TLS (SNI) frontend. Defaults to tls_in. */
        tls: proxyNameSchema.default("tls_in"),
        /** The HTTP (Host) frontend. Defaults to http_in. */
        http: proxyNameSchema.default("http_in"),
        /** The stats section. Defaults to stats. */
        stats: proxyNameSchema.default("stats"),
        /** The stats page as a `frontend` or a `listen` section. Defaults to frontend. */
        statsSection: z.enum(["frontend", "listen"], { error: "must be frontend or listen" }).default("frontend"),
      })
      .default({ tls: "tls_in", http: "http_in", stats: "stats", statsSection: "frontend" }),
    /** Listeners of the public frontends. Defaults to 0.0.0.0 and :: (v6only) on 443 and on 80. */
    binds: z
      .strictObject({
        /** The TLS frontend's. */
        tls: z.array(bindSchema).min(1, { error: "must list at least one listener" }).default(TLS_BINDS),
        /** The HTTP frontend's. */
        http: z.array(bindSchema).min(1, { error: "must list at least one listener" }).default(HTTP_BINDS),
      })
      .default({ tls: TLS_BINDS, http: HTTP_BINDS }),
    /**
     * Standard directives the model renders that this file leaves out (a hand-written file may lack them,
     * or state them with another value as an extra line), e.g. "defaults: option dontlognull". Defaults to none.
     */
    omit: z.array(z.enum(HAPROXY_STANDARD_KEYS, { error: `must be one of ${HAPROXY_STANDARD_KEYS.join(", ")}` })).default([]),
    /**
     * The route (its hostname, one of `routes`) that takes every connection no route matches: both
     * frontends' `default_backend` are its backends. Omit for `unrouted`'s answer.
     */
    fallback: fqdnSchema.optional(),
    /** A connection no route matches (without a fallback): reject (close TLS, HTTP 404) or none (no default backend: haproxy closes, HTTP 503). Defaults to reject. */
    unrouted: z.enum(["reject", "none"], { error: "must be reject or none" }).default("reject"),
    /** HTTP route match: host-only (Host header without its port) or header (the whole Host header, `hdr(host)`). Defaults to host-only. */
    hostMatch: z.enum(["host-only", "header"], { error: "must be host-only or header" }).default("host-only"),
  })
  .superRefine((h, ctx) => {
    // The renderer asks the same predicate: an extra line may not restate a standard line still rendered.
    const places: [HaproxyRole, readonly string[], (string | number)[]][] = [
      ["global", h.extraLines.global, ["extraLines", "global"]],
      ["defaults", h.extraLines.defaults, ["extraLines", "defaults"]],
      ["tls", h.extraLines.frontends.tls_in, ["extraLines", "frontends", "tls_in"]],
      ["http", h.extraLines.frontends.http_in, ["extraLines", "frontends", "http_in"]],
      ["stats", h.extraLines.frontends.stats, ["extraLines", "frontends", "stats"]],
    ];
    for (const [role, lines, path] of places)
      lines.forEach((l, i) => {
        const p = standardLineClash(role, l, h.omit);
        if (p) ctx.addIssue({ code: "custom", path: [...path, i], message: p });
      });
  });

/** `host:port` of a local TCP service, e.g. `127.0.0.1:3128`. */
const targetSchema = z.strictObject({
  /** IPv4 address to relay to. */
  host: ipv4Schema,
  /** Port to relay to. */
  port: portSchema,
});

/** One noVNC web console (websockify) for a VM. */
export const novncSchema = z.strictObject({
  /** Name of the VM (key of `guests`). */
  guest: hostnameSchema,
  /** Browser-facing port, e.g. 6081. */
  port: portSchema,
  /** QEMU VNC display of the VM's `args: -vnc 127.0.0.1:<display>` (TCP port 5900 + display). */
  vncDisplay: z.number().int().min(0, { error: "must be a VNC display number in 0-99" }).max(99, { error: "must be a VNC display number in 0-99" }),
  /** Address websockify listens on. Defaults to 0.0.0.0 (the Proxmox firewall decides who reaches it). */
  listenAddress: ipv4Schema.default("0.0.0.0"),
  /** websockify `--heartbeat`: seconds between pings that keep idle connections open through proxies. Omit for none. */
  heartbeat: z.number().int().min(1, { error: "must be seconds, at least 1" }).max(86400, { error: "must be at most 86400 seconds" }).optional(),
  /** websockify `--idle-timeout`: seconds without a connection after which websockify exits (systemd restarts it). Omit for none. */
  idleTimeout: z.number().int().min(1, { error: "must be seconds, at least 1" }).max(86400, { error: "must be at most 86400 seconds" }).optional(),
  /** websockify `--timeout`: seconds after which websockify exits. Omit for none. */
  timeout: z
    .number()
    .int()
    .min(1, { error: "must be seconds, at least 1" })
    .max(86400 * 365, { error: "must be at most a year in seconds" })
    .optional(),
  /** websockify `--web`: the noVNC web root. Defaults to /usr/share/novnc (Debian package novnc). */
  webRoot: hostPathSchema.default("/usr/share/novnc"),
});

/**
 * `neve-infra:hostServices`: the host's own configuration files, pushed over SSH by the
 * HostConfig provider (haproxy, cloudflared, dnsmasq, systemd units, sysctl, NAT).
 */
export const hostServicesSchema = z.strictObject({
  /** Manage the host's configuration files at all. Defaults to true. */
  enabled: z.boolean().default(true),
  /** Where the previous version of every file is kept on the host. Defaults to /root/etc-pve.stash. */
  stashDir: hostPathSchema.default("/root/etc-pve.stash"),
  /** Previous versions kept per service (the adopted original is always kept). Defaults to 10. */
  stashKeep: z.number().int().min(1, { error: "must keep at least 1 previous version" }).max(100, { error: "must be at most 100" }).default(10),
  /**
   * Seconds the host waits for a fresh SSH login and a fresh TLS handshake with the API port to
   * confirm an access-critical change (NAT, forwarding, tunnel, the network interfaces) before it
   * restores the previous files by itself. Defaults to 60 (the rules: `CONFIRM_WINDOW`).
   */
  confirmSeconds: z
    .number()
    .int()
    .min(CONFIRM_WINDOW.stackMinSeconds, { error: `must be at least ${CONFIRM_WINDOW.stackMinSeconds} seconds (an SSH login and an API handshake must fit)` })
    .max(CONFIRM_WINDOW.stackMaxSeconds, { error: `must be at most ${CONFIRM_WINDOW.stackMaxSeconds} seconds` })
    .default(CONFIRM_WINDOW.defaultSeconds),
  /** What removing a service from the program does on the host. Defaults to keep (never take a live service down). */
  onDelete: z.enum(["keep", "remove", "restore"], { error: "must be keep, remove or restore" }).default("keep"),
  /**
   * Who sets IP forwarding: `stack` renders /etc/sysctl.d/90-neve-forwarding.conf; `external` means
   * the host already sets it elsewhere (another sysctl file, a post-up line in /etc/network/interfaces),
   * as `npm run discover -- --write` found, and the stack declares no second copy. Defaults to stack.
   */
  forwarding: z.enum(["stack", "external"], { error: "must be stack or external" }).default("stack"),
  /** haproxy edge proxy. */
  haproxy: haproxySchema.default({
    statsPort: 8404,
    log: HAPROXY_LOG,
    defaults: { timeouts: HAPROXY_TIMEOUTS },
    extraLines: { global: [], defaults: [], frontends: { tls_in: [], http_in: [], stats: [] }, backends: {} },
    names: { tls: "tls_in", http: "http_in", stats: "stats", statsSection: "frontend" },
    binds: { tls: TLS_BINDS, http: HTTP_BINDS },
    omit: [],
    unrouted: "reject",
    hostMatch: "host-only",
  }),
  /** dnsmasq on the private bridge. */
  dnsmasq: z
    .strictObject({
      /** DHCP lease time, e.g. 12h. Defaults to 12h. */
      leaseTime: z.string().superRefine(refineWith(leaseTimeProblem)).default("12h"),
      /** Interfaces dnsmasq must never answer on, besides the other bridges. Defaults to lo and tailscale0. */
      exceptInterfaces: z.array(z.string().superRefine(refineWith(ifnameProblem))).default(["lo", TAILNET_IFACE]),
      /**
       * Upstream DNS servers, each the value of a `server=` line: `ADDRESS[#PORT][@SOURCE]`, optionally
       * for some domains only (`/corp.example/10.0.0.53`), in order (`strict-order` in extraLines asks
       * them in this order). Defaults to none (dnsmasq then uses /etc/resolv.conf unless noResolv).
       */
      servers: z.array(z.string().superRefine(refineWith(dnsmasqServerProblem))).default([]),
      /** `no-resolv`: take upstream servers from `servers` only, never from /etc/resolv.conf. Defaults to false. */
      noResolv: z.boolean().default(false),
      /** `domain=`: the local DNS domain DHCP clients' names are qualified with, e.g. neve.lan. Defaults to none. */
      domain: z.string().superRefine(refineWith(dnsmasqDomainProblem)).optional(),
      /** Domains answered from local data only, never forwarded (`local=/d/`). Defaults to `[domain]` when domain is set, else none. */
      local: z.array(z.string().superRefine(refineWith(dnsmasqDomainProblem))).optional(),
      /** `cache-size=`: DNS cache entries (0 disables caching). Omit for dnsmasq's default (150). */
      cacheSize: z.number().int({ error: "must be a whole number of cache entries" }).min(0, { error: "must be 0 (no cache) or more" }).optional(),
      /** Directives the model does not know (e.g. "log-queries", "strict-order", a `dhcp-host` of a machine the stack does not declare), rendered last; checked by `dnsmasq --test`. Defaults to none. */
      extraLines: z
        .array(
          z
            .unknown()
            .superRefine(refineWith(dnsmasqExtraLineProblem))
            .transform((v) => String(v)),
        )
        .optional(),
    })
    .default({ leaseTime: "12h", exceptInterfaces: ["lo", "tailscale0"], servers: [], noResolv: false }),
  /** noVNC consoles. */
  novnc: z.array(novncSchema).default([]),
  /** socat relay to the local SPICE proxy. Omit to not manage it. */
  spiceProxy: z
    .strictObject({
      /** Port socat listens on, e.g. 61001. */
      port: portSchema,
      /** Where it relays to, e.g. 127.0.0.1:3128 (pve spiceproxy). */
      target: targetSchema,
    })
    .optional(),
  /** Certificate fix-up timer. Omit to not manage it. */
  fixPveCerts: z
    .strictObject({
      /** systemd calendar expression, e.g. monthly or "Sun *-*-* 04:00" (compared by meaning with the live timer). */
      onCalendar: z.string().min(1, { error: "must be a systemd calendar expression such as monthly" }).superRefine(refineWith(singleLineProblem)),
      /**
       * When a run renews the node certificate: `always` (every run, `pvecm updatecerts --force`) or
       * `{ beforeExpiryDays: N }` (only when it expires within N days; an ExecCondition with
       * `openssl x509 -checkend`). Defaults to always.
       */
      renew: z
        .union(
          [
            z.literal("always"),
            z.strictObject({
              beforeExpiryDays: z.number().int().min(1, { error: "must be at least 1 day" }).max(3650, { error: "must be at most 3650 days" }),
            }),
          ],
          { error: 'must be "always" or { beforeExpiryDays: N }' },
        )
        .default("always"),
    })
    .optional(),
});

/** Parsed `neve-infra:hostServices`. */
export type HostServicesConfig = z.infer<typeof hostServicesSchema>;

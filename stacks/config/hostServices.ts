import { z } from "zod";
import { CONFIRM_WINDOW } from "../../providers/ssh/timeouts";
import { dnsmasqExtraLineProblem } from "../common/dnsmasqDirectives";
import { type HaproxySectionKind, haproxyExtraLineProblem } from "../common/haproxy";
import { ifnameProblem, leaseTimeProblem, singleLineProblem } from "../common/predicates";
import { hostnameSchema, hostPathSchema, ipv4Schema, portSchema, refineWith } from "./common";
import { TAILNET_IFACE } from "./network";
import { haproxyTimeSchema } from "./routes";

/** Extra haproxy.cfg lines of one section kind: each one directive the model does not own. */
const extraLinesSchema = (kind: HaproxySectionKind) => z.array(z.string().superRefine(refineWith((l: string) => haproxyExtraLineProblem(kind, l)))).default([]);

/** Names of haproxy proxies (frontends, backends) as the renderer names them. */
const proxyNameSchema = z.string().regex(/^[A-Za-z0-9_.:-]+$/, { error: "must be a haproxy section name such as tls_cipher_example_com" });

const HAPROXY_TIMEOUTS = { connect: "5s", client: "1m", server: "1m", tunnel: "1h" } as const;
const HAPROXY_LOG = ["/dev/log local0", "/dev/log local1 notice"];

/** haproxy edge proxy: the stats page, global and defaults settings, and the extra lines. */
export const haproxySchema = z.strictObject({
  /** Loopback port of the stats page (/stats). Defaults to 8404. */
  statsPort: portSchema.default(8404),
  /** Process-wide connection limit (`maxconn` in global). Omit for haproxy's own default. */
  maxconn: z.number().int().min(1, { error: "must be at least 1" }).optional(),
  /** `log` targets of the global section, each the text after `log`. Defaults to Debian's /dev/log local0 and local1 notice. */
  log: z.array(z.string().min(1, { error: "must be a log target such as /dev/log local0" }).superRefine(refineWith(singleLineProblem))).default(HAPROXY_LOG),
  /** The defaults section. */
  defaults: z
    .strictObject({
      /** `timeout connect/client/server/tunnel`. Defaults to 5s, 1m, 1m, 1h. */
      timeouts: z
        .strictObject({
          connect: haproxyTimeSchema.default(HAPROXY_TIMEOUTS.connect),
          client: haproxyTimeSchema.default(HAPROXY_TIMEOUTS.client),
          server: haproxyTimeSchema.default(HAPROXY_TIMEOUTS.server),
          tunnel: haproxyTimeSchema.default(HAPROXY_TIMEOUTS.tunnel),
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
  }),
  /** dnsmasq on the private bridge. */
  dnsmasq: z
    .strictObject({
      /** DHCP lease time, e.g. 12h. Defaults to 12h. */
      leaseTime: z.string().superRefine(refineWith(leaseTimeProblem)).default("12h"),
      /** Interfaces dnsmasq must never answer on, besides the other bridges. Defaults to lo and tailscale0. */
      exceptInterfaces: z.array(z.string().superRefine(refineWith(ifnameProblem))).default(["lo", TAILNET_IFACE]),
      /** Directives the model does not know (e.g. "no-resolv", "server=1.1.1.1"), rendered last; checked by `dnsmasq --test`. Defaults to none. */
      extraLines: z
        .array(
          z
            .unknown()
            .superRefine(refineWith(dnsmasqExtraLineProblem))
            .transform((v) => String(v)),
        )
        .optional(),
    })
    .default({ leaseTime: "12h", exceptInterfaces: ["lo", "tailscale0"] }),
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

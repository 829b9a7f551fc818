import { z } from "zod";
import { CONFIRM_WINDOW } from "../../providers/ssh/timeouts";
import { ifnameProblem, leaseTimeProblem } from "../common/predicates";
import { hostnameSchema, hostPathSchema, ipv4Schema, portSchema, refineWith } from "./common";
import { TAILNET_IFACE } from "./network";

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
  haproxy: z
    .strictObject({
      /** Loopback port of the stats page (/stats). Defaults to 8404. */
      statsPort: portSchema.default(8404),
    })
    .default({ statsPort: 8404 }),
  /** dnsmasq on the private bridge. */
  dnsmasq: z
    .strictObject({
      /** DHCP lease time, e.g. 12h. Defaults to 12h. */
      leaseTime: z.string().superRefine(refineWith(leaseTimeProblem)).default("12h"),
      /** Interfaces dnsmasq must never answer on, besides the other bridges. Defaults to lo and tailscale0. */
      exceptInterfaces: z.array(z.string().superRefine(refineWith(ifnameProblem))).default(["lo", TAILNET_IFACE]),
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
      /** systemd calendar expression, e.g. monthly. */
      onCalendar: z.string().min(1, { error: "must be a systemd calendar expression such as monthly" }),
    })
    .optional(),
});

/** Parsed `neve-infra:hostServices`. */
export type HostServicesConfig = z.infer<typeof hostServicesSchema>;

import { certCheckendCondition } from "../common/units";
import { CLOUDFLARED_DIR, cloudflaredConfigPath } from "./cloudflared";
import { renderTemplate } from "./handlebars";
import { assertAbsPath, assertIp, assertPort, RenderModelError, show } from "./validate";

/** The noVNC console unit of one VM (novnc-<vmid>.service). */
export interface NovncUnitModel {
  /** Proxmox VM id, e.g. 1201. */
  readonly vmid: number;
  /** VM name, for descriptions only, e.g. "etoile". */
  readonly vmName: string;
  /** Address websockify listens on, e.g. "0.0.0.0" (the Proxmox firewall decides who reaches it). */
  readonly listenAddress: string;
  /** Browser-facing port, e.g. 6081. */
  readonly listenPort: number;
  /** QEMU VNC display number of the VM's `args: -vnc <address>:<display>`; TCP port 5900 + display. */
  readonly vncDisplay: number;
  /** Address of that VNC display. Defaults to "127.0.0.1" (never expose raw VNC). */
  readonly vncAddress?: string;
  /** websockify binary. Defaults to "/usr/bin/websockify" (Debian package websockify). */
  readonly websockify?: string;
  /** noVNC web root. Defaults to "/usr/share/novnc" (Debian package novnc). */
  readonly webRoot?: string;
  /** websockify --heartbeat seconds. Defaults to none. */
  readonly heartbeat?: number;
  /** websockify --idle-timeout seconds. Defaults to none. */
  readonly idleTimeout?: number;
  /** websockify --timeout seconds. Defaults to none. */
  readonly timeout?: number;
}

/** A plain TCP relay unit run by socat (spiceproxy-socat.service). */
export interface SocatForwardUnitModel {
  /** Unit description, e.g. "SPICE proxy relay: 61001 -> 127.0.0.1:3128". */
  readonly description: string;
  /** Port socat listens on, all addresses, e.g. 61001. */
  readonly listenPort: number;
  /** Address to relay to, e.g. "127.0.0.1". */
  readonly targetHost: string;
  /** Port to relay to, e.g. 3128 (Proxmox spiceproxy). */
  readonly targetPort: number;
  /** Units to start after, e.g. ["spiceproxy.service"]. Defaults to none. */
  readonly after?: readonly string[];
  /** socat binary. Defaults to "/usr/bin/socat". */
  readonly socat?: string;
}

/** fix-pve-certs.service and its timer. */
export interface FixPveCertsModel {
  /** systemd calendar expression of the timer, e.g. "monthly" or "Sun *-*-* 04:00:00". */
  readonly onCalendar: string;
  /** `always` renews on every run; `{ beforeExpiryDays }` only when the certificate expires within that many days. Defaults to always. */
  readonly renew?: "always" | { readonly beforeExpiryDays: number };
  /** pvecm binary. Defaults to "/usr/bin/pvecm". */
  readonly pvecm?: string;
  /** systemctl binary. Defaults to "/usr/bin/systemctl" (Debian 12 / Proxmox VE 8). */
  readonly systemctl?: string;
}

/** cloudflared.service. */
export interface CloudflaredUnitModel {
  /** Tunnel UUID, for the description. */
  readonly tunnelId: string;
  /** Directory of config.yml. Defaults to "/etc/cloudflared". */
  readonly configDir?: string;
  /** cloudflared binary. Defaults to "/usr/bin/cloudflared" (Cloudflare's Debian package). */
  readonly binary?: string;
}

/** Both files of fix-pve-certs. */
export interface FixPveCertsUnits {
  /** fix-pve-certs.service text. */
  readonly service: string;
  /** fix-pve-certs.timer text. */
  readonly timer: string;
}

const UNIT_NAME = /^[A-Za-z0-9:_.@-]+\.(service|socket|target|mount|timer|path)$/;

function assertText(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "" || /[\0-\x1f\x7f%\\]/.test(value)) {
    throw new RenderModelError(field, `must be one line of text without control characters, "%" or "\\", got ${show(value)}`);
  }
  return value;
}

/** The unit file name for a VM's console, e.g. "novnc-1201.service". */
export function novncUnitName(vmid: number): string {
  return `novnc-${vmid}.service`;
}

/** Validate `model` and render novnc-<vmid>.service. */
export function renderNovncUnit(model: NovncUnitModel): string {
  if (!Number.isInteger(model.vmid) || model.vmid < 100 || model.vmid > 999999999) {
    throw new RenderModelError("novnc.vmid", `must be a Proxmox guest id 100-999999999, got ${show(model.vmid)}`);
  }
  const vmName = assertText("novnc.vmName", model.vmName);
  const listenAddress = assertIp("novnc.listenAddress", model.listenAddress, "ipv4").toString();
  const listenPort = assertPort("novnc.listenPort", model.listenPort);
  if (!Number.isInteger(model.vncDisplay) || model.vncDisplay < 0 || model.vncDisplay > 59635) {
    throw new RenderModelError("novnc.vncDisplay", `must be a VNC display number 0-59635 (port = 5900 + display), got ${show(model.vncDisplay)}`);
  }
  const vncPort = 5900 + model.vncDisplay;
  if (vncPort === listenPort) {
    throw new RenderModelError("novnc.listenPort", `${listenPort} is the VNC display's own port; pick another, e.g. 6081`);
  }
  const vncIp = assertIp("novnc.vncAddress", model.vncAddress ?? "127.0.0.1", "ipv4");
  if (vncIp.range() !== "loopback") {
    throw new RenderModelError(
      "novnc.vncAddress",
      `${show(model.vncAddress)} is not loopback; the VM's raw VNC display has no password and must stay on 127.0.0.1`,
    );
  }
  return renderTemplate("novnc.service", {
    vmid: model.vmid,
    vmName,
    listenAddress,
    listenPort,
    vncDisplay: model.vncDisplay,
    vncAddress: vncIp.toString(),
    vncPort,
    websockify: assertAbsPath("novnc.websockify", model.websockify ?? "/usr/bin/websockify"),
    webRoot: assertAbsPath("novnc.webRoot", model.webRoot ?? "/usr/share/novnc"),
    options: (
      [
        ["--heartbeat", "heartbeat"],
        ["--idle-timeout", "idleTimeout"],
        ["--timeout", "timeout"],
      ] as const
    )
      .filter(([, k]) => model[k] !== undefined)
      .map(([flag, k]) => {
        const v = model[k];
        if (!Number.isInteger(v) || (v as number) < 1) throw new RenderModelError(`novnc.${k}`, `must be whole seconds of at least 1, got ${show(v)}`);
        return ` ${flag} ${v}`;
      })
      .join(""),
  });
}

/** Validate `model` and render a socat TCP relay unit (spiceproxy-socat.service). */
export function renderSocatForwardUnit(model: SocatForwardUnitModel): string {
  const description = assertText("socat.description", model.description);
  const listenPort = assertPort("socat.listenPort", model.listenPort);
  const target = assertIp("socat.targetHost", model.targetHost);
  const targetPort = assertPort("socat.targetPort", model.targetPort);
  const after = (model.after ?? []).map((u, i) => {
    if (typeof u !== "string" || !UNIT_NAME.test(u)) {
      throw new RenderModelError(`socat.after[${i}]`, `must be a unit name such as "spiceproxy.service", got ${show(u)}`);
    }
    return u;
  });
  return renderTemplate("socat-forward.service", {
    description,
    listenPort,
    targetHost: target.toString(),
    // socat's address syntax needs IPv6 literals in brackets.
    targetHostText: target.kind() === "ipv6" ? `[${target.toString()}]` : target.toString(),
    targetPort,
    after,
    socat: assertAbsPath("socat.socat", model.socat ?? "/usr/bin/socat"),
  });
}

/** Validate `model` and render fix-pve-certs.service and fix-pve-certs.timer. */
function fixPveCertsCondition(renew: NonNullable<FixPveCertsModel["renew"]>): string | null {
  if (renew === "always") return null;
  const d = renew?.beforeExpiryDays;
  if (!Number.isInteger(d) || d < 1 || d > 3650) {
    throw new RenderModelError("fixPveCerts.renew.beforeExpiryDays", `must be whole days 1-3650, got ${show(d)}`);
  }
  return certCheckendCondition(d);
}

/** Validate `model` and render fix-pve-certs.service and .timer. */
export function renderFixPveCertsUnits(model: FixPveCertsModel): FixPveCertsUnits {
  const onCalendar = assertText("fixPveCerts.onCalendar", model.onCalendar);
  return {
    service: renderTemplate("fix-pve-certs.service", {
      condition: fixPveCertsCondition(model.renew ?? "always"),
      pvecm: assertAbsPath("fixPveCerts.pvecm", model.pvecm ?? "/usr/bin/pvecm"),
      systemctl: assertAbsPath("fixPveCerts.systemctl", model.systemctl ?? "/usr/bin/systemctl"),
    }),
    timer: renderTemplate("fix-pve-certs.timer", { onCalendar }),
  };
}

/** Validate `model` and render cloudflared.service. */
export function renderCloudflaredUnit(model: CloudflaredUnitModel): string {
  if (typeof model.tunnelId !== "string" || !/^[0-9a-f-]{36}$/.test(model.tunnelId)) {
    throw new RenderModelError("cloudflaredUnit.tunnelId", `must be the tunnel's UUID, got ${show(model.tunnelId)}`);
  }
  const configDir = assertAbsPath("cloudflaredUnit.configDir", model.configDir ?? CLOUDFLARED_DIR);
  return renderTemplate("cloudflared.service", {
    tunnelId: model.tunnelId,
    binary: assertAbsPath("cloudflaredUnit.binary", model.binary ?? "/usr/bin/cloudflared"),
    configPath: cloudflaredConfigPath(configDir),
  });
}

import { renderTemplate } from "./handlebars";
import { RenderModelError, show } from "./validate";

/** Everything /etc/sysctl.d/90-neve-forwarding.conf is rendered from. */
export interface SysctlForwardingModel {
  /** net.ipv4.ip_forward: route IPv4 between interfaces (needed for NAT of the private bridge). */
  readonly ipv4Forwarding: boolean;
  /** net.ipv6.conf.all.forwarding: route IPv6 between interfaces (guests with public IPv6). */
  readonly ipv6Forwarding: boolean;
}

/** Validate `model` and render the forwarding sysctl drop-in. */
export function renderSysctlForwarding(model: SysctlForwardingModel): string {
  for (const key of ["ipv4Forwarding", "ipv6Forwarding"] as const) {
    if (typeof model[key] !== "boolean") {
      throw new RenderModelError(`sysctl.${key}`, `must be true or false, got ${show(model[key])}`);
    }
  }
  return renderTemplate("sysctl-forwarding.conf", {
    ipv4: model.ipv4Forwarding ? 1 : 0,
    ipv6: model.ipv6Forwarding ? 1 : 0,
  });
}

import * as fs from "node:fs";
import * as path from "node:path";
import Handlebars from "handlebars";

/** The templates in templates/ (file name without the `.hbs` suffix). */
export type TemplateName =
  | "haproxy.cfg"
  | "cloudflared-config.yml"
  | "dnsmasq-bridge.conf"
  | "novnc.service"
  | "socat-forward.service"
  | "fix-pve-certs.service"
  | "fix-pve-certs.timer"
  | "cloudflared.service"
  | "sysctl-forwarding.conf"
  | "nat.nft"
  | "nat-loader.service"
  | "network-interfaces"
  | "pve-firewall.fw";

/** Directory of the *.hbs files, found from this module's location so any cwd works. */
export const TEMPLATE_DIR = path.resolve(__dirname, "..", "..", "templates");

// One private instance: helpers registered here cannot leak into (or be clobbered by) other code
// that uses the global Handlebars object.
const hbs = Handlebars.create();

const cache = new Map<TemplateName, Handlebars.TemplateDelegate>();

/**
 * Render templates/<name>.hbs with `view`. Compiled once per process with `noEscape` (config
 * files, not HTML: `&` and `'` survive) and `strict` (a missing field throws instead of becoming "").
 * Renderers pass fully populated view objects (null for "absent"), never optional keys.
 */
export function renderTemplate(name: TemplateName, view: object): string {
  let template = cache.get(name);
  if (template === undefined) {
    const source = fs.readFileSync(path.join(TEMPLATE_DIR, `${name}.hbs`), "utf8");
    template = hbs.compile(source, { noEscape: true, strict: true });
    cache.set(name, template);
  }
  return template(view);
}

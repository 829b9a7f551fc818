// Host configuration rendering: pure functions, model in, text out. No Pulumi, no SSH.

export * from "./cloudflared";
export * from "./dnsmasq";
export * from "./firewall";
export type { TemplateName } from "./handlebars";
export { renderTemplate, TEMPLATE_DIR } from "./handlebars";
export * from "./haproxy";
export * from "./interfaces";
export * from "./lxcRaw";
export * from "./nat";
export * from "./services";
export * from "./sysctl";
export * from "./systemd";
export * from "./validate";

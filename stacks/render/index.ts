// Host configuration rendering: pure functions, model in, text out. No Pulumi, no SSH.
export * from "./validate";
export * from "./haproxy";
export * from "./cloudflared";
export * from "./dnsmasq";
export * from "./systemd";
export * from "./sysctl";
export * from "./nat";
export * from "./lxcRaw";
export * from "./services";
export { renderTemplate, TEMPLATE_DIR } from "./handlebars";
export type { TemplateName } from "./handlebars";

import { originUrlProblem } from "../common/predicates";
import { renderTemplate } from "./handlebars";
import { assertAbsPath, assertHostname, assertNonEmpty, assertUnique, RenderModelError, show } from "./validate";

/** One public hostname served through the tunnel. */
export interface CloudflaredIngressRule {
  /** Public hostname, e.g. "neve.wenzelarifiandi.com". */
  readonly hostname: string;
  /** Origin URL reachable from the host: scheme, host and port only (http, https, tcp, ssh, rdp, smb), e.g. "https://127.0.0.1:8006". */
  readonly service: string;
  /** Accept the origin's certificate without verifying it (self-signed Proxmox UI). Defaults to false. */
  readonly noTLSVerify?: boolean;
}

/** Everything /etc/cloudflared/config.yml is rendered from. */
export interface CloudflaredModel {
  /** Tunnel UUID, e.g. "464de2f3-7058-4a1f-9f93-ae8425f0ffbe". */
  readonly tunnelId: string;
  /** Directory of config.yml and the credentials file. Defaults to "/etc/cloudflared". */
  readonly configDir?: string;
  /** Ingress rules in match order; the catch-all is appended by the renderer, never listed here. */
  readonly ingress: readonly CloudflaredIngressRule[];
  /** HTTP status of the mandatory catch-all rule. Defaults to 404. */
  readonly catchAllStatus?: number;
}

/** Default cloudflared directory on the host. */
export const CLOUDFLARED_DIR = "/etc/cloudflared";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function assertTunnelId(field: string, value: unknown): string {
  if (typeof value !== "string" || !UUID.test(value)) {
    throw new RenderModelError(field, `must be the tunnel's lowercase UUID as printed by \`cloudflared tunnel list\`, got ${show(value)}`);
  }
  return value;
}

/** Path of the credentials file for `tunnelId` ("<dir>/<tunnel-id>.json", cloudflared's own convention). */
export function cloudflaredCredentialsPath(tunnelId: string, configDir: string = CLOUDFLARED_DIR): string {
  return `${configDir}/${tunnelId}.json`;
}

/** Path of config.yml inside `configDir`. */
export function cloudflaredConfigPath(configDir: string = CLOUDFLARED_DIR): string {
  return `${configDir}/config.yml`;
}

/** Validate `model` and render /etc/cloudflared/config.yml (catch-all rule last). */
export function renderCloudflaredConfig(model: CloudflaredModel): string {
  const tunnelId = assertTunnelId("cloudflared.tunnelId", model.tunnelId);
  const configDir = assertAbsPath("cloudflared.configDir", model.configDir ?? CLOUDFLARED_DIR);
  assertNonEmpty("cloudflared.ingress", model.ingress, 'e.g. [{ hostname: "neve.wenzelarifiandi.com", service: "https://127.0.0.1:8006", noTLSVerify: true }]');
  const rules = model.ingress.map((r, i) => {
    const f = `cloudflared.ingress[${i}]`;
    assertHostname(`${f}.hostname`, r.hostname);
    // One predicate with the config schema: scheme://host:port, explicit port 1-65535, nothing else.
    const problem = originUrlProblem(r.service);
    if (problem !== null) throw new RenderModelError(`${f}.service`, problem);
    const url = new URL(r.service);
    if (r.noTLSVerify !== undefined && typeof r.noTLSVerify !== "boolean") {
      throw new RenderModelError(`${f}.noTLSVerify`, `must be true or false, got ${show(r.noTLSVerify)}`);
    }
    if (r.noTLSVerify === true && url.protocol !== "https:") {
      throw new RenderModelError(`${f}.noTLSVerify`, `only applies to an https:// origin, and ${show(r.service)} is not one; remove it`);
    }
    // Written as given (URL would drop a default port such as :80, hiding it from the reader).
    return { hostname: r.hostname, service: r.service.replace(/\/$/, ""), noTLSVerify: r.noTLSVerify === true };
  });
  assertUnique("cloudflared.ingress", model.ingress, (r) => r.hostname, "hostname");
  const status = model.catchAllStatus ?? 404;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new RenderModelError("cloudflared.catchAllStatus", `must be an HTTP status 100-599, got ${show(status)}`);
  }
  return renderTemplate("cloudflared-config.yml", {
    tunnelId,
    credentialsFile: cloudflaredCredentialsPath(tunnelId, configDir),
    rules,
    catchAll: `http_status:${status}`,
  });
}

/**
 * Check the tunnel credentials JSON that `cloudflared tunnel create` writes (`AccountTag`: the
 * Cloudflare account id, `TunnelSecret`: the base64 tunnel secret, `TunnelID`: the tunnel UUID, which
 * must equal the tunnel id of the config) and return it unchanged (it is pushed as the 0600
 * credentials file). Errors name the problem and the field, never the secret text.
 */
export function renderCloudflaredCredentials(secretJson: string, tunnelId: string): string {
  const field = "cloudflared.credentials";
  assertTunnelId("cloudflared.tunnelId", tunnelId);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretJson);
  } catch {
    // JSON.parse's own message quotes the input: never pass it on.
    throw new RenderModelError(field, "is not valid JSON; set it to the file `cloudflared tunnel create` wrote (pulumi config set --secret)");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RenderModelError(field, "must be a JSON object with AccountTag, TunnelSecret and TunnelID");
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of ["AccountTag", "TunnelSecret", "TunnelID"] as const) {
    if (typeof obj[key] !== "string" || (obj[key] as string).length === 0) {
      throw new RenderModelError(`${field}.${key}`, "is missing or not a non-empty string; use the credentials file of this tunnel");
    }
  }
  if (obj.TunnelID !== tunnelId) {
    // The TunnelID is an identifier, not a secret: showing it helps spot the wrong file.
    throw new RenderModelError(
      `${field}.TunnelID`,
      UUID.test(obj.TunnelID as string)
        ? `${obj.TunnelID} does not match the tunnel id ${tunnelId}; these credentials belong to another tunnel`
        : `does not match the tunnel id ${tunnelId} (it is not even a tunnel UUID); use the credentials file of this tunnel`,
    );
  }
  return secretJson;
}

import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { nodeNameProblem } from "../common/predicates";
import { isFqdn, isHostname, nodeNameSchema, refineWith } from "./common";
import type { ConfigIssue } from "./errors";

/** True when `s` is a name or address a TLS certificate can carry: a host name, an FQDN or an IP. */
function isCertificateName(s: string): boolean {
  return isHostname(s) || isFqdn(s) || ipaddr.isValid(s);
}

/** An https URL of host and optional port, nothing else (no credentials, path, query or fragment). */
const ENDPOINT_URL = /^https:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@[\]\s]+)(?::(\d+))?\/?$/;

/**
 * Why `s` is not the API endpoint `https://host[:port]`, or null. The port, when written, is 1-65535:
 * no TCP connection reaches a port outside it (Go's net package, which the provider dials with,
 * refuses it as "invalid port"), so the plan refuses it rather than the first `up`.
 */
function endpointProblem(s: string): string | null {
  const m = ENDPOINT_URL.exec(s);
  if (!m) return `must be an https URL such as https://neve:8006 (TLS is mandatory for the API token) (got ${JSON.stringify(s)})`;
  const port = m[2] === undefined ? 443 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `${JSON.stringify(s)} has port ${m[2]}; use a port in 1-65535, such as https://neve:8006`;
  if (endpointHost(s) === null) return `${JSON.stringify(s)} is not a URL; write it as https://neve:8006`;
  return null;
}

/**
 * `neve-infra:proxmox`: how the program reaches the Proxmox VE API. Its one cross-field rule
 * (checkProxmoxTls: the endpoint host must be a name the node's certificate carries) lives here,
 * since it reads only this section.
 */
export const proxmoxSchema = z
  .strictObject({
    /** Proxmox node name (`neve`): the host name without its domain, as Proxmox spells it (case counts). */
    nodeName: nodeNameSchema,
    /**
     * API endpoint as seen from where `pulumi` runs. The default stack file uses the node name
     * (`https://neve:8006`): the node's default certificate carries it, and the tailnet's MagicDNS
     * resolves it to the host's tailnet address, where 8006 is allowed (docs/tls.md).
     */
    endpoint: z.string().superRefine(refineWith(endpointProblem)),
    /**
     * Skip TLS certificate verification of the API. Defaults to false: trust the cluster CA
     * (/etc/pve/pve-root-ca.pem) instead (docs/tls.md); set true only knowingly.
     */
    insecure: z.boolean().default(false),
    /**
     * Names (DNS names or IP addresses) the node's API certificate carries besides the ones every
     * Proxmox default certificate carries (node name, localhost, 127.0.0.1, ::1), e.g. the FQDN of an
     * ACME certificate. Only needed when `endpoint` uses such a name. Exact names; no wildcards.
     */
    certificateNames: z
      .array(z.string().refine(isCertificateName, { error: "must be a DNS name or an IP address the certificate carries, e.g. neve.example.com" }))
      .default([]),
    /** Proxmox VE version the stack was written against (informational, shown in the plan). */
    version: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    for (const issue of checkProxmoxTls(p)) ctx.addIssue({ code: "custom", path: ["endpoint"], message: issue.message });
  });

/** Parsed `neve-infra:proxmox`. */
export type ProxmoxConfig = z.infer<typeof proxmoxSchema>;

/**
 * Names every Proxmox VE default node certificate (/etc/pve/nodes/<node>/pve-ssl.pem) carries,
 * whatever the host's network: pve-cluster's gen_pve_ssl_cert (src/PVE/Cluster/Setup.pm) writes
 * `IP:127.0.0.1,IP:::1,DNS:localhost,IP:<ip>,DNS:<nodename>` and adds `DNS:<nodename>.<search>`
 * only when /etc/resolv.conf has a search domain. `<ip>` is whatever the node name resolves to on
 * the host (PVE::Cluster::remote_node_ip) and the FQDN depends on resolv.conf at the time the
 * certificate was (re)made, so neither is listed here: declare them in `certificateNames` after
 * checking the real certificate (docs/tls.md).
 */
function defaultCertificateNames(nodeName: string): string[] {
  return [nodeName, "localhost", "127.0.0.1", "::1"];
}

/**
 * The API port as the operator reaches it: the endpoint's host and port (443 when the URL names none).
 * Access-critical host changes are confirmed only after a fresh TLS handshake with it (providers/common/apiProbe.ts).
 */
export function endpointTarget(endpoint: string): { host: string; port: number } | null {
  const host = endpointHost(endpoint);
  if (host === null) return null;
  const port = new URL(endpoint).port;
  return { host, port: port === "" ? 443 : Number(port) };
}

/** The host of an https endpoint URL, without IPv6 brackets and lower-cased; null if unparsable. */
export function endpointHost(endpoint: string): string | null {
  try {
    const host = new URL(endpoint).hostname;
    return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  } catch {
    return null;
  }
}

function sameName(a: string, b: string): boolean {
  if (ipaddr.isValid(a) && ipaddr.isValid(b)) {
    const x = ipaddr.process(a);
    const y = ipaddr.process(b);
    return x.kind() === y.kind() && x.toString() === y.toString();
  }
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Cross-field rule: with verification on, the endpoint's host must be a name the node's certificate
 * carries, or the provider's TLS handshake fails however the CA is trusted (Go's crypto/x509 matches
 * the URL host against the certificate's subject alternative names only).
 */
function checkProxmoxTls(p: ProxmoxConfig): ConfigIssue[] {
  // An invalid node name is reported on proxmox.nodeName alone, not again as a certificate mismatch.
  if (p.insecure || endpointProblem(p.endpoint) !== null || nodeNameProblem(p.nodeName) !== null) return [];
  const host = endpointHost(p.endpoint);
  if (host === null) return [];
  const names = [...defaultCertificateNames(p.nodeName), ...p.certificateNames];
  if (names.some((n) => sameName(n, host))) return [];
  const port = new URL(p.endpoint).port;
  return [
    {
      path: "proxmox.endpoint",
      message:
        `host "${host}" is not a name the node's certificate carries (${names.join(", ")}), so TLS verification would fail; ` +
        `use https://${p.nodeName}${port ? `:${port}` : ""} (resolved by the tailnet's MagicDNS), or, if the certificate really carries "${host}" ` +
        `(openssl x509 -noout -ext subjectAltName -in /etc/pve/nodes/${p.nodeName}/pve-ssl.pem), add it to proxmox.certificateNames (docs/tls.md)`,
    },
  ];
}

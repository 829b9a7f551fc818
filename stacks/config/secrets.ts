/**
 * Secret config keys of the stack. Never in Pulumi.neve.yaml as plain text: set them with
 * `pulumi config set --secret <key>` (see docs/adopting.md). The program reads them with
 * `config.requireSecret`/`getSecret`; the offline plan and the tests fill fake placeholders.
 */
export const SECRET_KEYS = [
  /** Proxmox API token, `user@realm!tokenid=uuid`. */
  "proxmoxApiToken",
  /** OpenSSH private key that logs in as `ssh.user` on the host (host configuration files). */
  "sshPrivateKey",
  /** cloudflared credentials JSON of the tunnel (`tunnel.id`). */
  "tunnelCredentials",
  /** Password of `storage.<pbs>.username` on the Proxmox Backup Server (required by the PBS storage). */
  "pbsPassword",
] as const;

/** One secret config key (without the `neve-infra:` namespace). */
export type SecretKey = (typeof SECRET_KEYS)[number];

/** The config namespace (Pulumi project name). */
export const CONFIG_NAMESPACE = "neve-infra";

/** Fully qualified secret keys, `neve-infra:<key>`, as `setAllConfig` and the stack file spell them. */
export const QUALIFIED_SECRET_KEYS: readonly string[] = SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`);

import type { ConfigIssue } from "./errors";

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

/** Secrets the stack can run without (each is needed only by what uses it); `proxmoxApiToken` is always required. */
const OPTIONAL_SECRETS: ReadonlySet<SecretKey> = new Set(["sshPrivateKey", "tunnelCredentials", "pbsPassword"]);

/** Where the value of each secret comes from, for the command in messages (`pulumi config set` prompts when no file is given). */
const SECRET_SOURCE: Readonly<Record<SecretKey, string>> = {
  proxmoxApiToken: "",
  sshPrivateKey: " < <private key file>",
  tunnelCredentials: " < <tunnel id>.json",
  pbsPassword: "",
};

/** The command that sets secret `key` (it prompts for the value, or reads it from a file). */
export function setSecretCommand(key: SecretKey): string {
  return `pulumi config set --secret ${CONFIG_NAMESPACE}:${key}${SECRET_SOURCE[key]}`;
}

/** The fix for an empty secret `key`: set it, or, when the stack can do without it, remove it. */
function secretFix(key: SecretKey): string {
  const remove = OPTIONAL_SECRETS.has(key) ? `, or remove it with \`pulumi config rm ${CONFIG_NAMESPACE}:${key}\` if nothing uses it` : "";
  return `set the real value with \`${setSecretCommand(key)}\`${remove}`;
}

/**
 * Why the secret `key`'s value is refused, or null: it is empty or only white space, which no token,
 * key, credentials file or password is: it would fail only at `pulumi up`, after other resources
 * changed. The message never quotes the value.
 */
export function secretValueProblem(key: SecretKey, value: string): string | null {
  if (value.trim() !== "") return null;
  return `is set but empty${value === "" ? "" : " (only white space)"}; ${secretFix(key)}`;
}

/**
 * Why a `{ secure: <ciphertext> }` entry of a stack file is refused, or null: its ciphertext is empty
 * or not text, which no `pulumi config set --secret` writes (Pulumi's passphrase decrypter fails on it
 * with "bad value": pulumi/pulumi 1b594989, sdk/go/common/resource/config/crypt.go, symmetricCrypter.DecryptValue).
 * `key` as the stack file spells it; the message never quotes the ciphertext.
 */
export function secureEntryProblem(key: string, secure: unknown): string | null {
  if (typeof secure === "string" && secure.trim() !== "") return null;
  const name = key.split(":").pop() as string;
  const fix = (SECRET_KEYS as readonly string[]).includes(name)
    ? secretFix(name as SecretKey)
    : `set it with \`pulumi config set --secret ${key}\`, or remove the line`;
  return `is an empty secure value in the stack file (no ciphertext to decrypt); ${fix}`;
}

/** The stack's secrets (values as the engine gives them, undefined when unset) that are set but empty, as config issues naming the key. */
export function emptySecretIssues(secretOf: (key: SecretKey) => string | undefined): ConfigIssue[] {
  return SECRET_KEYS.flatMap((key) => {
    const value = secretOf(key);
    const problem = value === undefined ? null : secretValueProblem(key, value);
    return problem === null ? [] : [{ path: `${CONFIG_NAMESPACE}:${key}`, message: problem }];
  });
}

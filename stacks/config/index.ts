import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import type { NeveModel } from "./model";
import { emptySecretIssues, SECRET_KEYS, type SecretKey } from "./secrets";
import { parseStackConfig, rawConfigFromPulumi } from "./stack";

export { CloneRangeFullError, heldAddresses, nextFreeCloneAddress } from "./build";
export type { DeepReadonly } from "./common";
export * from "./errors";
export * from "./model";
export * from "./secrets";
export type { StackConfig } from "./stack";
export { CONFIG_SECTIONS, parseStackConfig, rawConfigFromPulumi, stackConfigSchema } from "./stack";

/** Validate the running stack's `neve-infra:` config and return the model (throws `ConfigError`). */
export function loadModel(): NeveModel {
  return parseStackConfig(rawConfigFromPulumi(pulumi.runtime.allConfig(), SECRET_KEYS));
}

/** The stack's secrets as secret Outputs; a missing required one fails with Pulumi's own message. */
export interface StackSecrets {
  /** Proxmox API token (required). */
  readonly proxmoxApiToken: pulumi.Output<string>;
  /** SSH private key for host configuration (undefined when not set). */
  readonly sshPrivateKey: pulumi.Output<string> | undefined;
  /** cloudflared credentials JSON (undefined when not set). */
  readonly tunnelCredentials: pulumi.Output<string> | undefined;
  /** PBS password (undefined when not set). */
  readonly pbsPassword: pulumi.Output<string> | undefined;
}

/**
 * Read the secret config keys (`SECRET_KEYS`) as secret Outputs. Throws `ConfigError` naming every
 * secret that is set but empty (`secretValueProblem`), before any resource uses one; never its value.
 */
export function loadSecrets(config: pulumi.Config = new pulumi.Config("neve-infra")): StackSecrets {
  const empty = emptySecretIssues((k) => pulumi.runtime.getConfig(`${config.name}:${k}`));
  if (empty.length) throw new ConfigError(empty);
  const get = (k: SecretKey) => config.getSecret(k);
  return {
    proxmoxApiToken: config.requireSecret("proxmoxApiToken"),
    sshPrivateKey: get("sshPrivateKey"),
    tunnelCredentials: get("tunnelCredentials"),
    pbsPassword: get("pbsPassword"),
  };
}
export type { AdoptionConfig, AdoptionScope } from "./adoption";
export { adoptionFingerprint, adoptionSchema } from "./adoption";
export { adoptionScopeOf } from "./adoptionScope";

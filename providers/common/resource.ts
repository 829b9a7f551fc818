import * as pulumi from "@pulumi/pulumi";

/**
 * Program-side pieces of the resources that take an SSH connection. Never imported by a provider
 * module: this one reaches `@pulumi/pulumi` at load time and must stay out of `__provider`.
 */

/** How a provider reaches the host over SSH. */
export interface ConnectionArgs {
  /** Host name or IP address of the host's sshd. */
  host: pulumi.Input<string>;
  /** sshd port. Defaults to 22. */
  port?: pulumi.Input<number>;
  /** Remote user (it must be able to write the files and run the commands). Defaults to "root". */
  username?: pulumi.Input<string>;
  /**
   * Pinned host key (no trust on first use): "SHA256:..." as `ssh-keygen -lf` prints it, or the key
   * line "ssh-ed25519 AAAA..." of /etc/ssh/ssh_host_ed25519_key.pub. A mismatch refuses to connect.
   */
  hostKey: pulumi.Input<string>;
  /**
   * Private key text (OpenSSH or PEM). Give it as a Pulumi secret (`config.requireSecret`); it is
   * kept only in the secret `connection` output. Defaults to the ssh-agent at SSH_AUTH_SOCK.
   */
  privateKey?: pulumi.Input<string>;
  /**
   * Time limits in seconds: `connect` (SSH handshake, default 15), `change` (one push, delete or
   * raw-lines write with its validators, activation and health check, default 300), `read` (one
   * refresh, default 60). Each 1-3600. A change only records the new limits.
   */
  timeouts?: pulumi.Input<ConnectionTimeoutsArgs>;
}

/** `connection.timeouts`: seconds, each optional (defaults in providers/ssh/timeouts.ts). */
export interface ConnectionTimeoutsArgs {
  /** SSH handshake. Defaults to 15. */
  connect?: pulumi.Input<number>;
  /** One change on the host, activation and health check included. Defaults to 300. */
  change?: pulumi.Input<number>;
  /** One read (refresh). Defaults to 60. */
  read?: pulumi.Input<number>;
}

/**
 * The connection input becomes a secret as soon as it may carry a private key: always when it is an
 * Output (its privateKey cannot be seen yet), and when a plain object gives one.
 */
export function connectionInput(c: pulumi.Input<ConnectionArgs>): pulumi.Input<ConnectionArgs> {
  if (pulumi.Output.isInstance(c) || (c as ConnectionArgs).privateKey !== undefined) return pulumi.secret(c);
  return c;
}

/** `opts` plus the `connection` output kept secret (it carries the private key that delete needs). */
export function secretConnectionOutput(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] };
}

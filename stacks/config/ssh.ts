import { z } from "zod";
import { hostKeyProblem, isSshHost, USER_RE } from "../../providers/common/connection";
import { SSH_TIMEOUT_BOUNDS, SSH_TIMEOUT_DEFAULTS } from "../../providers/ssh/timeouts";
import { portSchema } from "./common";

const seconds = (what: string, def: number) =>
  z
    .number()
    .int({ error: `must be a whole number of seconds (${what}; default ${def})` })
    .min(SSH_TIMEOUT_BOUNDS.min, { error: `must be at least ${SSH_TIMEOUT_BOUNDS.min} second` })
    .max(SSH_TIMEOUT_BOUNDS.max, { error: `must be at most ${SSH_TIMEOUT_BOUNDS.max} seconds` })
    .optional();

/**
 * `neve-infra:ssh.timeouts`: the providers' SSH time limits in seconds, each optional (defaults and
 * bounds: providers/ssh/timeouts.ts). Passed to every host resource as `connection.timeouts`.
 */
const sshTimeoutsSchema = z.strictObject({
  /** SSH handshake. Defaults to 15. */
  connect: seconds("SSH handshake", SSH_TIMEOUT_DEFAULTS.connect),
  /** One change on the host (push, delete, raw-lines write), activation and health check included. Defaults to 300. */
  change: seconds("one change on the host", SSH_TIMEOUT_DEFAULTS.change),
  /** One read (refresh). Defaults to 60. */
  read: seconds("one read", SSH_TIMEOUT_DEFAULTS.read),
});

/** `neve-infra:ssh`: how host configuration files are pushed to neve. */
export const sshSchema = z.strictObject({
  /** Address or name of the host's sshd as reached from where `pulumi` runs (the tailnet address). */
  host: z.string().refine(isSshHost, { error: "must name the host to connect to: a host name or IP address (no blanks, line breaks, '/' or '@')" }),
  /** sshd port. Defaults to 22. */
  port: portSchema.default(22),
  /** Login user. Defaults to root (the files under /etc need it). */
  user: z.string().regex(USER_RE, { error: 'must be a user name such as "root" (lower case, digits, _ -; no blanks or line breaks)' }).default("root"),
  /**
   * Pinned host key, `ssh-ed25519 AAAA...` (known_hosts style, no host name) or its `SHA256:...`
   * fingerprint. Optional here; the host-config resources refuse to connect without it.
   */
  hostKey: z
    .string()
    .superRefine((s, ctx) => {
      // The providers' own rule (a garbled key line is refused here, not only at the first connection).
      const problem = hostKeyProblem(s);
      if (problem)
        ctx.addIssue({ code: "custom", message: `must be a public host key line like 'ssh-ed25519 AAAA...' or a fingerprint like 'SHA256:...': ${problem}` });
    })
    .optional(),
  /** Time limits of the SSH connection (seconds); omitted fields keep the providers' defaults. */
  timeouts: sshTimeoutsSchema.optional(),
});

/** Parsed `neve-infra:ssh`. */
export type SshConfig = z.infer<typeof sshSchema>;

import { z } from "zod";
import { portSchema } from "./common";

/** `neve-infra:ssh`: how host configuration files are pushed to neve. */
export const sshSchema = z.strictObject({
  /** Address or name of the host's sshd as reached from where `pulumi` runs (the tailnet address). */
  host: z.string().min(1, { error: "must name the host to connect to" }),
  /** sshd port. Defaults to 22. */
  port: portSchema.default(22),
  /** Login user. Defaults to root (the files under /etc need it). */
  user: z.string().min(1).default("root"),
  /**
   * Pinned host key, `ssh-ed25519 AAAA...` (known_hosts style, no host name) or its `SHA256:...`
   * fingerprint. Optional here; the host-config resources refuse to connect without it.
   */
  hostKey: z
    .string()
    .refine((s) => /^(ssh-[a-z0-9-]+|ecdsa-[a-z0-9-]+) [A-Za-z0-9+/=]+$/.test(s) || /^SHA256:[A-Za-z0-9+/]{43}=?$/.test(s), {
      error: "must be a public host key line like 'ssh-ed25519 AAAA...' or a fingerprint like 'SHA256:...'",
    })
    .optional(),
});

/** Parsed `neve-infra:ssh`. */
export type SshConfig = z.infer<typeof sshSchema>;

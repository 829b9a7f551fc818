import { z } from "zod";
import { hostnameSchema } from "./common";

/** `neve-infra:proxmox`: how the program reaches the Proxmox VE API. */
export const proxmoxSchema = z.strictObject({
  /** Proxmox node name (`neve`). */
  nodeName: hostnameSchema,
  /**
   * API endpoint as seen from where `pulumi` runs. The workstation reaches neve over the tailnet,
   * where 8006 is allowed, so the default stack file uses the host's tailnet address.
   */
  endpoint: z
    .string()
    .refine((s) => /^https:\/\/[^/\s]+(:\d+)?\/?$/.test(s), {
      error: "must be an https URL such as https://100.94.229.96:8006 (TLS is mandatory for the API token)",
    }),
  /**
   * Skip TLS certificate verification of the API. Defaults to false: trust the node's certificate
   * instead (see docs/adopting.md); set true only knowingly.
   */
  insecure: z.boolean().default(false),
  /** Proxmox VE version the stack was written against (informational, shown in the plan). */
  version: z.string().optional(),
});

/** Parsed `neve-infra:proxmox`. */
export type ProxmoxConfig = z.infer<typeof proxmoxSchema>;

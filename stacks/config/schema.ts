// The whole stack config schema: one section per file, composed here. Imported by the rules and the
// model builder (types) and by stack.ts (parsing); it imports none of them, so there is no cycle.
import { z } from "zod";
import { adoptionSchema } from "./adoption";
import { backupsSchema } from "./backups";
import { firewallSchema } from "./firewall";
import { guestsSchema } from "./guests";
import { hostServicesSchema } from "./hostServices";
import { networkSchema } from "./network";
import { proxmoxSchema } from "./proxmox";
import { routesSchema } from "./routes";
import { sshSchema } from "./ssh";
import { storageSchema } from "./storage";
import { tunnelSchema } from "./tunnel";

/** Every non-secret `neve-infra:` key, each with its own schema file. Unknown keys are rejected. */
export const stackConfigSchema = z.strictObject({
  /** `neve-infra:adopt`: arms the adoption gate for the runs that adopt objects (stacks/adoption/gate.ts); it does not switch imports. */
  adopt: z.boolean({ error: "must be true or false" }).default(false),
  /** `neve-infra:adoption`: what `npm run discover -- --write` last reconciled (see adoption.ts). */
  adoption: adoptionSchema.default(() => adoptionSchema.parse({})),
  /** `neve-infra:proxmox`. */
  proxmox: proxmoxSchema,
  /** `neve-infra:network`. */
  network: networkSchema,
  /** `neve-infra:guests`. */
  guests: guestsSchema,
  /** `neve-infra:storage`. */
  storage: storageSchema,
  /** `neve-infra:routes`. */
  routes: routesSchema.default([]),
  /** `neve-infra:tunnel`. */
  tunnel: tunnelSchema,
  /** `neve-infra:firewall`. */
  firewall: firewallSchema,
  /** `neve-infra:backups`. */
  backups: backupsSchema.default({}),
  /** `neve-infra:ssh`. */
  ssh: sshSchema,
  /** `neve-infra:hostServices`. */
  hostServices: hostServicesSchema.default(() => hostServicesSchema.parse({})),
});

/** The parsed (schema-valid, not yet cross-checked) stack config. */
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** The config sections, i.e. the allowed non-secret keys after `neve-infra:`. */
export const CONFIG_SECTIONS: readonly string[] = Object.keys(stackConfigSchema.shape);

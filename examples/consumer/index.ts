// Example consumer stack (typechecked, not run): reads stack `neve`'s outputs through a
// StackReference. Set `neveStack` to "<org>/neve-infra/neve" (or "organization/neve-infra/neve"
// on a self-managed backend).
import * as pulumi from "@pulumi/pulumi";
import { neveOutputs } from "../../stacks/neve/reference";
import type { GuestOutput } from "../../stacks/neve/outputs";

const config = new pulumi.Config();
const neve = neveOutputs(new pulumi.StackReference(config.get("neveStack") ?? "organization/neve-infra/neve"));

/** Where cipher lives: an Output<string | null>. */
export const cipherIpv4 = neve.guests.apply((g) => g.cipher?.ipv4 ?? null);

/** Every running guest with a fixed private address, e.g. to build a monitoring target list. */
export const monitoringTargets = neve.guests.apply((guests) =>
  Object.values(guests)
    .filter((g: GuestOutput) => g.running && g.ipv4 !== null)
    .map((g) => `${g.ipv4}:9100`),
);

/** The private subnet and gateway, e.g. for a VPN route. */
export const privateRoute = pulumi.interpolate`${neve.network.cidr} via ${neve.network.gateway}`;

/** Public hostnames served by the host's edge proxy. */
export const edgeHostnames = neve.publicRoutes.apply((routes) => routes.filter((r) => r.via === "edge").map((r) => r.hostname));

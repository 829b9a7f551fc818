/**
 * The parts of `@muhlba91/pulumi-proxmoxve` this program uses, each imported from its own module.
 * The package's index loads all of its submodules eagerly (acme, apt, ceph, sdn, user, ... about
 * 0.1-0.3 s and a few hundred scripts that Pulumi's closure serializer then enumerates through the
 * inspector); the components import this module instead, under the same name `proxmoxve`, so only
 * the classes below are loaded, each when first used (the submodule indexes load lazily).
 * A new Proxmox resource type: add its module here (the typecheck says which name is missing).
 */

export * as backup from "@muhlba91/pulumi-proxmoxve/backup";
export * as cluster from "@muhlba91/pulumi-proxmoxve/cluster";
export { ContainerLegacy, type ContainerLegacyArgs } from "@muhlba91/pulumi-proxmoxve/containerLegacy";
export * as firewall from "@muhlba91/pulumi-proxmoxve/firewall";
export * as network from "@muhlba91/pulumi-proxmoxve/network";
export { Provider, type ProviderArgs } from "@muhlba91/pulumi-proxmoxve/provider";
export * as storage from "@muhlba91/pulumi-proxmoxve/storage";
export type * as types from "@muhlba91/pulumi-proxmoxve/types";
export { VmLegacy, type VmLegacyArgs } from "@muhlba91/pulumi-proxmoxve/vmLegacy";

import type { AdoptionConfig } from "./adoption";
import type { BackupJobConfig } from "./backups";
import type { DeepReadonly } from "./common";
import type { FirewallConfig, FirewallRuleConfig } from "./firewall";
import type { CtConfig, VmConfig } from "./guests";
import type { HostServicesConfig } from "./hostServices";
import type { NetworkConfig } from "./network";
import type { ProxmoxConfig } from "./proxmox";
import type { RouteConfig } from "./routes";
import type { SshConfig } from "./ssh";
import type { StorageConfig } from "./storage";
import type { TunnelConfig } from "./tunnel";

/** Fields the model adds to every guest. */
interface GuestExtras {
  /** The guest's name (its key in `guests`), also its host name. */
  readonly name: string;
  /** `ipv4` with the plan's prefix length (`10.10.10.90/24`), when the guest has a static IPv4. */
  readonly ipv4Cidr?: string;
  /** `ipv6` with the plan's prefix length (`2001:bc8:1201:722::90/64`). */
  readonly ipv6Cidr?: string;
  /** Protected from deletion: running guests always are. */
  readonly protect: boolean;
}

/** A validated QEMU VM or template. */
export type VmModel = DeepReadonly<VmConfig> & GuestExtras;
/** A validated LXC container. */
export type CtModel = DeepReadonly<CtConfig> & GuestExtras;
/** A validated guest; switch on `kind`. */
export type GuestModel = VmModel | CtModel;

/** A validated storage with its id; for PBS the server resolved to an address. */
export type StorageModel = DeepReadonly<StorageConfig> & {
  /** Proxmox storage id. */
  readonly id: string;
  /** For `pbs`: the server's address (a guest name resolved to its IPv4). */
  readonly serverAddress?: string;
};

/** A validated public route with its target resolved. */
export type RouteModel = DeepReadonly<RouteConfig> & {
  /** IPv4 of the target guest on the private bridge. */
  readonly targetIpv4: string;
};

/** A validated firewall rule with guest names resolved to addresses. */
export type FirewallRuleModel = DeepReadonly<FirewallRuleConfig> & {
  /** `source` as an address/CIDR (guest names resolved). */
  readonly sourceAddress?: string;
  /** `dest` as an address/CIDR (guest names resolved). */
  readonly destAddress?: string;
};

/** The validated firewall. */
export type FirewallModel = Omit<DeepReadonly<FirewallConfig>, "rules" | "hostRules" | "groups"> & {
  /** Rules in order, resolved. */
  readonly rules: readonly FirewallRuleModel[];
  /** host.fw rules in order, resolved. */
  readonly hostRules: readonly FirewallRuleModel[];
  /** Security groups, their rules resolved. */
  readonly groups: Readonly<Record<string, { readonly comment?: string; readonly rules: readonly FirewallRuleModel[] }>>;
};

/** A validated backup job. */
export type BackupJobModel = DeepReadonly<BackupJobConfig> & {
  /** Job id (its key in `backups`). */
  readonly id: string;
  /** Proxmox ids of `guests`, same order. */
  readonly vmids: readonly number[];
};

/** The whole validated, typed, readonly stack config. Build it with `parseStackConfig`. */
export interface NeveModel {
  /**
   * Arms the adoption gate (stacks/adoption/gate.ts) for the runs that adopt objects: the first `up`, and
   * the first after `npm run discover -- --write` added objects to `adoption.live`. It does not switch
   * imports: an object in `adoption.live` carries its import id on every run (docs/adopting.md §3).
   */
  readonly adopt: boolean;
  /** The record of the last reconciliation with the live host (`npm run discover -- --write`). */
  readonly adoption: DeepReadonly<AdoptionConfig>;
  /** Proxmox API access. */
  readonly proxmox: DeepReadonly<ProxmoxConfig>;
  /** Bridges and IP plans. */
  readonly network: DeepReadonly<NetworkConfig>;
  /** Guests in stack-file order. */
  readonly guests: readonly GuestModel[];
  /** Storages in stack-file order. */
  readonly storage: readonly StorageModel[];
  /** Public routes of the edge proxy (haproxy). */
  readonly routes: readonly RouteModel[];
  /** Cloudflare Tunnel. */
  readonly tunnel: DeepReadonly<TunnelConfig>;
  /** Datacenter firewall. */
  readonly firewall: FirewallModel;
  /** vzdump jobs. */
  readonly backups: readonly BackupJobModel[];
  /** SSH access for host configuration. */
  readonly ssh: DeepReadonly<SshConfig>;
  /** Host configuration files pushed over SSH. */
  readonly hostServices: DeepReadonly<HostServicesConfig>;
}

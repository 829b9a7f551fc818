/**
 * The stop list: which engine steps an `up` against neve must never take, and why. One rule, one
 * place: the program's resource hooks (./hooks.ts, refusing in `pulumi preview` and `pulumi up`)
 * and `npm run guard` (scripts/guard.ts, reading `pulumi preview --json --show-replacement-steps`)
 * both ask {@link stopReason}.
 *
 * Step kinds are the engine's display ops (pulumi/pulumi pkg/resource/deploy/step.go, `OpSame` ...
 * `OpImportReplacement`), exactly as `pulumi preview --json` writes them in `steps[].op`
 * (pkg/display/json.go `PreviewStep`). What each kind does to the host: docs/adopting.md §3 and §13.
 */
/** Every step kind the engine (pulumi/pulumi v3.259, step.go) can show in a preview. */
const STEP_OPS = [
  "same",
  "create",
  "update",
  "delete",
  "replace",
  "create-replacement",
  "delete-replaced",
  "read",
  "read-replacement",
  "refresh",
  "discard",
  "discard-replaced",
  "remove-pending-replace",
  "import",
  "import-replacement",
  "diff",
  "extend-parameterize",
] as const;

/** One engine step kind. */
export type StepOp = (typeof STEP_OPS)[number];

/** Type tokens of the Proxmox resources this stack declares, by what they are. */
export const PROXMOX_TYPES = {
  vm: "proxmoxve:index/vmLegacy:VmLegacy",
  container: "proxmoxve:index/containerLegacy:ContainerLegacy",
  bridge: "proxmoxve:network/linux/bridge:Bridge",
  directory: "proxmoxve:storage/directory:Directory",
  zfspool: "proxmoxve:storage/zfspool:Zfspool",
  pbs: "proxmoxve:storage/pbs:Pbs",
  job: "proxmoxve:backup/job:Job",
  firewallRules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
  firewallOptions: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
} as const;

/** A Proxmox object (a resource of the bridged provider, not the provider resource itself). */
export function isProxmoxObject(type: string): boolean {
  return type.startsWith("proxmoxve:");
}

/** The firewall's two resources: read-only in the stack whatever the host has (docs/adopting.md §6). */
export function isFirewall(type: string): boolean {
  return type === PROXMOX_TYPES.firewallRules || type === PROXMOX_TYPES.firewallOptions;
}

/** What the stop list needs to know about the resource a step acts on. */
export interface StepFacts {
  /** The step kind (engine op). */
  readonly op: string;
  /** The resource's URN (named in every refusal). */
  readonly urn: string;
  /** The resource's type token. */
  readonly type: string;
  /**
   * The object this resource manages is recorded in `adoption.live` (it exists on the host), or is
   * always adopted (the firewall options, a public bridge). Undefined when unknown.
   */
  readonly live?: boolean;
  /** The stack treats the object as read-only (a public bridge, an existing private bridge, the firewall). */
  readonly readOnly?: boolean;
}

/** How to undo a delete or a replacement (said once, used by several rules). */
const DELETE_WAY_OUT =
  "undo the change that causes it (a renamed key in the stack file: put the old key back, or move the state with " +
  "pulumi state rename '<old urn>' <new name>; a changed vmid or creation-only field: restore it). To stop managing the " +
  "object and leave it on the host as it is: pulumi state delete '<urn>' (docs/adopting.md §8)";

/**
 * Why the step must not run, or undefined when it may. The message names the step and the way out;
 * callers prefix the resource (`<op> <urn>: <why>`).
 */
export function stopReason(step: StepFacts): string | undefined {
  const proxmox = isProxmoxObject(step.type);
  switch (step.op) {
    case "import-replacement":
      return (
        "an import-replacement: the engine imports the object and then deletes the resource's old ID through the provider " +
        "(for a guest or the firewall rule list that is the live object; protect does not stop it). The import id changed " +
        "against the recorded state: an object this program created was put in adoption.live, or the state lost its importID. " +
        "Find which and undo it; never remove the import (docs/adopting.md §3)"
      );
    case "replace":
    case "create-replacement":
    case "delete-replaced":
      if (!proxmox) return undefined;
      return `a replacement of a Proxmox object: it would leave the old object next to a new one (retain on delete) or delete it; ${DELETE_WAY_OUT}`;
    case "delete":
      if (!proxmox) return undefined;
      if (step.type === PROXMOX_TYPES.bridge) {
        // With `network.interfacesFile: true` no bridge resource is declared (stacks/components/proxmox/bridges.ts):
        // the bridges recorded in the state show up as deletes. Their delete must be a state removal, never the
        // provider's (bpg deletes the interface and reloads the node's network).
        return (
          "a delete of a bridge: bpg's provider would remove the interface from the host and reload the node's whole network. " +
          "If network.interfacesFile is now true (the bridges moved to /etc/network/interfaces), this is the state migration " +
          "it needs: remove the resource from the state only, pulumi state delete --force '<urn>' (it is protected; the bridge " +
          `stays on the host), then preview again (docs/adopting.md §7). Otherwise ${DELETE_WAY_OUT}`
        );
      }
      return `a delete of a Proxmox object: this program never deletes one; ${DELETE_WAY_OUT}`;
    case "create":
      if (step.type === PROXMOX_TYPES.bridge) {
        return (
          "a bridge create: bpg's provider reloads the node's whole network after it (PUT /nodes/{node}/network, ifreload -a), " +
          "vmbr0 included, with no confirm timer. Create the bridge on the host by hand behind a confirm timer (docs/adopting.md §7), " +
          "then npm run discover -- --write --adopt bridge:<iface>"
        );
      }
      if (proxmox && (step.live || step.readOnly)) {
        return (
          "a create of an object that exists on the host (it is in adoption.live or always adopted), so it must be an import: " +
          "the import id was lost. Do not up; run npm run discover -- --check and find why the resource carries no import id"
        );
      }
      return undefined;
    case "update":
      if (step.type === PROXMOX_TYPES.bridge) {
        return (
          "an update of a bridge: bpg's provider reloads the node's whole network after it (ifreload -a), and on vmbr0 (DHCP) " +
          "the PVE API's interface update drops the public address. Bridges are read-only in the stack: change it on the host " +
          "behind a confirm timer (docs/adopting.md §7), then npm run discover -- --write and pulumi refresh"
        );
      }
      if (isFirewall(step.type) || (proxmox && step.readOnly)) {
        return (
          "an update of an object the stack treats as read-only (the cluster firewall decides whether the operator gets in; an up " +
          "has no confirm timer). Change it on the host behind a confirm timer (docs/adopting.md §7), then npm run discover -- " +
          "--write and pulumi refresh, so the stack file and the state match the host"
        );
      }
      return undefined;
    case "import":
      if (!proxmox || step.live !== false || step.readOnly) return undefined;
      return (
        "an import of an object that adoption.live does not list: only objects discover recorded as existing on the host are " +
        "imported. If this program created it, importing it is an import-replacement in waiting; if it was made by hand, adopt it " +
        "with npm run discover -- --write --adopt <kind>:<id> (docs/adopting.md §4)"
      );
    case "same":
    case "read":
    case "refresh":
    case "diff":
    case "discard":
    case "remove-pending-replace":
    case "extend-parameterize":
      return undefined;
    case "read-replacement":
    case "discard-replaced":
      return proxmox ? `a replacement of a Proxmox object (read or discarded in its place); ${DELETE_WAY_OUT}` : undefined;
    default:
      return `a step kind this guard does not know (${step.op}): check it by hand before any up, then teach stacks/guards/stopList.ts`;
  }
}

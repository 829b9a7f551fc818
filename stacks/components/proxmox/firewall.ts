import * as pulumi from "@pulumi/pulumi";
import type { FirewallRuleModel, NeveModel } from "../../config";
import { everyField, type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

/**
 * Every input field of the cluster firewall options. All ignored: the firewall's enable switch and
 * policies decide whether the operator gets in, and an `up` has no confirm timer to undo a mistake.
 */
const FIREWALL_OPTIONS_INPUT_FIELDS = everyField<proxmoxve.cluster.FirewallLegacyArgs>()(
  "ebtables",
  "enabled",
  "forwardPolicy",
  "inputPolicy",
  "logRatelimit",
  "outputPolicy",
);

/**
 * Every input field of the rule list. All ignored: bpg's RulesLegacy changes the live list over
 * several API calls (proxmoxtf/resource/firewall/rules.go since bpg #2310/#2593: it creates rules,
 * which Proxmox puts at the top, moves them one call at a time, updates fields, then deletes the
 * excess), and its Create refuses a cluster that already has rules. Between those calls the rules
 * that let the operator in may be missing or out of order under INPUT DROP, and an `up` has no
 * confirm timer to undo it. Changes go through `firewall.filesManaged` (the files under the commit-confirmed
 * net) or over SSH behind a confirm timer (docs/adopting.md §6-§7).
 */
const FIREWALL_RULES_INPUT_FIELDS = everyField<proxmoxve.firewall.RulesLegacyArgs>()("containerId", "nodeName", "rules", "vmId");

/** Arguments of {@link ClusterFirewall}. */
export interface ClusterFirewallArgs {
  /** The validated model (its `firewall`). */
  readonly model: NeveModel;
  /** Provider, node and live objects. */
  readonly ctx: ProxmoxContext;
}

/** The provider's rule input for one model rule. */
function toProviderRule(r: FirewallRuleModel): proxmoxve.types.input.firewall.RulesLegacyRule {
  const comment = r.comment ? `${r.name}: ${r.comment}` : r.name;
  if (r.group !== undefined) return { securityGroup: r.group, iface: r.iface, comment, enabled: r.enabled };
  return {
    type: r.direction ?? "in",
    action: r.action,
    macro: r.macro,
    // With a macro the macro supplies the protocol; `any` is a rule without -p.
    proto: r.macro !== undefined || r.proto === "any" ? undefined : r.proto,
    source: r.sourceAddress,
    dest: r.destAddress,
    dport: r.dports.length ? r.dports.join(",") : undefined,
    sport: r.sports.length ? r.sports.join(",") : undefined,
    log: r.log,
    iface: r.iface,
    comment,
    enabled: r.enabled,
  };
}

/**
 * The datacenter firewall (cluster.fw): options (enabled, policies) and the ordered rule list.
 * Children: `${name}-options`, `${name}-rules`. The provider only offers the *Legacy* resources here.
 *
 * With `firewall.filesManaged` neither is declared: the files are the access-critical host service
 * `pve-firewall` (cluster.fw and host.fw rendered by stacks/render/firewall.ts), one owner per object.
 * Without it both are read-only in the stack: protected, every input field in `ignoreChanges`. The options
 * always exist through the API, so they always carry their import id (never created). The rules are
 * imported when cluster.fw exists (`adoption.live.firewall`) and created on a host without one.
 * The config refuses a rule list that would not let the tailnet reach 22 and 8006
 * (stacks/config/access.ts); changes to the live rules go over SSH behind a confirm timer (docs/adopting.md).
 */
export class ClusterFirewall extends pulumi.ComponentResource {
  /** Cluster firewall options; undefined with `firewall.filesManaged` (the files have one owner: the pve-firewall host service). */
  public readonly options?: proxmoxve.cluster.FirewallLegacy;
  /** Cluster-level rules; undefined with `firewall.filesManaged`. */
  public readonly rules?: proxmoxve.firewall.RulesLegacy;

  constructor(name: string, args: ClusterFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:firewall:ClusterFirewall", name, {}, opts);
    const { model, ctx } = args;
    const fw = model.firewall;
    if (fw.filesManaged) {
      // `firewall.filesManaged`: cluster.fw and host.fw are the host service pve-firewall (stacks/components/host/registry.ts),
      // pushed under the commit-confirmed net; no Proxmox firewall resource beside it (docs/adopting.md §7).
      this.registerOutputs({ enabled: fw.enabled, ruleCount: fw.rules.length, filesManaged: true });
      return;
    }
    this.options = new proxmoxve.cluster.FirewallLegacy(
      `${name}-options`,
      { enabled: fw.enabled, inputPolicy: fw.inputPolicy, outputPolicy: fw.outputPolicy },
      proxmoxResourceOptions(this, ctx, { importId: "cluster", readOnly: true, protect: true, ignoreChanges: FIREWALL_OPTIONS_INPUT_FIELDS }),
    );
    this.rules = new proxmoxve.firewall.RulesLegacy(
      `${name}-rules`,
      { rules: fw.rules.map(toProviderRule) },
      proxmoxResourceOptions(this, ctx, {
        importId: "cluster",
        object: { kind: "firewall" },
        protect: true,
        ignoreChanges: FIREWALL_RULES_INPUT_FIELDS,
      }),
    );
    this.registerOutputs({ enabled: fw.enabled, ruleCount: fw.rules.length });
  }
}

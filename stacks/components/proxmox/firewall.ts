import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "./sdk";
import type { FirewallRuleModel, NeveModel } from "../../config";
import { ProxmoxContext, proxmoxResourceOptions } from "./options";

/** Arguments of {@link ClusterFirewall}. */
export interface ClusterFirewallArgs {
  /** The validated model (its `firewall`). */
  readonly model: NeveModel;
  /** Provider, node and adopt switch. */
  readonly ctx: ProxmoxContext;
}

/** The provider's rule input for one model rule. */
export function toProviderRule(r: FirewallRuleModel): proxmoxve.types.input.firewall.RulesLegacyRule {
  return {
    type: "in",
    action: r.action,
    proto: r.proto,
    source: r.sourceAddress,
    dest: r.destAddress,
    dport: r.dports.length ? r.dports.join(",") : undefined,
    iface: r.iface,
    comment: r.comment ? `${r.name}: ${r.comment}` : r.name,
    enabled: r.enabled,
  };
}

/**
 * The datacenter firewall (cluster.fw): options (enabled, policies) and the ordered rule list.
 * Children: `${name}-options`, `${name}-rules`. The provider only offers the *Legacy* resources here.
 */
export class ClusterFirewall extends pulumi.ComponentResource {
  /** Cluster firewall options. */
  public readonly options: proxmoxve.cluster.FirewallLegacy;
  /** Cluster-level rules. */
  public readonly rules: proxmoxve.firewall.RulesLegacy;

  constructor(name: string, args: ClusterFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:firewall:ClusterFirewall", name, {}, opts);
    const { model, ctx } = args;
    const fw = model.firewall;
    this.options = new proxmoxve.cluster.FirewallLegacy(
      `${name}-options`,
      { enabled: fw.enabled, inputPolicy: fw.inputPolicy, outputPolicy: fw.outputPolicy },
      proxmoxResourceOptions(this, ctx, { importId: "cluster" }),
    );
    // Rules land before the options switch the firewall on, so enabling never locks the operator out.
    this.rules = new proxmoxve.firewall.RulesLegacy(
      `${name}-rules`,
      { rules: fw.rules.map(toProviderRule) },
      { ...proxmoxResourceOptions(this, ctx, { importId: "cluster" }) },
    );
    this.registerOutputs({ enabled: fw.enabled, ruleCount: fw.rules.length });
  }
}

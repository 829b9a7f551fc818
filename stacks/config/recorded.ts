import type { ConfigIssue } from "./errors";
import type { StackConfig } from "./schema";

/**
 * Nothing silently recorded: a stack-file value that an `up` would not apply is refused unless it is
 * marked as a record of the host (`recorded: true`). One rule, here; the plan and the program run it
 * through `parseStackConfig`, and docs/adopting.md §7, "Nothing silently recorded" lists what it covers.
 *
 * What an `up` does not apply, and why (the components decide it from the same two switches):
 * - `firewall.*` with `firewall.filesManaged: false`: the options and the rule list are bpg resources that are
 *   protected with every input field ignored (stacks/components/proxmox/firewall.ts), and the IP sets,
 *   aliases, groups, cluster options and host.fw are sent nowhere. Marker: `firewall.recorded: true`.
 * - `network.bridges.<name>` (comment, ports, ipv4, ipv6) with `network.interfacesFile: false`: a bridge on the
 *   host is a read-only bpg resource (stacks/components/proxmox/bridges.ts), and a new one is a bridge create
 *   the guards refuse (stacks/guards/stopList.ts). Marker: `recorded: true` on the bridge. (`nat` and `public`
 *   are the stack's own facts: the NAT host service and the access rules apply them either way.)
 * - either switch on with `hostServices.enabled: false`: no host file is pushed at all.
 *
 * A marker with its switch on has no effect (the files apply the values; nothing goes unapplied), so it is
 * accepted: turning a switch on stays one edit, and `discover --write` removes the marker left over.
 */
export function recordedIssues(c: StackConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const fw = c.firewall;
  if (fw.filesManaged) {
    if (!c.hostServices.enabled)
      issues.push({
        path: "firewall.filesManaged",
        message:
          "is true but hostServices.enabled is false: nothing would push cluster.fw and host.fw, so the rules would only be recorded; enable hostServices (with ssh) or set filesManaged: false",
      });
  } else if (!fw.recorded) {
    const stated = [
      "enabled",
      "inputPolicy",
      "outputPolicy",
      `rules (${fw.rules.length})`,
      ...(["hostRules", "ipsets", "aliases", "groups", "options", "hostOptions"] as const).filter((k) => Object.keys(fw[k]).length > 0),
    ];
    issues.push({
      path: "firewall",
      message:
        `an up does not apply ${stated.join(", ")} while firewall.filesManaged is false (bpg's cluster firewall resources are read-only here: protected, every field ignored; the rest is sent nowhere). ` +
        "To apply them set neve-infra:firewall.filesManaged: true (cluster.fw and host.fw pushed under the commit-confirmed net, docs/adopting.md §7); " +
        "to keep them as the record of the host set neve-infra:firewall.recorded: true",
    });
  }

  const net = c.network;
  if (net.interfacesFile && !c.hostServices.enabled)
    issues.push({
      path: "network.interfacesFile",
      message:
        "is true but hostServices.enabled is false: nothing would push /etc/network/interfaces, so the bridges would only be recorded; enable hostServices (with ssh) or set interfacesFile: false",
    });
  const live = c.adoption.live;
  for (const [name, b] of Object.entries(net.bridges)) {
    if (net.interfacesFile || b.recorded) continue;
    const apply =
      "set neve-infra:network.interfacesFile: true (the bridges as /etc/network/interfaces, pushed under the commit-confirmed net, docs/adopting.md §7)";
    issues.push({
      path: `network.bridges.${name}`,
      message:
        live !== undefined && !live.bridges.includes(name)
          ? `an up would not create ${name}: while network.interfacesFile is false a bridge is bpg's Linux bridge resource, whose create the guards refuse (it reloads the node's whole network with no confirm timer). To create it ${apply}`
          : `an up does not apply ${name}'s comment, ports, ipv4 and ipv6 while network.interfacesFile is false (bpg's bridge resource is read-only here: protected, every field ignored). ` +
            `To apply them ${apply}; to keep them as the record of the host set recorded: true on network.bridges.${name}`,
    });
  }
  return issues;
}

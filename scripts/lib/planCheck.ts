import { preflightHostServices } from "../../stacks/components/host/preflight";
import { ctCoresIssues } from "../../stacks/components/proxmox/container";
import { ConfigError, type ConfigIssue } from "../../stacks/config/errors";
import type { NeveModel } from "../../stacks/config/model";
import { isFirewall } from "../../stacks/guards/stopList";
import { loadModelFromFile } from "./stackFile";

/**
 * Everything `npm run plan` checks before the mock run, the way the program does: the stack file
 * (schema, rules, no plain-text secrets), then the host resources' renderers, the invariants across
 * them and each dynamic provider's own `check`. Throws ConfigError naming stack-file fields.
 */
export function checkStackFile(file: string): NeveModel {
  const model = loadModelFromFile(file);
  preflightHostServices(model);
  const cores = ctCoresIssues(model);
  if (cores.length) throw new ConfigError(cores);
  return model;
}

/**
 * One owner for the firewall files, over everything the mock run declared: with `firewall.filesManaged` the
 * pve-firewall host service writes cluster.fw and host.fw, so a Proxmox firewall resource declared beside it
 * (bpg's options or rule list, which write the same file through the API) is refused. Empty when it holds.
 */
export function firewallOwnerIssues(model: NeveModel, resources: readonly { readonly type: string; readonly name: string }[]): ConfigIssue[] {
  if (!model.firewall.filesManaged) return [];
  return resources
    .filter((r) => isFirewall(r.type))
    .map((r) => ({
      path: "firewall.filesManaged",
      message:
        `is true, so the host service pve-firewall writes cluster.fw, but the program still declares ${r.name} (${r.type}), which writes it through the Proxmox API: ` +
        "one owner per file; the program must not declare the Proxmox firewall resources while filesManaged is on (a state that holds them: docs/adopting.md §7)",
    }));
}

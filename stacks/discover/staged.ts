/**
 * A staged /etc/network/interfaces.new as a host-level conflict of `discover --check`.
 *
 * Why it matters (checked in the sources):
 * - The Proxmox UI / API stages network edits in /etc/network/interfaces.new, not in the live file:
 *   pve-common src/PVE/INotify.pm (`$shadowfiles`: '/etc/network/interfaces' => '/etc/network/interfaces.new';
 *   `read_file('interfaces')` reads the shadow when it exists, `write_file` writes it).
 * - The bpg provider reloads the node's network after creating, updating or deleting a Linux bridge
 *   (bpg/terraform-provider-proxmox fwprovider/nodes/network/resource_linux_bridge.go Create/Update/Delete
 *   -> proxmox/nodes/network.go `ReloadNetworkConfiguration`: `PUT /nodes/{node}/network`).
 * - That API call is pve-manager PVE/API2/Network.pm `reload_network_config`: it renames
 *   /etc/network/interfaces.new over /etc/network/interfaces and runs `ifreload -a`. No confirm timer.
 *   ("Revert" in the UI is `revert_network_changes`, `DELETE /nodes/{node}/network`: unlink of the .new file.)
 * No `up` touches a bridge now (the guards refuse every bridge create, update and delete,
 * stacks/guards/stopList.ts), but the next network reload does, by hand or through the API (a bridge
 * made by hand before it is adopted, docs/adopting.md §6-§7), and applies whatever is staged, vmbr0
 * included. discover reads the file (./probe.ts, ./root.ts) and names what it would change.
 */
import { createTwoFilesPatch } from "diff";
import type { InterfaceStanza, StagedNetwork } from "./facts";
import { parseInterfaces } from "./parse/interfaces";
import { INTERFACES, INTERFACES_NEW } from "./probe";

/** What a staged file would change, stanza by stanza. */
export interface StagedChange {
  /** Interface (with family, e.g. `vmbr0 inet6` for an inet6 stanza). */
  readonly iface: string;
  /** `added`, `removed` or `changed` (method or options differ), or `auto` (only its `auto` line differs). */
  readonly how: "added" | "removed" | "changed" | "auto";
}

const key = (s: InterfaceStanza) => (s.family === "inet" ? s.name : `${s.name} ${s.family}`);
const body = (s: InterfaceStanza) => JSON.stringify([s.method, s.options]);

/** The stanzas the staged file adds, removes or changes compared with /etc/network/interfaces (sourced files aside). */
function stagedChanges(staged: StagedNetwork): StagedChange[] {
  const before = parseInterfaces([{ path: INTERFACES, text: staged.current }]);
  const after = parseInterfaces([{ path: INTERFACES, text: staged.text }]);
  const out: StagedChange[] = [];
  const was = new Map(before.stanzas.map((s) => [key(s), s]));
  const now = new Map(after.stanzas.map((s) => [key(s), s]));
  for (const [k, s] of now) {
    const old = was.get(k);
    if (!old) out.push({ iface: k, how: "added" });
    else if (body(old) !== body(s)) out.push({ iface: k, how: "changed" });
  }
  for (const k of was.keys()) if (!now.has(k)) out.push({ iface: k, how: "removed" });
  const autoBefore = new Set(before.auto);
  const autoAfter = new Set(after.auto);
  for (const n of new Set([...before.auto, ...after.auto])) {
    if (autoBefore.has(n) !== autoAfter.has(n) && !out.some((c) => c.iface === n)) out.push({ iface: n, how: "auto" });
  }
  return out;
}

/** Unified diff live -> staged, without the `===` header line. */
function stagedPatch(staged: StagedNetwork): string {
  return createTwoFilesPatch(INTERFACES, INTERFACES_NEW, staged.current, staged.text, "live", "staged, not applied")
    .split("\n")
    .filter((l) => !l.startsWith("==="))
    .join("\n")
    .trimEnd();
}

/**
 * The conflict text for a staged file that differs from the live one (undefined when it is the same
 * text: the reload would then apply nothing new). The diff lines follow, indented.
 */
export function stagedConflictText(staged: StagedNetwork): string | undefined {
  if (staged.text === staged.current) return undefined;
  const changes = stagedChanges(staged);
  const named = changes.length ? changes.map((c) => `${c.iface} (${c.how})`).join(", ") : "no iface stanza (comments, layout or source lines only)";
  return [
    `${INTERFACES_NEW}: network changes staged in the Proxmox UI but not applied, changing ${named}.`,
    `    The next network reload (PUT /nodes/<node>/network: "Apply Configuration", or a bridge created or changed through the API) moves this file over ${INTERFACES} and runs ifreload -a, with no confirm timer.`,
    `    Before any network change (no up makes one: the guards refuse every bridge create and update): apply it by hand behind a confirm timer (docs/adopting.md section 7), or discard it (rm ${INTERFACES_NEW}, or "Revert" in the node's Network panel).`,
    ...stagedPatch(staged)
      .split("\n")
      .map((l) => `    ${l}`),
  ].join("\n");
}

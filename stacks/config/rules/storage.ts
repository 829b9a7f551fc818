import { isAddressOrCidr } from "../common";
import { once, otherNodeHint, type SectionRules } from "./types";

/** Storages: a PBS server is an address or a guest with a static IPv4; `nodes`, when stated, lists this stack's node. */
export const storageRules: SectionRules = (c, add) => {
  const guestNames = once(() => Object.keys(c.guests).join(", "));
  const node = c.proxmox.nodeName;
  for (const [id, s] of Object.entries(c.storage)) {
    // An empty list is no limit (no `nodes` line), as when unstated.
    if (s.nodes?.length && !s.nodes.includes(node)) {
      const hints = s.nodes.map((n) => otherNodeHint(c, n)).filter((h) => h !== null);
      add(
        `storage.${id}.nodes`,
        `${hints.join("; ")}; the storage would not be available on ${node} ("storage '${id}' is not available on node '${node}'"): list ${node}, or remove nodes (every node)`,
      );
    }
    if (s.type === "pbs" && !isAddressOrCidr(s.server)) {
      const g = c.guests[s.server];
      if (!g) add(`storage.${id}.server`, `"${s.server}" is neither an IP address nor a known guest; write the PBS address or a guest name (${guestNames()})`);
      else if (!g.ipv4) add(`storage.${id}.server`, `guest "${s.server}" has no static IPv4; give it one or write the address`);
    }
  }
};

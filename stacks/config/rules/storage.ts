import { isAddressOrCidr } from "../common";
import type { SectionRules } from "./types";

/** Storages: a PBS server is an address or a guest with a static IPv4. */
export const storageRules: SectionRules = (c, add) => {
  const guestNames = Object.keys(c.guests);
  for (const [id, s] of Object.entries(c.storage)) {
    if (s.type === "pbs" && !isAddressOrCidr(s.server)) {
      const g = c.guests[s.server];
      if (!g)
        add(
          `storage.${id}.server`,
          `"${s.server}" is neither an IP address nor a known guest; write the PBS address or a guest name (${guestNames.join(", ")})`,
        );
      else if (!g.ipv4) add(`storage.${id}.server`, `guest "${s.server}" has no static IPv4; give it one or write the address`);
    }
  }
};

import { RETENTION_KEYS } from "../backups";
import { once, otherNodeHint, type SectionRules } from "./types";

/** Backup jobs: this stack's node when one is named, a storage that holds backups, known guests listed once, no guest backed up into the PBS it serves. */
export const backupRules: SectionRules = (c, add) => {
  const guestNames = once(() => Object.keys(c.guests).join(", "));
  for (const [id, j] of Object.entries(c.backups)) {
    const at = `backups.${id}`;
    const otherNode = j.node === undefined ? null : otherNodeHint(c, j.node);
    if (otherNode)
      add(`${at}.node`, `${otherNode}: the job would never run on ${c.proxmox.nodeName}; write ${c.proxmox.nodeName}, or remove node (every node)`);
    if (RETENTION_KEYS.every(([f]) => j[f] === undefined))
      add(`${at}.keepLast`, "a job needs a retention: state keepLast (and/or keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly)");
    const s = c.storage[j.storage];
    if (!s) add(`${at}.storage`, `unknown storage "${j.storage}"; use one of ${Object.keys(c.storage).join(", ")}`);
    else if (!s.contents.includes("backup"))
      add(`${at}.storage`, `storage "${j.storage}" does not hold backup content; add "backup" to storage.${j.storage}.contents or pick another storage`);
    const seen = new Set<string>();
    j.guests.forEach((name, k) => {
      if (!c.guests[name]) add(`${at}.guests[${k}]`, `unknown guest "${name}"; use one of ${guestNames()}`);
      if (seen.has(name)) add(`${at}.guests[${k}]`, `"${name}" is listed twice; list each guest once`);
      // A guest that serves the PBS storage cannot be backed up into it: the backup would be lost
      // with the guest, and vzdump would snapshot the server while it writes the backup.
      const g = c.guests[name];
      if (s?.type === "pbs" && g && (s.server === name || (g.ipv4 !== undefined && s.server === g.ipv4)))
        add(
          `${at}.guests[${k}]`,
          `"${name}" serves the storage "${j.storage}" (storage.${j.storage}.server) and cannot be backed up into itself; back it up to another storage`,
        );
      seen.add(name);
    });
  }
};

import type { DiffResult } from "@pulumi/pulumi/dynamic";
import { diffConnection, same } from "../common/diff";
import { hasUnknown, UNKNOWN } from "../common/unknown";
import type { LxcRawConfigInputs, LxcRawConfigOutputs } from "./types";

/**
 * Deliberate diff, without touching the host:
 * - connection.host, connection.port or vmid changed -> replace, old one deleted first (two resources
 *   must never own the raw lines of one file at once, or the old one's delete would undo the new one);
 * - rawLines differ from the lines last seen in the file (after a refresh: drift) -> update;
 * - credentials, stashDir, onDelete changed -> update that only records them (delete needs them);
 * - nothing else -> no change.
 */
export function diffLxcRawConfig(olds: LxcRawConfigOutputs, news: LxcRawConfigInputs): DiffResult {
  if ((news.connection as unknown) === UNKNOWN) {
    return { changes: true, replaces: ["connection"], deleteBeforeReplace: true };
  }
  const connection = diffConnection(olds.connection, news.connection);
  const replaces = [...connection.replaces];
  if (!same(olds.vmid, news.vmid)) replaces.push("vmid");
  if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };

  const updates: string[] = [];
  if (hasUnknown(news.rawLines) || !same(olds.rawLines, news.rawLines) || olds.present === false) updates.push("rawLines");
  updates.push(...connection.updates);
  for (const k of ["stashDir", "onDelete"] as const) {
    if (!same(olds[k], news[k])) updates.push(k);
  }
  return { changes: updates.length > 0, replaces: [], deleteBeforeReplace: false };
}

/** True when an update must touch the host (the raw lines differ from what was last seen there). */
export function rawLinesChanged(olds: LxcRawConfigOutputs, news: LxcRawConfigInputs): boolean {
  return olds.present === false || !same(olds.rawLines, news.rawLines);
}

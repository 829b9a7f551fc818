import type { DiffResult } from "@pulumi/pulumi/dynamic";
import { diffConnection, same } from "../common/diff";
import { sha256Hex } from "../common/shell";
import { hasUnknown, UNKNOWN } from "../common/unknown";
import type { FileInputs, FileState, HostConfigInputs, HostConfigOutputs } from "./types";

/** True when a declared file differs from the recorded state (content hash, mode, owner, group, presence), or its last push did not end verified. */
export function fileDiffers(old: FileState | undefined, f: FileInputs): boolean {
  if (!old?.present || old.pending) return true;
  if (hasUnknown(f)) return true;
  return old.sha256 !== sha256Hex(f.content) || old.mode !== f.mode || old.owner !== f.owner || old.group !== f.group || old.secret !== f.secret;
}

/** Sorted list of paths, the identity of the file set. */
function pathSet(files: readonly { path: string }[] | undefined): string {
  return JSON.stringify((files ?? []).map((f) => f.path).sort());
}

/** Properties whose change means a file on the host must change (update touches the host). */
export function changedFiles(olds: HostConfigOutputs, news: HostConfigInputs): string[] {
  const byPath = new Map((olds.files ?? []).map((f) => [f.path, f]));
  return news.files.filter((f) => fileDiffers(byPath.get(f.path), f)).map((f) => f.path);
}

/**
 * Deliberate diff, without touching the host:
 * - host, port, service or the set of paths changed -> replace (delete first: two resources must
 *   never own the same files at once, or the old one's delete would undo the new one's work);
 * - content (by hash), mode, owner, group, commands, stash settings, credentials -> update;
 * - nothing else -> no change.
 */
export function diffHostConfig(olds: HostConfigOutputs, news: HostConfigInputs): DiffResult {
  // Whole values unknown in a preview: identity unknown means replace, files unknown means update.
  if (hasUnknown(news.connection) && (news.connection as unknown) === UNKNOWN) {
    return { changes: true, replaces: ["connection"], deleteBeforeReplace: true };
  }
  if (!Array.isArray(news.files)) return { changes: true, replaces: [], deleteBeforeReplace: false };
  const connection = diffConnection(olds.connection, news.connection);
  const replaces = [...connection.replaces];
  if (!same(olds.service, news.service)) replaces.push("service");
  if (hasUnknown(news.files) ? news.files.some((f) => f.path === UNKNOWN) : pathSet(olds.files) !== pathSet(news.files)) {
    replaces.push("files");
  }
  if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: true };

  const updates: string[] = [];
  if (changedFiles(olds, news).length > 0) updates.push("files");
  updates.push(...connection.updates);
  for (const k of ["validate", "activate", "healthCheck", "stashDir", "stashKeep", "onDelete", "accessCritical"] as const) {
    if (!same(olds[k], news[k])) updates.push(k);
  }
  return { changes: updates.length > 0, replaces: [], deleteBeforeReplace: false };
}

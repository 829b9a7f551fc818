import type { ConnectionInputs } from "./connection";

/**
 * Pieces of the providers' deliberate diffs. Pure: serialized into each provider's `__provider`.
 */

/** Equal as the state stores them (JSON), with undefined and null alike. */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * How the connection changed: a new host or port is another machine (replace, the old one deleted
 * first); new credentials, a new pin or new time limits only need recording (update). `olds` may be missing in an
 * old state.
 */
export function diffConnection(olds: ConnectionInputs | undefined, news: ConnectionInputs): { replaces: string[]; updates: string[] } {
  const oc = olds ?? ({} as ConnectionInputs);
  const replaces: string[] = [];
  if (!same(oc.host, news.host)) replaces.push("connection.host");
  if (!same(oc.port, news.port)) replaces.push("connection.port");
  const updates: string[] = [];
  for (const k of ["username", "hostKey", "privateKey", "timeouts"] as const) {
    if (!same(oc[k], news[k])) updates.push(`connection.${k}`);
  }
  return { replaces, updates };
}

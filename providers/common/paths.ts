/**
 * The rule for absolute paths on the host (managed files, stash directories), one place: the providers'
 * check and the config schema use it alike. Pure: serialized into each provider's `__provider`.
 */

/** Where the previous versions of changed files are kept on the host, by default. */
export const DEFAULT_STASH_DIR = "/root/etc-pve.stash";

// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Why `path` is not a usable absolute path on the host, or null: relative, a control character (a
 * line break would smuggle a command or a second path), "." or ".." or empty segments, a name over 200 bytes.
 */
export function pathProblem(path: unknown): string | null {
  if (typeof path !== "string" || path === "") return 'must be an absolute path such as "/etc/haproxy/haproxy.cfg"';
  if (!path.startsWith("/")) return `${JSON.stringify(path)} is relative; write it as an absolute path starting with "/"`;
  if (CONTROL_RE.test(path)) return `${JSON.stringify(path)} contains a control character (newline, tab, NUL); rename the file`;
  const parts = path.split("/").slice(1);
  if (parts.some((p) => p === ".." || p === ".")) return `${JSON.stringify(path)} contains "." or ".." segments; write the normalized absolute path`;
  if (parts.some((p) => p === "")) return `${JSON.stringify(path)} has an empty segment ("//" or a trailing "/"); name a file, not a directory`;
  if (parts.some((p) => Buffer.byteLength(p) > 200)) return `${JSON.stringify(path)} has a name longer than 200 bytes`;
  return null;
}

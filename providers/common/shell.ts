import { shellQuote as q } from "../ssh/quote";

/**
 * Shell pieces both providers' remote scripts are made of, written once. Pure (no node module, no
 * secret): serialized into each provider's `__provider` along with its script builder.
 */

/**
 * First lines of every script that changes the host: stop on unset variables, a restrictive umask,
 * `neve_cleanup` removing this run's temporary files on any exit (no process when none is left) (including a lost connection: HUP,
 * PIPE) and `neve_fail <code> <message>` printing the message to stderr and exiting with the code.
 */
export function scriptHeader(cleanupPaths: readonly string[], umask = "077"): string[] {
  return [
    "set -u",
    `umask ${umask}`,
    // `rm` only when one of them is there: on the happy path every temporary file has been renamed or removed already.
    cleanupPaths.length
      ? `neve_cleanup() { for neve_f in ${cleanupPaths.map(q).join(" ")}; do if [ -e "$neve_f" ] || [ -L "$neve_f" ]; then rm -f -- ${cleanupPaths.map(q).join(" ")} 2>/dev/null; break; fi; done; :; }`
      : "neve_cleanup() { :; }",
    "trap 'neve_cleanup' EXIT",
    "trap 'neve_cleanup; trap - EXIT; exit 129' HUP",
    "trap 'neve_cleanup; trap - EXIT; exit 141' PIPE",
    "trap 'neve_cleanup; trap - EXIT; exit 143' TERM INT",
    `neve_fail() { neve_code=$1; shift; printf '%s\\n' "$*" >&2; exit "$neve_code"; }`,
  ];
}

/** Names of timestamped stash directories ("<stamp>-<token>"), the only ones pruning may remove (never "original"). */
export const STASH_NAME_RE = "^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$";

/** STASH_NAME_RE as a shell pattern (`case`, pathname expansion). */
export const STASH_NAME_GLOB = `${"[0-9]".repeat(8)}T${"[0-9]".repeat(9)}Z-${"[0-9a-f]".repeat(8)}`;

/**
 * Shell line that keeps the newest `keep` timestamped stashes in `dir` and removes the older ones. Shell
 * only (pathname expansion is sorted, and the names sort by time): no process unless one is removed, since
 * it runs on every push.
 */
export function pruneStashes(dir: string, keep: number): string {
  const each = (body: string) => `for neve_e in ${q(dir)}/*; do case "\${neve_e##*/}" in ${STASH_NAME_GLOB}) ${body};; esac; done`;
  return `neve_k=-${keep}; ${each("neve_k=$((neve_k + 1))")}; ${each('[ "$neve_k" -gt 0 ] && { rm -rf -- "$neve_e" 2>/dev/null; neve_k=$((neve_k - 1)); }')}; :`;
}

/** A text as base64 in lines of 76 characters, for a here-document that `base64 -d` reads. */
export function base64Lines(text: string): string {
  const b64 = Buffer.from(text, "utf8").toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join("\n");
}

/** sha256 hex of a text (UTF-8) or bytes, as the host's `sha256sum` prints it. */
export function sha256Hex(data: string | Buffer): string {
  const crypto = require("node:crypto") as typeof import("crypto");
  return crypto.createHash("sha256").update(data).digest("hex");
}

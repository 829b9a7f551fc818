/** Types of providers/common/cacheTrust.js (plain JavaScript: scripts/lib/transpile.js needs it before TypeScript runs). */

/** Whether a directory may hold a trusted cache: owned by this user or root, not group/other-writable, not a symbolic link. */
export function cacheDirTrust(dir: string): { ok: true } | { ok: false; absent: true } | { ok: false; absent?: false; why: string };

/** A cache entry's text, read from the open file after checking it (regular file, not a link, owner, mode). */
export function readTrustedEntry(file: string): { text: string } | { absent: true } | { why: string };

/** Print `neve-infra: <cache> bypassed: <where> <why>; <instead>` on stderr, once per process and line. */
export function reportBypass(cache: string, where: string, why: string, instead: string): void;

/** sha256 of a string, hex. */
export function sha256(s: string): string;

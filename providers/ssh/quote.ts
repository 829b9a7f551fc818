/**
 * Quote one value as a single POSIX shell word.
 *
 * Single quotes make the shell take every byte literally ($, `, \, ", newlines, globs, spaces);
 * the only character that needs care is the single quote itself, written as '\'' (close, escaped
 * quote, reopen). NUL cannot be passed through a shell word at all, so it is refused instead of
 * being silently truncated.
 */
export function shellQuote(value: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`shellQuote expects a string, got ${typeof value}`);
  }
  if (value.includes("\0")) {
    throw new Error("cannot quote a value containing a NUL byte for the shell");
  }
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** Quote every value and join them with spaces: a safe argument list for a remote command. */
export function shellJoin(values: readonly string[]): string {
  return values.map((v) => shellQuote(v)).join(" ");
}

/**
 * Parser of /etc/network/interfaces and the files it sources, as ifupdown2 (Proxmox VE's network
 * stack) reads them: CumulusNetworks/ifupdown2 ifupdown2/ifupdown/networkinterfaces.py.
 * - `#` lines (after leading whitespace) are comments; a line ending in `\` continues on the next;
 * - stanzas start with `auto`, `allow-<class>`, `iface`, `mapping`, `source`, `source-directory`;
 *   every other line belongs to the `iface` stanza above it as `<option> <value>`; options may repeat
 *   (`post-up` lines, `address`);
 * - `iface <name> [inet|inet6] [method]` (ifupdown2 allows both to be left out: family "inet" and an
 *   empty method are recorded then);
 * - `source <glob>` (relative to the sourcing file's directory, expanded sorted) and
 *   `source-directory <dir>` are resolved where the files are read (../read.ts), not here: this parser
 *   gets the files already in reading order and only parses them.
 */
import type { InterfaceStanza, NetworkFacts } from "../facts";

/** One file: host path and text. */
export interface NamedText {
  /** Absolute host path. */
  readonly path: string;
  /** Content. */
  readonly text: string;
}

/** Logical lines of a file: comments and blank lines dropped, `\` continuations joined. */
export function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    if (pending === "" && /^\s*#/.test(line)) continue;
    if (/\\$/.test(line)) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    if (full !== "") out.push(full);
  }
  if (pending.trim() !== "") out.push(pending.trim());
  return out;
}

const KEYWORD = /^(auto|allow-[A-Za-z0-9_-]+|iface|mapping|source|source-directory)(\s|$)/;

/**
 * The `source` / `source-directory` arguments of a file, in order, by physical line (`^\s*source\s+(\S+)`),
 * exactly as the remote reader's `sed` finds them (../read.ts), so both readers resolve the same files.
 */
export function sourceLines(text: string): Array<{ kind: "source" | "source-directory"; arg: string }> {
  return text
    .split("\n")
    .map((l) => /^\s*(source|source-directory)\s+(\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ kind: m[1] as "source" | "source-directory", arg: m[2] }));
}

/** Parse the files (main file first, then what it sources, in reading order). */
export function parseInterfaces(files: readonly NamedText[]): NetworkFacts {
  const auto: string[] = [];
  const stanzas: Array<{ name: string; family: "inet" | "inet6"; method: string; options: Array<[string, string]>; file: string }> = [];
  for (const f of files) {
    let cur: (typeof stanzas)[number] | undefined;
    for (const line of logicalLines(f.text)) {
      const kw = KEYWORD.exec(line);
      if (kw) {
        cur = undefined;
        const words = line.split(/\s+/);
        if (kw[1] === "auto" || kw[1] === "allow-auto" || kw[1] === "allow-hotplug") {
          for (const w of words.slice(1)) if (!auto.includes(w)) auto.push(w);
        } else if (kw[1] === "iface" && words[1]) {
          const family = words[2] === "inet6" ? "inet6" : "inet";
          cur = { name: words[1], family, method: words[3] ?? "", options: [], file: f.path };
          // `iface x ipx static` or another family ifupdown2 ignores for bridges: recorded as inet only when given as inet.
          if (words[2] !== undefined && words[2] !== "inet" && words[2] !== "inet6") cur = undefined;
          if (cur) stanzas.push(cur);
        }
        continue;
      }
      if (!cur) continue;
      const m = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
      cur.options.push([m[1], (m[2] ?? "").trim()]);
    }
  }
  return { auto, stanzas: stanzas as InterfaceStanza[], files: files.map((f) => f.path) };
}

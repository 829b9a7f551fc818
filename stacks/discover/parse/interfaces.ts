/**
 * Parser of /etc/network/interfaces and the files it sources, as ifupdown2 (Proxmox VE's network
 * stack) reads them: CumulusNetworks/ifupdown2 ifupdown2/ifupdown/networkinterfaces.py
 * (`process_interfaces`, `parse_iface`, `process_source`, `process_source_directory`).
 * - continuations first: the text is split at every `\`, the pieces stripped and joined with a space;
 *   then each line is stripped, and empty lines and lines starting with `#` are skipped;
 * - keywords: `auto`, `allow-<class>`, `iface`, `vlan`, `source`, `source-directory`; every other line
 *   belongs to the `iface` / `vlan` stanza above it as `<option> <value>` (a line without a value is
 *   a parse error there and is skipped here too); options may repeat (`post-up`, `address`);
 *   values are kept as written (ifupdown2 would substitute `$IFACE`; files containing `%` would go
 *   through its template engine: neither is interpreted here);
 * - `iface <name> [inet|inet6] [method]`: ifupdown2 allows both to be left out (family "inet" and an
 *   empty method are recorded then);
 * - `source <glob>` / `source-directory <dir>` are resolved where the files are read (../probe.ts,
 *   ../root.ts), not here: this parser gets the files already in reading order.
 */
import type { InterfaceStanza, NetworkFacts } from "../facts";

/** One file: host path and text. */
export interface NamedText {
  /** Absolute host path. */
  readonly path: string;
  /** Content. */
  readonly text: string;
}

/** Logical lines of a file, as ifupdown2's `process_interfaces` sees them (continuations joined, comments dropped). */
export function logicalLines(text: string): string[] {
  const joined = text
    .split("\\")
    .map((piece) => piece.trim())
    .join(" ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

const KEYWORD = /^(auto|allow(?:-\S*)?|iface|vlan|source|source-directory)(?:\s|$)/;

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
        } else if ((kw[1] === "iface" || kw[1] === "vlan") && words[1]) {
          const family = words[2] === "inet6" ? "inet6" : "inet";
          cur = { name: words[1], family, method: words[3] ?? "", options: [], file: f.path };
          // `iface x ipx static` or another family ifupdown2 ignores for bridges: recorded as inet only when given as inet.
          if (words[2] !== undefined && words[2] !== "inet" && words[2] !== "inet6") cur = undefined;
          if (cur) stanzas.push(cur);
        }
        continue;
      }
      if (!cur) continue;
      const m = /^(\S+)\s+(.*)$/.exec(line);
      if (m) cur.options.push([m[1], m[2].trim()]);
    }
  }
  return { auto, stanzas: stanzas as InterfaceStanza[], files: files.map((f) => f.path) };
}

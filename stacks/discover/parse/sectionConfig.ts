/**
 * Parser of Proxmox "section config" files: /etc/pve/storage.cfg and /etc/pve/jobs.cfg.
 *
 * As proxmox/pve-common src/PVE/SectionConfig.pm `parse_config` reads them: `#` lines and lines of
 * whitespace only are skipped; a
 * section starts with a header `<type>: <id>` at the start of a line (`^(\S+):\s*(\S+)\s*$`, type
 * lower-cased: pve-storage `parse_section_header`, the same for jobs.cfg); its properties follow on
 * indented lines (Proxmox writes a tab) `key value` (`^\s+(\S+)(\s+(.*\S))?\s*$`), a key without a
 * value being a flag (e.g. `disable`, which `write_config` writes right after the header); an empty
 * line ends the section. A repeated key keeps the first
 * value (SectionConfig refuses the duplicate). Lines outside a section are ignored, as Proxmox does.
 */
import type { SectionFacts } from "../facts";

const HEADER = /^(\S+):\s*(\S+)\s*$/;
const PROP = /^\s+(\S+)(?:\s+(.*\S))?\s*$/;

/** Parse a section config text into its sections, in file order. */
export function parseSectionConfig(text: string): SectionFacts[] {
  const out: Array<{ type: string; id: string; props: Array<[string, string]> }> = [];
  let cur: (typeof out)[number] | undefined;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/\r$/, "");
    if (line === "") {
      cur = undefined;
      continue;
    }
    // Comment and whitespace-only lines are skipped without ending the section (`$nextline`).
    if (/^\s*(?:#|$)/.test(line)) continue;
    if (!cur) {
      const h = HEADER.exec(line);
      if (h) {
        cur = { type: h[1].toLowerCase(), id: h[2], props: [] };
        out.push(cur);
      }
      continue;
    }
    const p = PROP.exec(line);
    if (p && !cur.props.some(([k]) => k === p[1])) cur.props.push([p[1], p[2] ?? ""]);
  }
  return out;
}

/** A section id that appears again (line numbers from 1). */
export interface DuplicateSection {
  readonly id: string;
  /** Line of the later header. */
  readonly line: number;
  /** Line of the first header with that id. */
  readonly firstLine: number;
}

/**
 * Section ids that appear twice (whatever their types: SectionConfig keys its sections by id alone,
 * `$ids->{$sectionId} = $config`, so the later section silently replaces the earlier one). Headers are
 * found as {@link parseSectionConfig} finds them.
 */
export function duplicateSections(text: string): DuplicateSection[] {
  const first = new Map<string, number>();
  const out: DuplicateSection[] = [];
  let inSection = false;
  text.split("\n").forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, "");
    if (line === "") {
      inSection = false;
      return;
    }
    if (/^\s*(?:#|$)/.test(line) || inSection) return;
    const h = HEADER.exec(line);
    if (!h) return;
    inSection = true;
    const seen = first.get(h[2]);
    if (seen === undefined) first.set(h[2], i + 1);
    else out.push({ id: h[2], line: i + 1, firstLine: seen });
  });
  return out;
}

/**
 * The difference in meaning between a live host file and its render, once each side is reduced to its
 * sections' directives (order inside a section and spelling already normalised by the file's reader):
 * one line per directive the render would drop or change, one per directive it adds. Directives are a
 * multiset (a repeated line counts as often as it stands).
 */
export function sectionMeaningDiff(
  live: ReadonlyMap<string, readonly string[]>,
  rendered: ReadonlyMap<string, readonly string[]>,
  label: (section: string) => string,
): string[] {
  const out: string[] = [];
  for (const [key, lines] of live) {
    const r = rendered.get(key);
    if (r === undefined) {
      out.push(`section "${key}" (${lines.length} directives): the stack has no place for it; the render would drop it`);
      continue;
    }
    const left = [...r];
    for (const l of lines) {
      const k = left.indexOf(l);
      if (k >= 0) left.splice(k, 1);
      else out.push(`${label(key)} live "${l}" would be dropped or changed`);
    }
    for (const l of left) out.push(`${label(key)} the render adds "${l}"`);
  }
  for (const key of rendered.keys()) if (!live.has(key)) out.push(`section "${key}": the render adds it`);
  return out;
}

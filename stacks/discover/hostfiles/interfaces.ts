/**
 * /etc/network/interfaces (`network.interfacesFile: true`) read by meaning: the live file and the render of the stack
 * file reduced to the same sections, so `discover --write` names every live stanza, option, `auto` line, `source` line
 * and stanza comment the render would drop or change (closed world: nothing of the live file is left uncounted).
 *
 * What the stack can state of it (the bridges: address, ports, comment, IPv6) is already read into `network.bridges`
 * by discover's own read of the network files (../read.ts, ../cli.ts): this reader states nothing more.
 *
 * Comments: pve-manager reads `#` lines inside an iface stanza as that interface's comment (PVE/INotify.pm,
 * `__read_etc_network_interfaces`), and writes them back after the stanza's options, as the renderer does; a `#`
 * line before the first stanza is a file comment and carries no meaning.
 */
import { sectionMeaningDiff } from "./meaning";

const KEYWORD = /^(auto|allow-auto|allow-hotplug|allow-\S+|iface|vlan|source|source-directory|mapping)(?:\s|$)/;

/** Sections of one interfaces file: `auto`, `source`, and `iface <name> <family>` (method, options, comment lines). */
export function interfacesSections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: string, line: string) => {
    const l = out.get(key);
    if (l) l.push(line);
    else out.set(key, [line]);
  };
  let cur: string | undefined;
  // Continuation lines joined first (ifupdown2 `process_interfaces`), as the discover parser does.
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim().replace(/\s+/g, " ");
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (cur) add(cur, `comment ${line.slice(1).trim()}`);
      continue;
    }
    const kw = KEYWORD.exec(line);
    if (!kw) {
      if (cur) add(cur, line);
      else add("outside any stanza", line);
      continue;
    }
    cur = undefined;
    const words = line.split(" ");
    if (kw[1] === "iface" || kw[1] === "vlan") {
      const family = words[2] ?? "inet";
      cur = `iface ${words[1]} ${family}`;
      add(cur, `method ${words[3] ?? ""}`);
    } else if (kw[1].startsWith("allow") || kw[1] === "auto") {
      for (const w of words.slice(1)) add("auto", `${kw[1] === "allow-auto" ? "auto" : kw[1]} ${w}`);
    } else {
      add(kw[1] === "mapping" ? `mapping ${words.slice(1).join(" ")}` : "source", line);
    }
  }
  return out;
}

/** Differences in meaning, live vs rendered /etc/network/interfaces, one line each. */
export function interfacesMeaningDiff(live: string, rendered: string): string[] {
  return sectionMeaningDiff(interfacesSections(live), interfacesSections(rendered), (key) => `${key}:`);
}

/**
 * Parser of sysctl configuration files (/etc/sysctl.d/*.conf, /etc/sysctl.conf), per sysctl.d(5)
 * (systemd) and sysctl.conf(5) (procps): `key = value` lines; `#` and `;` start comment lines; a
 * leading `-` on the key (ignore errors) is dropped; a key whose first separator is `/` uses `/` and `.`
 * swapped (`net/ipv4/ip_forward` = `net.ipv4.ip_forward`); lines without `=` are ignored.
 */
import type { SysctlSetting } from "../facts";
import type { NamedText } from "./interfaces";

/** Normalise a sysctl key to its dotted form. */
export function normaliseSysctlKey(key: string): string {
  const k = key.replace(/^-/, "").trim();
  const firstSep = k.search(/[./]/);
  if (firstSep === -1 || k[firstSep] === ".") return k;
  return k.replace(/[./]/g, (c) => (c === "/" ? "." : "/"));
}

/** Settings of the files, in the order given (the order sysctl applies them: a later one wins). */
export function parseSysctl(files: readonly NamedText[]): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  for (const f of files) {
    for (const rawLine of f.text.split("\n")) {
      const line = rawLine.replace(/\r$/, "").trim();
      if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
      const eq = line.indexOf("=");
      if (eq <= 0) continue;
      const key = normaliseSysctlKey(line.slice(0, eq));
      if (key === "") continue;
      out.push({ file: f.path, key, value: line.slice(eq + 1).trim() });
    }
  }
  return out;
}

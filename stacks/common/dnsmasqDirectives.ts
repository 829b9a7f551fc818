import { singleLineProblem } from "./predicates";

/**
 * Directives the dnsmasq model always renders (templates/dnsmasq-bridge.conf.hbs); an extra line may
 * not repeat them. `domain`, `local` and `dhcp-host` are not here yet: the stack file has no field for
 * them, so an extra line is the only way to keep a live one (they join this set with their fields).
 */
export const DNSMASQ_OWNED_DIRECTIVES: ReadonlySet<string> = new Set([
  "interface",
  "bind-interfaces",
  "except-interface",
  "domain-needed",
  "bogus-priv",
  "dhcp-authoritative",
  "dhcp-range",
  "conf-file",
  "conf-dir",
]);

/**
 * Why `line` is not an extra dnsmasq line the model can carry, or null: one line, no NUL or line
 * break, and not a directive the model owns (state those through their fields). Shared by the stack
 * schema and the renderer; the push still checks the result with the real `dnsmasq --test`.
 */
export function dnsmasqExtraLineProblem(line: unknown): string | null {
  if (typeof line !== "string" || line.trim() === "") return `must be one non-empty dnsmasq directive such as "log-queries", got ${JSON.stringify(line)}`;
  const one = singleLineProblem(line);
  if (one !== null) return one;
  const key = line.trim().replace(/^--/, "").split("=")[0].trim();
  if (DNSMASQ_OWNED_DIRECTIVES.has(key)) {
    return `${JSON.stringify(line)} sets ${key}, which the model renders itself; state it through its field instead of an extra line`;
  }
  return null;
}

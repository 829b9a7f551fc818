/**
 * The live /etc/haproxy/haproxy.cfg read into the stack file's vocabulary, for `discover --write`:
 * per-route server options (send-proxy, check and its timings, maxconn), the global/defaults fields
 * (log targets, maxconn, timeouts) and, for every directive the model does not own, an extra line at its
 * place (`hostServices.haproxy.extraLines`). What cannot be stated (a section the model has no place
 * for, a directive the model owns with another value, a server option without a field) is reported line
 * by line by {@link haproxyMeaningDiff} against the render of the written stack file, never dropped.
 *
 * "Equal in meaning" ({@link haproxyMeaning}): the same sections with the same directives; comments,
 * whitespace, the order of directives inside a section and the order of sections do not count.
 */

import {
  DEFAULT_SERVER_OPTIONS,
  HAPROXY_OWNED,
  type HaproxySectionKind,
  haproxyDirective,
  haproxyTimeMs,
  parseServerOptions,
  serverOptionsText,
} from "../../common/haproxy";
import type { NeveModel } from "../../config/model";
import { haproxyBackendId } from "../../render/haproxy";
import { sectionMeaningDiff } from "./meaning";

/** One section of haproxy.cfg: its keyword, its name (none for global/defaults), its directives. */
export interface HaproxySection {
  /** `global`, `defaults`, `frontend`, `backend`, `listen`, ... */
  readonly kind: string;
  /** Section name ("" for global and an unnamed defaults). */
  readonly name: string;
  /** Directives in file order, comments removed, whitespace collapsed to single spaces. */
  readonly lines: readonly string[];
}

const SECTION_KEYWORDS = new Set([
  "global",
  "defaults",
  "frontend",
  "backend",
  "listen",
  "peers",
  "resolvers",
  "userlist",
  "cache",
  "program",
  "ring",
  "mailers",
  "http-errors",
]);

/** A line without its comment (a `#` outside quotes, not escaped) and with whitespace collapsed outside quotes. */
function clean(raw: string): string {
  let out = "";
  let quote: string | null = null;
  let space = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (quote === null && ch === "#" && raw[i - 1] !== "\\") break;
    if (ch === "\\" && i + 1 < raw.length) {
      if (space && out !== "") out += " ";
      space = false;
      out += ch + raw[++i];
      continue;
    }
    if (quote !== null) {
      out += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === " " || ch === "\t") {
      space = true;
      continue;
    }
    if (space && out !== "") out += " ";
    space = false;
    if (ch === '"' || ch === "'") quote = ch;
    out += ch;
  }
  return out.trim();
}

/** Parse haproxy.cfg into sections (lines before the first section are kept under kind ""). */
export function parseHaproxyConfig(text: string): HaproxySection[] {
  const out: Array<{ kind: string; name: string; lines: string[] }> = [];
  let cur: { kind: string; name: string; lines: string[] } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = clean(raw);
    if (line === "") continue;
    const [first, ...rest] = line.split(" ");
    // A section keyword starts a line at column 0 by convention, but haproxy accepts it anywhere.
    if (SECTION_KEYWORDS.has(first)) {
      cur = { kind: first, name: rest.join(" "), lines: [] };
      out.push(cur);
      continue;
    }
    if (!cur) {
      cur = { kind: "", name: "", lines: [] };
      out.push(cur);
    }
    cur.lines.push(line);
  }
  return out;
}

/** A directive as haproxy means it: times in milliseconds, so `timeout client 60s` = `timeout client 1m`. */
function lineMeaning(line: string): string {
  const w = line.split(" ");
  if (w[0] === "timeout" && w.length === 3) {
    const ms = haproxyTimeMs(w[2]);
    if (ms !== undefined) return `timeout ${w[1]} ${ms}ms`;
  }
  if (w[0] === "server" && w.length >= 3) {
    // Server options by meaning: the option words in the model's order, unknown ones after, sorted.
    const { options, unknown } = parseServerOptions(w.slice(3));
    const t: string[] = [];
    if (options.check !== false) {
      t.push("check");
      if (typeof options.check === "object") {
        const c = options.check;
        if (c.port !== undefined) t.push(`port=${c.port}`);
        if (c.inter !== undefined) t.push(`inter=${haproxyTimeMs(c.inter)}ms`);
        if (c.rise !== undefined) t.push(`rise=${c.rise}`);
        if (c.fall !== undefined) t.push(`fall=${c.fall}`);
      }
    }
    if (options.sendProxy) t.push(`send-proxy-${options.sendProxy}`);
    if (options.maxconn !== undefined) t.push(`maxconn=${options.maxconn}`);
    return [w[0], w[1], w[2], ...t, ...[...unknown].sort()].join(" ");
  }
  return line;
}

/** Meaning of a config: `kind name` -> its directives by meaning, sorted. */
export function haproxyMeaning(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of parseHaproxyConfig(text)) {
    const key = `${s.kind} ${s.name}`.trim();
    m.set(key, [...(m.get(key) ?? []), ...s.lines.map(lineMeaning)].sort());
  }
  return m;
}

/** Each difference in meaning between the live and the rendered config, one line each (empty when equal in meaning). */
export function haproxyMeaningDiff(live: string, rendered: string): string[] {
  return sectionMeaningDiff(haproxyMeaning(live), haproxyMeaning(rendered), (key) => `${key}:`);
}

/** One value discover --write sets in the stack file. */
export interface Statement {
  /** YAML path below `config` (e.g. `["neve-infra:hostServices", "haproxy", "maxconn"]`). */
  readonly path: readonly (string | number)[];
  /** The value. */
  readonly value: unknown;
  /** The choice line for the operator. */
  readonly text: string;
}

const HS = "neve-infra:hostServices";

/**
 * What the live haproxy.cfg states in the stack's vocabulary. Lines the model owns are read into their
 * fields where it has one; the others in a section the model renders become extra lines there.
 * Sections and owned directives it cannot state are left for {@link haproxyMeaningDiff} to report.
 */
export function stateHaproxy(text: string, model: NeveModel): Statement[] {
  const out: Statement[] = [];
  const sections = parseHaproxyConfig(text);
  const extra = { global: [] as string[], defaults: [] as string[], frontends: { tls_in: [] as string[], http_in: [] as string[], stats: [] as string[] } };
  const backends: Record<string, string[]> = {};
  const routeOf = new Map<string, { index: number; role: "https" | "http" }>();
  model.routes.forEach((r, index) => {
    routeOf.set(`tls_${haproxyBackendId(r.hostname)}`, { index, role: "https" });
    routeOf.set(`http_${haproxyBackendId(r.hostname)}`, { index, role: "http" });
  });
  const owned = (kind: HaproxySectionKind, l: string) => HAPROXY_OWNED[kind].includes(haproxyDirective(l));
  const hx = model.hostServices.haproxy;
  const timeouts: Record<string, string> = { ...hx.defaults.timeouts };
  let timeoutsSeen = false;
  for (const s of sections) {
    if (s.kind === "global") {
      const log = s.lines.filter((l) => haproxyDirective(l) === "log").map((l) => l.slice(4));
      if (JSON.stringify(log) !== JSON.stringify(hx.log))
        out.push({ path: [HS, "haproxy", "log"], value: log, text: `hostServices.haproxy.log: ${JSON.stringify(log)} (live global log lines)` });
      const mc = s.lines.find((l) => /^maxconn \d+$/.test(l));
      const v = mc ? Number(mc.split(" ")[1]) : undefined;
      if (v !== hx.maxconn) out.push({ path: [HS, "haproxy", "maxconn"], value: v, text: `hostServices.haproxy.maxconn: ${v ?? "(none)"} (live global)` });
      extra.global.push(...s.lines.filter((l) => !owned("global", l)));
    } else if (s.kind === "defaults") {
      for (const l of s.lines) {
        const m = /^timeout (connect|client|server|tunnel) (\S+)$/.exec(l);
        // By meaning: `60s` live and `1m` declared are the same timeout, the declared spelling stays.
        if (m && haproxyTimeMs(m[2]) !== undefined && haproxyTimeMs(m[2]) !== haproxyTimeMs(timeouts[m[1]])) {
          timeouts[m[1]] = m[2];
          timeoutsSeen = true;
        }
      }
      const mc = s.lines.find((l) => /^maxconn \d+$/.test(l));
      const v = mc ? Number(mc.split(" ")[1]) : undefined;
      if (v !== hx.defaults.maxconn)
        out.push({ path: [HS, "haproxy", "defaults", "maxconn"], value: v, text: `hostServices.haproxy.defaults.maxconn: ${v ?? "(none)"} (live defaults)` });
      extra.defaults.push(...s.lines.filter((l) => !owned("defaults", l)));
    } else if (s.kind === "frontend" && (s.name === "tls_in" || s.name === "http_in" || s.name === "stats")) {
      extra.frontends[s.name].push(...s.lines.filter((l) => !owned("frontend", l)));
    } else if (s.kind === "backend" && (routeOf.has(s.name) || s.name === "tls_no_route" || s.name === "http_no_route")) {
      const lines = s.lines.filter((l) => !owned("backend", l));
      if (lines.length) backends[s.name] = lines;
      const route = routeOf.get(s.name);
      const servers = s.lines.filter((l) => l.startsWith("server "));
      if (route && servers.length === 1) {
        const { options } = parseServerOptions(servers[0].split(" ").slice(3));
        const key = route.role === "https" ? "httpsServer" : "httpServer";
        const declared = model.routes[route.index][key];
        if (lineMeaning(`server s a ${serverOptionsText(declared ?? DEFAULT_SERVER_OPTIONS)}`) !== lineMeaning(`server s a ${serverOptionsText(options)}`)) {
          out.push({
            path: ["neve-infra:routes", route.index, key],
            value: options,
            text: `routes[${route.index}].${key}: ${JSON.stringify(options)} (live server line of ${s.name})`,
          });
        }
      }
    }
  }
  if (timeoutsSeen && JSON.stringify(timeouts) !== JSON.stringify(hx.defaults.timeouts)) {
    out.push({
      path: [HS, "haproxy", "defaults", "timeouts"],
      value: timeouts,
      text: `hostServices.haproxy.defaults.timeouts: ${JSON.stringify(timeouts)} (live defaults)`,
    });
  }
  const declaredExtra = hx.extraLines;
  const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const wantExtra = { global: extra.global, defaults: extra.defaults, frontends: extra.frontends, backends };
  const changed =
    !same(declaredExtra.global, extra.global) ||
    !same(declaredExtra.defaults, extra.defaults) ||
    (["tls_in", "http_in", "stats"] as const).some((k) => !same(declaredExtra.frontends[k], extra.frontends[k])) ||
    JSON.stringify(Object.keys(declaredExtra.backends).sort()) !== JSON.stringify(Object.keys(backends).sort()) ||
    Object.entries(backends).some(([k, v]) => !same(declaredExtra.backends[k] ?? [], v));
  if (changed) {
    const n = extra.global.length + extra.defaults.length + Object.values(extra.frontends).flat().length + Object.values(backends).flat().length;
    out.push({
      path: [HS, "haproxy", "extraLines"],
      value: wantExtra,
      text: `hostServices.haproxy.extraLines: ${n} live directives the model does not own, kept at their sections`,
    });
  }
  return out;
}

/**
 * The live /etc/haproxy/haproxy.cfg read into the stack file's vocabulary, for `discover --write`:
 * the section names (found by what each section does: the frontend that routes on SNI, the one that
 * routes on Host, the one with `stats enable`, and each route's backends through their `use_backend`),
 * the listeners, per-route server options (send-proxy, check and its timings, maxconn, ssl, backup,
 * weight, every other keyword as an extra), the global/defaults fields (log targets, maxconn, timeouts),
 * the standard lines the file lacks (`omit`), and, for every directive the model does not own, an extra
 * line at its place (`hostServices.haproxy.extraLines`). What cannot be stated (a section the model has no place
 * for, a directive the model owns with another value, a server option without a field) is reported line
 * by line by {@link haproxyMeaningDiff} against the render of the written stack file, never dropped.
 *
 * "Equal in meaning" ({@link haproxyMeaning}): the same sections with the same directives; comments,
 * whitespace, the order of directives inside a section and the order of sections do not count.
 */

import {
  bindMeaning,
  DEFAULT_SERVER_OPTIONS,
  fetchMeaning,
  HAPROXY_OWNED,
  HAPROXY_STANDARD_LINES,
  type HaproxyRole,
  type HaproxySectionKind,
  type HaproxyStandardLine,
  haproxyDirective,
  haproxyTimeMs,
  isHaproxyCredentialLine,
  parseBind,
  parseServerOptions,
  redactHaproxyCredentials,
  serverOptionsMeaning,
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

/** A directive as haproxy means it: times in milliseconds (`timeout client 60s` = `timeout client 1m`), listeners and server options by meaning, sample fetches by their current names. */
function lineMeaning(line: string): string {
  const w = line.split(" ");
  if (w[0] === "timeout" && w.length === 3) {
    const ms = haproxyTimeMs(w[2]);
    if (ms !== undefined) return `timeout ${w[1]} ${ms}ms`;
  }
  if (w[0] === "bind") return bindMeaning(w.slice(1));
  if (w[0] === "server" && w.length >= 3) {
    const b = parseBind([w[2]]);
    const addr = b ? (b.address.includes(":") ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`) : w[2];
    return [w[0], w[1], addr, ...serverOptionsMeaning(w.slice(3))].join(" ");
  }
  return fetchMeaning(line);
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

/** Each difference in meaning between the live and the rendered config, one line each (empty when equal in meaning); a password shown as `[secret]`. */
export function haproxyMeaningDiff(live: string, rendered: string): string[] {
  return sectionMeaningDiff(haproxyMeaning(live), haproxyMeaning(rendered), (key) => `${key}:`).map(redactHaproxyCredentials);
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

/** The sections of a live file by the role they play, found by what they do, not by their names. */
interface Roles {
  readonly tls?: HaproxySection;
  readonly http?: HaproxySection;
  readonly stats?: HaproxySection;
}

function findRoles(sections: readonly HaproxySection[]): Roles {
  const proxies = sections.filter((s) => s.kind === "frontend" || s.kind === "listen");
  const stats = proxies.filter((s) => s.lines.some((l) => l === "stats enable" || l.startsWith("stats uri ")));
  const rest = proxies.filter((s) => s.kind === "frontend" && !stats.includes(s));
  const tls = rest.filter((s) => s.lines.some((l) => /\breq\.ssl_(sni|hello_type)\b/.test(fetchMeaning(l))));
  const http = rest.filter((s) => !tls.includes(s) && s.lines.some((l) => l === "mode http" || /\bhdr\(host\)/.test(l)));
  const one = (xs: HaproxySection[]) => (xs.length === 1 ? xs[0] : undefined);
  return { tls: one(tls), http: one(http), stats: one(stats) };
}

const TLS_ROUTE = /^use_backend (\S+) if \{ req\.ssl_sni -i (\S+) \}$/;
const HTTP_ROUTE = /^use_backend (\S+) if \{ (req\.hdr\(host\),host_only|hdr\(host\)) -i (\S+) \}$/;

/** The model's default bind family for an address ("::" listens v6only). */
const defaultFamily = (address: string) => (address === "::" ? "v6only" : undefined);

/** The family word a bind renders with (stated, or the model's default for its address), as a list. */
function familyWords(b: { address: string; family?: string }): string[] {
  const f = b.family ?? defaultFamily(b.address);
  return f === undefined ? [] : [f];
}

/**
 * What the live haproxy.cfg states in the stack's vocabulary. Lines the model owns are read into their
 * fields where it has one; the others in a section the model renders become extra lines there.
 * Sections and owned directives it cannot state are left for {@link haproxyMeaningDiff} to report.
 */
export function stateHaproxy(text: string, model: NeveModel): Statement[] {
  const out: Statement[] = [];
  const sections = parseHaproxyConfig(text);
  const roles = findRoles(sections);
  const hx = model.hostServices.haproxy;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  // Section names: the frontends and stats by role, each route's backends by its use_backend lines.
  const names = {
    tls: roles.tls?.name ?? hx.names.tls,
    http: roles.http?.name ?? hx.names.http,
    stats: roles.stats?.name ?? hx.names.stats,
    statsSection: (roles.stats?.kind as "frontend" | "listen" | undefined) ?? hx.names.statsSection,
  };
  if (!same(names, hx.names))
    out.push({ path: [HS, "haproxy", "names"], value: names, text: `hostServices.haproxy.names: ${JSON.stringify(names)} (live section names)` });
  const tlsRoutes = new Map<string, string>();
  const httpRoutes = new Map<string, string>();
  let hostMatch: "host-only" | "header" | undefined;
  for (const l of roles.tls?.lines ?? []) {
    const m = TLS_ROUTE.exec(fetchMeaning(l));
    if (m) tlsRoutes.set(m[2].toLowerCase(), m[1]);
  }
  for (const l of roles.http?.lines ?? []) {
    const m = HTTP_ROUTE.exec(l);
    if (m) {
      httpRoutes.set(m[3].toLowerCase(), m[1]);
      hostMatch = m[2] === "hdr(host)" ? "header" : "host-only";
    }
  }
  if (hostMatch !== undefined && hostMatch !== hx.hostMatch)
    out.push({ path: [HS, "haproxy", "hostMatch"], value: hostMatch, text: `hostServices.haproxy.hostMatch: ${hostMatch} (live use_backend conditions)` });

  const byName = new Map(sections.filter((s) => s.kind === "backend").map((s) => [s.name, s]));
  const routeOf = new Map<string, { index: number; role: "https" | "http" }>();
  model.routes.forEach((r, index) => {
    const id = haproxyBackendId(r.hostname);
    const tlsName = tlsRoutes.get(r.hostname.toLowerCase()) ?? r.names?.tlsBackend ?? `tls_${id}`;
    const httpName = httpRoutes.get(r.hostname.toLowerCase()) ?? r.names?.httpBackend ?? `http_${id}`;
    routeOf.set(tlsName, { index, role: "https" });
    routeOf.set(httpName, { index, role: "http" });
    const servers = [tlsName, httpName].map((n) => byName.get(n)?.lines.filter((l) => l.startsWith("server ")) ?? []);
    const serverNames = [...new Set(servers.flat().map((l) => l.split(" ")[1]))];
    const names: Record<string, string> = {};
    if (tlsName !== `tls_${id}`) names.tlsBackend = tlsName;
    if (httpName !== `http_${id}`) names.httpBackend = httpName;
    const server = serverNames.length === 1 ? serverNames[0] : (r.names?.server ?? id);
    if (server !== id) names.server = server;
    if (!same(names, r.names ?? {}))
      out.push({
        path: ["neve-infra:routes", index, "names"],
        value: Object.keys(names).length ? names : undefined,
        text: `routes[${index}].names: ${JSON.stringify(names)} (live backends of ${r.hostname})`,
      });
  });

  // Listeners of the public frontends, when each is one address and port the model can state.
  for (const role of ["tls", "http"] as const) {
    const binds = (roles[role]?.lines ?? []).filter((l) => l.startsWith("bind ")).map((l) => parseBind(l.split(" ").slice(1)));
    if (binds.length === 0 || binds.some((b) => b === null)) continue;
    const value = binds.map((b) => {
      const x = b as NonNullable<typeof b>;
      return {
        address: x.address,
        port: x.port,
        ...(x.family !== undefined && x.family !== defaultFamily(x.address) ? { family: x.family } : {}),
        // The other options as one entry: their arity is unknown, their order is kept.
        ...(x.other.length ? { extra: [x.other.join(" ")] } : {}),
      };
    });
    const key = (bs: readonly { address: string; port: number; family?: string; extra?: readonly string[] }[]) =>
      bs.map((b) => bindMeaning([`[${b.address}]:${b.port}`, ...familyWords(b), ...(b.extra ?? []).flatMap((e) => e.trim().split(/\s+/))])).sort();
    const declared = hx.binds[role];
    if (!same(key(value), key(declared)))
      out.push({ path: [HS, "haproxy", "binds", role], value, text: `hostServices.haproxy.binds.${role}: ${JSON.stringify(value)} (live bind lines)` });
  }

  // A connection no route matches: the live frontends' default_backend (none: haproxy's own answer; a
  // route's backends: that route takes it, `fallback`).
  const tlsDefault = roles.tls?.lines.find((l) => l.startsWith("default_backend "))?.split(" ")[1];
  const httpDefault = roles.http?.lines.find((l) => l.startsWith("default_backend "))?.split(" ")[1];
  if (roles.tls || roles.http) {
    const tlsRoute = tlsDefault === undefined ? undefined : routeOf.get(tlsDefault);
    const httpRoute = httpDefault === undefined ? undefined : routeOf.get(httpDefault);
    const fallback =
      tlsRoute?.role === "https" && httpRoute?.role === "http" && tlsRoute.index === httpRoute.index ? model.routes[tlsRoute.index].hostname : undefined;
    const unrouted =
      tlsDefault === undefined && httpDefault === undefined
        ? "none"
        : (tlsDefault ?? "tls_no_route") === "tls_no_route" && (httpDefault ?? "http_no_route") === "http_no_route"
          ? "reject"
          : undefined;
    if (fallback !== hx.fallback && (fallback !== undefined || unrouted !== undefined))
      out.push({
        path: [HS, "haproxy", "fallback"],
        value: fallback,
        text: `hostServices.haproxy.fallback: ${fallback ?? "(none)"} (live default_backend lines)`,
      });
    if (unrouted !== undefined && unrouted !== hx.unrouted)
      out.push({ path: [HS, "haproxy", "unrouted"], value: unrouted, text: `hostServices.haproxy.unrouted: ${unrouted} (live default_backend lines)` });
  }

  // Standard lines: left out where the live section lacks the line (by meaning).
  const sectionOf: Record<HaproxyRole, HaproxySection | undefined> = {
    global: sections.find((s) => s.kind === "global"),
    defaults: sections.find((s) => s.kind === "defaults"),
    tls: roles.tls,
    http: roles.http,
    stats: roles.stats,
  };
  const omit = (Object.entries(HAPROXY_STANDARD_LINES) as [HaproxyStandardLine, (typeof HAPROXY_STANDARD_LINES)[HaproxyStandardLine]][])
    .filter(([, std]) => {
      const sec = sectionOf[std.role];
      return sec !== undefined && !sec.lines.some((l) => lineMeaning(l) === lineMeaning(std.line));
    })
    .map(([k]) => k);
  if (!same([...omit].sort(), [...hx.omit].sort()))
    out.push({ path: [HS, "haproxy", "omit"], value: omit, text: `hostServices.haproxy.omit: ${JSON.stringify(omit)} (standard lines the live file lacks)` });
  // A line equal to a standard line the render keeps is the model's own, not an extra line.
  const isKeptStandard = (role: HaproxyRole, l: string) =>
    (Object.entries(HAPROXY_STANDARD_LINES) as [HaproxyStandardLine, { role: HaproxyRole; line: string }][]).some(
      ([k, std]) => std.role === role && !omit.includes(k) && lineMeaning(std.line) === lineMeaning(l),
    );
  const extraOf = (role: HaproxyRole, kind: HaproxySectionKind, lines: readonly string[]) =>
    // A line with a password is never stated (the stack file is plain text): left, so it counts.
    lines.filter((l) => !HAPROXY_OWNED[kind].includes(haproxyDirective(l)) && !isKeptStandard(role, l) && !isHaproxyCredentialLine(l));

  const extra = { global: [] as string[], defaults: [] as string[], frontends: { tls_in: [] as string[], http_in: [] as string[], stats: [] as string[] } };
  const backends: Record<string, string[]> = {};
  const timeouts: Record<string, string | null> = { ...hx.defaults.timeouts };
  let timeoutsSeen = false;
  for (const s of sections) {
    if (s.kind === "global") {
      const log = s.lines.filter((l) => haproxyDirective(l) === "log").map((l) => l.slice(4));
      if (!same(log, hx.log))
        out.push({ path: [HS, "haproxy", "log"], value: log, text: `hostServices.haproxy.log: ${JSON.stringify(log)} (live global log lines)` });
      const mc = s.lines.find((l) => /^maxconn \d+$/.test(l));
      const v = mc ? Number(mc.split(" ")[1]) : undefined;
      if (v !== hx.maxconn) out.push({ path: [HS, "haproxy", "maxconn"], value: v, text: `hostServices.haproxy.maxconn: ${v ?? "(none)"} (live global)` });
      extra.global.push(...extraOf("global", "global", s.lines));
    } else if (s.kind === "defaults") {
      for (const k of ["connect", "client", "server", "tunnel"] as const) {
        const l = s.lines.find((x) => x.startsWith(`timeout ${k} `));
        const live = l?.split(" ")[2];
        if (live !== undefined && haproxyTimeMs(live) === undefined) continue;
        // By meaning: `60s` live and `1m` declared are the same timeout, the declared spelling stays.
        const declared = timeouts[k];
        if (live === undefined ? declared !== null : declared === null || haproxyTimeMs(live) !== haproxyTimeMs(declared)) {
          timeouts[k] = live ?? null;
          timeoutsSeen = true;
        }
      }
      const mc = s.lines.find((l) => /^maxconn \d+$/.test(l));
      const v = mc ? Number(mc.split(" ")[1]) : undefined;
      if (v !== hx.defaults.maxconn)
        out.push({ path: [HS, "haproxy", "defaults", "maxconn"], value: v, text: `hostServices.haproxy.defaults.maxconn: ${v ?? "(none)"} (live defaults)` });
      extra.defaults.push(...extraOf("defaults", "defaults", s.lines));
    } else if (s === roles.tls) extra.frontends.tls_in.push(...extraOf("tls", "frontend", s.lines));
    else if (s === roles.http) extra.frontends.http_in.push(...extraOf("http", "frontend", s.lines));
    else if (s === roles.stats) extra.frontends.stats.push(...extraOf("stats", "frontend", s.lines));
    else if (s.kind === "backend" && (routeOf.has(s.name) || s.name === "tls_no_route" || s.name === "http_no_route")) {
      const lines = s.lines.filter((l) => !HAPROXY_OWNED.backend.includes(haproxyDirective(l)));
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
  if (timeoutsSeen && !same(timeouts, hx.defaults.timeouts)) {
    out.push({
      path: [HS, "haproxy", "defaults", "timeouts"],
      value: timeouts,
      text: `hostServices.haproxy.defaults.timeouts: ${JSON.stringify(timeouts)} (live defaults)`,
    });
  }
  const declaredExtra = hx.extraLines;
  const sameSet = (a: readonly string[], b: readonly string[]) => same([...a].sort(), [...b].sort());
  const wantExtra = { global: extra.global, defaults: extra.defaults, frontends: extra.frontends, backends };
  const changed =
    !sameSet(declaredExtra.global, extra.global) ||
    !sameSet(declaredExtra.defaults, extra.defaults) ||
    (["tls_in", "http_in", "stats"] as const).some((k) => !sameSet(declaredExtra.frontends[k], extra.frontends[k])) ||
    !same(Object.keys(declaredExtra.backends).sort(), Object.keys(backends).sort()) ||
    Object.entries(backends).some(([k, v]) => !sameSet(declaredExtra.backends[k] ?? [], v));
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

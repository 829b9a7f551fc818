/**
 * haproxy.cfg vocabulary shared by the stack schema (stacks/config), the renderer (stacks/render/haproxy.ts)
 * and discover's reader of the live file (stacks/discover/hostfiles/haproxy.ts): one predicate per rule.
 *
 * - which directives the model owns in each section (an escape-hatch line may not restate them);
 * - haproxy's time format (`5s`, `1m`, `30000` = milliseconds), compared by meaning;
 * - the server options the model states (`send-proxy`, `send-proxy-v2`, `check`, `port`, `inter`,
 *   `rise`, `fall`, `maxconn`), their text and their parse.
 */

/** A section kind of haproxy.cfg the model renders. */
export type HaproxySectionKind = "global" | "defaults" | "frontend" | "backend";

/** Keywords whose first two words name the directive (`option httplog`, `timeout client`, `stats uri`). */
const TWO_WORD = new Set([
  "option",
  "no",
  "timeout",
  "stats",
  "tcp-request",
  "http-request",
  "http-response",
  "tcp-response",
  "tune",
  "ssl-default-bind-options",
]);

/**
 * The directive a config line states, for ownership: the first word, or the first two for the keywords
 * that take a sub-keyword (`timeout connect`, `option tcplog`, `stats socket`, `no option x` -> `option x`).
 */
export function haproxyDirective(line: string): string {
  const w = line.trim().split(/\s+/);
  if (w[0] === "no" && w[1] === "option") return `option ${w[2] ?? ""}`.trim();
  if (TWO_WORD.has(w[0]) && w.length > 1) return `${w[0]} ${w[1]}`;
  return w[0] ?? "";
}

/**
 * Directives the model renders in each section kind: stating one of them as an extra line would give
 * haproxy two answers (or silently override the model), so an extra line naming one is refused. State
 * the value through its field instead.
 */
export const HAPROXY_OWNED: Readonly<Record<HaproxySectionKind, readonly string[]>> = {
  global: ["log", "chroot", "stats socket", "stats timeout", "user", "group", "daemon", "maxconn"],
  defaults: ["log", "mode", "option dontlognull", "timeout connect", "timeout client", "timeout server", "timeout tunnel", "maxconn"],
  frontend: [
    "mode",
    "bind",
    "option tcplog",
    "option httplog",
    "option forwardfor",
    "tcp-request inspect-delay",
    "tcp-request content",
    "timeout http-request",
    "use_backend",
    "default_backend",
    "stats enable",
    "stats uri",
    "stats refresh",
    "stats show-legends",
  ],
  backend: ["mode", "server", "tcp-request content", "http-request return"],
};

/** The field that states an owned directive, for the refusal's fix. */
const OWNER_FIELD: Readonly<Record<string, string>> = {
  maxconn: "hostServices.haproxy.maxconn (global) or hostServices.haproxy.defaults.maxconn",
  log: "hostServices.haproxy.log",
  "timeout connect": "hostServices.haproxy.defaults.timeouts.connect",
  "timeout client": "hostServices.haproxy.defaults.timeouts.client",
  "timeout server": "hostServices.haproxy.defaults.timeouts.server",
  "timeout tunnel": "hostServices.haproxy.defaults.timeouts.tunnel",
  server: "the route's httpsServer / httpServer options (send-proxy, check, maxconn)",
  bind: "the routes and hostServices.haproxy.statsPort",
  use_backend: "routes",
  default_backend: "routes",
};

/**
 * Why `line` cannot be an extra line of a `kind` section, or null: it must be one line (no newline,
 * NUL or other control character), not empty, not a section header or comment, and not a directive
 * the model owns there ({@link HAPROXY_OWNED}). The renderer, the schema and discover all ask this.
 */
export function haproxyExtraLineProblem(kind: HaproxySectionKind, line: unknown): string | null {
  if (typeof line !== "string") return `must be a line of text, got ${JSON.stringify(line)}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line))
    return `${JSON.stringify(line)} contains a line break, NUL or another control character; give one directive per line`;
  const t = line.trim();
  if (t === "") return "is empty; leave the line out";
  if (t.startsWith("#")) return `${JSON.stringify(line)} is a comment; extra lines are directives (comments are not kept)`;
  const d = haproxyDirective(t);
  if (["global", "defaults", "frontend", "backend", "listen", "peers", "resolvers", "userlist", "cache", "program", "ring", "mailers"].includes(d)) {
    return `${JSON.stringify(line)} opens a section; extra lines belong inside the section they are listed under`;
  }
  if (HAPROXY_OWNED[kind].includes(d)) {
    const field = OWNER_FIELD[d];
    return `${JSON.stringify(t)}: "${d}" in a ${kind} section is rendered by the model; ${field ? `state it through ${field}` : "it cannot be restated as an extra line"}`;
  }
  return null;
}

/** haproxy's time format: an integer with an optional unit (us, ms, s, m, h, d); no unit = milliseconds. */
const TIME = /^(\d+)(us|ms|s|m|h|d)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Why `s` is not a haproxy time such as "5s", "1m" or "30000" (milliseconds), or null. */
export function haproxyTimeProblem(s: unknown): string | null {
  return typeof s === "string" && TIME.test(s) ? null : `must be a haproxy time such as "5s", "1m", "1h" or "30000" (milliseconds), got ${JSON.stringify(s)}`;
}

/** Milliseconds of a haproxy time ("1m" -> 60000), or undefined when it is not one. */
export function haproxyTimeMs(s: string): number | undefined {
  const m = TIME.exec(s);
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? "ms"] : undefined;
}

/** Health check of a server: `check`, with its own port and timings when given. */
export interface HaproxyCheck {
  /** Port the check connects to (`port N`); defaults to the server's port. */
  readonly port?: number;
  /** Interval between checks (`inter`), a haproxy time such as "5s"; haproxy's default is 2s. */
  readonly inter?: string;
  /** Consecutive successes that mark the server up (`rise`); haproxy's default is 2. */
  readonly rise?: number;
  /** Consecutive failures that mark the server down (`fall`); haproxy's default is 3. */
  readonly fall?: number;
}

/** Options of the one server line of a route's backend. */
export interface HaproxyServerOptions {
  /** PROXY protocol header to the guest: `v1` (send-proxy) or `v2` (send-proxy-v2). Omitted: none. */
  readonly sendProxy?: "v1" | "v2";
  /** Health check: true (plain `check`), false (none), or the check's port and timings. */
  readonly check: boolean | HaproxyCheck;
  /** Per-server connection limit (`maxconn`). Omitted: none. */
  readonly maxconn?: number;
}

/** The renderer's default server options: a plain `check` (what the model rendered before it had options). */
export const DEFAULT_SERVER_OPTIONS: HaproxyServerOptions = { check: true };

/** The option words of a server line for `o`, in a fixed order (`check port 443 inter 5s send-proxy-v2`). */
export function serverOptionsText(o: HaproxyServerOptions): string {
  const w: string[] = [];
  if (o.check !== false) {
    w.push("check");
    if (typeof o.check === "object") {
      if (o.check.port !== undefined) w.push("port", String(o.check.port));
      if (o.check.inter !== undefined) w.push("inter", o.check.inter);
      if (o.check.rise !== undefined) w.push("rise", String(o.check.rise));
      if (o.check.fall !== undefined) w.push("fall", String(o.check.fall));
    }
  }
  if (o.sendProxy === "v1") w.push("send-proxy");
  if (o.sendProxy === "v2") w.push("send-proxy-v2");
  if (o.maxconn !== undefined) w.push("maxconn", String(o.maxconn));
  return w.join(" ");
}

/** {@link parseServerOptions}'s result: the options stated, and the words the model cannot state. */
export interface ParsedServerOptions {
  /** Options the model states. */
  readonly options: HaproxyServerOptions;
  /** Option words (with their arguments) the model has no field for, e.g. `["ssl verify none"]`. */
  readonly unknown: readonly string[];
}

const INT_ARG = /^\d+$/;

/** The options after `server NAME ADDR:PORT`, as the model states them; words it cannot state are returned apart. */
export function parseServerOptions(words: readonly string[]): ParsedServerOptions {
  let check = false;
  const c: { port?: number; inter?: string; rise?: number; fall?: number } = {};
  let sendProxy: "v1" | "v2" | undefined;
  let maxconn: number | undefined;
  const unknown: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const arg = words[i + 1];
    if (w === "check") check = true;
    else if (w === "send-proxy") sendProxy = "v1";
    else if (w === "send-proxy-v2") sendProxy = "v2";
    else if ((w === "port" || w === "rise" || w === "fall" || w === "maxconn") && arg !== undefined && INT_ARG.test(arg)) {
      if (w === "maxconn") maxconn = Number(arg);
      else c[w] = Number(arg);
      i++;
    } else if (w === "inter" && arg !== undefined && haproxyTimeProblem(arg) === null) {
      c.inter = arg;
      i++;
    } else {
      // An unknown keyword takes its argument with it when the next word is not a known keyword.
      const known = ["check", "send-proxy", "send-proxy-v2", "port", "inter", "rise", "fall", "maxconn"];
      if (arg !== undefined && !known.includes(arg) && !["backup", "ssl", "disabled", "no-check", "check-ssl"].includes(w)) {
        unknown.push(`${w} ${arg}`);
        i++;
      } else unknown.push(w);
    }
  }
  const timings = Object.keys(c).length > 0;
  // `port`/`inter`/... without `check` do nothing in haproxy: they are not stated.
  const options: HaproxyServerOptions = {
    check: check ? (timings ? c : true) : false,
    ...(sendProxy ? { sendProxy } : {}),
    ...(maxconn !== undefined ? { maxconn } : {}),
  };
  if (!check && timings) unknown.push(...Object.entries(c).map(([k, v]) => `${k} ${v} (without check)`));
  return { options, unknown };
}

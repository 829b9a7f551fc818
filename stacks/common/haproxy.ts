/**
 * haproxy.cfg vocabulary shared by the stack schema (stacks/config), the renderer (stacks/render/haproxy.ts)
 * and discover's reader of the live file (stacks/discover/hostfiles/haproxy.ts): one predicate per rule.
 *
 * - which directives the model owns in each section (an escape-hatch line may not restate them);
 * - haproxy's time format (`5s`, `1m`, `30000` = milliseconds), compared by meaning;
 * - the server options the model states (`send-proxy`, `send-proxy-v2`, `check`, `port`, `inter`,
 *   `rise`, `fall`, `maxconn`), their text and their parse.
 */

import * as ipaddr from "ipaddr.js";

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
  global: ["log", "chroot", "stats socket", "user", "group", "daemon", "maxconn"],
  defaults: ["log", "timeout connect", "timeout client", "timeout server", "timeout tunnel", "maxconn"],
  frontend: ["mode", "bind", "tcp-request inspect-delay", "tcp-request content", "use_backend", "default_backend", "stats enable", "stats uri"],
  backend: ["mode", "server", "tcp-request content", "http-request return"],
};

/** A section of the rendered file by its role (the frontends and the stats section may carry other names). */
export type HaproxyRole = "global" | "defaults" | "tls" | "http" | "stats";

/** The section kind whose directives a role's section takes. */
export const ROLE_KIND: Readonly<Record<HaproxyRole, HaproxySectionKind>> = {
  global: "global",
  defaults: "defaults",
  tls: "frontend",
  http: "frontend",
  stats: "frontend",
};

/**
 * Standard directives the model renders by default that a hand-written file may lack (or carry with
 * another value): each can be left out through `hostServices.haproxy.omit`, and once left out, an extra
 * line of that section may state it with the live value. The key is the stack file's spelling.
 */
export const HAPROXY_STANDARD_LINES = {
  "global: stats timeout": { role: "global", line: "stats timeout 30s", flag: "globalStatsTimeout" },
  "defaults: mode": { role: "defaults", line: "mode tcp", flag: "defaultsMode" },
  "defaults: option dontlognull": { role: "defaults", line: "option dontlognull", flag: "defaultsDontlognull" },
  "tls: option tcplog": { role: "tls", line: "option tcplog", flag: "tlsTcplog" },
  "http: option httplog": { role: "http", line: "option httplog", flag: "httpHttplog" },
  "http: option forwardfor": { role: "http", line: "option forwardfor", flag: "httpForwardfor" },
  "http: timeout http-request": { role: "http", line: "timeout http-request 10s", flag: "httpRequestTimeout" },
  "stats: stats refresh": { role: "stats", line: "stats refresh 10s", flag: "statsRefresh" },
  "stats: stats show-legends": { role: "stats", line: "stats show-legends", flag: "statsShowLegends" },
} as const satisfies Record<string, { role: HaproxyRole; line: string; flag: string }>;

/** A standard directive that `omit` can leave out, e.g. `"defaults: option dontlognull"`. */
export type HaproxyStandardLine = keyof typeof HAPROXY_STANDARD_LINES;

/** Every {@link HaproxyStandardLine}, for the schema's closed set. */
export const HAPROXY_STANDARD_KEYS = Object.keys(HAPROXY_STANDARD_LINES) as [HaproxyStandardLine, ...HaproxyStandardLine[]];

/**
 * Why an extra line of the `role` section clashes with a standard line the model still renders there
 * (both would state the directive), or null. The fix: leave the standard line out through `omit`.
 */
export function standardLineClash(role: HaproxyRole, line: string, omit: readonly string[]): string | null {
  const d = haproxyDirective(line);
  for (const [key, std] of Object.entries(HAPROXY_STANDARD_LINES)) {
    if (std.role === role && haproxyDirective(std.line) === d && !omit.includes(key))
      return `${JSON.stringify(line.trim())} restates the model's "${std.line}"; add "${key}" to hostServices.haproxy.omit to state it this way`;
  }
  return null;
}

/** Why `s` is not a haproxy proxy name (frontend, backend, listen, server), or null: letters, digits, "-", "_", "." and ":" (haproxy src/tools.c `invalid_char`). */
export function haproxyNameProblem(s: unknown): string | null {
  return typeof s === "string" && /^[A-Za-z0-9_.:-]+$/.test(s)
    ? null
    : `must be a haproxy name of letters, digits, "-", "_", "." and ":" such as tls_cipher_example_com, got ${JSON.stringify(s)}`;
}

/** The field that states an owned directive, for the refusal's fix. */
const OWNER_FIELD: Readonly<Record<string, string>> = {
  maxconn: "hostServices.haproxy.maxconn (global) or hostServices.haproxy.defaults.maxconn",
  log: "hostServices.haproxy.log",
  "timeout connect": "hostServices.haproxy.defaults.timeouts.connect",
  "timeout client": "hostServices.haproxy.defaults.timeouts.client",
  "timeout server": "hostServices.haproxy.defaults.timeouts.server",
  "timeout tunnel": "hostServices.haproxy.defaults.timeouts.tunnel",
  server: "the route's httpsServer / httpServer options (sendProxy, check, maxconn, ssl, backup, weight, extra)",
  mode: "the section itself (frontends and backends render their own mode)",
  bind: "the routes and hostServices.haproxy.statsPort",
  use_backend: "routes",
  default_backend: "routes",
};

/**
 * haproxy directives carrying a password: `stats auth <user>:<passwd>` and a userlist's
 * `user <name> [password|insecure-password <password>]` (haproxy doc/configuration.txt, "stats auth"
 * and section 3.4 "Userlists", haproxy/haproxy@732eac41f4a8). A password must never be written to the
 * stack file (extra lines are plain text) nor printed.
 */
const CREDENTIALS = [/^(\s*stats\s+auth\s+[^:\s"]*:)([^\s"]+)/i, /^(\s*user\s+\S+\s+(?:insecure-)?password\s+)([^\s"]+)/i];

/** True when `line` is a directive carrying a password ({@link CREDENTIALS}). */
export function isHaproxyCredentialLine(line: string): boolean {
  return CREDENTIALS.some((c) => c.test(line));
}

/** `s` with the password of a credential directive at its start replaced by `[secret]`, or undefined. */
function redactLine(s: string): string | undefined {
  const c = CREDENTIALS.find((x) => x.test(s));
  return c ? s.replace(c, "$1[secret]") : undefined;
}

/** `text` (a file, a diff, a report line) with the password of each credential directive replaced by `[secret]`. */
export function redactHaproxyCredentials(text: string): string {
  return text
    .split("\n")
    .map((l) => {
      const lead = /^[-+ ]?/.exec(l)?.[0] ?? "";
      const body = l.slice(lead.length);
      // A line of a file or a diff, or a report line quoting one (`live "stats auth ..." would be dropped`).
      const quoted = /^(.*?")(.*)$/.exec(body);
      const whole = redactLine(body);
      if (whole !== undefined) return lead + whole;
      const inQuote = quoted ? redactLine(quoted[2]) : undefined;
      return quoted && inQuote !== undefined ? lead + quoted[1] + inQuote : l;
    })
    .join("\n");
}

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
  if (isHaproxyCredentialLine(t))
    return `"${redactHaproxyCredentials(t)}" carries a password, and the stack file keeps extra lines in plain text; leave it out (the stats page then has no login: acknowledge the file if that is acceptable)`;
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

/** TLS to the server (`ssl`), for a guest that expects haproxy to speak TLS to it. */
export interface HaproxyServerSsl {
  /** Certificate verification (`verify none|required`). Omitted: haproxy's default (required, unless global `ssl-server-verify none`). */
  readonly verify?: "none" | "required";
  /** SNI sent to the server (`sni EXPR`), a sample expression such as `str(cipher.example.com)` or `req.ssl_sni`. Omitted: none. */
  readonly sni?: string;
  /** CA bundle that verifies the server (`ca-file PATH`). Omitted: none. */
  readonly caFile?: string;
}

/** Options of the one server line of a route's backend. */
export interface HaproxyServerOptions {
  /** PROXY protocol header to the guest: `v1` (send-proxy) or `v2` (send-proxy-v2). Omitted: none. */
  readonly sendProxy?: "v1" | "v2";
  /** Health check: true (plain `check`), false (none), or the check's port and timings. */
  readonly check: boolean | HaproxyCheck;
  /** Per-server connection limit (`maxconn`). Omitted: none. */
  readonly maxconn?: number;
  /** TLS to the server (`ssl` with `verify`, `sni`, `ca-file`). Omitted: plain TCP. */
  readonly ssl?: HaproxyServerSsl;
  /** A backup server (`backup`): used only when no other server of the backend is up. Omitted: false. */
  readonly backup?: boolean;
  /** Load-balancing weight (`weight N`, 0-256). Omitted: haproxy's 1. */
  readonly weight?: number;
  /**
   * The escape hatch: server keywords the model has no field for, each a keyword with its arguments
   * (`on-marked-down shutdown-sessions`, `resolvers dns`), rendered after the typed options and checked
   * by the real `haproxy -c` at the push. Each is checked by {@link serverExtraProblem}. Omitted: none.
   */
  readonly extra?: readonly string[];
}

/** The renderer's default server options: a plain `check` (what the model rendered before it had options). */
export const DEFAULT_SERVER_OPTIONS: HaproxyServerOptions = { check: true };

/** Server keywords with a typed field (an extra keyword may not restate one). */
export const TYPED_SERVER_KEYWORDS: readonly string[] = [
  "check",
  "port",
  "inter",
  "rise",
  "fall",
  "send-proxy",
  "send-proxy-v2",
  "maxconn",
  "ssl",
  "verify",
  "sni",
  "ca-file",
  "backup",
  "weight",
];

/** One word of a haproxy config line: no white space, quote, `#` or control character. */
const WORD = /^[^\s"'#\\\u0000-\u001f\u007f]+$/;

/** Why `s` is not one extra server keyword with its arguments (`on-marked-down shutdown-sessions`), or null. */
export function serverExtraProblem(s: unknown): string | null {
  if (typeof s !== "string") return `must be a server keyword with its arguments, got ${JSON.stringify(s)}`;
  const words = s.trim().split(/\s+/);
  if (s.trim() === "") return "is empty; leave it out";
  const bad = words.find((w) => !WORD.test(w));
  if (bad !== undefined) return `${JSON.stringify(s)}: ${JSON.stringify(bad)} is not a plain word (no quotes, "#", backslash or control characters)`;
  if (TYPED_SERVER_KEYWORDS.includes(words[0]))
    return `${JSON.stringify(s)}: "${words[0]}" has its own field (check, sendProxy, maxconn, ssl, backup, weight); state it there`;
  return null;
}

/** Why `s` is not a single word (an sni expression, a path) of a server line, or null. */
export function serverWordProblem(s: unknown): string | null {
  return typeof s === "string" && WORD.test(s) ? null : `must be one word without spaces, quotes or "#", got ${JSON.stringify(s)}`;
}

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
  if (o.ssl !== undefined) {
    w.push("ssl");
    if (o.ssl.verify !== undefined) w.push("verify", o.ssl.verify);
    if (o.ssl.sni !== undefined) w.push("sni", o.ssl.sni);
    if (o.ssl.caFile !== undefined) w.push("ca-file", o.ssl.caFile);
  }
  if (o.backup === true) w.push("backup");
  if (o.weight !== undefined) w.push("weight", String(o.weight));
  for (const e of o.extra ?? []) w.push(...e.trim().split(/\s+/));
  return w.join(" ");
}

/** {@link parseServerOptions}'s result: the options stated, and the words the model cannot state. */
export interface ParsedServerOptions {
  /** Options the model states, the unknown keywords in `extra`. */
  readonly options: HaproxyServerOptions;
  /** Words that no field, typed or extra, can state (a typed keyword with a bad argument), e.g. `["weight x"]`. */
  readonly unknown: readonly string[];
}

const INT_ARG = /^\d+$/;

/**
 * The options after `server NAME ADDR:PORT`, as the model states them: typed keywords into their fields,
 * every other keyword with the words after it (up to the next typed keyword) into `extra`, in order.
 */
export function parseServerOptions(words: readonly string[]): ParsedServerOptions {
  let check = false;
  const c: { port?: number; inter?: string; rise?: number; fall?: number } = {};
  let sendProxy: "v1" | "v2" | undefined;
  let maxconn: number | undefined;
  let weight: number | undefined;
  let backup = false;
  let ssl: { verify?: "none" | "required"; sni?: string; caFile?: string } | undefined;
  const sslArgs: { verify?: "none" | "required"; sni?: string; caFile?: string } = {};
  const extra: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const arg = words[i + 1];
    if (w === "check") check = true;
    else if (w === "send-proxy") sendProxy = "v1";
    else if (w === "send-proxy-v2") sendProxy = "v2";
    else if (w === "ssl") ssl = {};
    else if (w === "backup") backup = true;
    else if ((w === "port" || w === "rise" || w === "fall" || w === "maxconn" || w === "weight") && arg !== undefined && INT_ARG.test(arg)) {
      if (w === "maxconn") maxconn = Number(arg);
      else if (w === "weight") weight = Number(arg);
      else c[w] = Number(arg);
      i++;
    } else if (w === "inter" && arg !== undefined && haproxyTimeProblem(arg) === null) {
      c.inter = arg;
      i++;
    } else if (w === "verify" && (arg === "none" || arg === "required")) {
      sslArgs.verify = arg;
      i++;
    } else if ((w === "sni" || w === "ca-file") && arg !== undefined && serverWordProblem(arg) === null) {
      sslArgs[w === "sni" ? "sni" : "caFile"] = arg;
      i++;
    } else if (TYPED_SERVER_KEYWORDS.includes(w)) {
      unknown.push(arg !== undefined && !TYPED_SERVER_KEYWORDS.includes(arg) ? `${w} ${words[++i]}` : w);
    } else {
      // An unknown keyword takes the words after it up to the next typed keyword.
      const g = [w];
      while (i + 1 < words.length && !TYPED_SERVER_KEYWORDS.includes(words[i + 1])) g.push(words[++i]);
      extra.push(g.join(" "));
    }
  }
  const timings = Object.keys(c).length > 0;
  const sslFields = Object.keys(sslArgs).length > 0;
  // `port`/`inter`/... without `check` and `verify`/`sni`/`ca-file` without `ssl` do nothing in haproxy: not stated.
  const options: HaproxyServerOptions = {
    check: check ? (timings ? c : true) : false,
    ...(sendProxy ? { sendProxy } : {}),
    ...(maxconn !== undefined ? { maxconn } : {}),
    ...(ssl ? { ssl: sslArgs } : {}),
    ...(backup ? { backup } : {}),
    ...(weight !== undefined ? { weight } : {}),
    ...(extra.length ? { extra } : {}),
  };
  if (!check && timings) unknown.push(...Object.entries(c).map(([k, v]) => `${k} ${v} (without check)`));
  if (!ssl && sslFields) unknown.push(...Object.entries(sslArgs).map(([k, v]) => `${k === "caFile" ? "ca-file" : k} ${v} (without ssl)`));
  return { options, unknown };
}

/**
 * A server line's options by meaning: the typed options in a fixed order (times in milliseconds, haproxy
 * reads server keywords in any order), then the words of the extra keywords as one sequence in their
 * order (their arity is unknown to the model, so `resolvers dns check init-addr none` and `check
 * resolvers dns init-addr none` are equal, while two extra keywords swapped count as a difference: never
 * equal by mistake), then the words no field can state, sorted.
 */
export function serverOptionsMeaning(words: readonly string[]): string[] {
  const { options, unknown } = parseServerOptions(words);
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
  if (options.ssl) {
    t.push("ssl");
    if (options.ssl.verify) t.push(`verify=${options.ssl.verify}`);
    if (options.ssl.sni) t.push(`sni=${options.ssl.sni}`);
    if (options.ssl.caFile) t.push(`ca-file=${options.ssl.caFile}`);
  }
  if (options.backup) t.push("backup");
  if (options.weight !== undefined) t.push(`weight=${options.weight}`);
  const extra = (options.extra ?? []).join(" ");
  return [...t, ...(extra ? [extra] : []), ...[...unknown].sort()];
}

/** A `bind` line the model can state: one address and port, dual-stack (`v4v6`) or not. */
export interface ParsedBind {
  /** The address, canonical ("0.0.0.0" for an empty or `*` address, "::" for `[::]` or `:::443`). */
  readonly address: string;
  /** The port. */
  readonly port: number;
  /** `v4v6`: an IPv6 wildcard that takes IPv4 too; `v6only`: IPv6 only; none: the system's default. */
  readonly family?: "v4v6" | "v6only";
  /** Bind options the model has no field for (`ssl crt ...`, `interface eth0`). */
  readonly other: readonly string[];
}

/**
 * The words after `bind`, or null when they are not one `ADDR:PORT` (a port range, a list, a unix socket).
 * haproxy splits the port at the last colon (src/tools.c `str2sa_range`): `:::443` and `[::]:443` are
 * the same listener, and an empty or `*` address is every IPv4 address.
 */
export function parseBind(words: readonly string[]): ParsedBind | null {
  const a = words[0];
  if (a === undefined) return null;
  const m = /^(?:\[([^\]]*)\]|(.*)):(\d+)$/.exec(a);
  if (!m) return null;
  let addr = m[1] ?? m[2];
  if (addr === "" || addr === "*") addr = "0.0.0.0";
  let canonical: string;
  try {
    canonical = ipaddr.parse(addr).toString();
  } catch {
    return null;
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  const rest = words.slice(1);
  const fam = rest.filter((w) => w === "v4v6" || w === "v6only");
  return {
    address: canonical,
    port,
    ...(fam.length ? { family: fam.at(-1) as "v4v6" | "v6only" } : {}),
    other: rest.filter((w) => w !== "v4v6" && w !== "v6only"),
  };
}

/**
 * A bind line by meaning: `bind [::]:443 v4v6` for `bind :::443 v4v6` and `bind [::]:443 v4v6` alike; the
 * other options as one word sequence in their order (their arity is unknown to the model).
 */
export function bindMeaning(words: readonly string[]): string {
  const b = parseBind(words);
  if (b === null) return ["bind", ...words].join(" ");
  const host = b.address.includes(":") ? `[${b.address}]` : b.address;
  return ["bind", `${host}:${b.port}`, ...(b.family ? [b.family] : []), ...b.other].join(" ");
}

/** Why `s` is not one extra bind option with its arguments (`accept-proxy`, `interface eth0`), or null. */
export function bindExtraProblem(s: unknown): string | null {
  if (typeof s !== "string" || s.trim() === "") return `must be a bind option with its arguments, got ${JSON.stringify(s)}`;
  const words = s.trim().split(/\s+/);
  const bad = words.find((w) => !WORD.test(w));
  if (bad !== undefined) return `${JSON.stringify(s)}: ${JSON.stringify(bad)} is not a plain word (no quotes, "#", backslash or control characters)`;
  if (words.includes("v4v6") || words.includes("v6only")) return `${JSON.stringify(s)}: v4v6 / v6only have their own field, family`;
  return null;
}

/**
 * Sample fetches haproxy knows under two names: haproxy src/payload.c (`smp_kws`, at 00f0084) registers
 * `req_ssl_hello_type` and `req_ssl_sni` with the same fetch functions as `req.ssl_hello_type` and `req.ssl_sni`.
 */
const FETCH_ALIASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\breq_ssl_hello_type\b/g, "req.ssl_hello_type"],
  [/\breq_ssl_sni\b/g, "req.ssl_sni"],
];

/** A condition with its sample fetches under their current names. */
export function fetchMeaning(line: string): string {
  return FETCH_ALIASES.reduce((l, [re, to]) => l.replace(re, to), line);
}

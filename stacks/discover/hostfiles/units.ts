/**
 * The live noVNC units (websockify's ExecStart options) and the certificate fix-up unit and timer read
 * into the stack's vocabulary, and compared by meaning with the render: systemd unit files as sections
 * of `Key=Value` (comments, blank lines, the order of keys inside a section and of sections do not
 * count; repeated keys such as ExecStart keep their order), websockify's options as a set (`--x=1` =
 * `--x 1`), OnCalendar by calendarEvent.ts's meaning.
 */

import { calendarEventMeaning } from "../../common/calendarEvent";
import { CERT_CHECKEND_PATTERN, WEBSOCKIFY_VALUE_OPTIONS } from "../../common/units";
import type { NeveModel } from "../../config/model";
import type { Statement } from "./haproxy";
import { sectionMeaningDiff } from "./meaning";

const HS = "neve-infra:hostServices";

/** A unit file as `[Section]` -> `Key=Value` lines (in order; comments and blank lines dropped). */
export function parseUnit(text: string): Map<string, Array<[string, string]>> {
  const out = new Map<string, Array<[string, string]>>();
  let cur: Array<[string, string]> | undefined;
  // systemd joins a line ending in a backslash with the next one.
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      cur = out.get(sec[1]) ?? [];
      out.set(sec[1], cur);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0 || !cur) continue;
    cur.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** websockify's command line split into the binary, options (name -> value, "" for a flag) and positional words. */
export function parseWebsockify(execStart: string): { binary: string; options: Map<string, string>; positional: string[] } {
  const w = execStart
    .replace(/^[-@:+!]+/, "")
    .split(/\s+/)
    .filter(Boolean);
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) options.set(a.slice(0, eq), a.slice(eq + 1));
      else if (WEBSOCKIFY_VALUE_OPTIONS.includes(a) && w[i + 1] !== undefined) options.set(a, w[++i]);
      else options.set(a, "");
    } else positional.push(a);
  }
  return { binary: w[0] ?? "", options, positional };
}

function keyMeaning(section: string, key: string, value: string): string {
  if (key === "ExecStart" && /websockify/.test(value)) {
    const p = parseWebsockify(value);
    return `${key}=${[p.binary, ...[...p.options].map(([k, v]) => (v === "" ? k : `${k}=${v}`)).sort(), ...p.positional].join(" ")}`;
  }
  if (section === "Timer" && key === "OnCalendar") return `${key}=${calendarEventMeaning(value) ?? value.replace(/\s+/g, " ")}`;
  return `${key}=${value.replace(/\s+/g, " ")}`;
}

/** Unit meaning: section -> its keys by meaning, sorted, except repeated ones, which keep their order. */
function unitMeaning(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [sec, entries] of parseUnit(text)) {
    const byKey = new Map<string, string[]>();
    // Description= is free text for `systemctl status`: it names, it does not configure; not compared.
    for (const [k, v] of entries) if (k !== "Description") byKey.set(k, [...(byKey.get(k) ?? []), keyMeaning(sec, k, v)]);
    m.set(
      sec,
      [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([, vs]) => (vs.length > 1 ? [vs.join(" ; then ")] : vs)),
    );
  }
  return m;
}

/** Differences in meaning between two unit files, one line each (Description= is not compared). */
export function unitMeaningDiff(live: string, rendered: string): string[] {
  return sectionMeaningDiff(unitMeaning(live), unitMeaning(rendered), (sec) => `[${sec}]`);
}

export const novncMeaningDiff = unitMeaningDiff;

/** hostServices.novnc[i] fields the live ExecStart states (websockify's --heartbeat, --idle-timeout, --timeout, --web). */
export function stateNovnc(text: string, model: NeveModel, at: string): Statement[] {
  const i = Number(/\[(\d+)\]$/.exec(at)?.[1]);
  const declared = model.hostServices.novnc[i];
  const exec = parseUnit(text)
    .get("Service")
    ?.find(([k]) => k === "ExecStart")?.[1];
  if (!declared || exec === undefined || !/websockify/.test(exec)) return [];
  const o = parseWebsockify(exec).options;
  const out: Statement[] = [];
  const num = (flag: string) => (o.has(flag) && /^\d+$/.test(o.get(flag) as string) ? Number(o.get(flag)) : undefined);
  for (const [flag, field] of [
    ["--heartbeat", "heartbeat"],
    ["--idle-timeout", "idleTimeout"],
    ["--timeout", "timeout"],
  ] as const) {
    const v = num(flag);
    if (v !== declared[field]) out.push({ path: [HS, "novnc", i, field], value: v, text: `${at}.${field}: ${v ?? "(none)"} (live websockify ${flag})` });
  }
  const web = o.get("--web");
  if (web !== undefined && web !== "" && web !== declared.webRoot)
    out.push({ path: [HS, "novnc", i, "webRoot"], value: web, text: `${at}.webRoot: ${web} (live websockify --web)` });
  return out;
}

/** hostServices.fixPveCerts fields the live unit (renewal behaviour) or timer (OnCalendar) states. */
export function stateFixPveCerts(text: string, model: NeveModel, role: "service" | "timer"): Statement[] {
  const f = model.hostServices.fixPveCerts;
  if (!f) return [];
  const unit = parseUnit(text);
  if (role === "timer") {
    const cal = unit.get("Timer")?.find(([k]) => k === "OnCalendar")?.[1];
    if (cal === undefined) return [];
    const same = (calendarEventMeaning(cal) ?? cal) === (calendarEventMeaning(f.onCalendar) ?? f.onCalendar);
    return same
      ? []
      : [{ path: [HS, "fixPveCerts", "onCalendar"], value: cal, text: `hostServices.fixPveCerts.onCalendar: ${cal} (live timer; was ${f.onCalendar})` }];
  }
  const svc = unit.get("Service") ?? [];
  const cond = svc.filter(([k]) => k === "ExecCondition").map(([, v]) => CERT_CHECKEND_PATTERN.exec(v));
  const m = cond.find((x) => x !== null);
  const forced = svc.some(([k, v]) => k === "ExecStart" && /\bpvecm\s+updatecerts\b/.test(v));
  if (!forced) return [];
  const renew = m ? { beforeExpiryDays: Number(m[1]) / 86400 } : "always";
  if (typeof renew === "object" && !Number.isInteger(renew.beforeExpiryDays)) return [];
  return JSON.stringify(renew) === JSON.stringify(f.renew)
    ? []
    : [
        {
          path: [HS, "fixPveCerts", "renew"],
          value: renew,
          text: `hostServices.fixPveCerts.renew: ${JSON.stringify(renew)} (live unit: ${m ? "renews only when the certificate expires within that many days" : "renews on every run"})`,
        },
      ];
}

export function fixPveCertsMeaningDiff(live: string, rendered: string, _role: "service" | "timer"): string[] {
  return unitMeaningDiff(live, rendered);
}

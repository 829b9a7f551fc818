// Proxmox calendar events (the `schedule` of a vzdump backup job), checked offline exactly as Proxmox
// parses them, so `npm run plan` refuses what the API would refuse at `pulumi up`.
//
// Ported from the sources, read at these commits:
// - proxmox/proxmox-rs f3305009a21264dea2771f5c86c818146796125f (2026-05-25), proxmox-time/src/:
//   calendar_event.rs (parse_calendar_event_incomplete, parse_date_spec, parse_time_spec,
//   parse_date_time_comp_list, parse_date_time_comp), parse_helpers.rs (parse_time_comp,
//   parse_complete_line = nom's all_consuming), week_days.rs (parse_weekday, parse_weekdays_range).
//   nom 7 combinators, whose backtracking this port keeps: `opt` turns a failed branch into "absent"
//   and restarts from the same input, and `separated_list1` stops before a separator whose element
//   does not parse.
// - proxmox/pve-common f665029eac78022e81810ab2e44eace57ade13fb, src/PVE/CalendarEvent.pm: the API
//   format `pve-calendar-event` trims the text, refuses it empty, then hands it to
//   Proxmox::RS::CalendarEvent->new (proxmox/proxmox-perl-rs common/src/bindings/calendar_event.rs:
//   `event.parse()`, the proxmox-time parser above).
// - proxmox/pve-manager 14a22df35955d97dfc1af21e117dc894a29df0c9, PVE/API2/Backup.pm: `schedule` is
//   `format => 'pve-calendar-event', maxLength => 128`.
// Only the grammar is checked: an event that parses but never fires ("2021-02-29") is accepted, as
// Proxmox accepts it. Checked once against the real parser (those parse functions of proxmox-time
// compiled unchanged with nom 7.1.1): 417,525 generated events, 18,351 of them accepted, no
// disagreement. Stricter than Proxmox only where calendarEventProblem says so (surrounding white
// space; a tab or another control character inside, which nom's space0 would take as a space).

/** A parser result: what is left of the input, or null where nom would return `Err::Error`. */
type Parsed = { readonly rest: string } | null;
type Parser = (i: string) => Parsed;

/** The keywords proxmox-time's parse_calendar_event_incomplete accepts verbatim (lower case, nothing else on the line but " UTC"). */
export const CALENDAR_EVENT_KEYWORDS: readonly string[] = [
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "annually",
  "quarterly",
  "semiannually",
  "semi-annually",
];

/** Weekday names week_days.rs parse_weekday accepts, compared in lower case. */
const WEEKDAYS = new Set(["mon", "monday", "tue", "tuesday", "wed", "wednesday", "thu", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday"]);

/** The API's maxLength of `schedule` (PVE/API2/Backup.pm). */
const CALENDAR_EVENT_MAX_LENGTH = 128;

/** parse_time_comp(max): ASCII digits as a u32, below `max`. */
function timeComp(max: number): (i: string) => { rest: string; value: number } | null {
  return (i) => {
    const m = /^[0-9]+/.exec(i);
    if (!m) return null;
    const value = Number(m[0]);
    // A u32 overflow fails `str::parse`; every max here is far below 2^32.
    if (value >= max) return null;
    return { rest: i.slice(m[0].length), value };
  };
}

/** nom's `separated_list1(tag(","), f)`: at least one element; stops before a "," whose element fails. */
function commaList1(f: Parser): Parser {
  return (i) => {
    const first = f(i);
    if (!first) return null;
    let rest = first.rest;
    while (rest.startsWith(",")) {
      const next = f(rest.slice(1));
      if (!next) break;
      rest = next.rest;
    }
    return { rest };
  };
}

/** parse_date_time_comp(max): `v`, `a..b` (a <= b), `v/r` or `a..b/r`. */
function dateTimeComp(max: number): Parser {
  const comp = timeComp(max);
  return (i) => {
    const first = comp(i);
    if (!first) return null;
    let rest = first.rest;
    if (rest.startsWith("..")) {
      const end = comp(rest.slice(2));
      // opt(preceded("..", comp)): a failed end leaves the ".." unparsed.
      if (end) {
        if (first.value > end.value) return null;
        rest = end.rest;
      }
    }
    if (rest.startsWith("/")) {
      const repeat = comp(rest.slice(1));
      return repeat ? { rest: repeat.rest } : null;
    }
    return { rest };
  };
}

/** parse_date_time_comp_list(start, max): a star (any value), a star with a repetition "/r" (r > 0), or a comma list of components. */
function dateTimeCompList(max: number): Parser {
  const list = commaList1(dateTimeComp(max));
  return (i) => {
    if (i.startsWith("*")) {
      const rest = i.slice(1);
      if (rest.startsWith("/")) {
        const repeat = timeComp(max)(rest.slice(1));
        if (!repeat) return null;
        if (repeat.value > 0) return { rest: repeat.rest };
      }
      return { rest };
    }
    return list(i);
  };
}

/** `p` then the literal `lit`. */
function thenTag(p: Parser, lit: string): Parser {
  return (i) => {
    const r = p(i);
    return r?.rest.startsWith(lit) ? { rest: r.rest.slice(lit.length) } : null;
  };
}

/** `lit` then `p`. */
function tagThen(lit: string, p: Parser): Parser {
  return (i) => (i.startsWith(lit) ? p(i.slice(lit.length)) : null);
}

/** Parsers in sequence; null when any fails. */
function sequence(...ps: Parser[]): Parser {
  return (i) => {
    let rest = i;
    for (const p of ps) {
      const r = p(rest);
      if (!r) return null;
      rest = r.rest;
    }
    return { rest };
  };
}

/** nom's `opt(p)`: p's result, or the untouched input. */
function opt(p: Parser): (i: string) => { rest: string } {
  return (i) => p(i) ?? { rest: i };
}

/** parse_time_spec: `[HOURS:]MINUTES[:SECONDS]`. */
const timeSpec: Parser = sequence(opt(thenTag(dateTimeCompList(24), ":")), dateTimeCompList(60), opt(tagThen(":", dateTimeCompList(60))));

/** parse_date_spec: `YEARS-MONTHS-DAYS` (years below 2200), else `MONTHS-DAYS`. */
const dateSpec: Parser = (i) =>
  sequence(dateTimeCompList(2200), tagThen("-", dateTimeCompList(13)), tagThen("-", dateTimeCompList(32)))(i) ??
  sequence(dateTimeCompList(13), tagThen("-", dateTimeCompList(32)))(i);

/** parse_weekday: a run of ASCII letters that names a weekday (any case). */
const weekday: Parser = (i) => {
  const m = /^[A-Za-z]+/.exec(i);
  return m && WEEKDAYS.has(m[0].toLowerCase()) ? { rest: i.slice(m[0].length) } : null;
};

/** parse_weekdays_range: `day` or `day..day` (wrapping ranges such as `fri..mon` included). */
const weekdaysRange: Parser = (i) => {
  const start = weekday(i);
  if (!start) return null;
  const end = start.rest.startsWith("..") ? weekday(start.rest.slice(2)) : null;
  return end ?? start;
};

/** nom's `space0`: spaces and tabs. */
const space0 = (i: string): string => i.replace(/^[ \t]*/, "");

/** The unparsed remainder of a calendar event after proxmox-time's parser (parse_calendar_event_incomplete), or null when it fails outright. */
function unparsedRest(text: string): string | null {
  let i = text;
  // `strip_suffix("UTC")`, then trailing spaces only.
  if (i.endsWith("UTC")) i = i.slice(0, -3).replace(/ +$/, "");
  let found = false;
  if (/^[A-Za-z]/.test(i)) {
    if (CALENDAR_EVENT_KEYWORDS.includes(i)) return "";
    // Whatever starts with a letter must be a weekday list: the parser does not try anything else.
    const days = commaList1(weekdaysRange)(i);
    if (!days) return null;
    found = true;
    i = space0(days.rest);
  }
  const date = dateSpec(i);
  if (date) {
    found = true;
    i = space0(date.rest);
  }
  const time = timeSpec(i);
  if (time) {
    found = true;
    i = time.rest;
  }
  return found ? i : null;
}

const FORMAT =
  `[WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES[:SECONDS]] [UTC], such as "*-*-* 02:30", "sun 03:30", "mon..fri 21:00", "sat,sun *:0/30" or "*-*-01 04:00", ` +
  `or one of ${CALENDAR_EVENT_KEYWORDS.join(", ")}`;

/**
 * Why `s` is not a schedule Proxmox accepts for a backup job (`pve-calendar-event`, at most 128
 * characters), or null. Stricter than Proxmox in two points: surrounding white space, which the API
 * trims only to check the value, while jobs.cfg stores it and reads it back trimmed (pve-common
 * SectionConfig), so every preview would show a change; and a tab or another control character
 * inside (the stack's one-line rule, as `singleLineProblem`), where Proxmox takes a tab as a space.
 */
export function calendarEventProblem(s: unknown): string | null {
  if (typeof s !== "string" || s.trim() === "") return `must be a Proxmox calendar event: ${FORMAT}`;
  const shown = JSON.stringify(s);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) return `${shown} contains a line break or another control character; write it on one line`;
  if (s !== s.trim()) return `${shown} has spaces around it; write ${JSON.stringify(s.trim())}`;
  if (s.length > CALENDAR_EVENT_MAX_LENGTH) return `${shown} is ${s.length} characters long; Proxmox takes at most ${CALENDAR_EVENT_MAX_LENGTH}`;
  const rest = unparsedRest(s);
  if (rest === "") return null;
  const keyword = CALENDAR_EVENT_KEYWORDS.find((k) => k === s.toLowerCase().replace(/\s*utc$/, ""));
  const hint = keyword ? `; keywords are lower case: write ${keyword}` : rest ? ` (Proxmox stops at ${JSON.stringify(rest)})` : "";
  return `${shown} is not a Proxmox calendar event${hint}; write ${FORMAT}`;
}

// The meaning of a calendar event: the same grammar as above, returning the values each part stands
// for (proxmox-time's CalendarEvent: weekday set, year/month/day/hour/minute/second value lists, utc),
// so that two spellings of one event compare equal (`02:30` and `*-*-* 02:30`, `daily` and
// `*-*-* 00:00`, `Sat` and `sat`, `mon..sun` and no weekday at all). Keywords, the time-spec defaults
// (no time: 00:00:00; no hour: every hour; no second: 0) and the value forms (`*`, `*/r` from the
// field's start, `v`, `a..b`, `v/r`, `a..b/r`) follow calendar_event.rs at the commit cited at the top.

/** A parser with a value: what is left of the input and the set of numbers the part stands for. */
type Valued<T> = { readonly rest: string; readonly value: T } | null;

/** The numbers one comp (`v`, `a..b`, `v/r`, `a..b/r`) stands for, below `max`. */
function compValues(max: number): (i: string) => Valued<number[]> {
  const comp = timeComp(max);
  return (i) => {
    const first = comp(i);
    if (!first) return null;
    let rest = first.rest;
    let end: number | undefined;
    if (rest.startsWith("..")) {
      const e = comp(rest.slice(2));
      if (e) {
        if (first.value > e.value) return null;
        end = e.value;
        rest = e.rest;
      }
    }
    if (rest.startsWith("/")) {
      const repeat = comp(rest.slice(1));
      if (!repeat) return null;
      const out: number[] = [];
      const last = end ?? max - 1;
      // A repetition of 0 fires at the start value only.
      for (let v = first.value; v <= last; v += repeat.value || last + 1) out.push(v);
      return { rest: repeat.rest, value: out };
    }
    const out: number[] = [];
    for (let v = first.value; v <= (end ?? first.value); v++) out.push(v);
    return { rest, value: out };
  };
}

/** parse_date_time_comp_list(start, max) with values; `null` value = every value (`*`). */
function compListValues(start: number, max: number): (i: string) => Valued<number[] | null> {
  const comp = compValues(max);
  return (i) => {
    if (i.startsWith("*")) {
      const rest = i.slice(1);
      if (rest.startsWith("/")) {
        const repeat = timeComp(max)(rest.slice(1));
        if (!repeat) return null;
        if (repeat.value > 0) {
          const out: number[] = [];
          for (let v = start; v < max; v += repeat.value) out.push(v);
          return { rest: repeat.rest, value: out };
        }
      }
      return { rest, value: null };
    }
    const first = comp(i);
    if (!first) return null;
    let rest = first.rest;
    const values = [...first.value];
    while (rest.startsWith(",")) {
      const next = comp(rest.slice(1));
      if (!next) break;
      values.push(...next.value);
      rest = next.rest;
    }
    return { rest, value: values };
  };
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 };

/** A weekday name's index (mon 0 ... sun 6), any case, long or short form. */
const weekdayValue = (i: string): Valued<number> => {
  const m = /^[A-Za-z]+/.exec(i);
  if (!m || !WEEKDAYS.has(m[0].toLowerCase())) return null;
  return { rest: i.slice(m[0].length), value: WEEKDAY_INDEX[m[0].toLowerCase().slice(0, 3)] };
};

/** The canonical text of one value list: `*` when it covers every value of [start, max), else the sorted numbers. */
function listText(values: number[] | null, start: number, max: number): string {
  if (values === null) return "*";
  const set = [...new Set(values.filter((v) => v >= start && v < max))].sort((a, b) => a - b);
  return set.length === max - start ? "*" : set.join(",");
}

/**
 * The meaning of a calendar event Proxmox accepts, as one canonical text: equal for two spellings of
 * the same event, different otherwise. Undefined when `calendarEventProblem` refuses `s`.
 */
export function calendarEventMeaning(s: string): string | undefined {
  if (calendarEventProblem(s) !== null) return undefined;
  let i = s;
  let utc = false;
  if (i.endsWith("UTC")) {
    utc = true;
    i = i.slice(0, -3).replace(/ +$/, "");
  }
  const all = null;
  let days: number[] | null = all;
  let year: number[] | null = all;
  let month: number[] | null = all;
  let day: number[] | null = all;
  let hour: number[] | null = [0];
  let minute: number[] | null = [0];
  let second: number[] | null = [0];
  const keyword: Record<string, () => void> = {
    minutely: () => {
      hour = all;
      minute = all;
    },
    hourly: () => {
      hour = all;
    },
    daily: () => {},
    weekly: () => {
      days = [0];
    },
    monthly: () => {
      day = [1];
    },
    yearly: () => {
      day = [1];
      month = [1];
    },
    quarterly: () => {
      day = [1];
      month = [1, 4, 7, 10];
    },
    semiannually: () => {
      day = [1];
      month = [1, 7];
    },
  };
  const kw = { annually: "yearly", "semi-annually": "semiannually" }[i] ?? i;
  if (/^[A-Za-z]/.test(i) && keyword[kw]) keyword[kw]();
  else {
    if (/^[A-Za-z]/.test(i)) {
      const set: number[] = [];
      let rest = i;
      for (;;) {
        const a = weekdayValue(rest);
        if (!a) break;
        rest = a.rest;
        let b = a.value;
        if (rest.startsWith("..")) {
          const e = weekdayValue(rest.slice(2));
          if (e) {
            b = e.value;
            rest = e.rest;
          }
        }
        // `fri..mon` wraps around the week.
        for (let d = a.value; ; d = (d + 1) % 7) {
          set.push(d);
          if (d === b) break;
        }
        if (!rest.startsWith(",") || !weekdayValue(rest.slice(1))) break;
        rest = rest.slice(1);
      }
      days = set;
      i = space0(rest);
    }
    const ymd = (() => {
      const y = compListValues(0, 2200)(i);
      const m = y?.rest.startsWith("-") ? compListValues(1, 13)(y.rest.slice(1)) : null;
      const d = m?.rest.startsWith("-") ? compListValues(1, 32)(m.rest.slice(1)) : null;
      return y && m && d ? { rest: d.rest, year: y.value, month: m.value, day: d.value } : null;
    })();
    const md = ymd
      ? null
      : (() => {
          const m = compListValues(1, 13)(i);
          const d = m?.rest.startsWith("-") ? compListValues(1, 32)(m.rest.slice(1)) : null;
          return m && d ? { rest: d.rest, year: all, month: m.value, day: d.value } : null;
        })();
    const date = ymd ?? md;
    if (date) {
      year = date.year;
      month = date.month;
      day = date.day;
      i = space0(date.rest);
    }
    // parse_time_spec: opt(HOURS ":") MINUTES opt(":" SECONDS), with nom's backtracking of `opt`.
    const h = compListValues(0, 24)(i);
    const afterHour = h?.rest.startsWith(":") ? h.rest.slice(1) : null;
    const withHour = afterHour !== null ? compListValues(0, 60)(afterHour) : null;
    const m = withHour ?? compListValues(0, 60)(i);
    if (m) {
      hour = withHour ? (h?.value ?? all) : all;
      minute = m.value;
      const sec = m.rest.startsWith(":") ? compListValues(0, 60)(m.rest.slice(1)) : null;
      second = sec ? sec.value : [0];
    }
  }
  const dayText = days === null ? "*" : listText(days, 0, 7);
  return [
    dayText,
    `${listText(year, 0, 2200)}-${listText(month, 1, 13)}-${listText(day, 1, 32)}`,
    `${listText(hour, 0, 24)}:${listText(minute, 0, 60)}:${listText(second, 0, 60)}`,
    utc ? "UTC" : "",
  ]
    .join(" ")
    .trim();
}

/** True when two calendar events Proxmox accepts fire at the same times (compared by {@link calendarEventMeaning}). */
export function sameCalendarEvent(a: string, b: string): boolean {
  const x = calendarEventMeaning(a);
  return x !== undefined && x === calendarEventMeaning(b);
}

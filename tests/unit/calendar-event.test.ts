// A backup job's schedule is refused offline exactly when Proxmox's API would refuse it at `pulumi up`.
// The examples come from the parser's own tests: proxmox/proxmox-rs proxmox-time/src/test.rs and the
// doc tests of calendar_event.rs (f3305009), and proxmox/pve-common test/calendar_event_test.pl
// (f665029e), which runs them through PVE::CalendarEvent, the API format `pve-calendar-event`.
import { CALENDAR_EVENT_KEYWORDS, calendarEventProblem } from "../../stacks/common/predicates";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import { rawConfig } from "../support/stacks";

// proxmox-time test.rs: test_compute_next_event (each parsed with " UTC" appended there) and test_calendar_event_weekday.
const PROXMOX_TIME_ACCEPTED = [
  "*:0",
  "*:*",
  "*:*:*",
  "*:3:5",
  "mon *:*",
  "mon 2:*",
  "mon 2:50",
  "tue",
  "4..10/2:0",
  "5,10:4,8",
  "10,5:8,4",
  "6,4..10:23,5/5",
  "4..10,6:5/5,23",
  "daily",
  "5/2:0",
  "1:0",
  "2020-07-31",
  "02-28",
  "02-29",
  "1965/5-01-01",
  "2020-7..9-2/2",
  "2020,2021-12-31",
  "minutely",
  "hourly",
  "weekly",
  "monthly",
  "quarterly",
  "semiannually",
  "semi-annually",
  "yearly",
  "annually",
  // test_never: they parse (and never fire); the API takes them.
  "2021-02-29",
  "02-30",
  "mon,wed..fri",
  "fri..mon",
  "MON",
  "monDay",
  "Tuesday",
  "mon..fri",
  "mon,tue,fri",
  "mon,tue..wednesday,fri..sat",
  // calendar_event.rs doc tests.
  "daily UTC",
  "mon..fri *:00 UTC",
  "2020-07-31 12:00 UTC",
];

// pve-common calendar_event_test.pl, the events it expects to parse.
const PVE_COMMON_ACCEPTED = [
  "*",
  "*/10",
  "*/12:0",
  "1/12:0/15",
  "1,4,6",
  "0..3",
  "23..23:0..3",
  "Mon",
  "sat..sun",
  "sun..sat",
  "wed,mon..tue,fri",
  "mon */15",
  "22/1:0",
  "*/2:*",
  "20..22:*/30",
  "0,1,3..5",
  "2,4:0,1,3..5",
  // The Perl test still lists "Fri..Mon" as an error of the old Perl parser, but its check
  // (`defined($err) == defined($expect->{error})`) passes either way; proxmox-time accepts wrapping
  // weekday ranges (week_days.rs parse_weekdays_range, and "fri..mon" in test.rs above).
  "Fri..Mon",
];

// The brief's shapes and the stack files' own schedules.
const COMMON_SHAPES = ["*-*-* 02:30", "sun 03:30", "sat,sun", "*-*-01", "2024-01..03-1", "21:00", "*/15", "0/5", "02:30:00", "mon..fri 21:00"];

describe.each([...PROXMOX_TIME_ACCEPTED, ...PVE_COMMON_ACCEPTED, ...COMMON_SHAPES, ...CALENDAR_EVENT_KEYWORDS])("schedule %j", (event) => {
  it("must be accepted, as Proxmox accepts it", () => {
    expect(calendarEventProblem(event)).toBeNull();
  });
});

describe.each(PROXMOX_TIME_ACCEPTED.filter((e) => !e.endsWith("UTC")))("schedule %j with UTC", (event) => {
  it("must be accepted with the UTC suffix too (test.rs parses every case as `<event> UTC`)", () => {
    expect(calendarEventProblem(`${event} UTC`)).toBeNull();
  });
});

// Refused by the parser; the expected text names the problem (and the fix where one is clear).
const REFUSED: [string, string][] = [
  // pve-common calendar_event_test.pl: errors the Rust parser gives too (the surrounding spaces of
  // " mon 0 0" are trimmed by PVE::CalendarEvent; the rest still does not parse).
  ["61", '"61" is not a Proxmox calendar event; write [WEEKDAYS]'],
  ["*/61", '"*/61" is not a Proxmox calendar event'],
  ["0..80", '"0..80" is not a Proxmox calendar event (Proxmox stops at "..80")'],
  ["mon 0 0 0", '(Proxmox stops at " 0 0")'],
  ["mon 0 0", '(Proxmox stops at " 0")'],
  ["", "must be a Proxmox calendar event: [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [HOURS:MINUTES[:SECONDS]] [UTC]"],
  // calendar_event.rs doc test: verify_calendar_event("not valid!").is_err().
  ["not valid!", '"not valid!" is not a Proxmox calendar event'],
  // From the grammar (parse_time_comp's limits, parse_date_time_comp's order, the keyword match).
  ["0 2 * * *", '"0 2 * * *" is not a Proxmox calendar event (Proxmox stops at " 2 * * *")'],
  ["every day", '"every day" is not a Proxmox calendar event'],
  ["Daily", "keywords are lower case: write daily"],
  ["WEEKLY UTC", "keywords are lower case: write weekly"],
  ["12:60", '"12:60" is not a Proxmox calendar event'],
  ["2200-01-01", '"2200-01-01" is not a Proxmox calendar event'],
  ["5..3", '"5..3" is not a Proxmox calendar event'],
  ["*/0", '(Proxmox stops at "/0")'],
  ["mon..", '(Proxmox stops at "..")'],
  ["mon UTC UTC", '(Proxmox stops at "UTC")'],
  ["UTC", '"UTC" is not a Proxmox calendar event'],
  ["sun 03:30\nx", "contains a line break or another control character; write it on one line"],
  // Stricter than the API (nom's space0 takes a tab): the stack's one-line rule refuses control characters.
  ["mon\t12:00", "contains a line break or another control character; write it on one line"],
  // Stricter than the API, which trims: jobs.cfg would read the value back trimmed, a change at every preview.
  [" mon 0 0 0", '" mon 0 0 0" has spaces around it; write "mon 0 0 0"'],
  ["daily ", '"daily " has spaces around it; write "daily"'],
  // PVE/API2/Backup.pm: maxLength 128.
  [`${"0,".repeat(64)}0`, "is 129 characters long; Proxmox takes at most 128"],
];

describe.each(REFUSED)("schedule %j", (event, expected) => {
  it("must be refused with the reason and the format to write", () => {
    expect(calendarEventProblem(event)).toContain(expected);
  });
});

// Quirks of the real parser, kept so the plan never refuses what Proxmox accepts.
describe.each([
  ["25:00", "an hour of 25 fails, so parse_time_spec reads minute 25, second 0"],
  ["dailyUTC", "the UTC suffix is stripped without a space before it"],
  ["mon12:00", "space0 between the weekdays and the time allows none"],
  ["0/0", "a repetition of 0 parses (it fires at the start value only)"],
])("schedule %j", (event, why) => {
  it(`must be accepted as Proxmox accepts it (${why})`, () => {
    expect(calendarEventProblem(event)).toBeNull();
  });
});

describe("the backup job schema", () => {
  it.each([
    ["mon..fri 21:00", true],
    ["sat,sun", true],
    ["0 2 * * *", false],
    ["Daily", false],
  ])("must accept or refuse schedule %j exactly as calendarEventProblem does (one rule, one place)", (event, accepted) => {
    const raw = rawConfig();
    raw.backups["nightly-local"].schedule = event;
    let message = "";
    try {
      parseStackConfig(raw);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      message = e.message;
    }
    expect(calendarEventProblem(event) === null).toBe(accepted);
    if (accepted) expect(message).toBe("");
    else expect(message).toContain(`backups.nightly-local.schedule: ${calendarEventProblem(event)}`);
  });
});

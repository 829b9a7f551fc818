import { calendarEventMeaning, sameCalendarEvent } from "../../stacks/common/calendarEvent";
import { pruneBackupsOf } from "../../stacks/config/backups";
import type { LiveFacts } from "../../stacks/discover/facts";
import { parseFirewall } from "../../stacks/discover/parse/firewall";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { base, JOB, run, STACK, section, set, withCt, withVm } from "./support/discoverHost";

// Issue 12, item 2: values compare by their meaning, with the parser of each format the schema uses;
// a live object equal in meaning to a declared one is matched and adopted, never duplicated.

describe("calendar events compare by meaning (the schema's parser, stacks/common/calendarEvent.ts)", () => {
  const SAME: Array<[string, string]> = [
    ["02:30", "*-*-* 02:30"],
    ["*-*-* 02:30", "*-*-* 2:30:00"],
    ["daily", "*-*-* 00:00"],
    ["weekly", "mon 00:00"],
    ["Sat 01:00", "saturday 01:00"],
    ["mon..sun 02:30", "02:30"],
    ["fri..mon 03:00", "fri,sat,sun,mon 03:00"],
    ["*:0/30", "*:00,30"],
    ["30", "*:30"],
    ["monthly", "*-*-01 00:00"],
    ["quarterly", "*-01,04,07,10-01"],
    ["12-25 08:00", "*-12-25 08:00"],
    ["sat", "sat 00:00:00"],
  ];
  const DIFFERENT: Array<[string, string]> = [
    ["02:30", "02:31"],
    ["sat 01:00", "sun 01:00"],
    ["02:30", "02:30 UTC"],
    ["daily", "hourly"],
    ["*-*-01", "*-01-01"],
    ["30", "00:30"],
  ];
  it.each(SAME)("must call %s and %s the same event", (a, b) => {
    expect(calendarEventMeaning(a)).toBeDefined();
    expect(sameCalendarEvent(a, b)).toBe(true);
  });
  it.each(DIFFERENT)("must call %s and %s different events", (a, b) => {
    expect(sameCalendarEvent(a, b)).toBe(false);
  });
  it("must give no meaning to what Proxmox refuses", () => {
    expect(calendarEventMeaning("Daily")).toBeUndefined();
    expect(sameCalendarEvent("Daily", "Daily")).toBe(false);
  });
});

const jobWith =
  (props: ReadonlyArray<readonly [string, string]>) =>
  (l: LiveFacts): LiveFacts => ({ ...l, jobs: [section("vzdump", "backup-aaaa", props)] });
const setProp = (key: string, value: string) => JOB.props.map(([k, v]) => [k, k === key ? value : v] as const);

describe("discover --check matches a live object equal in meaning", () => {
  it("must match a live job whose schedule is spelled differently, without existingId, as the same job (not unknown, not created)", () => {
    const facts = jobWith(setProp("schedule", "Sat 01:00:00"))(base());
    const text = STACK.replace(", existingId: backup-aaaa }", " }");
    const { report, out, model: declared, live } = run(facts, text);
    expect(report.unknown).toEqual([]);
    expect(report.creations).toEqual([]);
    expect(report.jobMatches).toEqual({ weekly: "backup-aaaa" });
    expect(out).not.toContain("schedule");
    // The only change is the existingId --write adds; then --check exits 0 and no second job is declared.
    const written = writeStack(text, declared, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(0);
    const model = modelFromText(written.text);
    expect(model.backups.map((j) => [j.id, j.existingId, j.schedule])).toEqual([["weekly", "backup-aaaa", "sat 01:00"]]);
  });

  it("must not report a schedule that differs only in spelling (`02:30` against `*-*-* 02:30`)", () => {
    const facts = jobWith(setProp("schedule", "02:30"))(base());
    const { report } = run(facts, STACK.replace('schedule: "sat 01:00"', 'schedule: "*-*-* 02:30"'));
    expect(report.changes.filter((c) => c.field === "schedule")).toEqual([]);
    expect(report.code).toBe(0);
  });

  it("must still report a schedule that means another time", () => {
    const { out, report } = run(jobWith(setProp("schedule", "sun 01:00"))(base()));
    expect(out).toContain("backups.weekly schedule: live sun 01:00, declared sat 01:00");
    expect(report.code).toBe(1);
  });

  it.each([
    ["booleans spelled yes/on/true", withVm(set("onboot", "yes")), withCt(set("unprivileged", "true"))],
    [
      "property strings in another order",
      withVm(set("net0", "bridge=vmbr1,virtio=BC:24:11:5E:7A:21")),
      withCt(set("net0", "type=veth,ip=dhcp,hwaddr=BC:24:11:2D:0C:C8,bridge=vmbr0,name=eth0")),
    ],
    // qemu-server 8's `memory` is the property string `[current=]<integer>` ($memory_fmt in src/PVE/QemuServer/Memory.pm).
    ["a VM's memory spelled as its property string (current=4096)", withVm(set("memory", "current=4096")), (l: LiveFacts) => l],
    ["MACs in lower case (never compared: the resources ignore macAddress)", withVm(set("net0", "virtio=bc:24:11:5e:7a:21,bridge=vmbr1")), (l: LiveFacts) => l],
    [
      "lists in another order",
      (l: LiveFacts) => ({
        ...l,
        storage: [
          section("dir", "local", [
            ["path", "/var/lib/vz"],
            ["content", "backup,iso"],
          ]),
          l.storage[1],
        ],
      }),
      (l: LiveFacts) => jobWith(setProp("vmid", "200,1201"))(l),
    ],
  ])("must exit 0 on %s", (_n, a, b) => {
    const { report, out } = run(b(a(base())));
    expect(out).toContain("Changes the first `pulumi up` would make (or recorded fields that differ): 0");
    expect(report.code).toBe(0);
  });
});

describe("retention the stack can state (keep-last=4,keep-weekly=4)", () => {
  it("must name each retention key, and --write must state them so that --check exits 0", () => {
    const facts = jobWith(setProp("prune-backups", "keep-last=4,keep-weekly=4"))(base());
    const { report, out, model, live } = run(facts);
    expect(out).toContain("backups.weekly keepLast: live 4, declared 3");
    expect(out).toContain("backups.weekly keepWeekly: live 4, declared (none)");
    expect(report.code).toBe(1);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(0);
    const j = modelFromText(written.text).backups[0];
    expect(pruneBackupsOf(j)).toEqual({ "keep-last": "4", "keep-weekly": "4" });
  });

  it("must state a retention without keep-last (keep-daily=7 only)", () => {
    const facts = jobWith(setProp("prune-backups", "keep-daily=7"))(base());
    const { model, live } = run(facts);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(0);
    expect(pruneBackupsOf(modelFromText(written.text).backups[0])).toEqual({ "keep-daily": "7" });
  });

  it("must refuse a job without any retention, naming the field", () => {
    expect(() => modelFromText(STACK.replace(" keepLast: 3,", ""))).toThrow(/backups\.weekly\.keepLast: a job needs a retention: state keepLast/);
  });

  it("must leave keep-all, which the stack cannot state, and name it", () => {
    const { out } = run(jobWith(setProp("prune-backups", "keep-all=1"))(base()));
    expect(out).toContain("backups.weekly keepLast: live (keep-all=1), declared 3");
  });
});

describe("firewall references and macros --write states in Proxmox's spelling", () => {
  // pve-firewall resolves an alias by its lowercased name (resolve_alias) and stores a macro under its
  // own spelling (verify_rule, $pve_fw_preferred_macro_names): proxmox/pve-firewall@6f1311f349da.
  const FW = [
    "[OPTIONS]",
    "",
    "enable: 1",
    "policy_in: DROP",
    "",
    "[ALIASES]",
    "",
    "lan 10.10.10.0/24",
    "",
    "[RULES]",
    "",
    "IN SSH(ACCEPT) -source 100.64.0.0/10 -log nolog",
    "IN ACCEPT -source 100.64.0.0/10 -p tcp -dport 8006 -log nolog",
    "IN DNS(ACCEPT) -i vmbr1 -source LAN -log nolog",
    "IN ping(ACCEPT) -log nolog",
    "",
  ].join("\n");

  it("must write an alias reference in upper case as its lowercase name (the schema's spelling) and a macro as Proxmox spells it", () => {
    const facts: LiveFacts = { ...base(), firewall: parseFirewall(FW) };
    const { model: declared, live } = run(facts);
    const written = writeStack(STACK, declared, live, { now: "2026-11-30T00:00:00Z" });
    const rules = modelFromText(written.text).firewall.rules;
    expect(rules).toContainEqual(expect.objectContaining({ macro: "DNS", source: "lan", iface: "vmbr1" }));
    expect(rules).toContainEqual(expect.objectContaining({ macro: "Ping" }));
    expect(written.after.changes.filter((c) => c.path.startsWith("firewall"))).toEqual([]);
  });
});

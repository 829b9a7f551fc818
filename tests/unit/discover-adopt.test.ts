import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { adoptionFingerprint } from "../../stacks/config/adoption";
import { adoptionScopeOf } from "../../stacks/config/adoptionScope";
import { parseAdopt } from "../../stacks/discover/adopt";
import { formatCheck } from "../../stacks/discover/check";
import { main } from "../../stacks/discover/cli";
import type { LiveFacts } from "../../stacks/discover/facts";
import { liveVocabulary } from "../../stacks/discover/vocab";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { base, ETOILE, run, STACK, set, vm } from "./support/discoverHost";

// adoption.live is append-only once recorded (stacks/discover/adopt.ts, docs/discover.md): an object
// listed there carries its import id on every run, and a guest this program created (ID 1207, import id
// neve/1207) would then be import-replaced, i.e. deleted. So discover adds a declared object found on the
// host only at the first record or when --adopt names it, keeps every entry, and sets adopt: true when it
// adds something.

const NOW = "2026-11-30T00:00:00Z";
const ADOPT_OFF = STACK.replace("neve-infra:adopt: true", "neve-infra:adopt: false");
const ALL_LIVE = { guests: [200, 1201], storage: ["local", "etoile"], bridges: ["vmbr0", "vmbr1"], jobs: ["backup-aaaa"], firewall: true };

/** The stack text with `adoption.live` recorded as given (and a comment inside the record). */
function withRecord(text: string, live: object): string {
  return text.replace(
    "  neve-infra:hostServices:",
    `  neve-infra:adoption:\n    # recorded by discover\n    live: ${JSON.stringify(live)}\n  neve-infra:hostServices:`,
  );
}

/** A guest the program created: declared (nova, 1207) and on the host, equal field by field. */
const NOVA_DECLARED = `  neve-infra:guests:
    nova:
      vmid: 1207
      kind: vm
      running: true
      description: created by pulumi up
      memoryMiB: 4096
      bridge: vmbr1
      ipv4: 10.10.10.7
`;
const withNova = (text: string) => text.replace("  neve-infra:guests:\n", NOVA_DECLARED);
const novaOnHost = (l: LiveFacts): LiveFacts => ({
  ...l,
  guests: [...l.guests, vm(set("name", "nova")(ETOILE), { vmid: 1207, description: "created by pulumi up" })],
});

function write(text: string, facts: LiveFacts, adopt: string[] = []) {
  const result = writeStack(text, modelFromText(text), liveVocabulary(facts), { now: NOW, adopt: adopt.map(parseAdopt) });
  const model = modelFromText(result.text);
  return { result, model, choices: result.choices.join("\n") };
}

describe("discover --write: the first record of adoption.live", () => {
  const unknownGuest = (l: LiveFacts): LiveFacts => ({ ...l, guests: [...l.guests, { ...vm(set("name", "francoise")(ETOILE)), vmid: 9101 }] });
  const { result, model, choices } = write(ADOPT_OFF, unknownGuest(base()));

  it("must list every declared object found on the host, and no undeclared one", () => {
    expect(model.adoption.live).toEqual(ALL_LIVE);
    expect(model.adoption.unmanaged?.guests).toEqual([9101]);
  });

  it("must set neve-infra:adopt to true and tell the operator to set it back after the up", () => {
    expect(model.adopt).toBe(true);
    expect(choices).toMatch(/neve-infra:adopt: true \(8 objects added to adoption\.live.*set it back: pulumi config set neve-infra:adopt false/);
  });

  it("must record the fingerprint of the written file, live list included", () => {
    expect(result.after.code).toBe(0);
    expect(model.adoption.reconciled).toBe(adoptionFingerprint(adoptionScopeOf(model)));
  });
});

describe("discover after the first record, with a guest the program created (declared, on the host, not in live)", () => {
  const recorded = write(STACK, base()).result.text.replace("neve-infra:adopt: true", "neve-infra:adopt: false");
  const text = withNova(recorded);
  const facts = novaOnHost(base());
  const message =
    "guest 1207 (nova) exists on the host and is declared but is not in adoption.live: if this program created it, leave it " +
    "(importing it would make pulumi up delete it); if it was made by hand, adopt it: npm run discover -- --write --adopt guest:1207";

  it("must not add it on --write, must report it, and must leave adopt alone", () => {
    const { model, choices, result } = write(text, facts);
    expect(model.adoption.live?.guests).toEqual([200, 1201]);
    expect(model.adopt).toBe(false);
    expect(choices).toContain("guest 1207 (nova): not added to adoption.live");
    expect(choices).not.toContain("neve-infra:adopt: true");
    expect(result.text).toContain("neve-infra:adopt: false");
    expect(result.after.notInLive.map((o) => o.id)).toEqual(["1207"]);
  });

  it("must exit 0 on --check and name it (a program-created object is the normal state after an up, not drift)", () => {
    const { report, out } = run(facts, write(text, facts).result.text);
    expect(out).toContain(message);
    expect(report.code).toBe(0);
  });

  it("must set reconciled on --write (the report does not block it)", () => {
    const { model } = write(text, facts);
    expect(model.adoption.reconciled).toBe(adoptionFingerprint(adoptionScopeOf(model)));
  });

  it("must add exactly it with --adopt guest:1207 and set adopt to true", () => {
    const { model, choices } = write(text, facts, ["guest:1207"]);
    expect(model.adoption.live).toEqual({ ...ALL_LIVE, guests: [200, 1201, 1207] });
    expect(model.adopt).toBe(true);
    expect(choices).toContain("adoption.live: added guest 1207 (nova) (--adopt guest:1207)");
    expect(choices).toContain("neve-infra:adopt: true (1 object added to adoption.live");
  });

  it("must record a new reconciled fingerprint after --adopt (the fingerprint covers live, so the old one no longer matches)", () => {
    const before = write(text, facts).model.adoption.reconciled;
    const { model } = write(text, facts, ["guest:1207"]);
    expect(model.adoption.reconciled).toBe(adoptionFingerprint(adoptionScopeOf(model)));
    expect(model.adoption.reconciled).not.toBe(before);
  });
});

describe("a root@pam-only value set by hand on a guest the program created", () => {
  const recorded = withNova(write(STACK, base()).result.text);
  const facts = novaOnHost(base());
  const withArgs: LiveFacts = {
    ...facts,
    guests: [
      ...facts.guests.slice(0, 2),
      vm(set("args", "-vnc 127.0.0.1:82")(set("name", "nova")(ETOILE)), { vmid: 1207, description: "created by pulumi up" }),
    ],
  };

  it("must be left by --write (the config refuses it on a guest not in live), named, and counted until acknowledged", () => {
    const { result, choices } = write(recorded, withArgs);
    expect(choices).toContain("guests.nova.args: left as (none): only root@pam may set it, and the config refuses it on a guest that is not in adoption.live");
    expect(modelFromText(result.text).adoption.live?.guests).toEqual([200, 1201]);
    expect(result.after.code).toBe(1);
    const doc = parseDocument(result.text);
    doc.setIn(["config", "neve-infra:adoption", "acknowledge"], ["guests.nova.args"]);
    expect(run(withArgs, doc.toString()).report.code).toBe(0);
  });
});

describe("a declared job adopted without existingId (its jobs.cfg id is its stack id)", () => {
  const text = STACK.replace(", existingId: backup-aaaa }", " }");
  const facts: LiveFacts = { ...base(), jobs: [{ ...base().jobs[0], id: "weekly" }] };

  it("must get existingId, since the program imports a job only by it", () => {
    const { model, choices } = write(text, facts);
    expect(model.adoption.live?.jobs).toEqual(["weekly"]);
    expect(model.backups.find((j) => j.id === "weekly")?.existingId).toBe("weekly");
    expect(choices).toContain("backups.weekly.existingId: weekly (the job in adoption.live");
  });
});

describe.each([
  // Only guests and the firewall rules have an import id that differs from their ID (neve/1201, cluster).
  ["guest:1201", { guests: [200, 1201] }, "importing it would make pulumi up delete it"],
  ["storage:etoile", { storage: ["local", "etoile"] }, "it needs no import"],
  ["bridge:vmbr1", { bridges: ["vmbr0", "vmbr1"] }, "it needs no import"],
  ["job:backup-aaaa", { jobs: ["backup-aaaa"] }, "it needs no import"],
  ["firewall", { firewall: true }, "importing it would make pulumi up delete it"],
])("--adopt %s on a record that lacks it", (arg, grown, why) => {
  const partial = { guests: [200], storage: ["local"], bridges: ["vmbr0"], jobs: [], firewall: false };
  const text = withRecord(ADOPT_OFF, partial);

  it("must add exactly that object, keep the record's entries and comment, and set adopt to true", () => {
    const { model, result } = write(text, base(), [arg]);
    expect(model.adoption.live).toEqual({ ...partial, ...grown });
    expect(model.adopt).toBe(true);
    expect(result.text).toContain("# recorded by discover");
  });

  it("must report it, not add it, without --adopt", () => {
    const { model, result } = write(text, base());
    expect(model.adoption.live).toEqual(partial);
    expect(model.adopt).toBe(false);
    expect(result.after.notInLive.map((o) => (o.kind === "firewall" ? "firewall" : `${o.kind}:${o.id}`))).toContain(arg);
    expect(formatCheck(result.after)).toContain(
      `if this program created it, leave it (${why}); if it was made by hand, adopt it: npm run discover -- --write --adopt ${arg}\n`,
    );
    expect(result.after.code).toBe(0);
  });
});

describe.each([
  [
    "an undeclared guest, storage, bridge and job gone from the host",
    {
      guests: [200, 1201, 1300],
      storage: ["local", "etoile", "old"],
      bridges: ["vmbr0", "vmbr1", "vmbr9"],
      jobs: ["backup-aaaa", "backup-zzzz"],
      firewall: true,
    },
    base(),
    0,
    "guest 1300 is in adoption.live but not on the host; the stack no longer declares it",
  ],
  [
    "a declared guest gone from the host",
    ALL_LIVE,
    { ...base(), guests: [base().guests[0]] },
    1,
    'guest 1201 (guests.etoile) is in adoption.live but not on the host: the program imports it and pulumi preview fails ("does not exist")',
  ],
])("adoption.live with %s", (_name, record, facts, code, line) => {
  const text = withRecord(STACK, record);

  it("must keep every entry on --write", () => {
    expect(write(text, facts).model.adoption.live).toEqual(record);
  });

  it(`must report it on --check, counted only while the stack declares it (exit ${code})`, () => {
    const { report, out } = run(facts, text);
    expect(out).toContain(line);
    expect(out).not.toContain("guests.etoile (VM 1201) would be created");
    expect(report.code).toBe(code);
  });
});

describe("discover --write with a bad --adopt", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-adopt-"));
  const stack = path.join(dir, "Pulumi.neve.yaml");
  const fixtureStack = fs.readFileSync(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"), "utf8");
  const root = path.join(__dirname, "..", "fixtures", "pve-neve");
  fs.writeFileSync(stack, fixtureStack);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["an unknown kind", ["--write", "--adopt", "vm:1201"], /--adopt "vm:1201": unknown kind "vm"; use guest:<vmid>/],
    ["a guest without a vmid", ["--write", "--adopt", "guest:etoile"], /a guest is named by its vmid, e.g. guest:1207/],
    ["a kind without an id", ["--write", "--adopt", "storage"], /--adopt "storage": storage needs an id/],
    ["an id on the firewall", ["--write", "--adopt", "firewall:cluster"], /the cluster firewall has no id; write --adopt firewall/],
    ["--adopt without --write", ["--check", "--adopt", "guest:1201"], /--adopt adds objects to adoption.live in the stack file, so it goes with --write/],
    [
      "a guest neither declared nor on the host",
      ["--write", "--adopt", "guest:4242"],
      /--adopt guest:4242: no guest with vmid 4242 is declared in guests, and the host has none/,
    ],
    [
      "a guest on the host that is not declared",
      ["--write", "--adopt", "guest:9101"],
      /--adopt guest:9101: no guest with vmid 9101 is declared in guests \(declare it there first/,
    ],
    ["a declared job not on the host", ["--write", "--adopt", "job:nightly-local"], /--adopt job:nightly-local: jobs.cfg has no job nightly-local/],
    ["an undeclared storage", ["--write", "--adopt", "storage:nope"], /--adopt storage:nope: no storage nope is declared in storage/],
    [
      "one good and one bad value",
      ["--write", "--adopt", "guest:1201", "--adopt", "bridge:vmbr7"],
      /--adopt bridge:vmbr7: no bridge vmbr7 is declared in network.bridges\n--adopt names an object that is both declared in the stack and on the host \(here: guest:200, .*\)\. Nothing was written\./,
    ],
  ])("must refuse %s with exit 2 and write nothing", async (_name, argv, message) => {
    let out = "";
    let err = "";
    const code = await main(["--root", root, "--config", stack, ...argv], { out: (t) => (out += t), err: (t) => (err += t), now: () => NOW });
    expect(err).toMatch(message);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(fs.readFileSync(stack, "utf8")).toBe(fixtureStack);
  });
});

describe("npm run discover -- --write on the fixture (main), twice", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-adopt-main-"));
  const stack = path.join(dir, "Pulumi.neve.yaml");
  const root = path.join(__dirname, "..", "fixtures", "pve-neve");
  const fixtureStack = fs.readFileSync(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"), "utf8");
  fs.writeFileSync(stack, fixtureStack.replace("neve-infra:adopt: true", "neve-infra:adopt: false"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const discover = async (...argv: string[]) => {
    let out = "";
    const code = await main(["--root", root, "--config", stack, ...argv], { out: (t) => (out += t), err: (t) => (out += t), now: () => NOW });
    return { code, out };
  };

  it("must set adopt: true on the first record and say so, then leave the operator's adopt: false alone", async () => {
    const first = await discover("--write");
    expect(first.code).toBe(0);
    expect(first.out).toContain("neve-infra:adopt: true (12 objects added to adoption.live");
    expect(parseDocument(fs.readFileSync(stack, "utf8")).getIn(["config", "neve-infra:adopt"])).toBe(true);
    // The operator's `pulumi config set neve-infra:adopt false` after the successful up.
    fs.writeFileSync(stack, fs.readFileSync(stack, "utf8").replace("neve-infra:adopt: true", "neve-infra:adopt: false"));
    const second = await discover("--write");
    expect(second.code).toBe(0);
    expect(second.out).toContain("unchanged");
    expect(second.out).not.toContain("neve-infra:adopt: true");
    expect(parseDocument(fs.readFileSync(stack, "utf8")).getIn(["config", "neve-infra:adopt"])).toBe(false);
  });
});

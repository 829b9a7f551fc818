import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlanJson } from "../../scripts/lib/planJson";
import { sameCalendarEvent } from "../../stacks/common/calendarEvent";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 12's "done when" for Proxmox objects (items 1-3): on a copy of neve's files that a year of
// hand edits has shaped (tests/fixtures/pve-neve-objects: guest DNS on lune and cipher, ip6=auto on
// atlas, a cloud-init drive on a template, a pending memory change on etoile, a backup job spelled
// `02:30` where the stack says `*-*-* 02:30`, retention keep-last=4,keep-weekly=4), `discover --check`
// exits 1 naming each; after `--write` and after the operator reverts the pending change, `--check`
// exits 0; `npm run plan -- --json` then declares the live values and no second job; the copy is not
// modified. Everything through the commands' entry points, as an operator runs them.

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURE = path.join(REPO, "tests", "fixtures", "pve-neve-objects");

const npmScript = (script: string, ...args: string[]) => runScript(script, ...args);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "discover-objects-"));
const stackCopy = path.join(work, "Pulumi.neve.yaml");
// The host after the operator resolved the pending change (`qm set 1201 --revert memory`): a copy.
const resolved = path.join(work, "host");
const ETOILE = "etc/pve/nodes/neve/qemu-server/1201.conf";
let before = "";
let check: Awaited<ReturnType<typeof npmScript>>;
let write: Awaited<ReturnType<typeof npmScript>>;
let writeResolved: Awaited<ReturnType<typeof npmScript>>;
let after: Awaited<ReturnType<typeof npmScript>>;
let afterWrite: Awaited<ReturnType<typeof npmScript>>;
let counted: string[] = [];
let plan: PlanJson;

beforeAll(async () => {
  fs.copyFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), stackCopy);
  before = treeHash(FIXTURE);
  check = await npmScript("discover", "--root", FIXTURE, "--check", "--config", stackCopy);
  write = await npmScript("discover", "--root", FIXTURE, "--write", "--config", stackCopy);
  fs.cpSync(FIXTURE, resolved, { recursive: true, verbatimSymlinks: true });
  const conf = fs.readFileSync(path.join(resolved, ETOILE), "utf8");
  fs.writeFileSync(path.join(resolved, ETOILE), conf.replace("[PENDING]\nmemory: 6144\n\n", ""));
  writeResolved = await npmScript("discover", "--root", resolved, "--write", "--config", stackCopy);
  afterWrite = await npmScript("discover", "--root", resolved, "--check", "--config", stackCopy);
  // Host files the write could not state count until the operator accepts each exact live file.
  counted = [...afterWrite.stdout.matchAll(/counted: the up would replace (\S+);/g)].map((m) => m[1]);
  const acks = counted.flatMap((f) => ["--acknowledge-file", f]);
  if (acks.length) await npmScript("discover", "--root", resolved, "--write", "--config", stackCopy, ...acks);
  after = await npmScript("discover", "--root", resolved, "--check", "--config", stackCopy);
  const p = await npmScript("plan", "--json", "--config", stackCopy);
  plan = JSON.parse(p.stdout) as PlanJson;
}, 300_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("discover --check on the hand-shaped copy", () => {
  it("must exit 1", () => {
    expect(check.stderr).toBe("");
    expect(check.code).toBe(1);
  });

  it.each([
    ["etoile's pending memory change, with how to revert it", "guests.etoile (VM 1201) has pending changes Proxmox applies at the next restart: memory: 6144"],
    ["the revert command", "`qm set 1201 --revert memory`"],
    ["lune's nameserver", "guests.lune nameserver: live [10.10.10.1], declared (none)"],
    ["lune's searchdomain", "guests.lune searchdomain: live neve.lan, declared (none)"],
    ["atlas's ip6=auto", "guests.atlas ipv6Mode: live auto, declared (none)"],
    ["cipher's searchdomain", "guests.cipher searchdomain: live neve.lan, declared (none)"],
    ["cipher's nameserver (the plan states none)", "guests.cipher nameserver: live [10.10.10.1], declared []"],
    ["the cloud-init drive of the Debian template", "guests.debian12-cloud cloudInit: live true, declared false"],
    ["the job spelled 02:30, matched as the declared one", "backups.nightly-local existingId: live backup-3f8c21d0-6a47"],
    ["its keep-last", "backups.nightly-local keepLast: live 4, declared 3"],
    ["its keep-weekly", "backups.nightly-local keepWeekly: live 4, declared (none)"],
    ["a restart the change would need", "guests.lune nameserver: live [10.10.10.1], declared (none) (provider default) [needs a restart of the running guest"],
  ])("must name %s", (_what, line) => {
    expect(check.stdout).toContain(line);
  });

  it("must not call the job spelled differently unknown, nor plan a second one", () => {
    expect(check.stdout).not.toContain("backup job backup-3f8c21d0-6a47");
    expect(check.stdout).not.toContain("backups.nightly-local would be created");
  });
});

describe("--write, then the operator reverts the pending change, then --write and --check", () => {
  it("must not reconcile while the change is pending (the adoption gate then refuses the up)", () => {
    expect(write.stdout).toContain("guests.etoile: left: guests.etoile (VM 1201) has pending changes");
    expect(write.stdout).toContain("adoption.reconciled: not set");
    expect(write.code).toBe(1);
  });

  it("must count each host file the write could not state, with the way to accept it", () => {
    for (const f of counted) expect(afterWrite.stdout).toContain(`npm run discover -- --write --acknowledge-file ${f}`);
    expect(afterWrite.code).toBe(counted.length ? 1 : 0);
  });

  it("must reconcile once it is resolved, and --check must exit 0 once each counted host file is acknowledged", () => {
    expect(writeResolved.stdout).toContain("adoption.reconciled: set");
    expect(after.stdout).toContain("Result: nothing that exists on the host would change (exit 0).");
    expect(after.code).toBe(0);
  });

  it("must not modify the copy of the host's files", () => {
    expect(treeHash(FIXTURE)).toBe(before);
  });
});

describe("npm run plan -- --json on the written stack file", () => {
  const inputs = (name: string) => {
    const found = plan.resources.filter((r) => r.name === name);
    expect(found).toHaveLength(1);
    return found[0].inputs as Record<string, any>;
  };

  it.each([
    ["lune's DNS", () => inputs("lune-ct").initialization.dns, { servers: ["10.10.10.1"], domain: "neve.lan" }],
    ["atlas's IPv6 by SLAAC", () => inputs("atlas-ct").initialization.ipConfigs[0].ipv6, { address: "auto" }],
    ["cipher's DNS", () => inputs("cipher-vm").initialization.dns, { servers: ["10.10.10.1"], domain: "neve.lan" }],
    ["the Ubuntu template's DNS", () => inputs("ubuntu-2404-template-vm").initialization.dns, { servers: ["10.10.10.1"] }],
    ["the Debian template's cloud-init drive (ip=dhcp)", () => inputs("debian12-cloud-vm").initialization.ipConfigs[0].ipv4, { address: "dhcp" }],
    ["etoile's applied memory", () => inputs("etoile-vm").memory.dedicated, 4096],
    ["etoile's rebootAfterUpdate (restartOnUpdate unstated)", () => inputs("etoile-vm").rebootAfterUpdate, false],
  ])("must declare %s as it is live", (_what, get, value) => {
    expect(get()).toEqual(value);
  });

  it("must declare one job for the live job spelled 02:30 (imported, its retention), and no second one", () => {
    const jobs = plan.resources.filter((r) => r.type === "proxmoxve:backup/job:Job");
    const onLocal = jobs.filter((r) => r.inputs.storage === "local" && sameCalendarEvent(String(r.inputs.schedule), "02:30"));
    expect(onLocal).toHaveLength(1);
    expect(onLocal[0].importId).toBe("backup-3f8c21d0-6a47");
    expect(onLocal[0].inputs.resourceId).toBe("backup-3f8c21d0-6a47");
    expect(onLocal[0].inputs.pruneBackups).toEqual({ "keep-last": "4", "keep-weekly": "4" });
  });

  it("must list no guest an up may restart (no guest sets restartOnUpdate)", () => {
    expect(plan.restarts).toEqual([]);
  });
});

// The adoption gate as a pure function over the fixture stack file: with adopt: true the program must
// not register anything until discover has reconciled the stack file with the host.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { adoptionVerdict } from "../../stacks/adoption";
import { gateRefusal } from "../../stacks/adoption/gate";
import { offlinePlanRecord } from "../../stacks/adoption/offlinePlan";
import { parseStackConfig } from "../../stacks/config";
import type { Raw } from "../support/stacks";
import { NEVE_LIVE, NEW_CLONE, reconciled, stackSections } from "./support/adoption";

const verdictOf = (sections: Raw) => adoptionVerdict(parseStackConfig(sections));

describe("the adoption gate", () => {
  it("must refuse a stack file without an adoption record with adopt: true, naming both missing keys and the fix", () => {
    const v = verdictOf(stackSections());
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.stringContaining("neve-infra:adoption.live is missing"),
      expect.stringContaining("neve-infra:adoption.reconciled is missing"),
    ]);
    const message = gateRefusal(v);
    expect(message).toContain("npm run discover -- --check");
    expect(message).toContain("npm run discover -- --write");
    expect(message).toContain("neve-infra:adoption.acknowledge");
    expect(message).toContain("pulumi/pulumi#19339");
  });

  it("must refuse a record without live objects", () => {
    const s = reconciled(stackSections());
    delete s.adoption.live;
    expect(verdictOf(s).problems).toEqual([expect.stringContaining("neve-infra:adoption.live is missing"), expect.stringContaining("changed since")]);
  });

  it("must accept a stack file whose fingerprint matches the record", () => {
    expect(verdictOf(reconciled(stackSections()))).toEqual({ ok: true, problems: [] });
  });

  it("must not check the fingerprint when adopt is false (edits after the adopting up need no new discover run)", () => {
    const s: Raw = { ...reconciled(stackSections()), adopt: false };
    s.guests.cipher.memoryMiB = 8192;
    expect(verdictOf(s)).toEqual({ ok: true, problems: [] });
  });

  it("must refuse a stack file without adoption.live even when adopt is false (the program cannot tell live objects from new ones)", () => {
    const v = verdictOf({ ...stackSections(), adopt: false });
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([expect.stringContaining("a real run needs this record whatever neve-infra:adopt says")]);
    const message = gateRefusal(v, false);
    expect(message).toMatch(/^the stack file does not record the live host yet:/);
    expect(message).toContain("npm run discover -- --check");
  });

  const edits: [string, (s: Raw) => void][] = [
    ["a guest field", (s) => (s.guests.cipher.memoryMiB = 8192)],
    ["a new guest", (s) => (s.guests.nouvelle = NEW_CLONE)],
    ["a firewall rule", (s) => (s.firewall.rules[2].comment = "edited")],
    ["a storage", (s) => s.storage.local.contents.push("images")],
    ["a bridge", (s) => (s.network.bridges.vmbr1.comment = "edited")],
    ["a backup job", (s) => (s.backups["nightly-local"].keepLast = 4)],
    ["the live list", (s) => s.adoption.live.guests.push(9107)],
    // description needs no restart (an acknowledged restart of a running guest is refused: stacks/config/rules/restart.ts).
    ["an acknowledgement", (s) => s.adoption.acknowledge.push("guests.cipher.description")],
  ];
  it.each(edits)("must refuse after an edit of %s since discover --check passed", (_, edit) => {
    const s = reconciled(stackSections());
    edit(s);
    const v = verdictOf(s);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      expect.stringMatching(
        /^the Proxmox sections .* changed since npm run discover -- --check last passed \(recorded sha256:[0-9a-f]{12}\.\.\., now sha256:[0-9a-f]{12}\.\.\.\)$/,
      ),
    ]);
  });

  it("must not care about sections that are not Proxmox objects (routes, host services)", () => {
    const s = reconciled(stackSections());
    s.hostServices.haproxy.statsPort = 8405;
    s.routes[0].http = 8080;
    expect(verdictOf(s).ok).toBe(true);
  });

  it("must keep the record's live list as discover wrote it", () => {
    expect(parseStackConfig(reconciled(stackSections())).adoption.live).toEqual(NEVE_LIVE);
  });
});

describe("the offline plan's switch", () => {
  /** Every .ts file of the program and the scripts (what `pulumi up` or an npm script could load). */
  function sources(dir: string): string[] {
    return fs
      .readdirSync(path.join(REPO_ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => path.join(dir, f));
  }

  it("must be off unless the mock runner turned it on", () => {
    expect(offlinePlanRecord()).toBeUndefined();
  });

  it("must not be reachable from anything but the mock runner (no config key, no environment variable)", () => {
    const users = [...sources("stacks"), ...sources("scripts"), ...sources("providers")].filter((f) =>
      fs.readFileSync(path.join(REPO_ROOT, f), "utf8").includes("beginOfflinePlan("),
    );
    expect(users.sort()).toEqual([path.join("scripts", "lib", "mockRunner.ts"), path.join("stacks", "adoption", "offlinePlan.ts")]);
    const switchModule = fs.readFileSync(path.join(REPO_ROOT, "stacks", "adoption", "offlinePlan.ts"), "utf8");
    expect(switchModule).not.toMatch(/process\.env|pulumi\.Config|getConfig/);
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import type { PlanJson } from "../../scripts/lib/planJson";
import { type DiscoverCopy, discoverCopy } from "../support/discoverCopy";
import { runScript } from "../support/scriptRun";

// Two live values the guest key and the provider's defaults cannot carry, each on its own copy of
// tests/fixtures/pve-neve: a container whose hostname is a dotted DNS name (atlas.neve.lan; a guest key
// is one label) and a container without `cores` (every host core; bpg's default is 1). --check names
// each, --write states it (guests.<key>.hostname, cores: all), --check then finds nothing for it; plan
// --json sends the stated hostname, and refuses `cores: all` with exit 2 naming the field and the fix.

const CT = (name: string) => path.join("etc", "pve", "nodes", "neve", "lxc", name);

/** Edit the main section (before the first `[snapshot]`) of a conf in the copy. */
function editMain(root: string, file: string, edit: (main: string) => string): void {
  const p = path.join(root, file);
  const text = fs.readFileSync(p, "utf8");
  const at = text.search(/^\[/m);
  const main = at < 0 ? text : text.slice(0, at);
  const changed = edit(main);
  if (changed === main) throw new Error(`${file}: the edit changed nothing`);
  fs.writeFileSync(p, changed + (at < 0 ? "" : text.slice(at)));
}

type Run = Awaited<ReturnType<DiscoverCopy["run"]>>;
const guestField = (stack: string, key: string, field: string) =>
  parseDocument(fs.readFileSync(stack, "utf8")).getIn(["config", "neve-infra:guests", key, field]);

describe("a container whose live hostname is a dotted DNS name", () => {
  const copy = discoverCopy("discover-hostname-");
  let baseline: Run;
  let check: Run;
  let write: Run;
  let after: Run;
  let plan: PlanJson;
  beforeAll(async () => {
    baseline = await copy.run("--check");
    editMain(copy.root, CT("200.conf"), (m) => m.replace(/^hostname: atlas$/m, "hostname: atlas.neve.lan"));
    check = await copy.run("--check");
    write = await copy.run("--write");
    after = await copy.run("--check");
    const p = await runScript("plan", "--json", "--config", copy.stack);
    expect(p.stderr).toBe("");
    plan = JSON.parse(p.stdout) as PlanJson;
  }, 120_000);
  afterAll(() => copy.remove());

  it("must be named by --check as the stated hostname against the key", () => {
    expect(check.code).toBe(1);
    expect(check.out).toContain("guests.atlas hostname: live atlas.neve.lan, declared atlas");
  });
  it("must be stated by --write as guests.atlas.hostname, the key kept", () => {
    expect(write.out).toContain("guests.atlas.hostname: atlas.neve.lan (live; was atlas)");
    expect(guestField(copy.stack, "atlas", "hostname")).toBe("atlas.neve.lan");
  });
  it("must leave nothing for it to --check (the rest as on the unedited copy)", () => {
    expect(after.out).not.toMatch(/guests\.atlas (hostname|name):/);
    expect(after.code).toBe(baseline.code);
  });
  it("must be what plan --json sends as the container's hostname", () => {
    const ct = plan.resources.find((r) => r.type === "proxmoxve:index/containerLegacy:ContainerLegacy" && r.name === "atlas-ct");
    expect((ct?.inputs.initialization as { hostname?: string } | undefined)?.hostname).toBe("atlas.neve.lan");
  });
});

describe("a container without cores (every host core)", () => {
  const copy = discoverCopy("discover-cores-");
  let check: Run;
  let write: Run;
  let after: Run;
  let plan: Awaited<ReturnType<typeof runScript>>;
  beforeAll(async () => {
    editMain(copy.root, CT("200.conf"), (m) => m.replace(/^cores: 1\n/m, ""));
    check = await copy.run("--check");
    write = await copy.run("--write");
    after = await copy.run("--check");
    plan = await runScript("plan", "--json", "--config", copy.stack);
  }, 120_000);
  afterAll(() => copy.remove());

  it("must be named by --check against the provider's default, 1", () => {
    expect(check.code).toBe(1);
    expect(check.out).toContain("guests.atlas cores: live all, declared 1 (provider default)");
  });
  it("must be stated by --write as cores: all and then match", () => {
    expect(write.out).toContain("guests.atlas.cores: all (live; was 1");
    expect(guestField(copy.stack, "atlas", "cores")).toBe("all");
    expect(after.out).not.toMatch(/guests\.atlas cores/);
  });
  it("must be refused by plan with exit 2 naming the field and the way out, never capped at 1", () => {
    expect(plan.code).toBe(2);
    expect(plan.stdout).toBe("");
    expect(plan.stderr).toContain("guests.atlas.cores: is all (every host core");
    expect(plan.stderr).toContain("pct set 200 --cores N");
  });
});

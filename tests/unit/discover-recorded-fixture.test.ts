/**
 * `discover` and the recorded-fact markers (stacks/config/recorded.ts): on a copy of the `tests/fixtures/pve-neve`
 * files (--root) and of the fixture stack file with its markers removed (a stack file not adopted yet), `--check`
 * still reads it, and `--write` marks the firewall and each bridge it found on the host as recorded, so the adopted
 * file plans; with a switch on it removes a marker left over.
 */
import * as fs from "node:fs";
import { parse, stringify } from "yaml";
import { loadModelFromFile } from "../../scripts/lib/stackFile";
import { discoverCopy } from "../support/discoverCopy";
import type { Raw } from "../support/stacks";

const NS = "neve-infra";

/** Rewrite the copy's stack file through `edit`. */
function editStack(stack: string, edit: (config: Raw) => void): void {
  const doc = parse(fs.readFileSync(stack, "utf8")) as Raw;
  edit(doc.config);
  fs.writeFileSync(stack, stringify(doc));
}

const unmark = (config: Raw) => {
  delete config[`${NS}:firewall`].recorded;
  for (const b of Object.values(config[`${NS}:network`].bridges) as Raw[]) delete b.recorded;
};

describe("discover on a stack file without the recorded-fact markers", () => {
  const { stack, run, remove } = discoverCopy("discover-recorded-");
  afterAll(remove);

  it("must be refused by the plan before discover ran (the markers are missing)", () => {
    editStack(stack, unmark);
    expect(() => loadModelFromFile(stack)).toThrow(/firewall: an up does not apply .*\n.*network\.bridges\.vmbr0: an up does not apply/);
  });

  it("must still be read by --check (no config error: the markers change no host file)", async () => {
    const r = await run("--check");
    expect(r.err).not.toContain("Invalid stack config");
    expect(r.out).toContain("Changes the first `pulumi up` would make");
  });

  it("must get firewall.recorded and recorded on each bridge found on the host from --write, and then plan", async () => {
    const w = await run("--write");
    expect(w.err).toBe("");
    expect(w.out).toContain("firewall.recorded: true (the firewall as read from the host;");
    expect(w.out).toContain("network.bridges.vmbr0.recorded: true (as read from the host;");
    expect(w.out).toContain("network.bridges.vmbr1.recorded: true (as read from the host;");
    const config = (parse(fs.readFileSync(stack, "utf8")) as Raw).config;
    expect(config[`${NS}:firewall`].recorded).toBe(true);
    expect(config[`${NS}:network`].bridges.vmbr0.recorded).toBe(true);
    expect(config[`${NS}:network`].bridges.vmbr1.recorded).toBe(true);
    expect(() => loadModelFromFile(stack)).not.toThrow();
  });

  it("must remove a marker left over when its switch is on (the files apply the values: it has no effect there)", async () => {
    editStack(stack, (c) => (c[`${NS}:network`].interfacesFile = true));
    const w = await run("--write");
    expect(w.out).toContain("network.bridges.vmbr0.recorded: removed (network.interfacesFile is true");
    const config = (parse(fs.readFileSync(stack, "utf8")) as Raw).config;
    expect(config[`${NS}:network`].bridges.vmbr0.recorded).toBeUndefined();
    expect(config[`${NS}:firewall`].recorded).toBe(true);
  });
});

/**
 * The named live edits of tests/discoverCases.ts, each applied to a fresh copy of the pve-neve fixture
 * and read with --root: the facts must show exactly the edit. Over SSH too: tests/host/discover-read.test.ts.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readLive } from "../../stacks/discover/read";
import { LIVE_EDIT_CASES } from "../discoverCases";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "pve-neve");

describe.each(LIVE_EDIT_CASES.map((c) => [c.name, c] as const))("live edit: %s", (_name, c) => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-case-"));
    fs.cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
    execFileSync("/bin/sh", ["-c", c.edit], { cwd: dir });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("must show in discover's facts read with --root", async () => {
    const read = readLive({ kind: "root", dir }, { node: "neve", files: [] });
    if ("error" in c.expect) {
      await expect(read).rejects.toThrow(c.expect.error);
      return;
    }
    const facts = await read;
    c.expect(facts);
    if (c.sameFacts) {
      const unedited = await readLive({ kind: "root", dir: FIXTURE }, { node: "neve", files: [] });
      expect({ ...facts, source: "" }).toEqual({ ...unedited, source: "" });
    }
  });
});

it("must fail the table's own checks on the unedited fixture (each case detects its edit)", async () => {
  const facts = await readLive({ kind: "root", dir: FIXTURE }, { node: "neve", files: [] });
  for (const c of LIVE_EDIT_CASES) {
    if ("error" in c.expect || c.sameFacts) continue;
    expect(() => (c.expect as (f: typeof facts) => void)(facts)).toThrow();
  }
});

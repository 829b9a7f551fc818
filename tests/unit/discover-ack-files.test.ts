/**
 * `npm run discover -- --check` counts differing managed host files, and `--write --acknowledge-file
 * PATH` accepts one by its live content's hash (`neve-infra:adoption.files`): on a copy of the
 * `tests/fixtures/pve-neve` files (--root), a hand edit after the acknowledgement counts again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { adoptionSchema } from "../../stacks/config/adoption";
import { discoverCopy } from "../support/discoverCopy";

const HAPROXY = "/etc/haproxy/haproxy.cfg";

describe("discover: differing host files count; an acknowledgement holds for one exact live content", () => {
  const { root, stack, run, remove } = discoverCopy("discover-ack-files-");
  afterAll(remove);
  const hostFiles = (out: string) => out.slice(out.indexOf("\nHost files"));

  it("must count a differing file, accept it once acknowledged, and count it again after a hand edit", async () => {
    const first = await run("--check");
    expect(first.err).toBe("");
    expect(first.code).toBe(1);
    expect(hostFiles(first.out)).toContain(`counted: the up would replace ${HAPROXY}; state its directives in the stack file`);
    expect(hostFiles(first.out)).toContain(`npm run discover -- --write --acknowledge-file ${HAPROXY}`);

    // --fail-on-files is accepted and changes nothing.
    expect((await run("--check", "--fail-on-files")).out).toBe(first.out);

    const w = await run("--write", "--acknowledge-file", HAPROXY);
    expect(w.err).toBe("");
    expect(w.out).toContain(`adoption.files: ${HAPROXY} acknowledged`);
    const files = parse(fs.readFileSync(stack, "utf8")).config["neve-infra:adoption"].files;
    expect(Object.keys(files)).toEqual([HAPROXY]);
    expect(files[HAPROXY]).toMatch(/^sha256:[0-9a-f]{64}$/);

    const acked = await run("--check");
    expect(hostFiles(acked.out)).toMatch(/acknowledged \(neve-infra:adoption\.files: the live content's hash\): the up replaces it; not counted/);
    expect(hostFiles(acked.out)).not.toContain(`counted: the up would replace ${HAPROXY}`);

    // A hand edit that changes the meaning (a comment alone would not: the file stays equal in meaning).
    fs.appendFileSync(path.join(root, HAPROXY), "\tretries 5\n");
    const reopened = await run("--check");
    expect(reopened.code).toBe(1);
    expect(hostFiles(reopened.out)).toContain(`counted: ${HAPROXY} changed since it was acknowledged`);
  });

  it("must refuse --acknowledge-file without --write, or for a path the stack does not manage (exit 2, nothing written)", async () => {
    const before = fs.readFileSync(stack, "utf8");
    const a = await run("--check", "--acknowledge-file", HAPROXY);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--acknowledge-file records the live file's hash in the stack file, so it goes with --write/);
    const b = await run("--write", "--acknowledge-file", "/etc/motd");
    expect(b.code).toBe(2);
    expect(b.err).toMatch(
      /--acknowledge-file \/etc\/motd: neither a host file the stack manages nor one beside a managed file \(--check names those as "beside"\); managed files: .*\/etc\/haproxy\/haproxy\.cfg/,
    );
    expect(fs.readFileSync(stack, "utf8")).toBe(before);
  });
});

describe("adoption.files in the stack file", () => {
  it("must refuse a malformed hash, naming the form and the command that writes it", () => {
    const r = adoptionSchema.safeParse({ files: { [HAPROXY]: "sha256:ABC" } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/sha256:<64 lowercase hex digits> of the live file.*--acknowledge-file PATH/);
    expect(JSON.stringify(r.error?.issues)).toContain(HAPROXY);
  });
});

// next free clone address (.91-.99): pure function, and `npm run next-ip` on real and temp stack files.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { loadModelFromFile, REPO_ROOT } from "../../scripts/lib/stackFile";
import { CloneRangeFullError, nextFreeCloneAddress, parseStackConfig } from "../../stacks/config";
import { FIXTURE_STACK_FILE, REAL_STACK_FILE, rawConfig } from "../support/stacks";

const run = promisify(execFile);
type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const DEFAULT_STACK_FILE = FIXTURE_STACK_FILE;
const realRaw = (): Raw => rawConfig();

function addClone(raw: Raw, name: string, vmid: number, ipv4: string): void {
  raw.guests[name] = { vmid, kind: "vm", memoryMiB: 1024, bridge: "vmbr1", ipv4, cloudInit: true, running: true, clone: { from: "ubuntu-2404-template" } };
}

describe("nextFreeCloneAddress", () => {
  it("must skip the hand-made clones francoise (.91) and dhcp-final-test (.92)", () => {
    expect(nextFreeCloneAddress(parseStackConfig(realRaw()))).toBe("10.10.10.93");
  });

  it("must hand out addresses in order as clones are added", () => {
    const raw = realRaw();
    addClone(raw, "clone-a", 9101, "10.10.10.93");
    expect(nextFreeCloneAddress(parseStackConfig(raw))).toBe("10.10.10.94");
    addClone(raw, "clone-b", 9102, "10.10.10.95");
    expect(nextFreeCloneAddress(parseStackConfig(raw))).toBe("10.10.10.94");
  });

  it("must not count template 9000's .99 placeholder as taken", () => {
    const raw = realRaw();
    for (let i = 93; i <= 98; i++) addClone(raw, `clone-${i}`, 9000 + i * 2, `10.10.10.${i}`);
    expect(nextFreeCloneAddress(parseStackConfig(raw))).toBe("10.10.10.99");
  });

  it("must fail clearly when .91-.99 is full", () => {
    const raw = realRaw();
    for (let i = 93; i <= 99; i++) addClone(raw, `clone-${i}`, 9000 + i * 2, `10.10.10.${i}`);
    const model = parseStackConfig(raw);
    expect(() => nextFreeCloneAddress(model)).toThrow(CloneRangeFullError);
    expect(() => nextFreeCloneAddress(model)).toThrow(
      "network.ipv4.cloneRange 10.10.10.91-10.10.10.99 is full (held by francoise 10.10.10.91, dhcp-final-test 10.10.10.92, clone-93 10.10.10.93",
    );
  });
});

describe("npm run next-ip", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-next-ip-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(REPO_ROOT, "scripts", "next-ip.ts");
  const tsNode = path.join(REPO_ROOT, "node_modules", ".bin", "ts-node");

  it("must print the lowest free clone address of the fixture stack file", async () => {
    const { stdout } = await run(tsNode, ["--transpile-only", script, "--config", FIXTURE_STACK_FILE], { cwd: REPO_ROOT });
    expect(stdout.trim()).toBe("10.10.10.93");
  });

  it("must read the real stack file by default and print what nextFreeCloneAddress gives for it", async () => {
    let expected: { code: number; out: string };
    try {
      expected = { code: 0, out: nextFreeCloneAddress(loadModelFromFile(REAL_STACK_FILE)) };
    } catch (e) {
      if (!(e instanceof CloneRangeFullError)) throw e;
      expected = { code: 3, out: "" };
    }
    const got = await run(tsNode, ["--transpile-only", script], { cwd: REPO_ROOT }).then(
      (r) => ({ code: 0, out: r.stdout.trim() }),
      (e: { code: number }) => ({ code: e.code, out: "" }),
    );
    expect(got).toEqual(expected);
  });

  it("must exit 3 with a clear message when the range is full", async () => {
    const doc = parse(fs.readFileSync(DEFAULT_STACK_FILE, "utf8"));
    const guests = doc.config["neve-infra:guests"];
    for (let i = 93; i <= 99; i++) {
      guests[`clone-${i}`] = {
        vmid: 9000 + i * 2,
        kind: "vm",
        memoryMiB: 1024,
        bridge: "vmbr1",
        ipv4: `10.10.10.${i}`,
        clone: { from: "ubuntu-2404-template" },
      };
    }
    const file = path.join(dir, "Pulumi.full.yaml");
    fs.writeFileSync(file, stringify(doc));
    const err = await run(tsNode, ["--transpile-only", script, "--config", file], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(3);
    expect(err?.stderr).toContain("network.ipv4.cloneRange 10.10.10.91-10.10.10.99 is full");
    expect(err?.stderr).toContain("widen network.ipv4.cloneRange");
  });
});

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadModelFromFile } from "../../scripts/lib/stackFile";
import { main, parseArgs, targetOf, UsageError } from "../../stacks/discover/cli";

// The CLI's arguments: one mode at a time, --root excludes the SSH options, the host key is pinned
// (never trust on first use).

describe.each([
  ["--check --write", ["--check", "--write"], /--check and --write exclude each other/],
  [
    "--root with --host-key",
    ["--root", "/x", "--host-key", "SHA256:abc"],
    /--root reads copies of the files; --key, --host, --port and --host-key are for SSH/,
  ],
  ["a bad port", ["--port", "70000"], /--port must be an integer 1-65535, got "70000"/],
  ["an unknown secret key", ["--secret", "nope=/x"], /--secret takes KEY=FILE with KEY one of proxmoxApiToken/],
  ["an unknown flag", ["--force"], /unknown argument "--force"/],
  ["a flag without its value", ["--config"], /--config needs a value/],
])("discover must refuse %s", (_name, argv, message) => {
  it("with a usage error", () => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe("discover's read target", () => {
  // The frozen copy of the stack file (no host key pinned there).
  const model = loadModelFromFile(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"));

  it("must refuse SSH while no host key is pinned, naming how to pin it", () => {
    expect(model.ssh.hostKey).toBeUndefined();
    expect(() => targetOf(parseArgs(["--check"]), model, undefined)).toThrow(/ssh\.hostKey is not pinned \(no trust on first use\)/);
  });

  it("must use the stack's ssh section and the pinned --host-key", () => {
    expect(targetOf(parseArgs(["--host-key", "SHA256:abc", "--port", "2222"]), model, undefined)).toEqual({
      kind: "ssh",
      host: "100.94.229.96",
      port: 2222,
      username: "root",
      hostKey: "SHA256:abc",
      privateKey: undefined,
    });
  });

  it("must read copies with --root and never connect", () => {
    expect(targetOf(parseArgs(["--root", "/srv/copy", "--write"]), model, undefined)).toEqual({ kind: "root", dir: "/srv/copy" });
  });
});

describe("discover's errors", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-errors-"));
  const stack = path.join(dir, "Pulumi.neve.yaml");
  const bad = path.join(dir, "Pulumi.bad.yaml");
  const fixtureStack = fs.readFileSync(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"), "utf8");
  fs.writeFileSync(stack, fixtureStack);
  fs.writeFileSync(bad, "config:\n  neve-infra:adopt: [true\n");
  fs.mkdirSync(path.join(dir, "empty"));
  fs.mkdirSync(path.join(dir, "other", "etc", "pve", "nodes", "pve1"), { recursive: true });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["a --root that does not exist", ["--root", path.join(dir, "missing"), "--config", stack, "--write"], /--root .*missing: no such directory/],
    [
      "a --root without any node directory",
      ["--root", path.join(dir, "empty"), "--config", stack, "--write"],
      /no node directories there at all\): with --root, DIR must hold copies of the host's files at their host paths/,
    ],
    ["a --root with another node", ["--root", path.join(dir, "other"), "--config", stack, "--write"], /nodes there: pve1\); set proxmox.nodeName/],
    ["a --config that is not YAML", ["--root", path.join(dir, "empty"), "--config", bad, "--check"], /Pulumi\.bad\.yaml is not valid YAML \(fix it.*line 3/],
    ["SSH without a pinned host key", ["--config", stack, "--check"], /ssh.hostKey is not pinned \(no trust on first use\)/],
  ])("must refuse %s with exit 2, one clear message, no stack trace, nothing written", async (_name, argv, message) => {
    let out = "";
    let err = "";
    const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), now: () => "2026-11-30T00:00:00Z" });
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
    expect(out).toBe("");
    expect(fs.readFileSync(stack, "utf8")).toBe(fixtureStack);
  });
});

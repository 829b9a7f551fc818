import * as path from "node:path";
import { parseArgs, targetOf, UsageError } from "../../scripts/lib/discover/cli";
import { loadModelFromFile } from "../../scripts/lib/stackFile";

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

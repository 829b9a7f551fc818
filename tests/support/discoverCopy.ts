/**
 * A writable copy of the `tests/fixtures/pve-neve` host files and of the frozen fixture stack file, with
 * `npm run discover`'s entry point run in process against it (`--root`, `--config`). For the discover unit
 * tests that edit the copy or the stack file between runs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface DiscoverCopy {
  /** The copy of the host's files (discover's `--root`). */
  readonly root: string;
  /** The copy of the stack file (discover's `--config`). */
  readonly stack: string;
  /** Run discover with these arguments after `--root` and `--config`; its exit code and output. */
  run(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Remove the copy. */
  remove(): void;
}

export function discoverCopy(prefix: string): DiscoverCopy {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const root = path.join(dir, "root");
  const stack = path.join(dir, "Pulumi.neve.yaml");
  const fixtures = path.join(__dirname, "..", "fixtures");
  fs.cpSync(path.join(fixtures, "pve-neve"), root, { recursive: true });
  fs.writeFileSync(stack, fs.readFileSync(path.join(fixtures, "Pulumi.fixture.yaml"), "utf8"));
  return {
    root,
    stack,
    async run(...argv) {
      // The program runs in-process once per module registry (its mocks): a fresh registry per run.
      jest.resetModules();
      const { main } = await import("../../stacks/discover/cli");
      let out = "";
      let err = "";
      const code = await main(["--root", root, "--config", stack, ...argv], {
        out: (t) => (out += t),
        err: (t) => (err += t),
        now: () => "2026-12-07T00:00:00Z",
      });
      return { code, out, err };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// npm run discover [-- --check | --write [--adopt KIND:ID ...]] [--config FILE] [--root DIR | --key FILE --host H --port P --host-key K] [--secret KEY=FILE] [--acknowledge-file PATH ...]
//
// READ-ONLY on the host: one SSH connection (host key pinned: ssh.hostKey or --host-key, never trust on
// first use) and one read-only command, or --root DIR with copies of the files at their host paths.
// Without flags: the live facts in the stack file's vocabulary (YAML). --check: what the first
// `pulumi up` would change (exit 0 nothing, 1 something, 2 error). --write: update the stack file so it
// describes the host (adoption.live is append-only: --adopt adds a declared object once it is recorded).
// Details: docs/discover.md; logic: stacks/discover/.
import { main } from "../stacks/discover/cli";
import { exitWhenFlushed } from "./lib/cli";

main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  now: () => new Date().toISOString(),
}).then(
  (code) => exitWhenFlushed(code),
  (e: unknown) => {
    process.stderr.write(`discover failed: ${e instanceof Error ? e.message : String(e)}\n`);
    exitWhenFlushed(2);
  },
);

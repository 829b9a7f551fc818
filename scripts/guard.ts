// npm run guard -- FILE [--config STACKFILE]      (FILE - reads standard input)
// npm run guard -- --state FILE
// Reads the document of `pulumi preview --json --show-replacement-steps` and checks every step
// against the stop list the program's own hooks use (stacks/guards/stopList.ts), with adoption.live
// from the stack file (default: the repository's Pulumi.neve.yaml). Prints one line per step that
// must not run (`<op> <urn>: <why>`). With --state it reads `pulumi stack export` instead and names
// every Proxmox resource whose recorded state lacks retainOnDelete or the delete guard.
// Exit 0: safe to up (state: every resource covered); 1: something on the stop list; 2: the input is
// not such a document, or a bad argument or stack file.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../stacks/config/errors";
import { DocumentError, previewStops, stateGaps } from "../stacks/guards/preview";
import { DEFAULT_STACK_FILE, loadModelFromFile } from "./lib/stackFile";

const USAGE = "usage: npm run guard -- FILE [--config STACKFILE]  or  npm run guard -- --state FILE  (FILE - reads standard input)";

class UsageError extends Error {}

/** Parse argv (after `--`); throws a usage error (exit 2). Exported for the README's runbook test. */
export function parseArgs(argv: string[]): { file: string; stackFile: string; state: boolean } {
  let file: string | undefined;
  let stackFile = DEFAULT_STACK_FILE;
  let state = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--config" && argv[i + 1]) stackFile = path.resolve(argv[++i]);
    else if (argv[i] === "--state") state = true;
    else if (!argv[i].startsWith("--") || argv[i] === "-") {
      if (file !== undefined) throw new UsageError(`one FILE only (got ${file} and ${argv[i]}); ${USAGE}`);
      file = argv[i];
    } else throw new UsageError(`unknown argument "${argv[i]}"; ${USAGE}`);
  }
  if (file === undefined) throw new UsageError(`no FILE given; ${USAGE}`);
  return { file, stackFile, state };
}

function main(): number {
  try {
    const args = parseArgs(process.argv.slice(2));
    const text = fs.readFileSync(args.file === "-" ? 0 : args.file, "utf8");
    const lines = args.state ? stateGaps(text) : previewStops(text, loadModelFromFile(args.stackFile).adoption.live);
    for (const l of lines) process.stdout.write(`${l}\n`);
    if (lines.length) {
      process.stderr.write(
        args.state
          ? `guard: ${lines.length} Proxmox resource(s) not yet covered by the recorded state\n`
          : `guard: ${lines.length} step(s) on the stop list: do not pulumi up (docs/adopting.md §13)\n`,
      );
      return 1;
    }
    process.stderr.write(
      args.state ? "guard: every Proxmox resource in the state has retainOnDelete and the delete guard\n" : "guard: no step on the stop list\n",
    );
    return 0;
  } catch (e) {
    if (e instanceof DocumentError || e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`guard: ${e.message}\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`guard: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

// Run only as the entry point (`npm run guard`), not when a test imports parseArgs.
if (require.main === module) process.exitCode = main();

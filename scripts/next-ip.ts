// npm run next-ip [-- --config FILE]
// Prints the lowest free address of the clone range (.91-.99) from the stack file, for the next
// VM cloned from template 9000. Exit 2 on invalid config, 3 when the range is full.
import * as path from "node:path";
import { CloneRangeFullError, nextFreeCloneAddress } from "../stacks/config/build";
import { ConfigError } from "../stacks/config/errors";
import { DEFAULT_STACK_FILE, loadModelFromFile } from "./lib/stackFile";

function main(argv: string[]): number {
  let file = DEFAULT_STACK_FILE;
  if (argv[0] === "--config" && argv[1]) file = path.resolve(argv[1]);
  else if (argv.length) {
    process.stderr.write(`unknown argument "${argv[0]}"; usage: npm run next-ip [-- --config FILE]\n`);
    return 1;
  }
  try {
    process.stdout.write(`${nextFreeCloneAddress(loadModelFromFile(file))}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${path.relative(process.cwd(), file) || file}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof CloneRangeFullError) {
      process.stderr.write(`${e.message}\n`);
      return 3;
    }
    // Anything else is a bug, not the operator's input: one line, no stack trace.
    process.stderr.write(`next-ip failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exit(main(process.argv.slice(2)));

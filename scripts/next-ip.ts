// npm run next-ip [-- --config FILE]
// Prints the lowest free address of the clone range (.91-.99) from the stack file, for the next
// VM cloned from template 9000. Exit 2 on a bad argument or stack file (the file named,
// scripts/lib/cli.ts), 3 when the range is full, 1 on other errors.
import { CloneRangeFullError, nextFreeCloneAddress } from "../stacks/config/build";
import { exitWhenFlushed, failure, parseFlags } from "./lib/cli";
import { DEFAULT_STACK_FILE, loadModelFromFile } from "./lib/stackFile";

const USAGE = "usage: npm run next-ip [-- --config FILE]";

function main(argv: string[]): number {
  let file: string | undefined;
  try {
    file = parseFlags(argv, { "--config": "path" }, USAGE)["--config"] ?? DEFAULT_STACK_FILE;
    process.stdout.write(`${nextFreeCloneAddress(loadModelFromFile(file))}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CloneRangeFullError) {
      process.stderr.write(`${e.message}\n`);
      return 3;
    }
    const { code, text } = failure("next-ip", e, file);
    process.stderr.write(text);
    return code;
  }
}

exitWhenFlushed(main(process.argv.slice(2)));

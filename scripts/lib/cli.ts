/**
 * What the commands of this repo share at their edge (`npm run plan`, `npm run next-ip`): the
 * argument parser and the one mapping of a failure to an exit code and a line on stderr. Bad input
 * (an argument, a stack file that cannot be read, is not YAML or is not a valid config) is exit 2
 * with the file named; anything else is a bug, exit 1, one line.
 */
import * as path from "node:path";
import { ConfigError } from "../../stacks/config/errors";
import { StackFileError, shownPath } from "./stackFile";

/** A wrong command line (exit 2); the message says what is wrong and shows the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** How a flag is written: `switch` stands alone, `path` takes a value (a file or directory, resolved from the working directory). */
export type FlagKind = "switch" | "path";

/** Parsed flags: a switch is `true` when given, a path flag its absolute path. */
export type Flags<S extends Record<string, FlagKind>> = { [K in keyof S]?: S[K] extends "switch" ? true : string };

/**
 * Parse `argv` (after `--`) against `spec` (flag names with their leading `--`). A path flag takes
 * its value as the next argument or after `=` (`--config FILE`, `--config=FILE`). Throws
 * {@link UsageError} for an unknown argument, a missing or empty value, or a flag given twice.
 */
export function parseFlags<S extends Record<string, FlagKind>>(argv: readonly string[], spec: S, usage: string): Flags<S> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = Object.hasOwn(spec, flag) ? spec[flag] : undefined;
    if (kind === undefined) throw new UsageError(`unknown argument "${arg}"; ${usage}`);
    if (Object.hasOwn(out, flag)) throw new UsageError(`${flag} is given twice; ${usage}`);
    if (kind === "switch") {
      if (eq > 0) throw new UsageError(`${flag} takes no value; ${usage}`);
      out[flag] = true;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) throw new UsageError(`${flag} needs a value; ${usage}`);
    out[flag] = path.resolve(value);
  }
  return out as Flags<S>;
}

/**
 * The exit code and stderr text for a failure of command `name`: 2 for bad input (usage, stack
 * file, config; each message names the file), 1 for anything else.
 */
export function failure(name: string, e: unknown, stackFile?: string): { code: 1 | 2; text: string } {
  if (e instanceof UsageError) return { code: 2, text: `${name}: ${e.message}\n` };
  if (e instanceof StackFileError) return { code: 2, text: `${e.message}\n` };
  if (e instanceof ConfigError) return { code: 2, text: `${stackFile === undefined ? "" : `${shownPath(stackFile)}: `}${e.message}\n` };
  // Anything else is a bug, not the operator's input: one line, no stack trace.
  return { code: 1, text: `${name} failed: ${e instanceof Error ? e.message : String(e)}\n` };
}

/**
 * End the process with `code` once everything written to stdout and stderr has left the process. `process.exit`
 * alone drops what a pipe has not taken yet: into a pipe whose reader is slower than the command (a JSON parser, a
 * pager), Node queues a write the pipe's buffer (64 KiB) cannot hold at once, and exit discards the queue, so
 * `npm run plan -- --json | consumer` got the first 64 KiB of the document. A write's callback runs once it and
 * every write before it on that stream have been handed to the kernel.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, type ConfigIssue } from "../../stacks/config/errors";
import type { NeveModel } from "../../stacks/config/model";
import { CONFIG_NAMESPACE, SECRET_KEYS, secureEntryProblem } from "../../stacks/config/secrets";
// Not the stacks/config index: that one loads @pulumi/pulumi, which plain config checks do not need.
import { parseStackConfig, rawConfigFromPulumi } from "../../stacks/config/stack";

/** The repository root (two levels above scripts/lib). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The stack file under test by default: the real Pulumi.neve.yaml. */
export const DEFAULT_STACK_FILE = path.join(REPO_ROOT, "Pulumi.neve.yaml");

/** The stack file as messages name it: relative to the working directory when that is shorter to read. */
export function shownPath(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/**
 * A stack file that cannot be used at all: not there, a directory, unreadable, not YAML (a tab in
 * the indentation, a key twice, an undefined alias, aliases that expand without bound), empty, or
 * without a `config:` map. The message names the file and the fix; commands exit 2 on it.
 */
export class StackFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${shownPath(file)}${problem}`);
    this.name = "StackFileError";
  }
}

/** What `fs.readFileSync` can say about a file the operator named, as a sentence without errno text. */
function unreadable(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOENT":
      return ": no such file; name an existing stack file (e.g. --config Pulumi.neve.yaml)";
    case "EISDIR":
      return " is a directory; name the stack file in it (e.g. --config Pulumi.neve.yaml)";
    case "EACCES":
    case "EPERM":
      return ": not readable by this user; fix its permissions or run as its owner";
    default:
      return `: cannot be read (${e.code ?? e.message})`;
  }
}

/**
 * Aliases yaml may expand in one stack file: its own default (100), stated so that the limit and
 * its message live here. A stack file has no reason to use many; a file with more is refused, not
 * expanded (an "alias bomb" grows exponentially).
 */
export const MAX_ALIAS_COUNT = 100;

/** The `config:` map of a stack file, as YAML parsed it. Throws {@link StackFileError}. */
function readConfigSection(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new StackFileError(file, unreadable(e as NodeJS.ErrnoException));
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml's parse errors carry their line and column but not the file; alias errors neither.
    const msg = (e as Error).message;
    const why = /excessive alias count/i.test(msg) ? `${msg} (more than ${MAX_ALIAS_COUNT} alias expansions: write the values out instead)` : msg;
    throw new StackFileError(file, ` is not valid YAML (fix it, or restore it with git checkout): ${why}`);
  }
  if (doc === null || doc === undefined)
    throw new StackFileError(file, " is empty; a stack file is a YAML map with a config: section (see Pulumi.neve.yaml), or restore it with git checkout");
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new StackFileError(file, " is not a YAML map; a stack file is a map with a config: section (see Pulumi.neve.yaml)");
  const config = (doc as { config?: unknown }).config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new StackFileError(file, `: "config" must be a map of keys to values`);
  }
  return config as Record<string, unknown>;
}

/**
 * Read a Pulumi stack file and return its `config:` map with fully qualified keys
 * (`neve-infra:network`) and values as YAML parsed them (objects stay objects).
 * Values encrypted by `pulumi config set --secret` (`{ secure: ... }`) are dropped: offline we
 * cannot decrypt them, and the caller substitutes placeholders for secrets.
 */
export function readStackConfig(file: string = DEFAULT_STACK_FILE): Record<string, unknown> {
  return withoutSecureEntries(readConfigSection(file));
}

function withoutSecureEntries(section: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    if (isSecureEntry(v)) continue;
    out[k] = v;
  }
  return out;
}

/** True for a value `pulumi config set --secret` wrote: `{ secure: <ciphertext> }`. */
function isSecureEntry(v: unknown): v is { secure: unknown } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v;
}

/**
 * `{ secure: ... }` entries of a stack file's config section without a ciphertext (`secure: ""`), as
 * config issues naming the key (`secureEntryProblem`): offline they cannot be decrypted, but an empty
 * one is refused by Pulumi at `pulumi up` all the same. Never quotes a ciphertext.
 */
function secureIssuesOf(section: Record<string, unknown>): ConfigIssue[] {
  return Object.entries(section).flatMap(([key, v]) => {
    const problem = isSecureEntry(v) ? secureEntryProblem(key, v.secure) : null;
    return problem === null ? [] : [{ path: key, message: problem }];
  });
}

/**
 * Secret keys written into the stack file in plain text (not `{ secure: ... }`), as config issues:
 * the offline plan would otherwise drop them silently and use its placeholder, and the value
 * sits readable in the repository.
 */
function plaintextSecretIssues(values: Record<string, unknown>): ConfigIssue[] {
  // Also the bare name (`pbsPassword:` without the namespace): whatever the CLI makes of the key, the
  // value sits readable in the repository, and the program would silently not use it.
  return SECRET_KEYS.flatMap((k) => [`${CONFIG_NAMESPACE}:${k}`, k])
    .filter((key) => values[key] !== undefined)
    .map((key) => ({
      path: key,
      message: `is a secret written in plain text into the stack file; remove the line (and rotate the value), then set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key.split(":").pop()}\``,
    }));
}

/** Validate a stack file the way the program does and return the model (throws {@link StackFileError} or `ConfigError`). */
export function loadModelFromFile(file: string = DEFAULT_STACK_FILE): NeveModel {
  const section = readConfigSection(file);
  const values = withoutSecureEntries(section);
  const secretIssues = [...plaintextSecretIssues(values), ...secureIssuesOf(section)];
  let model: NeveModel;
  try {
    model = parseStackConfig(rawConfigFromPulumi(values, SECRET_KEYS));
  } catch (e) {
    // One run names every problem: the secrets' first, then the config's.
    if (e instanceof ConfigError && secretIssues.length) throw new ConfigError([...secretIssues, ...e.issues]);
    throw e;
  }
  if (secretIssues.length) throw new ConfigError(secretIssues);
  return model;
}

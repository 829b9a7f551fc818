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

/**
 * Read a Pulumi stack file and return its `config:` map with fully qualified keys
 * (`neve-infra:network`) and values as YAML parsed them (objects stay objects).
 * Values encrypted by `pulumi config set --secret` (`{ secure: ... }`) are dropped: offline we
 * cannot decrypt them, and the caller substitutes placeholders for secrets.
 */
export function readStackConfig(file: string = DEFAULT_STACK_FILE): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(readConfigSection(file))) {
    if (isSecureEntry(v)) continue;
    out[k] = v;
  }
  return out;
}

/** A stack file's `config:` map as YAML parsed it, `{ secure: ... }` entries included. */
function readConfigSection(file: string): Record<string, unknown> {
  const text = fs.readFileSync(file, "utf8");
  const doc = parse(text) as { config?: Record<string, unknown> } | null;
  const config = doc?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: "config" must be a map of keys to values`);
  }
  return config;
}

/** True for a value `pulumi config set --secret` wrote: `{ secure: <ciphertext> }`. */
function isSecureEntry(v: unknown): v is { secure: unknown } {
  return v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v;
}

/**
 * `{ secure: ... }` entries of a stack file without a ciphertext (`secure: ""`), as config issues
 * naming the key (`secureEntryProblem`): offline they cannot be decrypted, but an empty one is
 * refused by Pulumi at `pulumi up` all the same. Never quotes a ciphertext.
 */
export function emptySecureIssues(file: string = DEFAULT_STACK_FILE): ConfigIssue[] {
  return Object.entries(readConfigSection(file)).flatMap(([key, v]) => {
    const problem = isSecureEntry(v) ? secureEntryProblem(key, v.secure) : null;
    return problem === null ? [] : [{ path: key, message: problem }];
  });
}

/**
 * Secret keys written into the stack file in plain text (not `{ secure: ... }`), as config issues:
 * the offline plan would otherwise drop them silently and use its placeholder, and the value
 * sits readable in the repository.
 */
export function plaintextSecretIssues(values: Record<string, unknown>): ConfigIssue[] {
  // Also the bare name (`pbsPassword:` without the namespace): whatever the CLI makes of the key, the
  // value sits readable in the repository, and the program would silently not use it.
  return SECRET_KEYS.flatMap((k) => [`${CONFIG_NAMESPACE}:${k}`, k])
    .filter((key) => values[key] !== undefined)
    .map((key) => ({
      path: key,
      message: `is a secret written in plain text into the stack file; remove the line (and rotate the value), then set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key.split(":").pop()}\``,
    }));
}

/** Validate a stack file the way the program does and return the model (throws `ConfigError`). */
export function loadModelFromFile(file: string = DEFAULT_STACK_FILE): NeveModel {
  const values = readStackConfig(file);
  const secretIssues = [...plaintextSecretIssues(values), ...emptySecureIssues(file)];
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

import type { z } from "zod";
import { buildModel } from "./build";
import { ConfigError, type ConfigIssue, formatPath } from "./errors";
import type { NeveModel } from "./model";
import { recordedIssues } from "./recorded";
import { rootOnlyIssues } from "./rootOnly";
import { checkRules } from "./rules";
import { stackConfigSchema } from "./schema";

export type { StackConfig } from "./schema";
export { CONFIG_SECTIONS, stackConfigSchema } from "./schema";

function zodIssueToConfigIssue(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => ({
      path: path ? `${path}.${k}` : `neve-infra:${k}`,
      message: "unknown key; fix its spelling or remove it (a typo must not be silently ignored)",
    }));
  }
  if (issue.code === "invalid_key") {
    return issue.issues.map((inner) => ({ path: path || "(root)", message: inner.message }));
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ path: path || "(root)", message: `is required (expected ${issue.expected})` }];
  }
  const input = "input" in issue && issue.input !== undefined && typeof issue.input !== "object" ? JSON.stringify(issue.input) : undefined;
  // A shared predicate's reason (./predicates) usually quotes the value already.
  const shown = input !== undefined && !(issue.code === "custom" && issue.message.includes(input)) ? ` (got ${input})` : "";
  return [{ path: path || "(root)", message: `${issue.message}${shown}` }];
}

/** Options of {@link parseStackConfig}. */
export interface ParseOptions {
  /**
   * Skip the recorded-fact rule (./recorded.ts): only for `discover`, which reads a stack file that is not
   * adopted yet and writes the markers itself. Defaults to false (the program and the plan never skip it).
   */
  readonly skipRecorded?: boolean;
}

/**
 * Turn the raw `neve-infra:` config (keys without the namespace, values already JSON-decoded)
 * into the validated, typed, readonly model. Throws `ConfigError` naming every bad field and its fix.
 * Pure: no Pulumi, no I/O.
 */
export function parseStackConfig(raw: Record<string, unknown>, opts: ParseOptions = {}): NeveModel {
  const parsed = stackConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap(zodIssueToConfigIssue));
  const issues = [...checkRules(parsed.data), ...rootOnlyIssues(parsed.data), ...(opts.skipRecorded ? [] : recordedIssues(parsed.data))];
  if (issues.length) throw new ConfigError(issues);
  return buildModel(parsed.data);
}

/**
 * Extract the `neve-infra:` keys from a flat Pulumi config map (as `pulumi.runtime.allConfig()`
 * or a stack file's `config:` returns it), dropping secrets and other namespaces. String values
 * holding JSON (how Pulumi passes structured config to programs) are decoded.
 */
export function rawConfigFromPulumi(all: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const [ns, name, ...rest] = key.split(":");
    if (ns !== "neve-infra" || name === undefined || rest.length) continue;
    if (secretKeys.includes(name)) continue;
    out[name] = decode(value);
  }
  return out;
}

function decode(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

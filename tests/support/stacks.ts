// Which stack file a test reads. Exact values (addresses, ids, counts, rendered text) come from the
// frozen fixture; the real Pulumi.neve.yaml is only ever checked by invariants and policies, so an
// operator's ordinary edit (a clone, a route, a firewall rule) never turns the build red.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { DEFAULT_STACK_FILE, loadModelFromFile, REPO_ROOT, readStackConfig } from "../../scripts/lib/stackFile";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import type { NeveModel } from "../../stacks/config/model";
import { SECRET_KEYS } from "../../stacks/config/secrets";
import { rawConfigFromPulumi } from "../../stacks/config/stack";

/** The frozen copy of the stack file that exact-value tests pin. */
export const FIXTURE_STACK_FILE = path.join(REPO_ROOT, "tests", "fixtures", "Pulumi.fixture.yaml");

/** The real stack file (operators edit it): invariants and policies only. */
export const REAL_STACK_FILE = DEFAULT_STACK_FILE;

/** A raw config map (`neve-infra:` stripped, secrets dropped), any shape, for tests that break or extend it. */
export type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A fresh mutable copy of a stack file's `neve-infra:` config. Defaults to the fixture. */
export function rawConfig(file: string = FIXTURE_STACK_FILE): Raw {
  return structuredClone(rawConfigFromPulumi(readStackConfig(file), SECRET_KEYS)) as Raw;
}

/** The message with which the stack's config checks refuse `raw`; a failure when they accept it. */
export function configRefusal(raw: Raw): string {
  try {
    parseStackConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected the config to be refused, but it was accepted");
}

/** The fixture's validated model. */
export function fixtureModel(): NeveModel {
  return loadModelFromFile(FIXTURE_STACK_FILE);
}

/** Write a copy of `file` whose parsed document `edit` changed, into a fresh temp dir; returns its path and a cleanup. */
export function editedStackFile(edit: (doc: Raw) => void, file: string = REAL_STACK_FILE): { file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-stack-"));
  const doc = parse(fs.readFileSync(file, "utf8")) as Raw;
  edit(doc);
  const out = path.join(dir, "Pulumi.neve.yaml");
  fs.writeFileSync(out, stringify(doc));
  return { file: out, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The procedure's rules that the program enforces itself before a real `pulumi preview`/`up` declares
 * anything (docs/adopting.md §13): the stack file's adoption record is committed, and the deployment
 * record of the last `up` (the stack output `deployment`: the commit it ran from and the objects it
 * adopted) is honoured: no run from a checkout that does not contain that commit, no `adopt: false`
 * while `adoption.live` lists objects this state has not imported, and no entry lost from it.
 *
 * The last `up`'s outputs come from the engine's builtin `pulumi:pulumi:readStackOutputs` invoke on
 * this very stack (pulumi/pulumi pkg/resource/deploy/builtins.go `readStackReference`, the function a
 * `StackReference` reads through; the backend returns the latest checkpoint's root stack outputs,
 * pkg/backend/diy/state.go and httpstate/state.go `getSnapshotStackOutputs`, empty for a stack that
 * has never deployed). During an `up` the stack's own outputs are the previous run's until the
 * program ends (step.go `SameStep.Apply` keeps them, RegisterResourceOutputs replaces them), so the
 * program reads the last completed deployment's record. The offline plan never runs this (no state).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { LiveObjects } from "../components/proxmox/options";
import { ConfigError, loadModel, type NeveModel } from "../config";

/** The stack output `deployment`: what the last completed `up` ran from and adopted. */
export interface DeploymentRecord {
  /** The git commit (HEAD) of the checkout the run came from. */
  readonly commit: string;
  /** `adoption.live` of that run: the objects this state has imported. */
  readonly live: LiveObjects | null;
}

/** The checkout this program runs from (stacks/guards/ → the repository). */
const CHECKOUT_ROOT = path.resolve(__dirname, "..", "..");

/** Run git in `root`; its stdout, or undefined when it fails (not a checkout, unknown commit). */
function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** The checkout's HEAD commit, or undefined outside a git checkout. */
export function headCommit(root: string = CHECKOUT_ROOT): string | undefined {
  return git(root, ["rev-parse", "HEAD"]);
}

/** True when `commit` is HEAD or an ancestor of it (false when it is not, or git does not know it). */
function containsCommit(root: string, commit: string): boolean {
  return git(root, ["merge-base", "--is-ancestor", commit, "HEAD"]) !== undefined;
}

/** The record the run exports (the next run reads it back). */
export function deploymentRecord(live: LiveObjects | undefined, root: string = CHECKOUT_ROOT): DeploymentRecord {
  return { commit: headCommit(root) ?? "unknown", live: live ?? null };
}

/**
 * Why the stack file's `neve-infra:adoption` is not what HEAD commits, or undefined when it is:
 * `adoption.live` lives only in the stack file, so a record that is not committed is lost with the
 * checkout, and the next `discover --write` would record a first list again (docs/adopting.md §4).
 */
export function uncommittedAdoption(root: string, stack: string): string | undefined {
  const file = `Pulumi.${stack}.yaml`;
  const section = (text: string | undefined) => (text === undefined ? undefined : (parse(text)?.config?.["neve-infra:adoption"] ?? null));
  const working = section(fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), "utf8") : undefined);
  if (working === undefined || working === null) return undefined;
  const committed = git(root, ["show", `HEAD:${file}`]);
  if (committed === undefined) return `${file} is not committed in ${root}: commit it (git add ${file} && git commit), then run again`;
  if (isDeepStrictEqual(working, section(committed))) return undefined;
  return (
    `neve-infra:adoption in ${file} differs from the committed one: commit the stack file after every npm run discover -- --write ` +
    `(git commit ${file}), then run again. adoption.live lives only there; a checkout without it makes the next --write a first record, ` +
    "which could list guests this program created (docs/adopting.md §4)"
  );
}

/** Everything the deployment checks read. */
export interface DeploymentFacts {
  /** The last completed `up`'s `deployment` output; undefined when the state has outputs but no record (an older program). */
  readonly previous: DeploymentRecord | undefined;
  /** The state has never completed a deployment (no stack outputs at all). */
  readonly neverDeployed: boolean;
  /** This checkout's HEAD. */
  readonly head: string | undefined;
  /** Whether HEAD contains a commit. */
  readonly contains: (commit: string) => boolean;
  /** `adoption.live` and `adopt` of this run. */
  readonly live: LiveObjects | undefined;
  readonly adopt: boolean;
}

/** The `adoption.live` entries of `a` that `b` lacks, as `kind:id` (what discover's --adopt takes). */
export function missingEntries(a: LiveObjects | null | undefined, b: LiveObjects | null | undefined): string[] {
  if (!a) return [];
  const out: string[] = [];
  const has = <T>(list: readonly T[] | undefined, x: T) => (list ?? []).includes(x);
  for (const g of a.guests) if (!has(b?.guests, g)) out.push(`guest:${g}`);
  for (const s of a.storage) if (!has(b?.storage, s)) out.push(`storage:${s}`);
  for (const i of a.bridges) if (!has(b?.bridges, i)) out.push(`bridge:${i}`);
  for (const j of a.jobs) if (!has(b?.jobs, j)) out.push(`job:${j}`);
  if (a.firewall && !b?.firewall) out.push("firewall:cluster");
  return out;
}

/** Why the run must not go on, per problem (empty when it may). Pure. */
export function deploymentProblems(f: DeploymentFacts): string[] {
  const problems: string[] = [];
  if (f.head === undefined) {
    problems.push("this program deploys only from a git checkout of neve-infra (the deployed commit is recorded and checked): run it from one");
    return problems;
  }
  const prev = f.previous;
  if (prev && prev.commit !== "unknown" && !f.contains(prev.commit)) {
    problems.push(
      `the last deployment ran from commit ${prev.commit}, which this checkout (${f.head}) does not contain: ` +
        "git fetch and merge it (or check out a descendant) first; an older checkout would undo what later commits added (docs/adopting.md §13)",
    );
  }
  if (prev) {
    const lost = missingEntries(prev.live, f.live);
    if (lost.length) {
      problems.push(
        `adoption.live lost ${lost.join(", ")} against the last deployment: the record only grows (an entry taken out and put back is an ` +
          "import-replacement, docs/adopting.md §4). Restore the entries (git log -p Pulumi.neve.yaml shows them)",
      );
    }
  }
  if (!f.adopt && f.live) {
    const pending = f.neverDeployed ? missingEntries(f.live, undefined) : prev ? missingEntries(f.live, prev.live) : [];
    if (pending.length) {
      problems.push(
        f.neverDeployed
          ? `this state has never deployed neve, but the stack file says adoption is done (neve-infra:adopt: false, adoption.live recorded): ` +
              "this is not the shared state backend. pulumi login <the backend everyone uses> and pulumi stack select neve (docs/adopting.md §8 step 1); " +
              "only for a deliberate first deployment set neve-infra:adopt: true"
          : `neve-infra:adopt is false but adoption.live lists ${pending.join(", ")}, which this state has not imported yet: ` +
              "set neve-infra:adopt: true for this up (the gate then holds the stack file to the host; npm run discover -- --write --adopt sets it)",
      );
    }
  }
  return problems;
}

/** The last completed deployment's outputs of this stack, through the engine (empty for a stack never deployed). */
async function previousOutputs(): Promise<Record<string, unknown>> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const res = (await pulumi.runtime.invoke("pulumi:pulumi:readStackOutputs", { name }, { async: true })) as { outputs?: Record<string, unknown> };
  return res?.outputs ?? {};
}

/**
 * Refuse a real run that breaks a rule of §13, before any resource: an uncommitted adoption record,
 * a checkout without the last deployment's commit, a lost `adoption.live` entry, `adopt: false` with
 * objects not yet imported (or on a state that has never deployed).
 */
export async function enforceDeploymentRules(): Promise<void> {
  let model: NeveModel;
  try {
    model = loadModel();
  } catch (e) {
    // The program itself reports a bad stack file, with the field and the fix.
    if (e instanceof ConfigError) return;
    throw e;
  }
  const problems: string[] = [];
  const uncommitted = uncommittedAdoption(CHECKOUT_ROOT, pulumi.getStack());
  if (uncommitted) problems.push(uncommitted);
  const outputs = await previousOutputs();
  const record = outputs.deployment as DeploymentRecord | undefined;
  problems.push(
    ...deploymentProblems({
      previous: record && typeof record.commit === "string" ? record : undefined,
      neverDeployed: Object.keys(outputs).length === 0,
      head: headCommit(),
      contains: (c) => containsCommit(CHECKOUT_ROOT, c),
      live: model.adoption.live,
      adopt: model.adopt,
    }),
  );
  if (problems.length) throw new pulumi.RunError(`refusing to run (docs/adopting.md §13):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

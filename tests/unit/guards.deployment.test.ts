// The procedure's rules the program enforces itself before a real run declares anything
// (stacks/guards/deployment.ts, docs/adopting.md §13): each test makes the operator's mistake and sees it refused.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { type DeploymentFacts, deploymentProblems, headCommit, missingEntries, uncommittedAdoption } from "../../stacks/guards/deployment";
import { REAL_STACK_FILE } from "../support/stacks";
import { NEVE_LIVE, reconciled, stackSections } from "./support/adoption";
import { type CmdRunResult, runCmdRun } from "./support/cmdRun";

const HEAD = "1111111111111111111111111111111111111111";
const DEPLOYED = "2222222222222222222222222222222222222222";
/** A run from a checkout that contains the last deployment, with everything adopted and adopt: false. */
const ok: DeploymentFacts = {
  previous: { commit: DEPLOYED, live: NEVE_LIVE },
  neverDeployed: false,
  head: HEAD,
  contains: (c) => c === DEPLOYED || c === HEAD,
  live: NEVE_LIVE,
  adopt: false,
};

describe("the deployment record (pure)", () => {
  it.each<[string, Partial<DeploymentFacts>, RegExp]>([
    [
      "a checkout older than the last deployment (never run one)",
      { contains: () => false },
      /the last deployment ran from commit 2{40}, which this checkout \(1{40}\) does not contain: git fetch and merge it/,
    ],
    [
      "an entry removed from adoption.live (never remove one)",
      { live: { ...NEVE_LIVE, guests: NEVE_LIVE.guests.filter((g) => g !== 1201) } },
      /adoption.live lost guest:1201 against the last deployment: the record only grows/,
    ],
    [
      "adopt: false while adoption.live lists an object this state has not imported (set adopt: false only after the up)",
      { live: { ...NEVE_LIVE, guests: [...NEVE_LIVE.guests, 1207] } },
      /neve-infra:adopt is false but adoption.live lists guest:1207, which this state has not imported yet: set neve-infra:adopt: true/,
    ],
    [
      "a state that has never deployed neve while the stack file says adoption is done (one shared state backend)",
      { previous: undefined, neverDeployed: true },
      /this state has never deployed neve, .* this is not the shared state backend. pulumi login <the backend everyone uses>/,
    ],
    ["a run outside a git checkout", { head: undefined }, /deploys only from a git checkout/],
  ])("must refuse %s", (_name, change, message) => {
    const problems = deploymentProblems({ ...ok, ...change });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each<[string, Partial<DeploymentFacts>]>([
    ["a checkout that contains the last deployment", {}],
    ["the first deployment (adopt: true, a state never deployed)", { previous: undefined, neverDeployed: true, adopt: true }],
    ["an adopting up (adopt: true, one object not imported yet)", { adopt: true, live: { ...NEVE_LIVE, guests: [...NEVE_LIVE.guests, 1207] } }],
    ["a state deployed by a program without the record", { previous: undefined }],
  ])("must let %s through", (_name, change) => {
    expect(deploymentProblems({ ...ok, ...change })).toEqual([]);
  });

  it("must name each lost entry as discover's --adopt takes it", () => {
    expect(missingEntries(NEVE_LIVE, { guests: [1201], storage: ["local"], bridges: [], jobs: [], firewall: false })).toEqual([
      "guest:1200",
      "guest:9000",
      "guest:9100",
      "guest:200",
      "guest:201",
      "storage:vmdata",
      "storage:etoile",
      "bridge:vmbr0",
      "bridge:vmbr1",
      "firewall:cluster",
    ]);
  });
});

describe("the adoption record must be committed (commit the stack file after every discover --write)", () => {
  let dir: string;
  const file = () => path.join(dir, "Pulumi.neve.yaml");
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
  const edit = (f: (d: Record<string, Record<string, unknown>>) => void) => {
    const d = parse(fs.readFileSync(file(), "utf8"));
    f(d);
    fs.writeFileSync(file(), stringify(d));
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-commit-"));
    git("init", "-q");
    fs.writeFileSync(file(), stringify({ config: { "neve-infra:adopt": true, "neve-infra:adoption": { live: NEVE_LIVE } } }));
    git("add", "Pulumi.neve.yaml");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "record");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("must pass a committed record, and an uncommitted edit of another section", () => {
    expect(uncommittedAdoption(dir, "neve")).toBeUndefined();
    edit((d) => (d.config["neve-infra:adopt"] = false));
    expect(uncommittedAdoption(dir, "neve")).toBeUndefined();
  });

  it("must refuse a record that discover --write changed and nobody committed", () => {
    edit((d) => (d.config["neve-infra:adoption"] as { live: { guests: number[] } }).live.guests.push(1207));
    expect(uncommittedAdoption(dir, "neve")).toMatch(
      /^neve-infra:adoption in Pulumi.neve.yaml differs from the committed one: commit the stack file after every npm run discover -- --write/,
    );
  });

  it("must refuse a stack file that is not committed at all", () => {
    git("rm", "-q", "--cached", "Pulumi.neve.yaml");
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "gone");
    expect(uncommittedAdoption(dir, "neve")).toMatch(/^Pulumi.neve.yaml is not committed in .*: commit it/);
  });
});

describe("the deployment rules in a real run (cmd/run, the engine's readStackOutputs answered by the test monitor)", () => {
  const adoption = reconciled(stackSections(REAL_STACK_FILE)).adoption;
  let older: Promise<CmdRunResult>;
  let secondState: Promise<CmdRunResult>;
  let recorded: Promise<CmdRunResult>;
  beforeAll(() => {
    // The last up ran from a commit this checkout does not contain.
    older = runCmdRun({ configOverrides: { adoption }, previousOutputs: { deployment: { commit: DEPLOYED, live: adoption.live } } });
    // Another workstation's empty state, with the committed stack file (adopt: false after the first up).
    secondState = runCmdRun({ configOverrides: { adoption, adopt: false }, previousOutputs: {} });
    recorded = runCmdRun({ configOverrides: { adoption } });
  });
  const refusal = (r: CmdRunResult) => r.logs.find((l) => l.severity === "ERROR" && l.message.includes("refusing to run"))?.message ?? "";

  it("must refuse an older checkout before it declares any resource", async () => {
    const r = await older;
    expect(r.code).not.toBe(0);
    expect(refusal(r)).toMatch(/the last deployment ran from commit 2{40}, which this checkout .* does not contain/);
    expect(r.registrations.filter((x) => x.type !== "pulumi:pulumi:Stack")).toEqual([]);
  }, 300000);

  it("must refuse a state backend that has never deployed neve once adopt is false", async () => {
    const r = await secondState;
    expect(r.code).not.toBe(0);
    expect(refusal(r)).toMatch(/this state has never deployed neve/);
    expect(r.registrations.filter((x) => x.type !== "pulumi:pulumi:Stack")).toEqual([]);
  }, 300000);

  it("must record the commit it ran from and the objects it adopted as the deployment output", async () => {
    const r = await recorded;
    expect(r.code).toBe(0);
    expect(r.stackOutputs?.deployment).toEqual({ commit: headCommit(), live: adoption.live });
  }, 300000);
});

/**
 * `npm run bench:plan`: what evaluating the program costs, against the floor, in the same run.
 *
 * Every `pulumi preview` and `npm run plan` evaluates the whole program, so its start-up is paid on
 * every run. Measured, each BENCH_REPS times (default 5), medians, each a fresh node process (the
 * same node that runs this script: the project's Node 24 under npm):
 * - floor: `node -e 'require("@pulumi/pulumi")'`, the SDK's own load time, which no program beats;
 * - plan: the command `npm run plan` runs (`node --require ./scripts/register.js scripts/plan.ts`),
 *   output discarded; and `npm run -s plan` itself, i.e. plus npm's own start-up;
 * - cmdRun: the path `pulumi preview` takes: `@pulumi/pulumi/cmd/run` with stacks/neve/main.js,
 *   started as the Node language host starts it, against tests/unit/support/cmdRun.ts's recording
 *   resource monitor (spawn to exit);
 * - uncached: the plan with the serialized-provider cache off (NEVE_PROVIDER_CACHE=off): Pulumi's
 *   closure serializer runs for each dynamic provider, as on the first run after a provider changed;
 * - before: the plan as it ran before (`ts-node --transpile-only scripts/plan.ts`, no provider
 *   cache), for comparison;
 * - cold: the plan with empty transpile and provider caches and no compile cache (first run after a
 *   change of every file), once;
 * - cmdRunBefore: cmd/run as Pulumi ran the program before (Pulumi.yaml `typescript: true`: the
 *   language host sets PULUMI_NODEJS_TYPESCRIPT and cmd/run registers ts-node, which type-checks by
 *   default; no provider cache), once.
 * - validate: config validation (`parseStackConfig`: schema, rules, model) of a generated stack with
 *   100, 1,000 and 10,000 guests (tests/support/scaleStack.ts: routes and firewall rules grow with
 *   them), in this process after one warm-up, reported as ratios to 100 guests: linear work gives
 *   at most 10 and 100 (less, as the fixed part weighs less), quadratic work 100 and 10,000.
 * The last line of output is one JSON object (see `Summary`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SECRET_KEYS } from "../stacks/config/secrets";
import { parseStackConfig, rawConfigFromPulumi } from "../stacks/config/stack";
import { scaleStackConfig } from "../tests/support/scaleStack";
import { REAL_STACK_FILE } from "../tests/support/stacks";
import { reconciled, stackSections } from "../tests/unit/support/adoption";
import { runCmdRun } from "../tests/unit/support/cmdRun";

const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 5));
const REPO_ROOT = path.resolve(__dirname, "..");
const NODE = process.execPath;

/** The last line of output. */
interface Summary {
  /** Node version the figures were taken with. */
  node: string;
  reps: number;
  /** Median ms of `node -e 'require("@pulumi/pulumi")'`. */
  floorMs: number;
  /** Median ms of the command `npm run plan` runs. */
  planMs: number;
  /** planMs / floorMs (target: at most 2). */
  planVsFloor: number;
  /** Median ms of `npm run -s plan` (npm's own start-up included). */
  npmRunPlanMs: number;
  npmRunPlanVsFloor: number;
  /** Median ms of the program under @pulumi/pulumi/cmd/run (what `pulumi preview` runs). */
  cmdRunMs: number;
  cmdRunVsFloor: number;
  /** Median ms of the plan with the serialized-provider cache off. */
  uncachedPlanMs: number;
  uncachedPlanVsFloor: number;
  /** Median ms of the plan as it ran before (ts-node --transpile-only). */
  beforeMs: number;
  /** One plan with empty transpile, provider and compile caches. */
  coldPlanMs: number;
  /** One cmd/run as Pulumi ran the program before (`typescript: true`, ts-node with type checking). */
  cmdRunBeforeMs: number;
  /** Median ms of one config validation with 100, 1,000 and 10,000 guests. */
  validate100Ms: number;
  validate1000Ms: number;
  validate10000Ms: number;
  /** validate1000Ms / validate100Ms (linear: at most 10). */
  validate1000Vs100: number;
  /** validate10000Ms / validate100Ms (linear: at most 100; quadratic: about 10,000). */
  validate10000Vs100: number;
}

/** Wall time of one config validation of the generated stack with `n` guests, in ms (generation not counted). */
function timeValidation(n: number): number {
  const raw = rawConfigFromPulumi(scaleStackConfig(n), SECRET_KEYS);
  const t0 = process.hrtime.bigint();
  parseStackConfig(raw);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor((s.length - 1) / 2)] + (s.length % 2 ? 0 : (s[s.length / 2] - s[s.length / 2 - 1]) / 2));
}

/** Wall time of one child process, in ms; throws if it fails. */
function timeProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const floor = () => timeProcess(NODE, ["-e", 'require("@pulumi/pulumi")']);
  const plan = () => timeProcess(NODE, ["--require", "./scripts/register.js", "scripts/plan.ts"]);
  const npmPlan = () => timeProcess("npm", ["run", "-s", "plan"]);
  const uncachedEnv = { ...process.env, NEVE_PROVIDER_CACHE: "off" };
  const uncached = () => timeProcess(NODE, ["--require", "./scripts/register.js", "scripts/plan.ts"], uncachedEnv);
  const before = () => timeProcess(NODE, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "scripts/plan.ts"], uncachedEnv);
  const cmdRun = async (opts: Parameters<typeof runCmdRun>[0] = {}) => {
    // With the adoption record discover --write adds: the adoption gate refuses the bare stack file under cmd/run.
    const r = await runCmdRun({ configOverrides: { adoption: reconciled(stackSections(REAL_STACK_FILE)).adoption }, ...opts });
    if (r.code !== 0) throw new Error(`cmd/run exited ${r.code}: ${r.stderr}`);
    return r.ms;
  };

  // Warm the caches (transpile, compile, page cache) once; not counted.
  plan();
  await cmdRun();
  const cold = fs.mkdtempSync(path.join(os.tmpdir(), "neve-bench-plan-"));
  let coldPlanMs: number;
  try {
    coldPlanMs = Math.round(
      timeProcess(NODE, ["--require", "./scripts/register.js", "scripts/plan.ts"], {
        ...process.env,
        NEVE_TRANSPILE_CACHE: path.join(cold, "ts"),
        NEVE_PROVIDER_CACHE: path.join(cold, "providers"),
        NODE_DISABLE_COMPILE_CACHE: "1",
      }),
    );
  } finally {
    fs.rmSync(cold, { recursive: true, force: true });
  }

  const cmdRunBeforeMs = Math.round(await cmdRun({ entry: "index.ts", env: { PULUMI_NODEJS_TYPESCRIPT: "true", NEVE_PROVIDER_CACHE: "off" } }));

  const t: Record<"floor" | "plan" | "npmPlan" | "cmdRun" | "uncached" | "before", number[]> = {
    floor: [],
    plan: [],
    npmPlan: [],
    cmdRun: [],
    uncached: [],
    before: [],
  };
  // Interleaved, so that load from other processes on the machine falls on all of them alike.
  for (let i = 0; i < REPS; i++) {
    t.floor.push(floor());
    t.plan.push(plan());
    t.npmPlan.push(npmPlan());
    t.cmdRun.push(await cmdRun());
    t.uncached.push(uncached());
    t.before.push(before());
    process.stdout.write(
      `rep ${i + 1}/${REPS}: floor ${Math.round(t.floor[i])} ms, plan ${Math.round(t.plan[i])} ms, npm run plan ${Math.round(t.npmPlan[i])} ms, cmd/run ${Math.round(t.cmdRun[i])} ms, uncached ${Math.round(t.uncached[i])} ms, before ${Math.round(t.before[i])} ms\n`,
    );
  }
  // Validation at scale, in this process: one warm-up (zod builds its parsers on first use), then interleaved.
  timeValidation(100);
  const v: Record<100 | 1000 | 10000, number[]> = { 100: [], 1000: [], 10000: [] };
  for (let i = 0; i < REPS; i++) {
    for (const n of [100, 1000, 10000] as const) v[n].push(timeValidation(n));
    process.stdout.write(
      `validation rep ${i + 1}/${REPS}: 100 guests ${Math.round(v[100][i])} ms, 1,000 ${Math.round(v[1000][i])} ms, 10,000 ${Math.round(v[10000][i])} ms\n`,
    );
  }
  // Validation of 100 guests takes a few ms: medians in tenths, so that the ratios are not of rounded figures.
  const tenths = (x: number) => Math.round(x * 10) / 10;
  const [v100, v1000, v10000] = ([100, 1000, 10000] as const).map((n) => median(v[n].map((ms) => ms * 10)) / 10);
  const floorMs = median(t.floor);
  const ratio = (ms: number) => Math.round((ms / floorMs) * 100) / 100;
  const s: Summary = {
    node: process.version,
    reps: REPS,
    floorMs,
    planMs: median(t.plan),
    planVsFloor: ratio(median(t.plan)),
    npmRunPlanMs: median(t.npmPlan),
    npmRunPlanVsFloor: ratio(median(t.npmPlan)),
    cmdRunMs: median(t.cmdRun),
    cmdRunVsFloor: ratio(median(t.cmdRun)),
    uncachedPlanMs: median(t.uncached),
    uncachedPlanVsFloor: ratio(median(t.uncached)),
    beforeMs: median(t.before),
    coldPlanMs,
    cmdRunBeforeMs,
    validate100Ms: tenths(v100),
    validate1000Ms: tenths(v1000),
    validate10000Ms: tenths(v10000),
    validate1000Vs100: tenths(v1000 / v100),
    validate10000Vs100: tenths(v10000 / v100),
  };
  process.stdout.write(`${JSON.stringify(s)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:plan failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

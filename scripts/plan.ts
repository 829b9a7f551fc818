// npm run plan [-- --config FILE] [--files DIR] [--json]
// Runs the real program in-process under Pulumi's mocks with the stack file (default: the
// repository's Pulumi.neve.yaml) and prints what the stack declares, then its outputs. With
// --json: one JSON document instead (every resource with its full inputs, options and
// dependencies, and the outputs; secrets as "[secret]"; scripts/lib/planJson.ts).
// No Pulumi CLI, no Proxmox host and no secret needed. Exit 2 on a bad argument or stack file (the
// file named, scripts/lib/cli.ts), 1 on other errors.
import { stringify } from "yaml";
import { ConfigError } from "../stacks/config/errors";
import { exitWhenFlushed, failure, parseFlags, UsageError } from "./lib/cli";
import { writeHostFiles } from "./lib/hostFiles";
import { checkStackFile, firewallOwnerIssues } from "./lib/planCheck";
import { planRestarts, restartLines } from "./lib/planRestarts";
import { renderTable } from "./lib/planTable";
import { DEFAULT_STACK_FILE, shownPath } from "./lib/stackFile";

const USAGE = "usage: npm run plan [-- --config FILE] [--files DIR] [--json]";

/** Parse argv (after `--`); throws a usage error (exit 2). Exported for the README's runbook test. */
export function parseArgs(argv: string[]): { stackFile: string; filesDir?: string; json: boolean } {
  const f = parseFlags(argv, { "--config": "path", "--files": "path", "--json": "switch" }, USAGE);
  if (f["--json"] && f["--files"]) throw new UsageError(`--json and --files do not go together (the JSON document is the whole output); ${USAGE}`);
  return { stackFile: f["--config"] ?? DEFAULT_STACK_FILE, filesDir: f["--files"], json: f["--json"] === true };
}

/** The stack file of this run, once the arguments are parsed (for messages that name it). */
let stackFileOfRun: string | undefined;

async function main(): Promise<number> {
  const { stackFile, filesDir, json } = parseArgs(process.argv.slice(2));
  stackFileOfRun = stackFile;
  const shown = shownPath(stackFile);
  // Same parser and preflight as the program (what the renderers and the providers' checks
  // would refuse): fail with the config problems, by stack-file field, before any mock is set.
  const model = checkStackFile(stackFile);
  // Loaded only now so @pulumi/pulumi's start-up cost is not paid for a bad config.
  const { runProgram } = await import("./lib/mockRunner");
  const run = await runProgram({ stackFile });
  const owners = firewallOwnerIssues(model, run.resources);
  if (owners.length) throw new ConfigError(owners);
  const { offlineOutputs, planJson } = await import("./lib/planJson");
  const { guestLines, planGuests } = await import("./lib/planGuests");
  const restarts = planRestarts(model);
  const guests = planGuests(model, run.resources);
  if (json) {
    process.stdout.write(`${JSON.stringify(planJson(run, shown, restarts, guests), null, 2)}\n`);
    return 0;
  }
  const secrets = Object.values(run.secretValues);
  const custom = run.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).length;
  process.stdout.write(`Plan of stack neve from ${shown} (offline, Pulumi mocks; secrets, and ssh.hostKey when the file pins none, are placeholders)\n\n`);
  // Said plainly: the plan runs, but a real preview/up with adopt: true would refuse this stack file.
  if (run.adoptionNotice) process.stdout.write(`Adoption: ${run.adoptionNotice}\n\n`);
  process.stdout.write(`${renderTable(run.resources, secrets)}\n\n`);
  // An up never restarts a running guest unless its restartOnUpdate says so (stacks/config/restart.ts).
  process.stdout.write(
    restarts.length
      ? `Guests an up may restart while they run: ${restarts.length}\n${restartLines(restarts).join("\n")}\n\n`
      : "Guests an up may restart while they run: none (no guest sets restartOnUpdate)\n\n",
  );
  // Per guest: the declared fields whose change needs a restart, and the guard that refuses one (stacks/guards/restart.ts).
  if (guests.length) process.stdout.write(`Restart fields and running-guest guard per guest:\n${guestLines(guests).join("\n")}\n\n`);
  process.stdout.write(`${run.resources.length} resources (${custom} managed by providers)\n\nOutputs:\n`);
  let text = stringify(offlineOutputs(run.outputs));
  for (const v of secrets) text = text.split(v).join("[secret]");
  process.stdout.write(`${text.replace(/^/gm, "  ")}\n`);
  if (filesDir) {
    const written = writeHostFiles(run.resources, filesDir);
    process.stdout.write(`\nWrote ${written.length} rendered host files under ${filesDir} (secret files left out):\n`);
    for (const w of written) process.stdout.write(`  ${w}\n`);
  }
  if (run.adoptionNotice)
    process.stdout.write(
      `\nThis stack file is not yet reconciled with the host (see "Adoption:" above): pulumi preview and up refuse it while adopt is true.\n`,
    );
  return 0;
}

// Run only as the entry point (`npm run plan`), not when a test imports parseArgs.
if (require.main === module)
  main().then(
    (code) => exitWhenFlushed(code),
    (e: unknown) => {
      const { code, text } = failure("plan", e, stackFileOfRun);
      process.stderr.write(text);
      exitWhenFlushed(code);
    },
  );

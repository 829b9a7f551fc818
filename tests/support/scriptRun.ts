import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

const REPO = path.resolve(__dirname, "..", "..");
const run = promisify(execFile);

/** What a command run ended with. */
export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `scripts/<script>.ts` as `npm run <script> --` runs it (the repo's register hook, from the repo root), with no SSH
 * agent: its exit code and output, never a throw for a non-zero exit.
 */
export async function runScript(script: string, ...args: string[]): Promise<ScriptResult> {
  const file = path.join(REPO, "scripts", script.endsWith(".ts") ? script : `${script}.ts`);
  try {
    const r = await run(process.execPath, ["--require", path.join(REPO, "scripts", "register.js"), file, ...args], {
      cwd: REPO,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, SSH_AUTH_SOCK: "" },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

import type * as dynamic from "@pulumi/pulumi/dynamic";
import { newToken, redact, targetOf } from "../common/provider";
import { describeTarget, exec } from "../ssh/client";
import { withConnection, withFreshConnection } from "../ssh/pool";
import { checkHostConfig } from "./check";
import { changedFiles, diffHostConfig, sha256 } from "./diff";
import {
  BOOTSTRAP_COMMAND,
  buildApplyScript,
  buildConfirmScript,
  buildDeleteScript,
  buildReadScript,
  EXIT,
  fileStates,
  parseReport,
  ScriptReport,
} from "./script";
import type { ConnectionInputs, FileState, HostConfigInputs, HostConfigOutputs } from "./types";

/**
 * This module is what Pulumi serializes into each HostConfig's `__provider`. It must not reach
 * `@pulumi/pulumi` at runtime, a stack Config, a secret or a live object: node modules are
 * `require`d inside functions, local helpers are plain functions the serializer copies.
 */

/** Secret texts that must never appear in an error: the private key and secret file contents. */
function secretsOf(c: ConnectionInputs | undefined, files: readonly { secret: boolean; content: string | null }[] | undefined): string[] {
  const out: string[] = [];
  if (c?.privateKey) out.push(c.privateKey);
  for (const f of files ?? []) if (f.secret && f.content) out.push(f.content);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function outputsOf(inputs: HostConfigInputs, files: FileState[], lastStash: string | null): HostConfigOutputs {
  return {
    host: inputs.connection.host,
    connection: { ...inputs.connection, privateKey: inputs.connection.privateKey ?? null },
    service: inputs.service,
    files,
    validate: inputs.validate,
    activate: inputs.activate ?? null,
    healthCheck: inputs.healthCheck ?? null,
    stashDir: inputs.stashDir,
    stashKeep: inputs.stashKeep,
    onDelete: inputs.onDelete,
    accessCritical: inputs.accessCritical ?? null,
    lastStash,
  };
}

/** The error of a failed apply/delete script, in words: what failed, its output, what was rolled back. */
function describeFailure(
  inputs: Pick<HostConfigInputs, "activate" | "healthCheck">,
  code: number,
  stderr: string,
  report: ScriptReport,
): string {
  const err = stderr.trim();
  switch (code) {
    case EXIT.incomplete:
      return `the script did not arrive complete (connection cut during upload); nothing was changed`;
    case EXIT.stage:
      return `staging failed, nothing was changed: ${err}`;
    case EXIT.validate:
      return err;
    case EXIT.stash:
      return `stashing the current files failed, nothing was changed: ${err}`;
    case EXIT.arm:
      return `arming the confirm timer failed, nothing was changed: ${err}`;
    case EXIT.swap:
      return err;
    case EXIT.activate:
    case EXIT.health: {
      const what =
        code === EXIT.activate ? `activation \`${inputs.activate}\`` : `health check \`${inputs.healthCheck}\``;
      const exit = report.failed ? ` (exit ${report.failed.code})` : "";
      const from = report.stash ? ` from ${report.stash}` : "";
      let rolled: string;
      switch (report.rollback) {
        case "ok":
          rolled = `Rolled back: the previous files were restored${from} and ${inputs.activate ? "activation ran again successfully" : "no activation is configured"}.`;
          break;
        case "reactivate-failed":
          rolled = `Rolled back the files${from}, but activation failed again: the service needs attention.`;
          break;
        case "restore-failed":
          rolled = `ROLLBACK FAILED: the previous files could not be restored${from}; restore them by hand from there.`;
          break;
        default:
          rolled = "The rollback did not report back; check the host.";
      }
      return `${what} failed${exit}: ${err || "(no output)"}\n${rolled}`;
    }
    default:
      return `the remote script exited with ${code}: ${err || "(no output)"}`;
  }
}

/** Push declared files with the full lifecycle; throws a redacted, worded Error on failure. */
async function applyOnHost(inputs: HostConfigInputs): Promise<{ files: FileState[]; stash: string | null }> {
  const where = describeTarget(inputs.connection);
  const secrets = secretsOf(inputs.connection, inputs.files);
  const prefix = `HostConfig ${inputs.service} on ${where}: `;
  try {
    const { token, stamp } = newToken();
    const script = buildApplyScript({ ...inputs, token, stamp });
    const res = await withConnection(targetOf(inputs.connection), (s) =>
      exec(s, BOOTSTRAP_COMMAND, { stdin: script, timeoutMs: 300000, label: `the push of ${inputs.service}` }),
    );
    const endedAt = Date.now();
    const report = parseReport(res.stdout);
    if (res.code !== 0) throw new Error(describeFailure(inputs, res.code, res.stderr, report));
    if (report.changed && inputs.accessCritical && report.stash) {
      await confirmAccess(inputs, report.stash, endedAt);
    }
    return { files: fileStates(inputs.files, report, sha256), stash: report.stash };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    throw new Error(redact(msg.startsWith(prefix) ? msg : prefix + msg, secrets));
  }
}

/**
 * Prove access over a NEW connection and disarm the host's restore timer. If that connection cannot
 * be opened, wait for the timer, check that the host healed itself, and fail with what happened.
 */
async function confirmAccess(inputs: HostConfigInputs, stash: string, endedAt: number): Promise<void> {
  const n = inputs.accessCritical!.confirmSeconds;
  const timeoutMs = Math.max(1000, Math.min(15000, (n * 1000) / 2));
  const script = buildConfirmScript(stash);
  let report: ScriptReport;
  try {
    const res = await withFreshConnection(targetOf(inputs.connection, timeoutMs), (s) =>
      exec(s, BOOTSTRAP_COMMAND, { stdin: script, timeoutMs, label: "the access check" }),
    );
    report = parseReport(res.stdout);
  } catch (e) {
    const cause = (e as Error).message;
    await sleep(Math.max(0, endedAt + n * 1000 + 3000 - Date.now()));
    let healed: string;
    try {
      const res = await withFreshConnection(targetOf(inputs.connection, 10000), (s) =>
        exec(s, BOOTSTRAP_COMMAND, { stdin: buildConfirmScript(stash), timeoutMs: 10000, label: "the access re-check" }),
      );
      const again = parseReport(res.stdout);
      healed = again.selfRestored
        ? `The host restored the previous files from ${stash} and re-ran activation by itself; SSH access works again.`
        : again.confirmed
          ? `A later connection worked and disarmed the timer: the new files are live; check them.`
          : `A later connection worked, but the host did not record its self-restore; check ${stash}.`;
    } catch (e2) {
      healed = `The host should have restored the previous files from ${stash} ${n}s after activation, but a new connection still fails (${(e2 as Error).message}).`;
    }
    throw new Error(`access check failed after activation: a new SSH connection could not be opened (${cause}). ${healed}`);
  }
  if (!report.confirmed) {
    throw new Error(
      report.selfRestored
        ? `access was confirmed too late: the host had already restored the previous files from ${stash}; raise accessCritical.confirmSeconds (now ${n})`
        : `the access check could not disarm the confirm timer of ${stash}; check the host`,
    );
  }
}

/** Dynamic provider of HostConfig: check and diff are pure (no SSH); create/update/read/delete batch their work into one exec. */
export const hostConfigProvider: dynamic.ResourceProvider<HostConfigInputs, HostConfigOutputs> = {
  async check(_olds: HostConfigInputs, news: HostConfigInputs): Promise<dynamic.CheckResult<HostConfigInputs>> {
    return checkHostConfig(news as unknown as Record<string, unknown>);
  },

  async diff(_id: string, olds: HostConfigOutputs, news: HostConfigInputs): Promise<dynamic.DiffResult> {
    return diffHostConfig(olds, news);
  },

  async create(inputs: HostConfigInputs): Promise<dynamic.CreateResult<HostConfigOutputs>> {
    const { files, stash } = await applyOnHost(inputs);
    return { id: `${inputs.connection.host}:${inputs.service}`, outs: outputsOf(inputs, files, stash) };
  },

  async update(_id: string, olds: HostConfigOutputs, news: HostConfigInputs): Promise<dynamic.UpdateResult<HostConfigOutputs>> {
    if (changedFiles(olds, news).length === 0) {
      // Only commands, credentials or settings changed: nothing to do on the host.
      const byPath = new Map((olds.files ?? []).map((f) => [f.path, f]));
      const files = news.files.map((f) => {
        const old = byPath.get(f.path)!;
        return { ...old, secret: f.secret, content: f.secret ? null : f.content };
      });
      return { outs: outputsOf(news, files, olds.lastStash ?? null) };
    }
    const { files, stash } = await applyOnHost(news);
    return { outs: outputsOf(news, files, stash ?? olds.lastStash ?? null) };
  },

  async read(id: string, props?: HostConfigOutputs): Promise<dynamic.ReadResult<HostConfigOutputs>> {
    if (!props || !props.connection || !Array.isArray(props.files)) {
      throw new Error(
        `HostConfig ${id}: cannot be read without its state (import by id is not supported); declare the resource and let create adopt the live files`,
      );
    }
    const where = describeTarget(props.connection);
    const script = buildReadScript(props.files.map((f) => f.path));
    let res;
    try {
      res = await withConnection(targetOf(props.connection), (s) =>
        exec(s, BOOTSTRAP_COMMAND, { stdin: script, timeoutMs: 60000, label: `the read of ${props.service}` }),
      );
    } catch (e) {
      throw new Error(redact(`HostConfig ${props.service} on ${where}: ${(e as Error).message}`, secretsOf(props.connection, [])));
    }
    if (res.code !== 0) {
      throw new Error(`HostConfig ${props.service} on ${where}: reading the files failed (exit ${res.code}): ${res.stderr.trim()}`);
    }
    const files = fileStates(props.files, parseReport(res.stdout), sha256);
    const { __provider: _omit, ...rest } = props as HostConfigOutputs & { __provider?: unknown };
    return { id, props: { ...rest, files } };
  },

  async delete(_id: string, props: HostConfigOutputs): Promise<void> {
    const mode = props.onDelete ?? "keep";
    if (mode === "keep") return;
    const where = describeTarget(props.connection);
    const { token, stamp } = newToken();
    const script = buildDeleteScript({
      mode,
      service: props.service,
      stashDir: props.stashDir,
      paths: props.files.map((f) => f.path),
      activate: props.activate ?? null,
      token,
      stamp,
    });
    const prefix = `HostConfig ${props.service} on ${where}: delete (${mode}): `;
    let res;
    try {
      res = await withConnection(targetOf(props.connection), (s) =>
        exec(s, BOOTSTRAP_COMMAND, { stdin: script, timeoutMs: 300000, label: `the delete of ${props.service}` }),
      );
    } catch (e) {
      throw new Error(redact(prefix + (e as Error).message, secretsOf(props.connection, [])));
    }
    if (res.code !== 0) {
      throw new Error(redact(prefix + describeFailure({ activate: props.activate, healthCheck: null }, res.code, res.stderr, parseReport(res.stdout)), secretsOf(props.connection, [])));
    }
  },
};

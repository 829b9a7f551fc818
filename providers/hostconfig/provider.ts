import type * as dynamic from "@pulumi/pulumi/dynamic";
import { probeApi } from "../common/apiProbe";
import { limitMs, newToken, pureMethods, redact, secretsOf, targetOf } from "../common/provider";
import { sha256Hex } from "../common/shell";
import { close, connect, describeTarget, type ExecResult, exec, partialStdoutOf } from "../ssh/client";
import { withConnection, withFreshConnection } from "../ssh/pool";
import { accessCheckMs, SSH_FIXED, selfRestoredByMs } from "../ssh/timeouts";
import { checkHostConfig } from "./check";
import { changedFiles, diffHostConfig } from "./diff";
import { describeFailure } from "./failure";
import {
  ackOnRelayed,
  BOOTSTRAP_COMMAND,
  bootstrapInput,
  buildApplyScript,
  buildDeleteScript,
  buildReadScript,
  confirmCommand,
  describeLostRun,
  describeSelfRestore,
  describeSelfRestoreOutcome,
  fileStates,
  parseReport,
  type ScriptReport,
} from "./script";
import type { FileState, HostConfigInputs, HostConfigOutputs } from "./types";

/**
 * This module is what Pulumi serializes into each HostConfig's `__provider`. It must not reach
 * `@pulumi/pulumi` at runtime, a stack Config, a secret or a live object: node modules are
 * `require`d inside functions, local helpers are plain functions the serializer copies.
 */

/** Paths of the secret files: the output of commands that can read them stays on the host. */
function secretPaths(files: readonly { path: string; secret: boolean }[]): string[] {
  return files.filter((f) => f.secret).map((f) => f.path);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function outputsOf(inputs: HostConfigInputs, files: FileState[], lastStash: string | null, lostRuns: string[] | null): HostConfigOutputs {
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
    lostRuns,
  };
}

/** The lost runs a report lists, in words, or null. */
function lostRunsOf(report: ScriptReport): string[] | null {
  const all = [...report.lostRuns.map(describeLostRun), ...report.selfRestores.map(describeSelfRestore)];
  return all.length ? all : null;
}

/** What to add to an error about the lost runs this push found (and cleared) before its own work. */
function lostSuffix(report: ScriptReport): string {
  const lost = lostRunsOf(report);
  return lost ? ` Before this push: ${lost.join("; ")}.` : "";
}

/** Push declared files with the full lifecycle; throws a redacted, worded Error on failure. */
async function applyOnHost(inputs: HostConfigInputs, guard: boolean): Promise<{ files: FileState[]; stash: string | null; lostRuns: string[] | null }> {
  const where = describeTarget(inputs.connection);
  const secrets = secretsOf(inputs.connection, inputs.files);
  const prefix = `HostConfig ${inputs.service} on ${where}: `;
  try {
    const { token, stamp } = newToken();
    const startedAt = Date.now();
    const script = buildApplyScript({ ...inputs, withhold: secretPaths(inputs.files), token, stamp, guard });
    const res = await withConnection(targetOf(inputs.connection), (s) =>
      exec(s, BOOTSTRAP_COMMAND, {
        stdin: bootstrapInput(script),
        // The host keeps the run's record until this acknowledgement of its last line arrives (see buildApplyScript).
        answer: ackOnRelayed(token),
        timeoutMs: limitMs(inputs.connection, "change"),
        label: `the push of ${inputs.service}`,
      }).catch((e) => {
        throw lostAfterSwap(e, partialStdoutOf(e));
      }),
    );
    const endedAt = Date.now();
    const report = parseReport(res.stdout);
    if (res.code !== 0) throw new Error(describeFailure(inputs, res.code, res.stderr, report) + lostSuffix(report));
    if (report.changed && inputs.accessCritical && report.stash) {
      await confirmAccess(inputs, report.stash, startedAt, endedAt);
    }
    return { files: fileStates(inputs.files, report, sha256Hex), stash: report.stash, lostRuns: lostRunsOf(report) };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    throw new Error(redact(msg.startsWith(prefix) ? msg : prefix + msg, secrets));
  }
}

/**
 * The error of a push whose connection broke after the script had handed the swap to its detached part
 * ("@@neve swapping") and before it reported the end. The host finishes that part on its own; its
 * journal stays until it ends verified, and the next push (or refresh) of the paths sees it.
 */
function lostAfterSwap(e: unknown, stdoutSoFar: string): Error {
  const err = e as Error;
  const report = parseReport(stdoutSoFar);
  if (!stdoutSoFar.split("\n").includes("@@neve swapping") || report.changed || report.failed) return err;
  const stash = report.stash ? ` (the previous files are in ${report.stash})` : "";
  return new Error(
    `${err.message}, after the swap had begun: the host finishes the push on its own, activation, health check and rollback ` +
      `included${stash}, and marks the files until it ends verified. The next \`pulumi up\` finds the files as the host left them, ` +
      `says how this push ended, and re-runs activation and health check for any file whose push did not end verified.${lostSuffix(report)}`,
  );
}

/**
 * Prove access after the change and only then disarm the host's restore timer: a fresh TLS handshake with
 * the API port over the operator's path (when `accessCritical.api` names it), then a NEW SSH connection,
 * which disarms the timer. If either fails, the timer is left armed: wait for it, check that the host
 * healed itself, and fail with what happened. The time limits: CONFIRM_WINDOW and accessCheckMs.
 * The new connection's login runs while the API probe does (both are proofs made after the change), but the
 * confirm script, which disarms, runs over it only once the probe has succeeded; after a failed probe the
 * connection is closed unused.
 */
async function confirmAccess(inputs: HostConfigInputs, stash: string, startedAt: number, endedAt: number): Promise<void> {
  const { confirmSeconds: n, api } = inputs.accessCritical!;
  const timeoutMs = accessCheckMs(n);
  let report: ScriptReport;
  let failed: string | null = null;
  const login = connect(targetOf(inputs.connection, timeoutMs));
  login.catch(() => undefined); // awaited below, or closed unused after a failed probe
  try {
    if (api) await probeApi(api, timeoutMs);
  } catch (e) {
    failed = `a fresh request to the API port could not be completed (${(e as Error).message}); the confirm timer was left armed`;
  }
  try {
    if (failed) {
      login.then(close, () => undefined);
      throw new Error(failed);
    }
    const session = await login;
    let res: ExecResult;
    try {
      res = await exec(session, confirmCommand(stash), { timeoutMs, label: "the access check" });
    } finally {
      close(session);
    }
    report = parseReport(res.stdout);
  } catch (e) {
    const cause = failed ?? `a new SSH connection could not be opened (${(e as Error).message})`;
    await sleep(Math.max(0, selfRestoredByMs(endedAt, n) - Date.now()));
    let healed: string;
    try {
      const res = await withFreshConnection(targetOf(inputs.connection, SSH_FIXED.accessRecheckMs), (s) =>
        exec(s, confirmCommand(stash), { timeoutMs: SSH_FIXED.accessRecheckMs, label: "the access re-check" }),
      );
      const again = parseReport(res.stdout);
      healed = again.selfRestored
        ? `The host ${describeSelfRestoreOutcome(again.selfRestore)} (from ${stash}); SSH access works again.`
        : again.selfSuperseded
          ? `The host's restore found the files changed by a later push and put nothing back; SSH access works again; check the files.`
          : again.confirmed
            ? `A later connection worked and disarmed the timer: the new files are live; check them.`
            : `A later connection worked, but the host did not record its self-restore; check ${stash}.`;
    } catch (e2) {
      healed = `The host should have restored the previous files from ${stash} ${n}s after activation, but a new connection still fails (${(e2 as Error).message}).`;
    }
    throw new Error(`access check failed after activation: ${cause}. ${healed}`);
  }
  if (!report.confirmed) {
    throw new Error(
      report.selfRestored
        ? endedAt - startedAt >= n * 1000
          ? // The push's own connection stalled until the host's restore brought the path back (a bridge change that
            // moved the address this connection uses): the change cut the path, the timer did its job.
            `the change cut the path: this push's own report only came back ${Math.round((endedAt - startedAt) / 1000)}s after it began, after the ` +
            `host's ${n}s confirm window. The host ${describeSelfRestoreOutcome(report.selfRestore)} (from ${stash}); SSH access works again.`
          : `access was confirmed too late: the host had already ${describeSelfRestoreOutcome(report.selfRestore)} (from ${stash}); ` +
            `SSH access works again; raise accessCritical.confirmSeconds (now ${n}) if the change keeps access`
        : `the access check could not disarm the confirm timer of ${stash}; check the host`,
    );
  }
}

/** Dynamic provider of HostConfig: check and diff are pure (no SSH); create/update/read/delete batch their work into one exec. */
export const hostConfigProvider: dynamic.ResourceProvider<HostConfigInputs, HostConfigOutputs> = {
  ...pureMethods(checkHostConfig, diffHostConfig),

  async create(inputs: HostConfigInputs): Promise<dynamic.CreateResult<HostConfigOutputs>> {
    // Create: the state has no record of these paths, so whatever lives there is the host's own (the adoption guard).
    const { files, stash, lostRuns } = await applyOnHost(inputs, true);
    return { id: `${inputs.connection.host}:${inputs.service}`, outs: outputsOf(inputs, files, stash, lostRuns) };
  },

  async update(_id: string, olds: HostConfigOutputs, news: HostConfigInputs): Promise<dynamic.UpdateResult<HostConfigOutputs>> {
    if (changedFiles(olds, news).length === 0) {
      // Only commands, credentials or settings changed: nothing to do on the host.
      const byPath = new Map((olds.files ?? []).map((f) => [f.path, f]));
      const files = news.files.map((f) => {
        const old = byPath.get(f.path)!;
        return { ...old, secret: f.secret, content: f.secret ? null : f.content };
      });
      return { outs: outputsOf(news, files, olds.lastStash ?? null, olds.lostRuns ?? null) };
    }
    // Update: the state owns the paths; a live file that differs from it is drift, which the diff shows and the push corrects.
    const { files, stash, lostRuns } = await applyOnHost(news, false);
    return { outs: outputsOf(news, files, stash ?? olds.lastStash ?? null, lostRuns) };
  },

  async read(id: string, props?: HostConfigOutputs): Promise<dynamic.ReadResult<HostConfigOutputs>> {
    if (!props?.connection || !Array.isArray(props.files)) {
      throw new Error(
        `HostConfig ${id}: cannot be read without its state (import by id is not supported); declare the resource and let create adopt the live files`,
      );
    }
    const where = describeTarget(props.connection);
    const script = buildReadScript(
      props.files.map((f) => f.path),
      props.stashDir,
      props.service,
    );
    let res: ExecResult;
    try {
      res = await withConnection(targetOf(props.connection), (s) =>
        exec(s, BOOTSTRAP_COMMAND, { stdin: bootstrapInput(script), timeoutMs: limitMs(props.connection, "read"), label: `the read of ${props.service}` }),
      );
    } catch (e) {
      throw new Error(redact(`HostConfig ${props.service} on ${where}: ${(e as Error).message}`, secretsOf(props.connection)));
    }
    if (res.code !== 0) {
      throw new Error(`HostConfig ${props.service} on ${where}: reading the files failed (exit ${res.code}): ${res.stderr.trim()}`);
    }
    const report = parseReport(res.stdout);
    const files = fileStates(props.files, report, sha256Hex);
    const { __provider: _omit, ...rest } = props as HostConfigOutputs & { __provider?: unknown };
    return { id, props: { ...rest, files, lostRuns: lostRunsOf(report) } };
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
      withhold: secretPaths(props.files),
      token,
      stamp,
    });
    const prefix = `HostConfig ${props.service} on ${where}: delete (${mode}): `;
    let res: ExecResult;
    try {
      res = await withConnection(targetOf(props.connection), (s) =>
        exec(s, BOOTSTRAP_COMMAND, { stdin: bootstrapInput(script), timeoutMs: limitMs(props.connection, "change"), label: `the delete of ${props.service}` }),
      );
    } catch (e) {
      throw new Error(redact(prefix + (e as Error).message, secretsOf(props.connection)));
    }
    if (res.code !== 0) {
      throw new Error(
        redact(
          prefix + describeFailure({ activate: props.activate, healthCheck: null, files: props.files }, res.code, res.stderr, parseReport(res.stdout)),
          secretsOf(props.connection),
        ),
      );
    }
  },
};

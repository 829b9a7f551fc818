import type * as dynamic from "@pulumi/pulumi/dynamic";
import { limitMs, newToken, pureMethods, redact, secretsOf, targetOf } from "../common/provider";
import { base64Lines, sha256Hex } from "../common/shell";
import { describeTarget, type ExecResult, exec, isOutputLimitError, partialStdoutOf } from "../ssh/client";
import { withConnection } from "../ssh/pool";
import { checkLxcRawConfig } from "./check";
import { converse } from "./converse";
import { diffLxcRawConfig, rawLinesChanged } from "./diff";
import { lxcConfigPath as configPath, existingConfigProblem, extractLxcRawLines, lockLine, renderLxcRawConfig } from "./format";
import { ANSWER_END, buildApplyScript, buildReadScript, commandOf, LXC_EXIT, type LxcReport, parseLxcReport, READ_END } from "./script";
import type { ConnectionInputs, LxcRawConfigInputs, LxcRawConfigOutputs } from "./types";

/**
 * This module is what Pulumi serializes into each LxcRawConfig's `__provider`, together with the pure
 * renderLxcRawConfig (./format) it calls. It must not reach `@pulumi/pulumi` at runtime, a stack
 * Config, a secret or a live object: node modules are `require`d inside functions.
 */

/** "CT 201 on root@host:22" */
function whereOf(c: ConnectionInputs, vmid: number): string {
  return `CT ${vmid} on ${describeTarget(c)}`;
}

function missingError(c: ConnectionInputs, vmid: number): Error {
  return new Error(
    `CT ${vmid} does not exist on ${c.host}: ${configPath(vmid)} is missing (via ${describeTarget(c)}); ` +
      `nothing was written. Check vmid, or create the container first (dependsOn) and run again.`,
  );
}

/** Why the live text must not be rewritten, or null: not Proxmox's text, or a Proxmox operation holds the container. */
export function existingProblem(text: string, vmid: number): string | null {
  const problem = existingConfigProblem(text, vmid);
  if (problem) return problem;
  const lock = lockLine(text);
  if (lock) {
    // Proxmox itself refuses config changes while a backup, snapshot, migration... holds the CT ("lock: <what>").
    return `CT ${vmid} is locked by a running Proxmox operation (${lock}); nothing was written, retry when it has finished (or \`pct unlock ${vmid}\` if it is stale)`;
  }
  return null;
}

/** What to add to the error of a read stopped at the stdout limit: no config Proxmox writes comes near it. */
function sizeHint(e: unknown, vmid: number): string {
  return isOutputLimitError(e)
    ? ` (${configPath(vmid)} is larger than any config Proxmox writes: pmxcfs keeps every file below 1 MiB; check the file on the host)`
    : "";
}

/**
 * What to add to the error of a write whose connection broke after the new text was sent, from the lines that
 * arrived. The host script reports "@@neve stash" right before its rename: a write to the dead session stops it
 * there (SIGPIPE; its trap removes the staged copy), so without that line the rename has not run, unless the
 * line was already on its way when the connection went.
 */
function mayBeLive(sent: string | null, stdoutSoFar: string): string {
  const report = parseLxcReport(stdoutSoFar);
  if (sent === null || report.changedTo !== null) return "";
  const next = " The next `pulumi up` reads the file and reconciles it.";
  if (report.stash) {
    return (
      `, after the new text was sent: the host had stashed the live file in ${report.stash} and was renaming the new text over it, ` +
      `so the change is live unless that rename failed (it takes effect at the container's next start).${next}`
    );
  }
  return (
    ", after the new text was sent, before the host reported its stash: the host stops at that report once the connection is gone " +
    "(before the rename, removing the staged copy), so the file is unchanged, unless the report was already on its way when the " +
    `connection went (then the change is live and takes effect at the container's next start).${next}`
  );
}

/** Result of one apply on the host. */
interface Applied {
  missing: boolean;
  changed: boolean;
  /** Raw lines of the main section after the apply. */
  rawLines: string[];
  stash: string | null;
}

/**
 * Read-modify-write of one container config in ONE exec: the host prints the live file, the provider
 * renders the new text with renderLxcRawConfig and answers; the host writes it with a compare-and-swap.
 */
async function applyOnHost(connection: ConnectionInputs, vmid: number, stashDir: string, wanted: readonly string[], what: string): Promise<Applied> {
  const where = whereOf(connection, vmid);
  const { token, stamp } = newToken();
  const script = buildApplyScript({ vmid, stashDir, token, stamp });
  let readSha: string | null = null;
  let newText: string | null = null;
  let report: LxcReport;
  let res: ExecResult;
  try {
    res = await withConnection(targetOf(connection), (s) =>
      converse(s, commandOf(script), {
        readyLine: READ_END,
        label: `the ${what} of ${configPath(vmid)}`,
        timeoutMs: limitMs(connection, "change"),
        onThrow: `abort\n${ANSWER_END}\n`,
        answer: (stdout) => {
          const read = parseLxcReport(stdout);
          const bytes = read.content!;
          const text = bytes.toString("utf8");
          if (!Buffer.from(text, "utf8").equals(bytes)) {
            throw new Error(`${configPath(vmid)} is not valid UTF-8; refusing to rewrite it`);
          }
          readSha = sha256Hex(bytes);
          const problem = existingProblem(text, vmid);
          if (problem) throw new Error(problem);
          const rendered = renderLxcRawConfig(text, { vmid, rawLines: [...wanted] });
          if (rendered === text) return `keep\n${ANSWER_END}\n`;
          newText = rendered;
          return `write ${readSha} ${sha256Hex(rendered)}\n${base64Lines(rendered)}\n${ANSWER_END}\n`;
        },
      }),
    );
    report = parseLxcReport(res.stdout);
  } catch (e) {
    throw new Error(
      redact(`LxcRawConfig ${where}: ${what}: ${(e as Error).message}${sizeHint(e, vmid)}${mayBeLive(newText, partialStdoutOf(e))}`, secretsOf(connection)),
    );
  }
  const stderr = res.stderr.trim();
  if (res.code === LXC_EXIT.missing || report.missing) return { missing: true, changed: false, rawLines: [], stash: null };
  if (res.code === LXC_EXIT.changed) {
    throw new Error(
      `LxcRawConfig ${where}: ${configPath(vmid)} changed underneath us between read and write ` +
        `(sha256 ${readSha ?? "?"} when read, ${report.casSaw ?? "?"} at the swap; Proxmox or someone else wrote it). ` +
        `Nothing was written and the file was left alone; retry (run pulumi up again).`,
    );
  }
  if (res.code !== 0) {
    throw new Error(redact(`LxcRawConfig ${where}: ${what} failed (exit ${res.code}): ${stderr || "(no output)"}`, secretsOf(connection)));
  }
  if (report.changedTo !== null) {
    if (newText === null || report.changedTo !== sha256Hex(newText)) {
      throw new Error(`LxcRawConfig ${where}: after the swap ${configPath(vmid)} does not hold the text that was written; check the host`);
    }
    return { missing: false, changed: true, rawLines: extractLxcRawLines(newText), stash: report.stash };
  }
  if (report.unchanged && report.content) {
    return { missing: false, changed: false, rawLines: extractLxcRawLines(report.content.toString("utf8")), stash: null };
  }
  throw new Error(`LxcRawConfig ${where}: ${what}: the host did not report what it did (exit 0, stdout ${JSON.stringify(res.stdout.slice(0, 200))})`);
}

function outputsOf(inputs: LxcRawConfigInputs, rawLines: string[], present: boolean, lastStash: string | null): LxcRawConfigOutputs {
  return {
    host: inputs.connection.host,
    connection: { ...inputs.connection, privateKey: inputs.connection.privateKey ?? null },
    vmid: inputs.vmid,
    path: configPath(inputs.vmid),
    rawLines,
    stashDir: inputs.stashDir,
    onDelete: inputs.onDelete,
    present,
    lastStash,
  };
}

async function createOrUpdate(inputs: LxcRawConfigInputs, previousStash: string | null): Promise<LxcRawConfigOutputs> {
  const applied = await applyOnHost(inputs.connection, inputs.vmid, inputs.stashDir, inputs.rawLines, "write");
  if (applied.missing) throw missingError(inputs.connection, inputs.vmid);
  return outputsOf(inputs, applied.rawLines, true, applied.stash ?? previousStash);
}

/** Dynamic provider of LxcRawConfig: check and diff are pure (no SSH); create/update/read/delete are one exec each. */
export const lxcRawConfigProvider: dynamic.ResourceProvider<LxcRawConfigInputs, LxcRawConfigOutputs> = {
  ...pureMethods(checkLxcRawConfig, diffLxcRawConfig),

  async create(inputs: LxcRawConfigInputs): Promise<dynamic.CreateResult<LxcRawConfigOutputs>> {
    const outs = await createOrUpdate(inputs, null);
    return { id: `${inputs.connection.host}:lxc/${inputs.vmid}`, outs };
  },

  async update(_id: string, olds: LxcRawConfigOutputs, news: LxcRawConfigInputs): Promise<dynamic.UpdateResult<LxcRawConfigOutputs>> {
    if (!rawLinesChanged(olds, news)) {
      // Only credentials or settings changed: nothing to do on the host.
      return { outs: outputsOf(news, olds.rawLines, olds.present !== false, olds.lastStash ?? null) };
    }
    return { outs: await createOrUpdate(news, olds.lastStash ?? null) };
  },

  async read(id: string, props?: LxcRawConfigOutputs): Promise<dynamic.ReadResult<LxcRawConfigOutputs>> {
    if (!props?.connection || typeof props.vmid !== "number") {
      throw new Error(
        `LxcRawConfig ${id}: cannot be read without its state (import by id is not supported); declare the resource and let create take over the raw lines`,
      );
    }
    const where = whereOf(props.connection, props.vmid);
    let res: ExecResult;
    try {
      res = await withConnection(targetOf(props.connection), (s) =>
        exec(s, commandOf(buildReadScript(props.vmid)), { timeoutMs: limitMs(props.connection, "read"), label: `the read of ${configPath(props.vmid)}` }),
      );
    } catch (e) {
      throw new Error(redact(`LxcRawConfig ${where}: ${(e as Error).message}${sizeHint(e, props.vmid)}`, secretsOf(props.connection)));
    }
    if (res.code !== 0) {
      throw new Error(`LxcRawConfig ${where}: reading ${configPath(props.vmid)} failed (exit ${res.code}): ${res.stderr.trim()}`);
    }
    const report = parseLxcReport(res.stdout);
    const { __provider: _omit, ...rest } = props as LxcRawConfigOutputs & { __provider?: unknown };
    if (report.missing) return { id, props: { ...rest, rawLines: [], present: false } };
    if (!report.content) throw new Error(`LxcRawConfig ${where}: the read printed no file content`);
    return { id, props: { ...rest, rawLines: extractLxcRawLines(report.content.toString("utf8")), present: true } };
  },

  async delete(_id: string, props: LxcRawConfigOutputs): Promise<void> {
    const mode = props.onDelete ?? "keep";
    if (mode === "keep") return;
    // "remove": the resource owns the whole raw set of the main section, so none is left. A container
    // that no longer exists has no raw lines left to remove.
    await applyOnHost(props.connection, props.vmid, props.stashDir, [], "delete (remove)");
  },
};

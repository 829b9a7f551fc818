/**
 * The host files the program declares (HostConfig files, LxcRawConfig raw lines), from one run of the
 * program under Pulumi's mocks: what `discover --check` compares in its "host files" section.
 */
import type { SecretKey } from "../config/secrets";
import { collectDeclared, type HostGroup } from "./files";

/** Options of {@link loadDeclaredHosts}. */
export interface DeclaredHostsOptions {
  /** Stack file to run the program on. */
  readonly stackFile: string;
  /** Pin this host key as ssh.hostKey (for a stack that pins none yet); the program validates it. */
  readonly hostKey?: string;
  /** Real secret values to render secret files with (else placeholders, and those files are not compared). */
  readonly secrets?: Partial<Record<SecretKey, string>>;
  /**
   * Let the offline plan's placeholder stand in for an unpinned ssh.hostKey: only where nothing
   * connects (`--root`). Over SSH the stack (or `hostKey`) must pin the real key: no trust on first use.
   */
  readonly placeholderHostKey: boolean;
}

/** The program's host declarations and the secret values in play. */
export interface DeclaredHosts {
  /** Declarations grouped by host. */
  readonly groups: HostGroup[];
  /** Every secret value the program was given (placeholder or real), for redacting output. */
  readonly secretValues: string[];
  /** The placeholder secret values (secrets not given): secret files holding one are not compared. */
  readonly placeholders: string[];
}

/**
 * Run the program under Pulumi's mocks (once per process / jest module registry, see mockRunner)
 * and collect its host declarations.
 */
export async function loadDeclaredHosts(opts: DeclaredHostsOptions): Promise<DeclaredHosts> {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  const { readStackConfig } = await import("../../scripts/lib/stackFile");
  const { CONFIG_NAMESPACE } = await import("../config/secrets");
  const configOverrides: Record<string, unknown> = {};
  if (opts.hostKey !== undefined) {
    const ssh = readStackConfig(opts.stackFile)[`${CONFIG_NAMESPACE}:ssh`];
    configOverrides.ssh = { ...(ssh && typeof ssh === "object" ? ssh : {}), hostKey: opts.hostKey };
  }
  const secrets = opts.secrets ?? {};
  const run = await runProgram({ stackFile: opts.stackFile, configOverrides, secrets, placeholderHostKey: opts.placeholderHostKey });
  const given = new Set(Object.keys(secrets));
  const entries = Object.entries(run.secretValues) as [string, string][];
  return {
    groups: collectDeclared(run.resources),
    secretValues: entries.map(([, v]) => v),
    placeholders: entries.filter(([k]) => !given.has(k)).map(([, v]) => v),
  };
}

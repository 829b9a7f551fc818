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
  /**
   * Run the program on the stack file with the recorded-fact markers as `--write` sets them
   * (stacks/config/recorded.ts): a file not adopted yet lacks them, and they change no host file.
   */
  readonly markRecorded?: boolean;
}

type Section = Record<string, unknown>;
const isSection = (v: unknown): v is Section => v !== null && typeof v === "object" && !Array.isArray(v);

/** The firewall and network sections with `recorded` as an adopted file carries it: true where the switch is off, absent where it is on. */
function markedSections(config: Record<string, unknown>, ns: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const mark = (o: Section, on: boolean): Section => {
    const { recorded: _, ...rest } = o;
    return on ? rest : { ...rest, recorded: true };
  };
  const fw = config[`${ns}:firewall`];
  if (isSection(fw)) out.firewall = mark(fw, fw.filesManaged === true);
  const net = config[`${ns}:network`];
  if (isSection(net) && isSection(net.bridges)) {
    const bridges = net.bridges;
    out.network = {
      ...net,
      bridges: Object.fromEntries(Object.entries(bridges).map(([k, b]) => [k, isSection(b) ? mark(b, net.interfacesFile === true) : b])),
    };
  }
  return out;
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
  const configOverrides: Record<string, unknown> = opts.markRecorded ? markedSections(readStackConfig(opts.stackFile), CONFIG_NAMESPACE) : {};
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

import type { ConnectionInputs } from "../common/connection";

export type { ConnectionInputs };

/**
 * What deleting the resource does: "keep" leaves the raw lines in the container's config, "remove"
 * takes the raw `lxc.*` lines of the main section out again (the container keeps running; they take
 * effect at its next start).
 */
export type LxcRawOnDelete = "keep" | "remove";

/** Inputs of an LxcRawConfig after `check` (defaults applied). */
export interface LxcRawConfigInputs {
  connection: ConnectionInputs;
  vmid: number;
  rawLines: string[];
  stashDir: string;
  onDelete: LxcRawOnDelete;
}

/** Outputs of an LxcRawConfig: everything update, read and delete need. */
export interface LxcRawConfigOutputs {
  /** Plain copy of connection.host, for display. */
  host: string;
  /** Secret output (additionalSecretOutputs): holds the private key so delete can connect. */
  connection: ConnectionInputs;
  vmid: number;
  /** /etc/pve/lxc/<vmid>.conf. */
  path: string;
  /** The raw lxc.* lines found in the main section at the last create/update/read (drift shows here). */
  rawLines: string[];
  stashDir: string;
  onDelete: LxcRawOnDelete;
  /** False when the container's config file was missing at the last read. */
  present: boolean;
  /** Stash directory holding the config before the last change, or null. */
  lastStash: string | null;
}

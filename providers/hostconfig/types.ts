import type { ConnectionInputs } from "../common/connection";

export type { ConnectionInputs };

/** One declared file, defaults applied. */
export interface FileInputs {
  path: string;
  content: string;
  /** Four octal digits, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  secret: boolean;
  /**
   * Live contents (`sha256:<64 hex>`) the first push (create) may replace at this path, besides an absent
   * file and one already equal to `content`. Any other live file makes the create fail with EXIT.live,
   * nothing changed: adopting a host never overwrites a hand-written file nobody reconciled. Not
   * consulted by updates (the state owns the file then). Defaults to [].
   */
  acceptLive?: string[];
}

/** What to do with the files when the resource is deleted. */
export type OnDelete = "keep" | "remove" | "restore";

/** The dead-man timer of access-critical changes. */
export interface AccessCritical {
  /** Seconds the host waits for the confirmation before it restores the previous files by itself. */
  confirmSeconds: number;
  /**
   * The API port as the operator reaches it (Proxmox: the `proxmox.endpoint` host, 8006): the change is
   * confirmed only after a fresh TLS handshake with it succeeds, as well as a fresh SSH login. Null: SSH only.
   */
  api: { host: string; port: number } | null;
}

/** Inputs of a HostConfig after `check` (defaults applied). */
export interface HostConfigInputs {
  connection: ConnectionInputs;
  service: string;
  files: FileInputs[];
  validate: string[];
  activate: string | null;
  healthCheck: string | null;
  stashDir: string;
  stashKeep: number;
  onDelete: OnDelete;
  accessCritical: AccessCritical | null;
}

/** The state of one managed file as last written or read. */
export interface FileState {
  path: string;
  /** Live mode, four octal digits; null when the file is missing. */
  mode: string | null;
  owner: string | null;
  group: string | null;
  secret: boolean;
  /** sha256 (hex) of the live content; null when the file is missing or not a regular file. */
  sha256: string | null;
  /** The content when it is not secret and matches sha256; null otherwise (secret files: always null). */
  content: string | null;
  /** False when the file is missing (or not a regular file) on the host: drift. */
  present: boolean;
  /**
   * True (else absent) when a refresh found the path's journal on the host: its last push did not end
   * verified (activation and health check), so the next `up` runs them again whatever the content.
   */
  pending?: boolean;
}

/** Outputs of a HostConfig: everything update, read and delete need. */
export interface HostConfigOutputs extends Omit<HostConfigInputs, "files"> {
  /** Plain copy of connection.host, for display. */
  host: string;
  /** Secret output (additionalSecretOutputs): holds the private key so delete can connect. */
  connection: ConnectionInputs;
  /** Live state of each file (no content for secret files). */
  files: FileState[];
  /** Stash directory of the last change on the host (the previous files), or null. */
  lastStash: string | null;
  /**
   * How the pushes ended that lost their connection before reporting their end, as the last push (which then
   * clears them on the host) or refresh found them; null when there were none. Absent in older states.
   */
  lostRuns?: string[] | null;
}

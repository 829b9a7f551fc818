import type { StackConfig } from "../schema";

/** Report one issue: the stack-file field path and what is wrong and how to fix it. */
export type AddIssue = (path: string, message: string) => void;

/** Facts several sections need, computed once by `checkRules`. */
export interface SharedFacts {
  /** "next free: 10.10.10.93" or "the clone range is full", for messages that suggest an address. */
  readonly cloneHint: string;
  /** The lowest free address of the clone range, or undefined when it is full. */
  readonly nextClone: string | undefined;
  /** Public hostnames seen so far (lower case) -> the field that routes them; routes first, then the tunnel. */
  readonly hostnames: Map<string, string>;
}

/** One section's cross-field rules. */
export type SectionRules = (c: StackConfig, add: AddIssue, shared: SharedFacts) => void;

/**
 * Whether a node name written in the stack (a storage's `nodes`, a job's `node`) names the stack's own
 * node `proxmox.nodeName`. Proxmox compares node names exactly, case included: a storage limited to
 * other nodes "is not available on node" neve (pve-storage PVE::Storage::storage_check_node, a hash
 * lookup), and a job whose `node` differs never runs there (pve-manager PVE/Jobs.pm:
 * `$cfg->{node} ne $nodename`). Returns null when it does, else the hint for the message.
 */
export function otherNodeHint(c: StackConfig, written: string): string | null {
  const node = c.proxmox.nodeName;
  if (written === node) return null;
  if (written.toLowerCase() === node.toLowerCase())
    return `"${written}" is not "${node}" (proxmox.nodeName): Proxmox compares node names exactly, case included`;
  return `"${written}" is not this stack's node "${node}" (proxmox.nodeName)`;
}

/**
 * `f`'s result, computed on the first call only: a list of names for an error message (all guests,
 * say) is built once per validation, not once per issue, so many issues cost no more than their text.
 */
export function once<T>(f: () => T): () => T {
  let done = false;
  let v: T;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

/** Names of the VM templates of the config, for messages. */
export function templateNames(c: StackConfig): string[] {
  return Object.entries(c.guests)
    .filter(([, g]) => g.kind === "vm" && g.template)
    .map(([n]) => n);
}

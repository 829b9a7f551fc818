/**
 * LiveFacts: what `npm run discover` reads off a Proxmox host (over one pinned SSH exec, or from a
 * directory of copies with `--root DIR`), parsed but not yet interpreted. The parsers beside this file
 * produce it; the mapping to the stack file's own vocabulary (and `--check` / `--write`) consumes it.
 *
 * Values are kept as Proxmox writes them (strings, exact text after `key: `), so that nothing is lost
 * or guessed at parse time: interpretation (units, defaults, sub-options like `virtio=MAC,bridge=vmbr1`)
 * belongs to the mapping, which knows the provider's vocabulary.
 *
 * Never part of LiveFacts: anything under /etc/pve/priv, and the content of a secret host file (only
 * its sha256 is kept, and that is never printed).
 */

/** `key: value` entries of one section of a guest config, in file order (keys unique within a section, except `lxc.*`). */
export type ConfEntries = ReadonlyArray<readonly [key: string, value: string]>;

/** One snapshot section (`[name]`) of a guest config. */
export interface SnapshotFacts {
  /** Section name = snapshot name. */
  readonly name: string;
  /** `parent:` of the snapshot, when present. */
  readonly parent?: string;
  /** True when the snapshot carries RAM state (`vmstate:` for QEMU). */
  readonly vmstate: boolean;
  /** `snaptime:` (epoch seconds), when present. */
  readonly snaptime?: number;
  /** Every entry of the section, in file order (for completeness; the main section is what is managed). */
  readonly entries: ConfEntries;
}

/** One guest config file: /etc/pve/nodes/<node>/qemu-server/<vmid>.conf or lxc/<vmid>.conf. */
export interface GuestFacts {
  /** Proxmox id, from the file name. */
  readonly vmid: number;
  /** `qemu` (qemu-server) or `lxc`. */
  readonly kind: "qemu" | "lxc";
  /** The description: the leading `#` comment lines of the main section, decoded, joined with "\n" (undefined when none). */
  readonly description?: string;
  /** Main section entries (everything before the first `[section]`), `#` description lines excluded. */
  readonly main: ConfEntries;
  /** Pending section (`[PENDING]` for QEMU, `[pve:pending]` for LXC) entries; empty when there is none. */
  readonly pending: ConfEntries;
  /** Snapshot sections in file order (special sections such as `[special:cloudinit]` and pending excluded). */
  readonly snapshots: readonly SnapshotFacts[];
  /** Names of other special sections seen (e.g. `special:cloudinit`), for diagnostics. */
  readonly specialSections: readonly string[];
  /** Lines Proxmox itself would not parse (e.g. `key:` without a value), as written; absent when none. */
  readonly unparsed?: readonly string[];
}

/** One section of storage.cfg or jobs.cfg: `<type>: <id>` then tab-indented `key value` lines. */
export interface SectionFacts {
  /** Section type (`dir`, `zfspool`, `pbs`, ... or `vzdump` in jobs.cfg). */
  readonly type: string;
  /** Section id (storage id or job id). */
  readonly id: string;
  /** Properties in file order; a flag without a value (e.g. `disable`) has value "". */
  readonly props: ConfEntries;
}

/** One rule line of a Proxmox firewall file. */
export interface FirewallRuleFacts {
  /** `in`, `out` or `group` (security group reference). */
  readonly type: "in" | "out" | "group";
  /** `ACCEPT` / `DROP` / `REJECT`, or the group name for `group`; for a macro rule the macro's action. */
  readonly action: string;
  /** Macro name for rules like `SSH(ACCEPT)`. */
  readonly macro?: string;
  /** False for a disabled rule (line prefixed with `|`). */
  readonly enabled: boolean;
  /** `-i` interface. */
  readonly iface?: string;
  /** `-source`. */
  readonly source?: string;
  /** `-dest`. */
  readonly dest?: string;
  /** `-p` protocol. */
  readonly proto?: string;
  /** `-dport` exactly as written (e.g. `80,443` or `6000:6010`). */
  readonly dport?: string;
  /** `-sport` exactly as written. */
  readonly sport?: string;
  /** `-log` level. */
  readonly log?: string;
  /** `-icmp-type`. */
  readonly icmpType?: string;
  /** Text after `#`, trimmed. */
  readonly comment?: string;
  /** The original line, for messages. */
  readonly raw: string;
}

/** /etc/pve/firewall/cluster.fw. */
export interface FirewallFacts {
  /** `[OPTIONS]` entries (`enable: 1`, `policy_in: DROP`, ...). */
  readonly options: ConfEntries;
  /** `[RULES]` in file order. */
  readonly rules: readonly FirewallRuleFacts[];
  /** Names of other sections seen (`IPSET x`, `ALIASES`, `group x`), kept so `--check` can name them. */
  readonly otherSections: readonly string[];
  /** Option or rule lines Proxmox would skip (unparsable), as written; absent when none. */
  readonly unparsed?: readonly string[];
  /** `[IPSET <name>]` sections (name lowercased, as Proxmox reads it): entries as written, `!` for nomatch; absent when none. */
  readonly ipsets?: Readonly<Record<string, readonly string[]>>;
  /** `[ALIASES]`: name (lowercased) -> address/CIDR; absent when none. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** `[group <name>]` security groups (name lowercased, as Proxmox reads it): their rules in file order; absent when none. */
  readonly groups?: Readonly<Record<string, FirewallGroupFacts>>;
}

/** One `[group <name>] # comment` section of cluster.fw. */
export interface FirewallGroupFacts {
  /** The comment after the section header, when there is one. */
  readonly comment?: string;
  /** Its rules in file order. */
  readonly rules: readonly FirewallRuleFacts[];
}

/** /etc/pve/firewall/<vmid>.fw: a guest's firewall, read to be reported (the program never writes it). */
export interface GuestFirewallFacts {
  /** The guest's vmid (the file name). */
  readonly vmid: number;
  /** Host path. */
  readonly path: string;
  /** The parsed file. */
  readonly fw: FirewallFacts;
}

/** One `iface` stanza of /etc/network/interfaces (or a file it sources). */
export interface InterfaceStanza {
  /** Interface name. */
  readonly name: string;
  /** `inet` or `inet6`. */
  readonly family: "inet" | "inet6";
  /** `static`, `dhcp`, `manual`, `auto`, ... */
  readonly method: string;
  /** Option lines in order (`address 10.10.10.1/24`, `bridge-ports none`, `post-up iptables ...`). Keys may repeat. */
  readonly options: ConfEntries;
  /** File the stanza came from (host path). */
  readonly file: string;
}

/** /etc/network/interfaces and the files it sources. */
export interface NetworkFacts {
  /** Interfaces named on `auto` / `allow-hotplug` lines. */
  readonly auto: readonly string[];
  /** Every stanza, in reading order. */
  readonly stanzas: readonly InterfaceStanza[];
  /** Files read (host paths), the main file first. */
  readonly files: readonly string[];
  /** /etc/network/interfaces.new, when it exists: changes staged in the Proxmox UI, not applied. */
  readonly staged?: StagedNetwork;
}

/** /etc/network/interfaces.new beside the /etc/network/interfaces it would replace (./staged.ts reports it). */
export interface StagedNetwork {
  /** Content of /etc/network/interfaces.new. */
  readonly text: string;
  /** Content of /etc/network/interfaces ("" when absent): what the staged file replaces. */
  readonly current: string;
}

/** One `key = value` of a sysctl file. */
export interface SysctlSetting {
  /** Host path of the file. */
  readonly file: string;
  /** Dotted key (slashes normalised to dots). */
  readonly key: string;
  /** Value as written. */
  readonly value: string;
}

/** A host file the stack manages (HostConfig files, guest configs for raw lines), as discover's read found it. */
export interface HostFileFacts {
  /** Absolute host path. */
  readonly path: string;
  /** False when the path does not exist (or is not a regular file: see `kind`). */
  readonly exists: boolean;
  /** `file`, `absent`, or `other` (a directory, link or device at that path). */
  readonly kind: "file" | "absent" | "other";
  /** Content, only for files not declared secret. */
  readonly content?: string;
  /** sha256 of the content, kept in memory for secret comparisons only; never printed. */
  readonly sha256?: string;
  /**
   * Why a path that exists was not read: `unreadable` (permissions, I/O), `refused` (it resolves into
   * /etc/pve/priv) or `broken` (a symbolic link that does not resolve). Absent when it was read.
   */
  readonly problem?: "unreadable" | "refused" | "broken";
  /** Octal mode, owner and group, when it exists. */
  readonly mode?: string;
  readonly owner?: string;
  readonly group?: string;
}

/** Everything discover read from one host. */
export interface LiveFacts {
  /** Node name the guest configs were read under (/etc/pve/nodes/<node>). */
  readonly node: string;
  /** Where the facts came from: `ssh://user@host:port` or `root:DIR`. */
  readonly source: string;
  /** Guests by vmid, ascending. */
  readonly guests: readonly GuestFacts[];
  /** storage.cfg sections in file order. */
  readonly storage: readonly SectionFacts[];
  /** jobs.cfg sections in file order (vzdump and others). */
  readonly jobs: readonly SectionFacts[];
  /** cluster.fw, or undefined when the file does not exist. */
  readonly firewall?: FirewallFacts;
  /** /etc/pve/nodes/<node>/host.fw ([OPTIONS] and [RULES]), or undefined when the file does not exist. */
  readonly hostFirewall?: FirewallFacts;
  /** /etc/pve/firewall/<vmid>.fw files, by vmid; absent when none. */
  readonly guestFirewalls?: readonly GuestFirewallFacts[];
  /** /etc/network/interfaces and what it sources. */
  readonly network: NetworkFacts;
  /** /etc/sysctl.conf and /etc/sysctl.d/*.conf settings, in the order sysctl applies them. */
  readonly sysctl: readonly SysctlSetting[];
  /** Live kernel values of the forwarding keys, when read over SSH (absent with --root). */
  readonly sysctlRuntime?: Readonly<Record<string, string>>;
  /** The managed host files requested by the caller, by path. */
  readonly files: Readonly<Record<string, HostFileFacts>>;
  /**
   * What lives beside the managed files (./beside.ts lists where), by path: regular files with their sha256,
   * anything else as `other`; never their content. Absent in facts built before it existed.
   */
  readonly beside?: Readonly<Record<string, HostFileFacts>>;
}

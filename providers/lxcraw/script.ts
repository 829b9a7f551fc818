import { pruneStashes, scriptHeader } from "../common/shell";
import { shellQuote } from "../ssh/quote";
import { SSH_FIXED } from "../ssh/timeouts";
import { lxcConfigPath } from "./format";

const q = shellQuote;

/** Last line of every answer the provider sends: the script acts only on an answer that arrived whole. */
export const ANSWER_END = "@@neve-end-of-answer";
/** Line the script prints after the current file: the provider answers once it has seen it. */
export const READ_END = "@@neve read-end";

/** Exit codes of the remote script, mapped to what failed. */
export const LXC_EXIT = {
  stage: 11,
  stash: 13,
  swap: 14,
  lock: 18,
  missing: 20,
  changed: 21,
  incomplete: 97,
} as const;

/** How many timestamped stashes of one container are kept (the original is always kept). */
export const STASH_KEEP = 10;

/** Proxmox's own per-container config lock (PVE::LXC::Config->config_file_lock), taken by pct, vzdump, the API. */
export function lockPath(vmid: number): string {
  return `/run/lock/lxc/pve-config-${vmid}.lock`;
}

/** <stashDir>/lxc-<vmid>: holds original/files<path> and <stamp>-<token>/files<path>. */
export function ctStashDir(stashDir: string, vmid: number): string {
  return `${stashDir.replace(/\/+$/, "")}/lxc-${vmid}`;
}

/** Staged copy: same directory (pmxcfs renames only within a directory), hidden name Proxmox ignores. */
export function stagedPath(vmid: number, token: string): string {
  return `/etc/pve/lxc/.neve-stage-${token}-${vmid}.conf`;
}

/** One apply (create, update, delete "remove"): `token` and `stamp` are passed in to keep this pure. */
export interface LxcApplyPlan {
  vmid: number;
  stashDir: string;
  /** 8 hex chars, random per run. */
  token: string;
  /** UTC time stamp "YYYYMMDDTHHMMSSmmmZ". */
  stamp: string;
}

/**
 * The remote side of one apply, a single exec (a conversation on one channel):
 * 1. print the live config (base64, one line) and READ_END, or "@@neve missing" and exit 20;
 * 2. read the provider's whole answer from stdin: "keep", "abort", or "write <sha-read> <sha-new>" and
 *    the new text in base64, then ANSWER_END (a cut connection means an incomplete answer: nothing written);
 * 3. stage the new text next to the file, take Proxmox's config lock, and only if the live file still
 *    has the sha256 the provider read: stash it and rename the staged copy over it.
 * No chmod/chown: on pmxcfs every file is 0640 root:www-data by force; umask 027 gives the same mode
 * where /etc/pve is a plain directory.
 */
export function buildApplyScript(plan: LxcApplyPlan): string {
  const F = lxcConfigPath(plan.vmid);
  const STG = stagedPath(plan.vmid, plan.token);
  const L = lockPath(plan.vmid);
  const D = ctStashDir(plan.stashDir, plan.vmid);
  const O = `${D}/original/files${F}`;
  const P = `${D}/${plan.stamp}-${plan.token}`;
  const lines = [
    ...scriptHeader([STG], "027"),
    `if [ ! -f ${q(F)} ]; then echo '@@neve missing'; exit ${LXC_EXIT.missing}; fi`,
    "echo '@@neve begin'",
    `base64 -w0 < ${q(F)} || neve_fail ${LXC_EXIT.stage} ${q(`cannot read ${F}`)}`,
    "echo",
    `echo ${q(READ_END)}`,
    `neve_in=$(cat) || exit ${LXC_EXIT.incomplete}`,
    `case "$neve_in" in *${q(ANSWER_END)}) ;; *) echo 'incomplete answer from the provider (connection cut?); nothing was written' >&2; exit ${LXC_EXIT.incomplete};; esac`,
    `neve_cmd=$(printf '%s\\n' "$neve_in" | sed -n 1p)`,
    `case "$neve_cmd" in keep) echo '@@neve unchanged'; exit 0;; abort) echo '@@neve aborted'; exit 0;; "write "*) ;; *) neve_fail ${LXC_EXIT.incomplete} 'unexpected answer from the provider; nothing was written';; esac`,
    `set -- $neve_cmd; neve_want=$2; neve_new=$3`,
    `printf '%s\\n' "$neve_in" | sed '1d;$d' | base64 -d > ${q(STG)} || neve_fail ${LXC_EXIT.stage} ${q(`cannot write the staged copy ${STG}; nothing was written`)}`,
    `neve_h=$(sha256sum < ${q(STG)}) && [ "\${neve_h%% *}" = "$neve_new" ] || neve_fail ${LXC_EXIT.stage} ${q(`the staged copy ${STG} does not hold the new text (disk full?); nothing was written`)}`,
    `mkdir -p /run/lock/lxc || neve_fail ${LXC_EXIT.lock} ${q(`cannot create /run/lock/lxc; nothing was written`)}`,
    // The compare and the rename happen under Proxmox's own lock, so pct/vzdump/API writers cannot slip in between.
    "{",
    `  flock -w ${SSH_FIXED.lockWaitSeconds} 9 || neve_fail ${LXC_EXIT.lock} ${q(`could not take Proxmox's config lock ${L} within ${SSH_FIXED.lockWaitSeconds}s (a pct, vzdump or API operation on CT ${plan.vmid} is running?); nothing was written, retry later`)}`,
    `  neve_h=$(sha256sum < ${q(F)} 2>/dev/null) || neve_h=missing`,
    `  neve_now=\${neve_h%% *}`,
    `  if [ "$neve_now" != "$neve_want" ]; then echo "@@neve cas $neve_now"; neve_fail ${LXC_EXIT.changed} ${q(`${F} changed underneath us between read and write`)}; fi`,
    `  if [ ! -e ${q(O)} ]; then mkdir -p -- ${q(`${D}/original/files/etc/pve/lxc`)} && cp -p -- ${q(F)} ${q(O)} || neve_fail ${LXC_EXIT.stash} ${q(`cannot keep the original of ${F} in ${D}/original; nothing was written`)}; fi`,
    `  mkdir -p -- ${q(`${P}/files/etc/pve/lxc`)} && cp -p -- ${q(F)} ${q(`${P}/files${F}`)} || neve_fail ${LXC_EXIT.stash} ${q(`cannot stash ${F} into ${P}; nothing was written`)}`,
    `  echo ${q(`@@neve stash ${P}`)}`,
    `  mv -f -- ${q(STG)} ${q(F)} || neve_fail ${LXC_EXIT.swap} ${q(`cannot rename ${STG} over ${F}; the live file is unchanged`)}`,
    "  :",
    `} 9>>${q(L)} || neve_fail ${LXC_EXIT.lock} ${q(`cannot open Proxmox's config lock ${L}; nothing was written`)}`,
    pruneStashes(D, STASH_KEEP),
    `neve_h=$(sha256sum < ${q(F)}) && echo "@@neve changed \${neve_h%% *}"`,
    "exit 0",
  ];
  return `${lines.join("\n")}\n`;
}

/** The remote side of `read`: one exec, the live config in base64, or "@@neve missing". */
export function buildReadScript(vmid: number): string {
  const F = lxcConfigPath(vmid);
  return `${[
    "set -u",
    `if [ ! -f ${q(F)} ]; then echo '@@neve missing'; exit 0; fi`,
    "echo '@@neve begin'",
    `base64 -w0 < ${q(F)} || exit 11`,
    "echo",
    `echo ${q(READ_END)}`,
  ].join("\n")}\n`;
}

/** The command line that runs a script (scripts carry paths only, never a secret, so argv is fine). */
export function commandOf(script: string): string {
  return `sh -c ${q(script)}`;
}

/** Parsed "@@neve" lines of a script's stdout. */
export interface LxcReport {
  missing: boolean;
  /** The live file as read (null when missing or not read yet). */
  content: Buffer | null;
  readDone: boolean;
  unchanged: boolean;
  aborted: boolean;
  stash: string | null;
  /** sha256 of the file after the rename. */
  changedTo: string | null;
  /** sha256 the live file had when the compare-and-swap refused. */
  casSaw: string | null;
}

/** Parse what a script printed so far. */
export function parseLxcReport(stdout: string): LxcReport {
  const r: LxcReport = { missing: false, content: null, readDone: false, unchanged: false, aborted: false, stash: null, changedTo: null, casSaw: null };
  const lines = stdout.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "@@neve missing") r.missing = true;
    else if (line === "@@neve begin" && i + 2 < lines.length && lines[i + 2] === READ_END) {
      r.content = Buffer.from(lines[i + 1], "base64");
      r.readDone = true;
      i += 2;
    } else if (line === "@@neve unchanged") r.unchanged = true;
    else if (line === "@@neve aborted") r.aborted = true;
    else if (line.startsWith("@@neve stash ")) r.stash = line.slice("@@neve stash ".length);
    else if (line.startsWith("@@neve changed ")) r.changedTo = line.slice("@@neve changed ".length);
    else if (line.startsWith("@@neve cas ")) r.casSaw = line.slice("@@neve cas ".length);
  }
  return r;
}

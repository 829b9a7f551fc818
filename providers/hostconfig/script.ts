import { base64Lines, pruneStashes, STASH_NAME_GLOB, scriptHeader, sha256Hex } from "../common/shell";
import type { ExecAnswer } from "../ssh/client";
import { shellQuote } from "../ssh/quote";
import { SSH_FIXED } from "../ssh/timeouts";
import type { AccessCritical, FileInputs, FileState } from "./types";

/** Everything one push needs; `token` and `stamp` make names unique and are passed in to keep this pure. */
export interface ApplyPlan {
  service: string;
  stashDir: string;
  stashKeep: number;
  files: FileInputs[];
  validate: string[];
  activate: string | null;
  healthCheck: string | null;
  accessCritical: AccessCritical | null;
  /**
   * Paths of the secret files, when there are any: validators, activation and the health check can
   * read them, so their output never leaves the host (exit code and a one-line reason instead).
   */
  withhold: string[];
  /** 8 hex chars, random per push. */
  token: string;
  /** UTC time stamp "YYYYMMDDTHHMMSSmmmZ". */
  stamp: string;
  /**
   * The adoption guard (create only): before anything is staged, under the paths' locks, each live file must be
   * absent, equal to its content, or one of its `acceptLive` hashes; else the script exits EXIT.live.
   */
  guard?: boolean;
  /** Host-side limits of validators, activation and health check (seconds). Defaults to SSH_FIXED.hostCommandSeconds. */
  commandLimits?: CommandLimits;
}

/** Seconds a validator, the activation and the health check may each run on the host. */
export interface CommandLimits {
  validate: number;
  activate: number;
  health: number;
}

/** Last line of every script: the bootstrap refuses to run a script that does not end with it. */
export const END_MARKER = "@@neve-end-of-script";

/**
 * The bootstrap's shell text: read the script's length in bytes (a line of its own, see {@link bootstrapInput}),
 * then exactly that many bytes from stdin into `$neve_s` (`head -c` reads no further: the rest of stdin stays for
 * the script, which reads the push's acknowledgement from it), and run it only when it ends with END_MARKER.
 */
const BOOTSTRAP_BODY =
  `neve_s=''; read -r neve_n && case "$neve_n" in ''|*[!0-9]*) false;; esac && neve_s=$(head -c "$neve_n"); case "$neve_s" in *'${END_MARKER}') ;; *) ` +
  `echo 'incomplete script received (connection cut during upload?); nothing was changed' >&2; exit 97;; esac; eval "$neve_s"`;

/**
 * The remote command. It reads the whole script from stdin first and runs it only when it arrived
 * complete, so a connection cut during the upload runs nothing at all (never half a script).
 * File contents travel on stdin, never in argv, so `ps` on the host cannot show them.
 * What it reads is {@link bootstrapInput} of the script.
 */
export const BOOTSTRAP_COMMAND = `sh -c ${shellQuote(BOOTSTRAP_BODY)}`;

/** What a client sends on stdin for BOOTSTRAP_COMMAND: the script's length in bytes on a line of its own, then the script. */
export function bootstrapInput(script: string): string {
  return `${Buffer.byteLength(script, "utf8")}\n${script}`;
}

/** The apply script's last line on the session (after the relayed report), naming its push by token. */
export function relayedLine(token: string): string {
  return `@@neve relayed ${token}`;
}

/** What the client sends on the push's stdin once it has read {@link relayedLine}: the host removes the run record only then. */
export const RELAYED_ACK = "ack\n";

/**
 * The `answer` of a push's exec (stdin stays open after the script): {@link RELAYED_ACK} once the relayed line of
 * push `token` has arrived, which proves the client read the whole report, also when the connection is half-open.
 */
export function ackOnRelayed(token: string): ExecAnswer {
  const line = `\n${relayedLine(token)}\n`;
  return { reply: (out) => (out.includes(line) ? RELAYED_ACK : undefined), onThrow: "" };
}

/** Exit codes of the apply/delete scripts, mapped to what failed. */
export const EXIT = {
  stage: 11,
  validate: 12,
  stash: 13,
  swap: 14,
  activate: 15,
  health: 16,
  journal: 17,
  lock: 18,
  arm: 19,
  live: 20,
  incomplete: 97,
} as const;

/** Stash layout: <stashDir>/<service>/<stamp>-<token>/{files,absent}<path> and .../original/{files,absent}<path>. */
export function serviceStashDir(stashDir: string, service: string): string {
  return `${stashDir.replace(/\/+$/, "")}/${service}`;
}

/** Directory of this push's stash. */
export function pushStashDir(plan: Pick<ApplyPlan, "stashDir" | "service" | "stamp" | "token">): string {
  return `${serviceStashDir(plan.stashDir, plan.service)}/${plan.stamp}-${plan.token}`;
}

/**
 * Most files one HostConfig may declare: a push holds one lock per file, each on its own file
 * descriptor of the host's /bin/sh, which names only 0-9 (3-9 are free).
 */
export const MAX_FILES = 7;
/** First file descriptor of the path locks (3, 4, ... one per file). */
const LOCK_FD = 3;

/**
 * Host-wide state per managed path, beside the stashes: `<sha256 of the path>.lock` (flock(1): one push
 * of a path at a time) and `<sha256>.pending` (the journal: written before the swap, removed when the
 * push ended verified; it holds the stash of the files before that push).
 */
export function pathStateDir(stashDir: string): string {
  return `${stashDir.replace(/\/+$/, "")}/.neve-paths`;
}
/** The lock file of one managed path. */
export function pathLockFile(stashDir: string, path: string): string {
  return `${pathStateDir(stashDir)}/${sha256Hex(path)}.lock`;
}
/** The journal of one managed path: present while a push of it has not ended verified. */
export function pathJournalFile(stashDir: string, path: string): string {
  return `${pathStateDir(stashDir)}/${sha256Hex(path)}.pending`;
}

/**
 * The sha256 (hex) of the content the last push of one managed path wrote there and verified: the adoption guard
 * lets a create replace a live file that is still what a push wrote (a replaced resource, state lost), never another.
 */
export function pathWrittenFile(stashDir: string, path: string): string {
  return `${pathStateDir(stashDir)}/${sha256Hex(path)}.written`;
}

/**
 * Shell that records, per file, the hash of its content as what a verified push wrote ({@link pathWrittenFile}),
 * written in place by the shell's printf (no `mv`): it is read only under the path's lock, and a record cut short
 * (the host went down during the write) is no hash at all, so the adoption guard refuses and asks, never lets pass.
 */
function writtenLines(files: readonly FileInputs[], stashDir: string): string[] {
  return files.map((f) => `printf '%s\\n' ${sha256Hex(f.content)} > ${q(pathWrittenFile(stashDir, f.path))} || :`);
}

/** Run directory of a push's detached part: its output, exit code and pid, read back by the attached part. */
function runDir(svcDir: string, plan: Pick<ApplyPlan, "stamp" | "token">): string {
  return `${svcDir}/.runs/${plan.stamp}-${plan.token}`;
}

/** The indices of `items` grouped by `key`, groups in order of first appearance. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  items.forEach((t, i) => {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(i);
    else m.set(k, [i]);
  });
  return m;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Staged copy next to the target: same directory, so the same file system and rename(2) is atomic. */
export function stagedPath(path: string, token: string): string {
  return `${dirOf(path)}/.neve-stage-${token}-${baseOf(path)}`;
}
function restorePath(path: string, token: string): string {
  return `${dirOf(path)}/.neve-restore-${token}-${baseOf(path)}`;
}

/** "0644" -> "644", the form `stat -c %a` prints. */
export function statMode(mode: string): string {
  return parseInt(mode, 8).toString(8);
}

/** "644" (stat) -> "0644". */
export function normalizeMode(mode: string): string {
  return parseInt(mode, 8).toString(8).padStart(4, "0");
}

/**
 * The mode the shell creates a staged copy with (by the umask; the copy gets its final mode by `chmod` where this
 * is not it already). The final mode itself when it has no execute or special bit (a file the shell creates never
 * has those) and gives the group exactly what it gives others and the owner at least that: whatever owner and group
 * the copy has on creation (the push's user, its group or that of a setgid directory), nobody may then read it who
 * may not read the final file. Else only its owner bits (no one but the push's user, who wrote it, can read it).
 */
export function creationMode(mode: string): number {
  const m = parseInt(mode, 8);
  const u = (m >> 6) & 7;
  const g = (m >> 3) & 7;
  const o = m & 7;
  if ((m & 0o7111) === 0 && g === o && (o & ~u) === 0) return m;
  return m & 0o600;
}

/** The umask that makes the shell create a file with `mode` ("077": 0600, the scripts' own). */
function umaskFor(mode: number): string {
  return (0o777 & ~mode).toString(8).padStart(3, "0");
}

/**
 * Shell that reads, with one `stat`, the mode, owner and group of every staged copy (into `$neve_s<i>`, as
 * "<mode>:<owner>:<group>") and of every live file that is a regular file (`$neve_l<i>`; `$neve_lv<i>` is 1 for
 * those). Its lines come in argument order; should it fail, all are empty: every copy then gets chown and chmod, and
 * every file counts as changed.
 */
function stagedStateLines(files: readonly FileInputs[], staged: readonly string[]): string[] {
  const out = [`neve_sa=${q(staged.map(q).join(" "))}`];
  files.forEach((f, i) => {
    out.push(`neve_lv${i}=0; neve_l${i}=''; if [ -f ${q(f.path)} ] && [ ! -L ${q(f.path)} ]; then neve_lv${i}=1; neve_sa="$neve_sa "${q(q(f.path))}; fi`);
  });
  const next = (v: string) => `${v}=\${neve_ss%%"$neve_nl"*}; neve_ss=\${neve_ss#*"$neve_nl"}`;
  out.push(
    `neve_nl='\n'; if neve_ss=$(eval "stat -c '%a:%U:%G' -- $neve_sa" 2>/dev/null); then ${files.map((_f, i) => next(`neve_s${i}`)).join("; ")}` +
      `${files.map((_f, i) => `; if [ "$neve_lv${i}" = 1 ]; then ${next(`neve_l${i}`)}; fi`).join("")};` +
      ` else ${files.map((_f, i) => `neve_s${i}=''; neve_lv${i}=0`).join("; ")}; fi`,
  );
  return out;
}

/**
 * Replace `{staged}` (only when there is exactly one file) and `{staged:/abs/path}` with the quoted
 * staged path. `check` has already refused unknown paths; this throws for anything else.
 */
export function substitutePlaceholders(command: string, files: readonly { path: string }[], token: string): string {
  return command.replace(/\{staged(?::([^}]*))?\}/g, (_m, p: string | undefined) => {
    if (p === undefined) {
      if (files.length !== 1) throw new Error("{staged} needs exactly one file; use {staged:/abs/path}");
      return shellQuote(stagedPath(files[0].path, token));
    }
    if (!files.some((f) => f.path === p)) throw new Error(`{staged:${p}} names no declared file`);
    return shellQuote(stagedPath(p, token));
  });
}

const q = shellQuote;

/** Shell that creates a directory only when it is missing (a test is a builtin, `mkdir` a process), else fails with `fail`. */
function ensureDir(dir: string, fail: string): string {
  return `{ [ -d ${q(dir)} ] || mkdir -p -- ${q(dir)}; } || ${fail}`;
}

/**
 * Shell that creates, with one `mkdir`, the directories collected in `$neve_md` (each already quoted, see
 * `collectDir`), and empties the list; `fail` runs when that mkdir fails.
 */
function makeCollectedDirs(fail: string): string {
  return `if [ -n "$neve_md" ]; then eval "mkdir -p -- $neve_md" || ${fail}; fi; neve_md=''`;
}

/** Shell that adds `dir` to `$neve_md` when it is missing (makeCollectedDirs creates them all at once). */
function collectDir(dir: string): string {
  return `[ -d ${q(dir)} ] || neve_md="$neve_md "${q(q(dir))}`;
}

/** Shell that prints one "@@neve file <i> ..." line per file, for one file: hash, mode, owner, group (or missing). */
function reportOne(p: string, i: number): string {
  return (
    `if [ -f ${q(p)} ]; then neve_h=$(sha256sum < ${q(p)}) && printf '@@neve file ${i} %s %s\\n' "\${neve_h%% *}" "$(stat -c '%a:%U:%G' -- ${q(p)})";` +
    ` elif [ -e ${q(p)} ] || [ -L ${q(p)} ]; then echo '@@neve file ${i} notfile'; else echo '@@neve file ${i} missing'; fi`
  );
}

/**
 * `neve_report`: one "@@neve file <i> ..." line per file: hash, mode, owner, group (or missing, notfile). With more
 * than one file, one `sha256sum` and one `stat` for all the regular ones (their lines come in argument order; a
 * name sha256sum had to escape starts its line with a backslash); should either fail, file by file as for one.
 */
function reportFunction(paths: readonly string[]): string[] {
  if (paths.length === 1) return ["neve_report() {", `  ${reportOne(paths[0], 0)}`, "}"];
  const out = ["neve_report() {", "  neve_rf=''; neve_ri=''"];
  paths.forEach((p, i) => {
    out.push(
      `  if [ -f ${q(p)} ]; then neve_rf="$neve_rf "${q(q(p))}; neve_ri="$neve_ri ${i}"; elif [ -e ${q(p)} ] || [ -L ${q(p)} ]; then echo '@@neve file ${i} notfile'; else echo '@@neve file ${i} missing'; fi`,
    );
  });
  out.push(
    '  [ -n "$neve_ri" ] || return 0',
    `  if neve_hs=$(eval "sha256sum -- $neve_rf") && neve_ss=$(eval "stat -c '%a:%U:%G' -- $neve_rf"); then`,
    "    neve_nl='",
    "'",
    "    for neve_i in $neve_ri; do",
    `      neve_h=\${neve_hs%%"$neve_nl"*}; neve_hs=\${neve_hs#*"$neve_nl"}; neve_h=\${neve_h#\\\\}`,
    `      neve_st=\${neve_ss%%"$neve_nl"*}; neve_ss=\${neve_ss#*"$neve_nl"}`,
    `      printf '@@neve file %s %s %s\\n' "$neve_i" "\${neve_h%% *}" "$neve_st"`,
    "    done",
    "  else",
    ...paths.map((p, i) => `    ${reportOne(p, i)}`),
    "  fi",
    "}",
  );
  return out;
}

/**
 * Shell that copies the current files into a stash dir (copy, or an "absent" marker). With `journals`
 * (the apply script), a path whose last push did not end verified (`$neve_p<i>` names that push's
 * stash) takes its previous files from there instead: the live file is the unverified one. The stash dir,
 * the subdirectories its copies need and `extraDirs` are made by one `mkdir` (the tests that decide which
 * are builtins), then each path is copied or marked.
 */
function stashCommands(
  paths: readonly string[],
  dir: string,
  failCode: number,
  journals = false,
  extraDirs: readonly string[] = [],
  withCollected: { afterMkdir: string } | null = null,
): string[] {
  // withCollected: `$neve_md` already holds directories to make (the originals'), made by the same mkdir, and
  // `afterMkdir` runs right after it.
  const out = [...(withCollected ? [] : ["neve_md=''"]), collectDir(dir), ...extraDirs.map(collectDir)];
  const prev = (i: number, what: string, p: string) => `"$neve_p${i}"${q(`/${what}${p}`)}`;
  paths.forEach((p, i) => {
    const files = collectDir(`${dir}/files${dirOf(p)}`);
    const absent = collectDir(`${dir}/absent${dirOf(p)}`);
    const live = `if [ -e ${q(p)} ] || [ -L ${q(p)} ]; then neve_k${i}=lf; ${files}; else neve_k${i}=la; ${absent}; fi`;
    out.push(
      journals
        ? `if [ -n "$neve_p${i}" ] && { [ -e ${prev(i, "files", p)} ] || [ -L ${prev(i, "files", p)} ]; }; then neve_k${i}=pf; ${files};` +
            ` elif [ -n "$neve_p${i}" ] && [ -e ${prev(i, "absent", p)} ]; then neve_k${i}=pa; ${absent}; else ${live}; fi`
        : live,
    );
  });
  out.push(makeCollectedDirs(`neve_fail ${failCode} ${q(`cannot create stash directory ${dir}`)}`));
  if (withCollected) out.push(withCollected.afterMkdir);
  paths.forEach((p, i) => {
    out.push(
      `case "$neve_k${i}" in` +
        ` lf) cp -a -- ${q(p)} ${q(`${dir}/files${p}`)} || neve_fail ${failCode} ${q(`cannot stash ${p} into ${dir}`)};;` +
        (journals
          ? ` pf) cp -a -- ${prev(i, "files", p)} ${q(`${dir}/files${p}`)} || neve_fail ${failCode} ${q(`cannot stash the previous ${p} into ${dir}`)};;`
          : "") +
        ` *) : > ${q(`${dir}/absent${p}`)} || neve_fail ${failCode} ${q(`cannot record absent ${p} in ${dir}`)};;` +
        " esac",
    );
  });
  return out;
}

/** Shell lines that put the files of a stash back (atomically, via a copy next to the target). */
function restoreLines(paths: readonly string[], dir: string, token: string, indent = "  "): string[] {
  return paths.map(
    (p) =>
      `${indent}if [ -e ${q(`${dir}/files${p}`)} ] || [ -L ${q(`${dir}/files${p}`)} ]; then cp -a -- ${q(`${dir}/files${p}`)} ${q(restorePath(p, token))} && mv -f -- ${q(restorePath(p, token))} ${q(p)} || neve_rr=1;` +
      ` elif [ -e ${q(`${dir}/absent${p}`)} ]; then rm -f -- ${q(p)} || neve_rr=1; fi`,
  );
}

/**
 * `neve_hashv FILE`: `$neve_hv` is the sha256 of a regular file, "none" for anything else (false when it cannot be
 * read); `neve_hash FILE` prints it. The variable form costs one `sha256sum` and no subshell of its own.
 */
const HASH_FUNCTION =
  `neve_hashv() { if [ -f "$1" ] && [ ! -L "$1" ]; then neve_h=$(sha256sum < "$1") || return 1; neve_hv=\${neve_h%% *}; else neve_hv=none; fi; }\n` +
  `neve_hash() { neve_hashv "$1" && printf '%s' "$neve_hv"; }`;

/**
 * `neve_ours`: true while every live file is still what this push wrote (by sha256); otherwise false with
 * the indices of the others in `$neve_rs`. A rollback or the dead-man restore puts files back only then,
 * so it never undoes a later push (or a hand edit) of the same path.
 */
function oursFunction(files: readonly { path: string; content: string }[]): string[] {
  return [
    "neve_ours() {",
    "  neve_rs=''",
    ...files.map((f, i) => `  [ "$(neve_hash ${q(f.path)})" = ${sha256Hex(f.content)} ] || neve_rs="$neve_rs ${i}"`),
    '  [ -z "$neve_rs" ]',
    "}",
  ];
}

/** Redirections that close the lock descriptors for a command the script starts (a daemon it spawns must not hold the locks). */
function closeLockFds(count: number): string {
  return Array.from({ length: count }, (_v, k) => `${LOCK_FD + k}>&-`).join(" ");
}

/** The paths with their lock files, in lock order (by lock file name: two pushes never wait on each other crosswise). */
function lockOrder(paths: readonly string[], stashDir: string): { path: string; lock: string }[] {
  return paths.map((path) => ({ path, lock: pathLockFile(stashDir, path) })).sort((a, b) => (a.lock < b.lock ? -1 : a.lock > b.lock ? 1 : 0));
}

/**
 * Take the lock of every path on descriptors 3, 4, ... (flock(1) from util-linux), waiting at most
 * SSH_FIXED.pushLockWaitSeconds for each. The locks are held until the script and its detached part
 * have ended, whatever happens to the connection: the kernel drops them when the last holder exits.
 */
function lockLines(paths: readonly string[], stashDir: string): string[] {
  const dir = pathStateDir(stashDir);
  const wait = SSH_FIXED.pushLockWaitSeconds;
  const out = [
    `command -v flock >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 || neve_fail ${EXIT.lock} 'flock(1) and setsid(1) from util-linux are missing on the host (apt-get install util-linux); nothing was changed'`,
    `command -v timeout >/dev/null 2>&1 || neve_fail ${EXIT.lock} 'timeout(1) from coreutils is missing on the host (apt-get install coreutils); nothing was changed'`,
    ensureDir(dir, `neve_fail ${EXIT.lock} ${q(`cannot create the lock directory ${dir}; nothing was changed`)}`),
  ];
  lockOrder(paths, stashDir).forEach(({ path, lock }, k) => {
    const fd = LOCK_FD + k;
    out.push(
      // `command` keeps a failed redirection from ending the shell, so the message below is printed (and no `touch` is run).
      `command exec ${fd}>>${q(lock)} || neve_fail ${EXIT.lock} ${q(`cannot create the lock ${lock} of ${path}; nothing was changed`)}`,
      `flock -w ${wait} ${fd} || neve_fail ${EXIT.lock} ${q(`another push of ${path} is running on `)}"$(uname -n)"${q(
        `: its lock ${lock} was not free within ${wait}s; nothing was changed, run again once that push has ended`,
      )}`,
    );
  });
  return out;
}

/** The one-line reason that stands for the output of a command that can read secret files. */
export function withheldReason(secretPaths: readonly string[]): string {
  const what = secretPaths.length === 1 ? `${secretPaths[0]}, a secret file` : `${secretPaths.join(", ")}, secret files`;
  return `output withheld: the command can read ${what} (run it on the host to see its output)`;
}

/** The line that stands for (or follows) the output of a host command `timeout` stopped at its limit. */
export function timedOutLine(what: string, command: string, seconds: number): string {
  return `${what} \`${command}\` did not end within ${seconds}s on the host and was stopped (timeout; the limit is SSH_FIXED.hostCommandSeconds.${what === "validator" ? "validate" : what === "activation" ? "activate" : "health"} in providers/ssh/timeouts.ts)`;
}

/**
 * Words a command may not start with to be run without its own shell: the shell's keywords and the builtins that
 * have no program of the same name (as a program's name, `timeout` would not find them). A string, not a Set: this
 * module is serialized into `__provider`, and Pulumi's closure serializer does not carry a Set's contents.
 */
const SHELL_ONLY_WORDS =
  " if then else elif fi case esac for while until do done in function select time ! { } [[ ]] " +
  ". : alias bg break builtin cd command continue eval exec exit export fc fg getopts hash jobs let local read readonly " +
  "return set shift source times trap type typeset ulimit umask unalias unset wait ";

/**
 * The words of `command` when it is plain words (letters, digits and `_./:@%+,=-`, or single-quoted text without
 * a quote in it, such as a `{staged}` placeholder gives) separated by blanks and starting with a program's name:
 * then the script's own shell takes those words exactly as `sh -c` would (no expansion, no redirection, no
 * operator can be in them), and `timeout` runs the program itself, saving the second shell and its fork. Null for
 * anything else, which keeps its own shell.
 */
export function plainCommandWords(command: string): string | null {
  const word = /^[ \t]*((?:[A-Za-z0-9_./:@%+,=-]|'[^']*')+)(?=[ \t]|$)/;
  const words: string[] = [];
  // Only space and tab separate words here (String.trim would also drop \r, \v, \f and no-break spaces, which sh keeps in a word).
  for (let rest = command; /[^ \t]/.test(rest); ) {
    const m = word.exec(rest);
    if (!m) return null;
    words.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  if (words.length === 0) return null;
  const first = words[0];
  if (first.includes("=") || first.includes("'") || SHELL_ONLY_WORDS.includes(` ${first} `)) return null;
  return words.join(" ");
}

/** `neve_st <n>`: a status for `$?` without a subshell (`(exit n)` forks one). */
const STATUS_FUNCTION = 'neve_st() { return "$1"; }';

/**
 * Run a user command in its own shell (a syntax error stays inside it), or, when it is plain words
 * ({@link plainCommandWords}), as a program `timeout` starts itself; stdin closed, the lock
 * descriptors closed (`close`), output captured in `varName`; its exit status is the command's. With
 * secret files, the output goes to /dev/null on the host and `varName` holds the reason instead: a
 * validator, activation or health check that prints a secret (whole, in part, reformatted or encoded) cannot leak it.
 * `timeout` (coreutils) stops it after `limit.seconds` (TERM to its process group, KILL 5 s later): exit 124
 * or 137, and a line naming the command and the limit is added to its output.
 */
function runCapture(
  varName: string,
  command: string,
  withhold: readonly string[],
  close: string,
  limit: { what: "validator" | "activation" | "health check"; seconds: number },
): string {
  const c = close ? ` ${close}` : "";
  const plain = plainCommandWords(command);
  const t = `timeout -k 5 ${limit.seconds} ${plain ?? `sh -c ${q(command)}`} </dev/null`;
  const late = `if [ "$neve_x" -eq 124 ] || [ "$neve_x" -eq 137 ]; then ${varName}="\${${varName}:+\${${varName}}
}"${q(timedOutLine(limit.what, command, limit.seconds))}; fi`;
  if (withhold.length === 0) return `${varName}=$(${t} 2>&1${c}); neve_x=$?; ${late}; neve_st $neve_x`;
  return `${t} >/dev/null 2>&1${c}; neve_x=$?; ${varName}=${q(withheldReason(withhold))}; ${late}; neve_st $neve_x`;
}

/** Line on stderr between the failed step's output and the output of activation after the rollback. */
export const SECOND_ATTEMPT = "@@neve-second-attempt";

/**
 * Roll back after a failed step whose output is in $neve_out and exit code in $neve_rc: print that
 * output, restore the previous files, activate again; when that fails too, its output follows the
 * SECOND_ATTEMPT line, so both attempts reach the provider each under its own heading. `neve_restore`
 * returning 2 means the live files are no longer what this push wrote: nothing is put back then.
 * Only a rollback that re-activated successfully ends the journal (the push ended verified).
 */
function rollbackLines(what: string, code: number): string[] {
  return [
    `  neve_fout=$neve_out; neve_disarm`,
    `  printf '%s\\n' "$neve_fout" >&2`,
    "  neve_restore; neve_rx=$?",
    `  if [ "$neve_rx" -eq 0 ]; then if neve_activate; then neve_journal_clear; echo '@@neve rollback ok'; else neve_rrc=$?; echo "@@neve rollback reactivate-failed $neve_rrc"; printf '%s\\n%s\\n' ${q(SECOND_ATTEMPT)} "$neve_aout" >&2; fi;` +
      ` elif [ "$neve_rx" -eq 2 ]; then echo "@@neve rollback superseded$neve_rs"; else echo '@@neve rollback restore-failed'; fi`,
    `  echo "@@neve failed ${what} $neve_rc"`,
    `  exit ${code}`,
  ];
}

/** The parent directories of `path` (not "/"), deepest first. */
function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let d = dirOf(path); d !== "/"; d = dirOf(d)) out.push(d);
  return out;
}

/** Shell that removes the directories a push created for the paths (recorded under original/dirs), where empty. */
function removeCreatedDirs(paths: readonly string[], originalDir: string): string[] {
  return paths.map(
    (p) =>
      `if [ -f ${q(`${originalDir}/dirs${p}`)} ]; then while IFS= read -r neve_dd; do rmdir -- "$neve_dd" 2>/dev/null || :; done < ${q(`${originalDir}/dirs${p}`)}; fi`,
  );
}

/** `neve_activate`: run the activation command (output in $neve_aout), or succeed when there is none. */
function activateFunction(activate: string | null, withhold: readonly string[], close: string, seconds: number): string[] {
  return [
    "neve_activate() {",
    activate ? `  ${runCapture("neve_aout", activate, withhold, close, { what: "activation", seconds })}` : "  neve_aout=''; return 0",
    "}",
  ];
}

/** `neve_journal_clear`: the push of these paths ended verified (or they are no longer managed). */
function journalClearFunction(paths: readonly string[], stashDir: string): string {
  return `neve_journal_clear() { rm -f -- ${paths.map((p) => q(pathJournalFile(stashDir, p))).join(" ")}; }`;
}

/**
 * Shell that reports, as "@@neve lost-run <name> <exit code or none> <its @@neve lines>", each run directory of the
 * service (`.runs/<stamp>-<token>`) that a push left behind: its connection was lost before it relayed the end,
 * so nobody saw how it ended (fine, rolled back, or stopped midway). A run whose process still lives is left alone.
 * With `remove` (a push, holding the paths' locks) its name is kept in `neve_lost` and the directory goes only once
 * this push's own report has reached the client ({@link reportedDoneFunction}); a refresh only reports.
 */
function lostRunLines(svcDir: string, current: string | null, remove: boolean): string[] {
  const runs = `${svcDir}/.runs`;
  return [
    `for neve_r in ${q(runs)}/*; do`,
    `  case "\${neve_r##*/}" in ${STASH_NAME_GLOB}) ;; *) continue;; esac`,
    ...(current ? [`  [ "$neve_r" != ${q(current)} ] || continue`] : []),
    `  if [ -f "$neve_r/pid" ] && kill -0 "$(cat "$neve_r/pid")" 2>/dev/null; then continue; fi`,
    `  neve_lr=none; [ -f "$neve_r/rc" ] && neve_lr=$(cat "$neve_r/rc")`,
    `  neve_lo=$(grep -h -e '^@@neve rollback' -e '^@@neve failed' -e '^@@neve changed' -- "$neve_r/out" 2>/dev/null | tr '\\n' ' ')`,
    `  echo "@@neve lost-run \${neve_r##*/} \${neve_lr:-none} $neve_lo"`,
    ...(remove ? [`  neve_lost="$neve_lost \${neve_r##*/}"`] : []),
    "done",
  ];
}

/**
 * The adoption guard of a create (see ApplyPlan.guard): one line per file that hashes the live path under its
 * lock and refuses, before anything is staged, a live file that is not absent, not equal to the render and not
 * one of the hashes the caller accepted. A secret file's live hash is not printed; it is kept in `$neve_gh<i>` for the
 * compare step. Needs {@link HASH_FUNCTION}
 * (`neve_hashv`: `$neve_hv` is "none" for anything but a regular file).
 */
function guardLines(files: readonly FileInputs[], stashDir: string): string[] {
  return files.map((f, i) => {
    const p = f.path;
    const w = pathWrittenFile(stashDir, p);
    const ok = ["absent", sha256Hex(f.content), ...(f.acceptLive ?? []).map((h) => h.replace(/^sha256:/, ""))];
    const what = f.secret ? q(" (a secret file: its hash is not shown)") : `' (sha256:'"$neve_g"')'`;
    const msg = `${q(`${p} on the host is a live file whose content`)}${what}${q(
      " is neither what this stack renders nor acknowledged: the first push would replace it. Nothing was changed. " +
        "Run npm run discover -- --check (it shows the difference), then state its directives with npm run discover -- --write, " +
        `or accept replacing exactly this content with npm run discover -- --write --acknowledge-file ${p} (HostConfig: files[].acceptLive)`,
    )}`;
    return (
      `if [ ! -e ${q(p)} ] && [ ! -L ${q(p)} ]; then neve_g=absent; else neve_hashv ${q(p)} || neve_fail ${EXIT.live} ${q(`cannot read ${p} to compare it with the render; nothing was changed`)}; neve_g=$neve_hv; fi; neve_gh${i}=$neve_g\n` +
      `neve_w=''; if [ -f ${q(w)} ]; then { read -r neve_w < ${q(w)}; } 2>/dev/null || :; fi\n` +
      `case "$neve_g" in ${ok.join("|")}) ;; none) neve_fail ${EXIT.live} ${q(
        `${p} on the host is not a regular file (a directory, a symbolic link or a device): the first push would replace it. Nothing was changed. Make it a regular file or remove it, then run npm run discover -- --check`,
      )};; *) [ "$neve_g" = "$neve_w" ] || neve_fail ${EXIT.live} ${msg};; esac`
    );
  });
}

/**
 * Shell that expands to the words of a SELF-RESTORED record ("restore <rc> activate <rc|none>", as the restore script
 * writes it) at the already quoted shell word `file`: at most 200 bytes, only lowercase letters, digits and spaces,
 * so a damaged record can never put anything else into a report line.
 */
function selfRestoredWords(file: string): string {
  return `$(head -c 200 ${file} | tr -cd 'a-z0-9 ')`;
}

/**
 * Shell that reports, as "@@neve self-restore <name> restore <rc> activate <rc|none>" (or "... superseded"), each
 * push of the service whose dead-man restore ran on the host by itself (access was not confirmed in time) and
 * that no push has reported yet: how the restore ended, files put back and activation run again, or not. With
 * `mark` (a push, holding the paths' locks) its name is kept in `neve_sr` and it is marked reported (REPORTED in its
 * stash) only once this push's own report has reached the client ({@link reportedDoneFunction}); a refresh only reports.
 */
function selfRestoreLines(svcDir: string, mark: boolean): string[] {
  return [
    `for neve_d in ${q(svcDir)}/*; do`,
    `  case "\${neve_d##*/}" in ${STASH_NAME_GLOB}) ;; *) continue;; esac`,
    '  [ -e "$neve_d/REPORTED" ] && continue',
    `  if [ -f "$neve_d/SELF-RESTORED" ]; then neve_so=${selfRestoredWords('"$neve_d/SELF-RESTORED"')}; echo "@@neve self-restore \${neve_d##*/} \${neve_so:-unknown}";`,
    `  elif [ -f "$neve_d/SUPERSEDED" ]; then echo "@@neve self-restore \${neve_d##*/} superseded";`,
    "  else continue; fi",
    ...(mark ? [`  neve_sr="$neve_sr \${neve_d##*/}"`] : []),
    "done",
  ];
}

/**
 * `neve_reported_done`: what this push reported of earlier runs (lost runs, dead-man restores; names collected by
 * {@link lostRunLines} and {@link selfRestoreLines}, stash names without blanks or glob characters) is settled:
 * the lost runs' directories go, the restores are marked REPORTED. Called only where the client has this push's
 * report: after its acknowledgement of the relayed line, or on the "unchanged" exit (as before the acknowledgement
 * existed). A push whose connection is lost before that leaves them for the next push and refresh to report again.
 */
function reportedDoneFunction(svcDir: string): string {
  return (
    `neve_lost=''; neve_sr=''; neve_reported_done() { for neve_n in $neve_lost; do rm -rf -- ${q(`${svcDir}/.runs`)}/"$neve_n"; done; ` +
    `for neve_n in $neve_sr; do : > ${q(svcDir)}/"$neve_n"/REPORTED; done; }`
  );
}

/**
 * Shell that removes the run directory `R` of an acknowledged push and then runs `neve_reported_done`, and removes
 * `runs` (the service's `.runs`) where that leaves it empty. With no lost run to remove, one `rm -d` does all three:
 * the files of `R` (the shell lists them), `R` once empty, `runs` only when empty (rm -d removes no directory that is
 * not); should `R` still be there (something in it rm -d cannot remove), `rm -rf` removes it, and `rmdir` then `runs`.
 */
function removeRunLine(R: string, runs: string): string {
  return (
    `if [ -z "$neve_lost" ]; then rm -df -- ${q(R)}/* ${q(R)} ${q(runs)} 2>/dev/null; if [ -e ${q(R)} ]; then rm -rf -- ${q(R)}; rmdir -- ${q(runs)} 2>/dev/null || :; fi; neve_reported_done;` +
    ` else rm -rf -- ${q(R)}; neve_reported_done; rmdir -- ${q(runs)} 2>/dev/null || :; fi`
  );
}

/**
 * The single script of a create/update, in two parts.
 *
 * The attached part (run by the bootstrap, its output going to the SSH session): take the lock of every
 * path, stage, compare, record originals, validate, stash, print "@@neve swapping". A connection already
 * gone makes that last write fail (SIGPIPE): the script stops there and nothing has moved.
 *
 * The detached part (a new session by setsid, output to files in the service's `.runs/` dir on the host,
 * holding the same locks): write the journal of every path, arm the dead-man timer (access-critical),
 * swap, activate, health check, roll back on failure, end the journal, prune, report. It runs to its end
 * whatever happens to the connection: no hang-up, no signal the client asks sshd to send, no write to a
 * dead session reaches it. The attached part waits for it and relays its output and exit code. A path
 * whose journal is still there (a push that never ended verified: the host went down mid-push, or the
 * rollback failed) counts as changed: its activation and health check run again, and its rollback puts
 * back the files from before that push.
 */
export function buildApplyScript(plan: ApplyPlan): string {
  const paths = plan.files.map((f) => f.path);
  if (paths.length > MAX_FILES) throw new Error(`a HostConfig may declare at most ${MAX_FILES} files, got ${paths.length}`);
  const S = pushStashDir(plan);
  const svcDir = serviceStashDir(plan.stashDir, plan.service);
  const O = `${svcDir}/original`;
  const R = runDir(svcDir, plan);
  const eof = `__NEVE_EOF_${plan.token}__`;
  const staged = paths.map((p) => stagedPath(p, plan.token));
  const restores = paths.map((p) => restorePath(p, plan.token));
  const journals = paths.map((p) => pathJournalFile(plan.stashDir, p));
  const close = closeLockFds(paths.length);
  const limits = plan.commandLimits ?? SSH_FIXED.hostCommandSeconds;
  const run = (varName: string, command: string, what: "validator" | "health check") =>
    runCapture(varName, command, plan.withhold, close, { what, seconds: what === "validator" ? limits.validate : limits.health });

  // ---- The attached part. ----
  const L: string[] = scriptHeader([...staged, ...restores]);
  L.push(STATUS_FUNCTION);
  L.push(...lockLines(paths, plan.stashDir));
  // The adoption guard first (under the locks, before the lost runs are cleared and before anything is staged).
  if (plan.guard) L.push(HASH_FUNCTION, ...guardLines(plan.files, plan.stashDir));
  L.push(...reportFunction(paths));
  // A run a lost connection left behind: say how it ended (the journal re-verifies its files either way), also
  // when this push then finds nothing to change.
  L.push(reportedDoneFunction(svcDir));
  L.push(...lostRunLines(svcDir, null, true));
  // A dead-man restore since the last push: say how it ended (restored and re-activated, or not).
  L.push(...selfRestoreLines(svcDir, true));

  // 0. which parent directories are missing (the push creates them; onDelete remove/restore takes them away again).
  paths.forEach((p, i) => {
    const up = ancestorsOf(p);
    // One per line, deepest first, built by the shell itself (a command substitution would fork a subshell per file).
    L.push(
      up.length
        ? `neve_d${i}=''; for neve_an in ${up.map(q).join(" ")}; do [ -e "$neve_an" ] || [ -L "$neve_an" ] || neve_d${i}="\${neve_d${i}:+\${neve_d${i}}\n}$neve_an"; done`
        : `neve_d${i}=''`,
    );
  });

  // 1. stage every file next to its target, with its final owner and mode, never more readable than that on the way.
  //    The content is written by the shell's own printf (a builtin: no process, nothing in any argv); a content with
  //    a NUL byte, which no shell word can hold, goes through `base64 -d`. The shell creates it with the mode
  //    `creationMode` gives (the umask, a builtin); then one `stat` of the staged copies and of the live files shows
  //    what they are, and `chown` (one per owner:group) and `chmod` (one per mode) run only for the staged copies
  //    that are not yet what they must be; should that stat fail, every copy gets both, as before.
  plan.files.forEach((f, i) => {
    const stg = staged[i];
    const cannot = `neve_fail ${EXIT.stage} ${q(`cannot write the staged copy of ${f.path} (disk full or read-only?)`)}`;
    L.push(ensureDir(dirOf(f.path), `neve_fail ${EXIT.stage} ${q(`cannot create directory ${dirOf(f.path)}`)}`));
    const um = umaskFor(creationMode(f.mode));
    const set = um === "077" ? "" : `umask ${um}; `;
    const back = um === "077" ? "" : "; umask 077";
    if (f.content.includes("\0")) {
      L.push(`${set}base64 -d > ${q(stg)} <<'${eof}' || ${cannot}`, base64Lines(f.content), eof);
      if (back) L.push(back.slice(2));
    } else {
      L.push(`${set}printf '%s' ${q(f.content)} > ${q(stg)} || ${cannot}${back}`);
    }
  });
  L.push(...stagedStateLines(plan.files, staged));
  for (const [who, idx] of groupBy(plan.files, (f) => `${f.owner}:${f.group}`)) {
    const names = idx.map((i) => plan.files[i].path).join(", ");
    L.push(
      `neve_cw=''; ${idx.map((i) => `[ "\${neve_s${i}#*:}" = ${q(who)} ] || { neve_cw="$neve_cw "${q(q(staged[i]))}; neve_s${i}=''; }`).join("; ")}`,
      `if [ -n "$neve_cw" ]; then eval "chown -- ${q(who).replace(/["\\$`]/g, "\\$&")} $neve_cw" || neve_fail ${EXIT.stage} ${q(`cannot chown ${names} to ${who} (does that user and group exist on the host?)`)}; fi`,
    );
  }
  for (const [mode, idx] of groupBy(plan.files, (f) => statMode(f.mode))) {
    const names = idx.map((i) => plan.files[i].path).join(", ");
    L.push(
      `neve_cw=''; ${idx.map((i) => `[ "\${neve_s${i}%%:*}" = ${q(mode)} ] || neve_cw="$neve_cw "${q(q(staged[i]))}`).join("; ")}`,
      `if [ -n "$neve_cw" ]; then eval "chmod -- ${mode} $neve_cw" || neve_fail ${EXIT.stage} ${q(`cannot chmod ${names} to ${plan.files[idx[0]].mode}`)}; fi`,
    );
  }

  // 2. which files differ from the live ones (content, mode, owner, group; the live state from the stat of step 1)?
  //    And which paths have a journal (their last push did not end verified: they count as changed, so activation
  //    and health check run again)? Its one line, the stash it names, is read by the shell's `read` (no `cat`).
  //    With the adoption guard (a create), the content is compared by the hash the guard took of the live file under
  //    the same locks (`$neve_gh<i>`), so no `cmp`.
  plan.files.forEach((f, i) => {
    L.push(
      `neve_c${i}=1; if [ "$neve_lv${i}" = 1 ] && ${plan.guard ? `[ "$neve_gh${i}" = ${sha256Hex(f.content)} ]` : `cmp -s -- ${q(staged[i])} ${q(f.path)}`} && ` +
        `[ "$neve_l${i}" = ${q(`${statMode(f.mode)}:${f.owner}:${f.group}`)} ]; then neve_c${i}=0; fi`,
    );
    L.push(
      `neve_j${i}=0; neve_p${i}=''; if [ -e ${q(journals[i])} ]; then neve_j${i}=1; { IFS= read -r neve_p${i} < ${q(journals[i])}; } 2>/dev/null || :; echo '@@neve reverify ${i}'; fi`,
    );
  });
  L.push(`neve_any=$(( ${plan.files.map((_f, i) => `neve_c${i} + neve_j${i}`).join(" + ")} ))`);

  // 3. adopt: the first time a path is managed, keep what was there (or that nothing was), forever.
  //    Which paths are new to the stash is decided here (builtins); their directories are made by the stash's own mkdir
  //    after the validators (step 5), or, when nothing changed, by one mkdir before the script ends. A push that fails
  //    validation has moved nothing, so the next one keeps the same originals.
  L.push("neve_md=''");
  paths.forEach((p, i) => {
    L.push(
      `neve_a${i}=''; if [ ! -e ${q(`${O}/files${p}`)} ] && [ ! -L ${q(`${O}/files${p}`)} ] && [ ! -e ${q(`${O}/absent${p}`)} ]; then` +
        ` if [ -e ${q(p)} ] || [ -L ${q(p)} ]; then neve_a${i}=f; ${collectDir(`${O}/files${dirOf(p)}`)};` +
        ` else neve_a${i}=a; ${collectDir(`${O}/absent${dirOf(p)}`)}; if [ -n "$neve_d${i}" ]; then ${collectDir(`${O}/dirs${dirOf(p)}`)}; fi; fi; fi`,
    );
  });
  L.push("neve_keep_originals() {");
  paths.forEach((p, i) => {
    L.push(
      `  if [ "$neve_a${i}" = f ]; then cp -a -- ${q(p)} ${q(`${O}/files${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot keep the original of ${p} in ${O}`)};` +
        ` elif [ "$neve_a${i}" = a ]; then : > ${q(`${O}/absent${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot record in ${O} that ${p} was absent`)};` +
        ` if [ -n "$neve_d${i}" ]; then printf '%s\\n' "$neve_d${i}" > ${q(`${O}/dirs${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot record in ${O} the directories created for ${p}`)}; fi; fi`,
    );
  });
  L.push("  :", "}");
  L.push(
    `if [ "$neve_any" -eq 0 ]; then ${makeCollectedDirs(`neve_fail ${EXIT.stash} ${q(`cannot create the directories of the originals in ${O}`)}`)}; neve_keep_originals;` +
      ` ${writtenLines(plan.files, plan.stashDir).join("; ")}; echo '@@neve unchanged'; neve_report; neve_reported_done; exit 0; fi`,
  );

  // 4. validators on the staged copies; on failure nothing has moved.
  plan.validate.forEach((v) => {
    const cmd = substitutePlaceholders(v, plan.files, plan.token);
    L.push(`${run("neve_vout", cmd, "validator")}; neve_rc=$?`);
    L.push(
      `if [ "$neve_rc" -ne 0 ]; then printf 'validation failed, nothing was changed: \`%s\` exited with %s:\\n%s\\n' ${q(v)} "$neve_rc" "$neve_vout" >&2; exit ${EXIT.validate}; fi`,
    );
  });

  // 5. stash the current files (timestamped); for a path with a journal, the files from before that push.
  L.push(...stashCommands(paths, S, EXIT.stash, true, [R], { afterMkdir: "neve_keep_originals" }));
  L.push(`echo ${q(`@@neve stash ${S}`)}`);
  L.push(pruneStashes(`${svcDir}/.runs`, plan.stashKeep));

  // 6. the detached part's script goes into the run directory, written by the shell's printf (no process; it arrived
  //    complete, the bootstrap checked that), for its own shell to read.
  const detached = `${R}/run.sh`;
  L.push(
    `printf '%s\\n' ${q(detachedPart(plan, { S, R, svcDir, staged, restores, journals, close, run }).join("\n"))} > ${q(detached)} || neve_fail ${EXIT.stash} ${q(`cannot write ${detached}`)}`,
  );

  // 7. the last write to the session before anything moves: if the connection is gone, SIGPIPE stops us here.
  L.push("echo '@@neve swapping'");

  // 8. hand over to the detached part (it removes the staged copies from now on), wait, relay its output.
  L.push("neve_cleanup() { :; }");
  L.push(`setsid -w sh ${q(detached)} ${paths.map((_p, i) => `"$neve_c${i}"`).join(" ")} </dev/null >${q(`${R}/out`)} 2>${q(`${R}/err`)} &`);
  L.push(`neve_pid=$!; echo "$neve_pid" > ${q(`${R}/pid`)}`);
  L.push(`wait "$neve_pid"; neve_rc=$?; echo "$neve_rc" > ${q(`${R}/rc`)}`);
  // The run directory goes only once the client has acknowledged the relayed report on stdin (RELAYED_ACK, within
  // SSH_FIXED.pushAckSeconds): a write to a dead session stops the script (trap PIPE), and a write to a half-open one
  // (the client gone without FIN or RST) only reaches the kernel's buffer, so only the client's answer proves that
  // the end arrived. Without it the run keeps its record, and the next push or refresh reports how it ended.
  L.push(
    `while IFS= read -r neve_l || [ -n "$neve_l" ]; do printf '%s\\n' "$neve_l"; done < ${q(`${R}/out`)}; if [ -s ${q(`${R}/err`)} ]; then cat -- ${q(`${R}/err`)} >&2; fi; printf '%s\\n' ${q(relayedLine(plan.token))}`,
  );
  L.push(
    `neve_ack=$(timeout ${SSH_FIXED.pushAckSeconds} head -c ${RELAYED_ACK.length} 2>/dev/null) || :; if [ "$neve_ack" = ${q(RELAYED_ACK.trim())} ]; then ${removeRunLine(R, `${svcDir}/.runs`)}; fi`,
  );
  L.push('exit "$neve_rc"', `# ${END_MARKER}`);
  return `${L.join("\n")}\n`;
}

/** The text of the detached part of the apply script (see buildApplyScript); `$1`.. are the `neve_c<i>` flags. */
function detachedPart(
  plan: ApplyPlan,
  p: {
    S: string;
    R: string;
    svcDir: string;
    staged: string[];
    restores: string[];
    journals: string[];
    close: string;
    run: (varName: string, command: string, what: "validator" | "health check") => string;
  },
): string[] {
  const { S, svcDir, journals, close, run } = p;
  const paths = plan.files.map((f) => f.path);
  const D: string[] = scriptHeader([...p.staged, ...p.restores]);
  D.push(STATUS_FUNCTION);
  // Its own exit code beside its output, for the case that the attached part is gone (lostRunLines reads it).
  D.push(`trap 'neve_x=$?; neve_cleanup; printf "%s\\n" "$neve_x" > ${q(`${p.R}/rc`)}' EXIT`);
  paths.forEach((_p, i) => {
    D.push(`neve_c${i}=\${${i + 1}}`);
  });
  D.push(...reportFunction(paths));
  D.push(HASH_FUNCTION, ...oursFunction(plan.files));
  D.push("neve_restore_files() {", "  neve_rr=0", ...restoreLines(paths, S, plan.token), "  return $neve_rr", "}");
  D.push("neve_restore() { neve_ours || return 2; neve_restore_files; }");
  D.push(...activateFunction(plan.activate, plan.withhold, close, (plan.commandLimits ?? SSH_FIXED.hostCommandSeconds).activate));
  D.push(journalClearFunction(paths, plan.stashDir));
  D.push("neve_disarm() { :; }");

  // 1. the journal: until it is removed, the next push (and a refresh) knows this push did not end verified.
  //    A journal that is there already (its push did not end verified) is replaced atomically (a copy renamed over it):
  //    what it names must never be lost half-written. A new one is written in place by the shell's printf (one short
  //    write, no process): should that be cut short, the next push finds a journal (and re-verifies) that names either
  //    this push's stash (the previous files) or no stash at all, and then takes the live files, which are still the
  //    previous ones, since nothing has moved yet.
  journals.forEach((j) => {
    D.push(
      `if [ -e ${q(j)} ]; then printf '%s\\n' ${q(S)} > ${q(`${j}.${plan.token}`)} && mv -f -- ${q(`${j}.${plan.token}`)} ${q(j)}; else printf '%s\\n' ${q(S)} > ${q(j)}; fi || neve_fail ${EXIT.journal} ${q(`cannot write the journal ${j}; nothing was changed`)}`,
    );
  });

  // 2. access-critical: arm the host's own restore timer before anything moves.
  if (plan.accessCritical) {
    const n = plan.accessCritical.confirmSeconds;
    const unit = `neve-confirm-${plan.service.replace(/[^A-Za-z0-9_-]/g, "_")}-${plan.token}`;
    const rs = `${S}/restore.sh`;
    D.push(`printf '%s\\n' ${q(restoreScript(plan, S, n).join("\n"))} > ${q(rs)} || neve_fail ${EXIT.arm} ${q(`cannot write ${rs}`)}`);
    D.push(
      `if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then` +
        ` systemd-run --quiet --unit=${q(unit)} --on-active=${n}s --timer-property=AccuracySec=1s /bin/sh ${q(rs)} >/dev/null 2>&1 ${close} || neve_fail ${EXIT.arm} 'cannot arm the confirm timer with systemd-run';` +
        ` echo ${q(unit)} > ${q(`${S}/timer.unit`)};` +
        ` else setsid nohup sh -c ${q(`sleep ${n}; exec sh "$0"`)} ${q(rs)} </dev/null >/dev/null 2>&1 ${close} &` +
        ` echo "$!" > ${q(`${S}/timer.pid`)}; fi`,
    );
    D.push("neve_disarm() {", `  mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null || return 1`, ...disarmLines(S, "  "), "  :", "}");
    D.push(`echo '@@neve armed ${n}'`);
  }

  // 3. swap.
  plan.files.forEach((f, i) => {
    D.push(
      `if [ "$neve_c${i}" -eq 1 ]; then mv -f -- ${q(p.staged[i])} ${q(f.path)} || { neve_disarm; neve_restore_files; neve_fail ${EXIT.swap} ${q(`cannot move the staged copy of ${f.path} into place; previous files restored`)}; }; fi`,
    );
  });

  // 4. activate once; 5. health check. Either failing: restore, activate again, report.
  if (plan.activate) {
    D.push("neve_activate; neve_rc=$?; neve_out=$neve_aout");
    D.push(`if [ "$neve_rc" -ne 0 ]; then`, ...rollbackLines("activate", EXIT.activate), "fi");
  }
  if (plan.healthCheck) {
    D.push(`${run("neve_out", plan.healthCheck, "health check")}; neve_rc=$?`);
    D.push(`if [ "$neve_rc" -ne 0 ]; then`, ...rollbackLines("health", EXIT.health), "fi");
  }

  // 6. the push ended verified (what it wrote is recorded for the adoption guard); 7. keep the last N stashes (never "original").
  D.push(...writtenLines(plan.files, plan.stashDir));
  D.push("neve_journal_clear");
  D.push(pruneStashes(svcDir, plan.stashKeep));
  D.push("echo '@@neve changed'", "neve_report", "exit 0", `# ${END_MARKER}`);
  return D;
}

/**
 * The dead-man restore (access-critical), run by the host's timer unless a new SSH login confirmed
 * access first. It takes the paths' locks (waiting at most SSH_FIXED.pushLockWaitSeconds each, then going
 * on: it must never hang on a stuck push) and puts the previous files back only while every live file is
 * still what this push wrote; otherwise a later push owns them, and it records SUPERSEDED instead.
 */
function restoreScript(plan: ApplyPlan, S: string, n: number): string[] {
  const paths = plan.files.map((f) => f.path);
  const wait = SSH_FIXED.pushLockWaitSeconds;
  const close = closeLockFds(paths.length);
  const out = [`mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null || exit 0`, `mkdir -p -- ${q(pathStateDir(plan.stashDir))}`];
  lockOrder(paths, plan.stashDir).forEach(({ lock }, k) => {
    out.push(`touch -- ${q(lock)} && exec ${LOCK_FD + k}>>${q(lock)} && flock -w ${wait} ${LOCK_FD + k}`);
  });
  out.push(HASH_FUNCTION, ...oursFunction(plan.files));
  out.push("neve_rr=0");
  out.push("if neve_ours; then");
  out.push(...restoreLines(paths, S, plan.token, "  "));
  const act = (plan.commandLimits ?? SSH_FIXED.hostCommandSeconds).activate;
  out.push("  neve_ra=none");
  if (plan.activate) out.push(`  timeout -k 5 ${act} sh -c ${q(plan.activate)} </dev/null >/dev/null 2>&1 ${close}; neve_ra=$?`);
  // How it ended, for the next push or refresh (selfRestoreLines) and the push's own re-check (buildConfirmScript).
  out.push(
    `  echo "restore $neve_rr activate $neve_ra" > ${q(`${S}/SELF-RESTORED.tmp`)} && mv -f -- ${q(`${S}/SELF-RESTORED.tmp`)} ${q(`${S}/SELF-RESTORED`)}`,
  );
  out.push(
    `  command -v logger >/dev/null 2>&1 && logger -t neve-infra "${plan.service.replace(/[^A-Za-z0-9_.-]/g, "_")}: access not confirmed within ${n}s, previous files restored from ${S.replace(/[^A-Za-z0-9_./-]/g, "_")} (restore exit $neve_rr, activation exit $neve_ra)"`,
  );
  out.push("else");
  out.push(`  : > ${q(`${S}/SUPERSEDED`)}`);
  out.push(
    `  command -v logger >/dev/null 2>&1 && logger -t neve-infra ${q(`${plan.service}: access not confirmed within ${n}s, but the files changed since (a later push): nothing restored from ${S}`)}`,
  );
  out.push("fi");
  out.push("exit 0");
  return out;
}

/**
 * Script of `read`: one round trip, hashes, modes and owners of every file; with `stashDir`, also
 * "@@neve pending <i>" for each path whose journal says its last push did not end verified, and with `service`
 * the runs of it that a lost connection left behind ("@@neve lost-run", reported, not removed).
 */
export function buildReadScript(paths: readonly string[], stashDir?: string, service?: string): string {
  const pending = stashDir ? paths.map((p, i) => `if [ -e ${q(pathJournalFile(stashDir, p))} ]; then echo '@@neve pending ${i}'; fi`) : [];
  if (stashDir && service) {
    pending.push(...lostRunLines(serviceStashDir(stashDir, service), null, false));
    pending.push(...selfRestoreLines(serviceStashDir(stashDir, service), false));
  }
  return `${[...scriptHeader([]), ...reportFunction(paths), "neve_report", ...pending, "exit 0", `# ${END_MARKER}`].join("\n")}\n`;
}

/** What `delete` does on the host, besides nothing for "keep". */
export interface DeletePlan {
  mode: "remove" | "restore";
  service: string;
  stashDir: string;
  paths: string[];
  activate: string | null;
  /** Paths of the secret files: activation's output stays on the host (see ApplyPlan.withhold). */
  withhold: string[];
  token: string;
  stamp: string;
}

/**
 * Script of `delete`: under the paths' locks, stash current files, remove them or put the originals
 * back, activate (roll back on failure), end the paths' journals.
 */
export function buildDeleteScript(plan: DeletePlan): string {
  const S = pushStashDir(plan);
  const O = `${serviceStashDir(plan.stashDir, plan.service)}/original`;
  const restores = plan.paths.map((p) => restorePath(p, plan.token));
  const close = closeLockFds(plan.paths.length);
  const L = scriptHeader(restores);
  L.push(STATUS_FUNCTION);
  L.push(...lockLines(plan.paths, plan.stashDir));
  L.push(...reportFunction(plan.paths));
  L.push("neve_restore() {", "  neve_rr=0", ...restoreLines(plan.paths, S, plan.token), "  return $neve_rr", "}");
  L.push(...activateFunction(plan.activate, plan.withhold, close, SSH_FIXED.hostCommandSeconds.activate));
  L.push(journalClearFunction(plan.paths, plan.stashDir));
  L.push("neve_disarm() { :; }");
  L.push(...stashCommands(plan.paths, S, EXIT.stash));
  L.push(`echo ${q(`@@neve stash ${S}`)}`);
  if (plan.mode === "remove") {
    for (const p of plan.paths) L.push(`rm -f -- ${q(p)} || { neve_restore; neve_fail ${EXIT.swap} ${q(`cannot remove ${p}; previous files restored`)}; }`);
  } else {
    plan.paths.forEach((p, i) => {
      L.push(
        `if [ -e ${q(`${O}/files${p}`)} ] || [ -L ${q(`${O}/files${p}`)} ]; then cp -a -- ${q(`${O}/files${p}`)} ${q(restores[i])} && mv -f -- ${q(restores[i])} ${q(p)} || { neve_restore; neve_fail ${EXIT.swap} ${q(`cannot restore the original of ${p}; previous files restored`)}; };` +
          ` elif [ -e ${q(`${O}/absent${p}`)} ]; then rm -f -- ${q(p)} || { neve_restore; neve_fail ${EXIT.swap} ${q(`cannot remove ${p} (it did not exist before); previous files restored`)}; };` +
          " fi",
      );
    });
  }
  if (plan.activate) {
    L.push("neve_activate; neve_rc=$?; neve_out=$neve_aout", `if [ "$neve_rc" -ne 0 ]; then`, ...rollbackLines("activate", EXIT.activate), "fi");
  }
  // The files are gone (or back to how they were): the directories the first push created go too, where empty.
  L.push(...removeCreatedDirs(plan.paths, O));
  // Removed or put back: what is there now is no push's any more (the adoption guard of a later create checks it again).
  L.push(`rm -f -- ${plan.paths.map((p) => q(pathWrittenFile(plan.stashDir, p))).join(" ")}`);
  L.push("neve_journal_clear");
  L.push("echo '@@neve changed'", "neve_report", "exit 0", `# ${END_MARKER}`);
  return `${L.join("\n")}\n`;
}

/**
 * Shell that stops the dead-man timer of the push whose stash is `S` (its pid or its systemd unit, as armed),
 * reading their names with the shell's `read` (no process on the path of the confirmation).
 */
function disarmLines(S: string, indent: string): string[] {
  return [
    `${indent}if [ -f ${q(`${S}/timer.pid`)} ]; then neve_t=''; read -r neve_t < ${q(`${S}/timer.pid`)}; [ -z "$neve_t" ] || kill "$neve_t" 2>/dev/null; fi`,
    `${indent}if [ -f ${q(`${S}/timer.unit`)} ]; then neve_t=''; read -r neve_t < ${q(`${S}/timer.unit`)}; [ -z "$neve_t" ] || systemctl stop "$neve_t.timer" >/dev/null 2>&1; fi`,
  ];
}

/** Script run over a NEW connection after an access-critical change: proves access and disarms the timer. */
export function buildConfirmScript(stashDirOfPush: string): string {
  const S = stashDirOfPush;
  return `${[
    "set -u",
    `if mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null; then`,
    ...disarmLines(S, "  "),
    "  echo '@@neve confirmed'; exit 0",
    "fi",
    `if [ -e ${q(`${S}/SELF-RESTORED`)} ]; then echo "@@neve self-restored ${selfRestoredWords(q(`${S}/SELF-RESTORED`))}"; fi`,
    `if [ -e ${q(`${S}/SUPERSEDED`)} ]; then echo '@@neve superseded'; fi`,
    "exit 3",
    `# ${END_MARKER}`,
  ].join("\n")}\n`;
}

/**
 * The remote command of the access check: the confirm script as the exec request's own command (`sh -c`), not on
 * stdin behind the bootstrap. An exec request carries its command whole in one SSH message (RFC 4254 §6.5, the
 * "command" string of the "exec" request), so sshd never starts part of it, and the script holds no secret (the
 * stash path only) and no file content: nothing is put in argv that `ps` must not show. It saves the bootstrap's
 * `cat` and the stdin round on the path every access-critical push waits for.
 */
export function confirmCommand(stashDirOfPush: string): string {
  return `sh -c ${q(buildConfirmScript(stashDirOfPush))}`;
}

/** How a dead-man restore ended: exit codes of putting the files back (0 ok) and of activation (null: none ran or unknown). */
export interface SelfRestoreOutcome {
  restore: number | null;
  activate: number | null;
}

/** "restore <rc> activate <rc|none>" as the restore script writes it. */
function parseSelfRestore(words: readonly string[]): SelfRestoreOutcome {
  const at = (k: string) => {
    const i = words.indexOf(k);
    const v = i >= 0 ? words[i + 1] : undefined;
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null;
  };
  return { restore: at("restore"), activate: at("activate") };
}

/** Parsed "@@neve" lines of a script's stdout. */
export interface ScriptReport {
  files: Map<number, { sha256: string; mode: string; owner: string; group: string } | "missing" | "notfile">;
  changed: boolean;
  unchanged: boolean;
  stash: string | null;
  rollback: "ok" | "reactivate-failed" | "restore-failed" | "superseded" | null;
  /** Exit code of activation after the rollback, when it failed too. */
  reactivateCode: number | null;
  /** Indices of the files a rollback left alone because they were no longer what this push wrote. */
  superseded: number[];
  failed: { what: string; code: number } | null;
  confirmed: boolean;
  selfRestored: boolean;
  /** How the dead-man restore ended (with selfRestored), when the host recorded it. */
  selfRestore: SelfRestoreOutcome | null;
  /** Dead-man restores of earlier pushes that no push had reported yet (see selfRestoreLines). */
  selfRestores: { name: string; outcome: SelfRestoreOutcome | "superseded" }[];
  /** The dead-man restore found the files changed by a later push and restored nothing. */
  selfSuperseded: boolean;
  /** Indices of the files whose last push had not ended verified, so this push ran activation and health check again. */
  reverify: number[];
  /** (read) Indices of the files whose journal is on the host: their last push did not end verified. */
  pending: number[];
  /** Runs whose connection was lost before they reported their end: name, exit code (null: none recorded), their @@neve lines. */
  lostRuns: { name: string; code: number | null; lines: string }[];
}

/** Parse the structured lines the scripts print (other stdout lines are ignored). */
export function parseReport(stdout: string): ScriptReport {
  const r: ScriptReport = {
    files: new Map(),
    changed: false,
    unchanged: false,
    stash: null,
    rollback: null,
    reactivateCode: null,
    superseded: [],
    failed: null,
    confirmed: false,
    selfRestored: false,
    selfRestore: null,
    selfRestores: [],
    selfSuperseded: false,
    reverify: [],
    pending: [],
    lostRuns: [],
  };
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("@@neve ")) continue;
    const rest = line.slice(7);
    const [word, ...args] = rest.split(" ");
    switch (word) {
      case "file": {
        const i = Number(args[0]);
        if (args[1] === "missing" || args[1] === "notfile") r.files.set(i, args[1]);
        else {
          const [mode, owner, group] = (args[2] ?? "").split(":");
          r.files.set(i, { sha256: args[1], mode: normalizeMode(mode), owner, group });
        }
        break;
      }
      case "changed":
        r.changed = true;
        break;
      case "unchanged":
        r.unchanged = true;
        break;
      case "stash":
        r.stash = rest.slice(6);
        break;
      case "rollback":
        r.rollback = args[0] as ScriptReport["rollback"];
        if (r.rollback === "superseded") r.superseded = args.slice(1).filter(Boolean).map(Number);
        else if (args[1] !== undefined) r.reactivateCode = Number(args[1]);
        break;
      case "failed":
        r.failed = { what: args[0], code: Number(args[1]) };
        break;
      case "confirmed":
        r.confirmed = true;
        break;
      case "self-restored":
        r.selfRestored = true;
        r.selfRestore = args.length ? parseSelfRestore(args) : null;
        break;
      case "self-restore":
        r.selfRestores.push({ name: args[0], outcome: args[1] === "superseded" ? "superseded" : parseSelfRestore(args.slice(1)) });
        break;
      case "superseded":
        r.selfSuperseded = true;
        break;
      case "reverify":
        r.reverify.push(Number(args[0]));
        break;
      case "pending":
        r.pending.push(Number(args[0]));
        break;
      case "lost-run":
        r.lostRuns.push({ name: args[0], code: args[1] === "none" || args[1] === undefined ? null : Number(args[1]), lines: args.slice(2).join(" ").trim() });
        break;
      default:
        break;
    }
  }
  return r;
}

/** What became of a run a lost connection left behind, in words, from its exit code and its report lines. */
export function describeLostRun(run: ScriptReport["lostRuns"][number]): string {
  const at = `the push of ${run.name}, whose connection was lost before it reported its end,`;
  const r = parseReport(run.lines.replace(/ @@neve /g, "\n@@neve "));
  if (r.changed && run.code === 0) return `${at} ended fine on the host: activation and health check passed`;
  if (r.failed) {
    const how =
      r.rollback === "ok"
        ? "the previous files were restored and activation ran again"
        : r.rollback === "superseded"
          ? "a later push had changed the files, so nothing was restored"
          : r.rollback === "reactivate-failed"
            ? `the previous files were restored but activation failed again (exit ${r.reactivateCode ?? "?"})`
            : r.rollback === "restore-failed"
              ? "restoring the previous files failed"
              : "no rollback was recorded";
    const step = r.failed.what === "activate" ? "activation" : r.failed.what === "health" ? "health check" : r.failed.what;
    return `${at} failed its ${step} (exit ${r.failed.code}) on the host and was rolled back: ${how}`;
  }
  if (run.code === null) return `${at} was stopped on the host before it ended (killed, or the host went down): no exit code was recorded`;
  return `${at} ended on the host with exit ${run.code} before its swap`;
}

/** How a dead-man restore ended, in words (the part after "the host ..."). */
export function describeSelfRestoreOutcome(o: SelfRestoreOutcome | null): string {
  if (!o || o.restore === null) return "restored the previous files by itself (how it ended was not recorded)";
  if (o.restore !== 0)
    return `tried to restore the previous files by itself, but putting them back failed (some files may be new, some old)${o.activate !== null ? `; activation then exited ${o.activate}` : ""}`;
  if (o.activate === null) return "restored the previous files by itself";
  return o.activate === 0
    ? "restored the previous files by itself and re-ran activation, which succeeded"
    : `restored the previous files by itself, but re-running activation failed (exit ${o.activate})`;
}

/** A dead-man restore of an earlier push, as the next push or refresh reports it. */
export function describeSelfRestore(r: ScriptReport["selfRestores"][number]): string {
  const at = `the push of ${r.name}, whose access was not confirmed in time,`;
  if (r.outcome === "superseded") return `${at} was not undone by the host: a later push had changed the files, so its restore put nothing back`;
  return `${at} was undone by the host, which ${describeSelfRestoreOutcome(r.outcome)}`;
}

/**
 * File states from a report; content is kept only for non-secret files whose live hash matches it. A file
 * the report lists as pending (its journal is on the host) carries `pending: true`, which the diff treats
 * as a change: the next `up` re-verifies it even where its content already matches.
 */
export function fileStates(
  files: readonly { path: string; secret: boolean; content: string | null }[],
  report: ScriptReport,
  sha256Of: (s: string) => string,
): FileState[] {
  return files.map((f, i) => {
    const live = report.files.get(i);
    if (!live || live === "missing" || live === "notfile") {
      return { path: f.path, mode: null, owner: null, group: null, secret: f.secret, sha256: null, content: null, present: false };
    }
    const keep = !f.secret && f.content !== null && sha256Of(f.content) === live.sha256;
    return {
      path: f.path,
      mode: live.mode,
      owner: live.owner,
      group: live.group,
      secret: f.secret,
      sha256: live.sha256,
      content: keep ? f.content : null,
      present: true,
      ...(report.pending.includes(i) ? { pending: true } : {}),
    };
  });
}

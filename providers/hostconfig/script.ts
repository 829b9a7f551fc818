import { base64Lines, pruneStashes, scriptHeader } from "../common/shell";
import { shellQuote } from "../ssh/quote";
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
}

/** Last line of every script: the bootstrap refuses to run a script that does not end with it. */
export const END_MARKER = "@@neve-end-of-script";

/**
 * The remote command. It reads the whole script from stdin first and runs it only when it arrived
 * complete, so a connection cut during the upload runs nothing at all (never half a script).
 * File contents travel on stdin, never in argv, so `ps` on the host cannot show them.
 */
export const BOOTSTRAP_COMMAND =
  "sh -c " +
  shellQuote(
    `neve_s=$(cat) || exit 97; case "$neve_s" in *'${END_MARKER}') ;; *) ` +
      `echo 'incomplete script received (connection cut during upload?); nothing was changed' >&2; exit 97;; esac; eval "$neve_s"`,
  );

/** Exit codes of the apply/delete scripts, mapped to what failed. */
export const EXIT = {
  stage: 11,
  validate: 12,
  stash: 13,
  swap: 14,
  activate: 15,
  health: 16,
  arm: 19,
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

/** Shell that prints one "@@neve file <i> ..." line per file: hash, mode, owner, group (or missing). */
function reportFunction(paths: readonly string[]): string[] {
  const out = ["neve_report() {"];
  paths.forEach((p, i) => {
    out.push(
      `  if [ -f ${q(p)} ]; then neve_h=$(sha256sum < ${q(p)}) && printf '@@neve file ${i} %s %s\\n' "\${neve_h%% *}" "$(stat -c '%a:%U:%G' -- ${q(p)})";` +
        ` elif [ -e ${q(p)} ] || [ -L ${q(p)} ]; then echo '@@neve file ${i} notfile'; else echo '@@neve file ${i} missing'; fi`,
    );
  });
  out.push("  :", "}");
  return out;
}

/** Shell function that copies current files into a stash dir (copy, or an "absent" marker). */
function stashCommands(paths: readonly string[], dir: string, failCode: number): string[] {
  const out = [`mkdir -p -- ${q(dir)} || neve_fail ${failCode} ${q(`cannot create stash directory ${dir}`)}`];
  for (const p of paths) {
    out.push(
      `if [ -e ${q(p)} ] || [ -L ${q(p)} ]; then mkdir -p -- ${q(`${dir}/files${dirOf(p)}`)} && cp -a -- ${q(p)} ${q(`${dir}/files${p}`)} || neve_fail ${failCode} ${q(`cannot stash ${p} into ${dir}`)};` +
        ` else mkdir -p -- ${q(`${dir}/absent${dirOf(p)}`)} && : > ${q(`${dir}/absent${p}`)} || neve_fail ${failCode} ${q(`cannot record absent ${p} in ${dir}`)}; fi`,
    );
  }
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

/** The one-line reason that stands for the output of a command that can read secret files. */
export function withheldReason(secretPaths: readonly string[]): string {
  const what = secretPaths.length === 1 ? `${secretPaths[0]}, a secret file` : `${secretPaths.join(", ")}, secret files`;
  return `output withheld: the command can read ${what} (run it on the host to see its output)`;
}

/**
 * Run a user command in its own shell (a syntax error stays inside it), stdin closed, output captured
 * in `varName`; its exit status is the command's. With secret files, the output goes to /dev/null
 * on the host and `varName` holds the reason instead: a validator, activation or health check that
 * prints a secret (whole, in part, reformatted or encoded) cannot leak it.
 */
function runCapture(varName: string, command: string, withhold: readonly string[]): string {
  if (withhold.length === 0) return `${varName}=$(sh -c ${q(command)} </dev/null 2>&1)`;
  return `sh -c ${q(command)} </dev/null >/dev/null 2>&1; neve_x=$?; ${varName}=${q(withheldReason(withhold))}; (exit $neve_x)`;
}

/** Line on stderr between the failed step's output and the output of activation after the rollback. */
export const SECOND_ATTEMPT = "@@neve-second-attempt";

/**
 * Roll back after a failed step whose output is in $neve_out and exit code in $neve_rc: print that
 * output, restore the previous files, activate again; when that fails too, its output follows the
 * SECOND_ATTEMPT line, so both attempts reach the provider each under its own heading.
 */
function rollbackLines(what: string, code: number): string[] {
  return [
    `  neve_fout=$neve_out; neve_disarm`,
    `  printf '%s\\n' "$neve_fout" >&2`,
    `  if neve_restore; then if neve_activate; then echo '@@neve rollback ok'; else neve_rrc=$?; echo "@@neve rollback reactivate-failed $neve_rrc"; printf '%s\\n%s\\n' ${q(SECOND_ATTEMPT)} "$neve_aout" >&2; fi; else echo '@@neve rollback restore-failed'; fi`,
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
function activateFunction(activate: string | null, withhold: readonly string[]): string[] {
  return ["neve_activate() {", activate ? `  ${runCapture("neve_aout", activate, withhold)}` : "  neve_aout=''; return 0", "}"];
}

/**
 * The single script of a create/update: stage, compare, record originals, validate, stash, arm the
 * dead-man timer (access-critical), swap, activate, health check, roll back on failure, prune, report.
 */
export function buildApplyScript(plan: ApplyPlan): string {
  const paths = plan.files.map((f) => f.path);
  const S = pushStashDir(plan);
  const svcDir = serviceStashDir(plan.stashDir, plan.service);
  const O = `${svcDir}/original`;
  const eof = `__NEVE_EOF_${plan.token}__`;
  const staged = paths.map((p) => stagedPath(p, plan.token));
  const restores = paths.map((p) => restorePath(p, plan.token));
  const L: string[] = scriptHeader([...staged, ...restores]);
  L.push(...reportFunction(paths));
  L.push("neve_restore() {", "  neve_rr=0", ...restoreLines(paths, S, plan.token), "  return $neve_rr", "}");
  L.push(...activateFunction(plan.activate, plan.withhold));
  L.push("neve_disarm() { :; }");

  // 0. which parent directories are missing (the push creates them; onDelete remove/restore takes them away again).
  paths.forEach((p, i) => {
    const up = ancestorsOf(p);
    L.push(up.length ? `neve_d${i}=$(for d in ${up.map(q).join(" ")}; do [ -e "$d" ] || [ -L "$d" ] || printf '%s\\n' "$d"; done)` : `neve_d${i}=''`);
  });

  // 1. stage every file next to its target, with its final owner and mode (restrictive until then).
  plan.files.forEach((f, i) => {
    const stg = staged[i];
    L.push(`mkdir -p -- ${q(dirOf(f.path))} || neve_fail ${EXIT.stage} ${q(`cannot create directory ${dirOf(f.path)}`)}`);
    L.push(`base64 -d > ${q(stg)} <<'${eof}' || neve_fail ${EXIT.stage} ${q(`cannot write the staged copy of ${f.path} (disk full or read-only?)`)}`);
    L.push(base64Lines(f.content));
    L.push(eof);
    L.push(
      `chown -- ${q(`${f.owner}:${f.group}`)} ${q(stg)} || neve_fail ${EXIT.stage} ${q(`cannot chown ${f.path} to ${f.owner}:${f.group} (does that user and group exist on the host?)`)}`,
    );
    L.push(`chmod -- ${q(statMode(f.mode))} ${q(stg)} || neve_fail ${EXIT.stage} ${q(`cannot chmod ${f.path} to ${f.mode}`)}`);
  });

  // 2. which files differ from the live ones (content, mode, owner, group)?
  plan.files.forEach((f, i) => {
    L.push(
      `neve_c${i}=1; if [ -f ${q(f.path)} ] && [ ! -L ${q(f.path)} ] && cmp -s -- ${q(staged[i])} ${q(f.path)} && ` +
        `[ "$(stat -c '%a:%U:%G' -- ${q(f.path)})" = ${q(`${statMode(f.mode)}:${f.owner}:${f.group}`)} ]; then neve_c${i}=0; fi`,
    );
  });
  L.push(`neve_any=$(( ${plan.files.map((_f, i) => `neve_c${i}`).join(" + ")} ))`);

  // 3. adopt: the first time a path is managed, keep what was there (or that nothing was), forever.
  paths.forEach((p, i) => {
    L.push(
      `if [ ! -e ${q(`${O}/files${p}`)} ] && [ ! -L ${q(`${O}/files${p}`)} ] && [ ! -e ${q(`${O}/absent${p}`)} ]; then` +
        ` if [ -e ${q(p)} ] || [ -L ${q(p)} ]; then mkdir -p -- ${q(`${O}/files${dirOf(p)}`)} && cp -a -- ${q(p)} ${q(`${O}/files${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot keep the original of ${p} in ${O}`)};` +
        ` else mkdir -p -- ${q(`${O}/absent${dirOf(p)}`)} && : > ${q(`${O}/absent${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot record in ${O} that ${p} was absent`)};` +
        ` if [ -n "$neve_d${i}" ]; then mkdir -p -- ${q(`${O}/dirs${dirOf(p)}`)} && printf '%s\\n' "$neve_d${i}" > ${q(`${O}/dirs${p}`)} || neve_fail ${EXIT.stash} ${q(`cannot record in ${O} the directories created for ${p}`)}; fi; fi; fi`,
    );
  });
  L.push(`if [ "$neve_any" -eq 0 ]; then echo '@@neve unchanged'; neve_report; exit 0; fi`);

  // 4. validators on the staged copies; on failure nothing has moved.
  plan.validate.forEach((v) => {
    const cmd = substitutePlaceholders(v, plan.files, plan.token);
    L.push(`${runCapture("neve_vout", cmd, plan.withhold)}; neve_rc=$?`);
    L.push(
      `if [ "$neve_rc" -ne 0 ]; then printf 'validation failed, nothing was changed: \`%s\` exited with %s:\\n%s\\n' ${q(v)} "$neve_rc" "$neve_vout" >&2; exit ${EXIT.validate}; fi`,
    );
  });

  // 5. stash the current files (timestamped).
  L.push(...stashCommands(paths, S, EXIT.stash));
  L.push(`echo ${q(`@@neve stash ${S}`)}`);

  // 6. access-critical: arm the host's own restore timer before anything moves.
  if (plan.accessCritical) {
    const n = plan.accessCritical.confirmSeconds;
    const unit = `neve-confirm-${plan.service.replace(/[^A-Za-z0-9_-]/g, "_")}-${plan.token}`;
    const rs = `${S}/restore.sh`;
    L.push(`cat > ${q(rs)} <<'${eof}' || neve_fail ${EXIT.arm} ${q(`cannot write ${rs}`)}`);
    L.push(`mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null || exit 0`);
    L.push("neve_rr=0");
    L.push(...restoreLines(paths, S, plan.token, ""));
    if (plan.activate) L.push(`sh -c ${q(plan.activate)} </dev/null >/dev/null 2>&1`);
    L.push(`: > ${q(`${S}/SELF-RESTORED`)}`);
    L.push(
      `command -v logger >/dev/null 2>&1 && logger -t neve-infra ${q(`${plan.service}: access not confirmed within ${n}s, previous files restored from ${S}`)}`,
    );
    L.push("exit 0");
    L.push(eof);
    L.push(
      `if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then` +
        ` systemd-run --quiet --unit=${q(unit)} --on-active=${n}s --timer-property=AccuracySec=1s /bin/sh ${q(rs)} >/dev/null 2>&1 || neve_fail ${EXIT.arm} 'cannot arm the confirm timer with systemd-run';` +
        ` echo ${q(unit)} > ${q(`${S}/timer.unit`)};` +
        ` else setsid nohup sh -c ${q(`sleep ${n}; exec sh "$0"`)} ${q(rs)} </dev/null >/dev/null 2>&1 &` +
        ` echo "$!" > ${q(`${S}/timer.pid`)}; fi`,
    );
    L.push(
      "neve_disarm() {",
      `  mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null || return 1`,
      `  if [ -f ${q(`${S}/timer.pid`)} ]; then kill "$(cat ${q(`${S}/timer.pid`)})" 2>/dev/null; fi`,
      `  if [ -f ${q(`${S}/timer.unit`)} ]; then systemctl stop "$(cat ${q(`${S}/timer.unit`)}).timer" >/dev/null 2>&1; fi`,
      "  :",
      "}",
    );
    L.push(`echo '@@neve armed ${n}'`);
  }

  // 7. swap. Writing to stdout first: if the connection is gone, SIGPIPE stops us before anything moves.
  L.push("echo '@@neve swapping'");
  plan.files.forEach((f, i) => {
    L.push(
      `if [ "$neve_c${i}" -eq 1 ]; then mv -f -- ${q(staged[i])} ${q(f.path)} || { neve_disarm; neve_restore; neve_fail ${EXIT.swap} ${q(`cannot move the staged copy of ${f.path} into place; previous files restored`)}; }; fi`,
    );
  });

  // 8. activate once; 9. health check. Either failing: restore, activate again, report.
  if (plan.activate) {
    L.push("neve_activate; neve_rc=$?; neve_out=$neve_aout");
    L.push(`if [ "$neve_rc" -ne 0 ]; then`, ...rollbackLines("activate", EXIT.activate), "fi");
  }
  if (plan.healthCheck) {
    L.push(`${runCapture("neve_out", plan.healthCheck, plan.withhold)}; neve_rc=$?`);
    L.push(`if [ "$neve_rc" -ne 0 ]; then`, ...rollbackLines("health", EXIT.health), "fi");
  }

  // 10. keep the last N stashes (never "original").
  L.push(pruneStashes(svcDir, plan.stashKeep));
  L.push("echo '@@neve changed'", "neve_report", "exit 0", `# ${END_MARKER}`);
  return `${L.join("\n")}\n`;
}

/** Script of `read`: one round trip, hashes, modes and owners of every file. */
export function buildReadScript(paths: readonly string[]): string {
  return `${[...scriptHeader([]), ...reportFunction(paths), "neve_report", "exit 0", `# ${END_MARKER}`].join("\n")}\n`;
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

/** Script of `delete`: stash current files, remove them or put the originals back, activate (roll back on failure). */
export function buildDeleteScript(plan: DeletePlan): string {
  const S = pushStashDir(plan);
  const O = `${serviceStashDir(plan.stashDir, plan.service)}/original`;
  const restores = plan.paths.map((p) => restorePath(p, plan.token));
  const L = scriptHeader(restores);
  L.push(...reportFunction(plan.paths));
  L.push("neve_restore() {", "  neve_rr=0", ...restoreLines(plan.paths, S, plan.token), "  return $neve_rr", "}");
  L.push(...activateFunction(plan.activate, plan.withhold));
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
  L.push("echo '@@neve changed'", "neve_report", "exit 0", `# ${END_MARKER}`);
  return `${L.join("\n")}\n`;
}

/** Script run over a NEW connection after an access-critical change: proves access and disarms the timer. */
export function buildConfirmScript(stashDirOfPush: string): string {
  const S = stashDirOfPush;
  return `${[
    "set -u",
    `if mkdir ${q(`${S}/confirm.lock`)} 2>/dev/null; then`,
    `  if [ -f ${q(`${S}/timer.pid`)} ]; then kill "$(cat ${q(`${S}/timer.pid`)})" 2>/dev/null; fi`,
    `  if [ -f ${q(`${S}/timer.unit`)} ]; then systemctl stop "$(cat ${q(`${S}/timer.unit`)}).timer" >/dev/null 2>&1; fi`,
    "  echo '@@neve confirmed'; exit 0",
    "fi",
    `if [ -e ${q(`${S}/SELF-RESTORED`)} ]; then echo '@@neve self-restored'; fi`,
    "exit 3",
    `# ${END_MARKER}`,
  ].join("\n")}\n`;
}

/** Parsed "@@neve" lines of a script's stdout. */
export interface ScriptReport {
  files: Map<number, { sha256: string; mode: string; owner: string; group: string } | "missing" | "notfile">;
  changed: boolean;
  unchanged: boolean;
  stash: string | null;
  rollback: "ok" | "reactivate-failed" | "restore-failed" | null;
  /** Exit code of activation after the rollback, when it failed too. */
  reactivateCode: number | null;
  failed: { what: string; code: number } | null;
  confirmed: boolean;
  selfRestored: boolean;
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
    failed: null,
    confirmed: false,
    selfRestored: false,
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
        if (args[1] !== undefined) r.reactivateCode = Number(args[1]);
        break;
      case "failed":
        r.failed = { what: args[0], code: Number(args[1]) };
        break;
      case "confirmed":
        r.confirmed = true;
        break;
      case "self-restored":
        r.selfRestored = true;
        break;
      default:
        break;
    }
  }
  return r;
}

/** File states from a report; content is kept only for non-secret files whose live hash matches it. */
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
    };
  });
}

// Helpers for tests that drive the real tools (haproxy, dnsmasq, nft, systemd-analyze, ip netns).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Result of one finished command. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command without a shell, bounded in time (a bound for a hang, generous for a loaded machine). */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 90000 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Absolute path of an executable on PATH (plus the sbin dirs), or null. */
export function which(bin: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin", "/bin"];
  for (const d of dirs) {
    const p = path.join(d, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** A scratch directory removed by the returned cleanup function. */
export function scratchDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `neve-render-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Write `content` as `name` inside `dir`, return its path. */
export function writeIn(dir: string, name: string, content: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

/** A throwaway network namespace; `remove` deletes it (idempotent). */
export function netns(prefix: string): { name: string; exec: (args: readonly string[]) => RunResult; remove: () => void } {
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const add = run("ip", ["netns", "add", name]);
  if (add.status !== 0) throw new Error(`ip netns add ${name} failed: ${add.stderr}`);
  let removed = false;
  return {
    name,
    exec: (args) => run("ip", ["netns", "exec", name, ...args]),
    remove: () => {
      if (!removed) {
        removed = true;
        run("ip", ["netns", "del", name]);
      }
    },
  };
}

// noVNC for VM 1201, live: the command of the RENDERED novnc-1201.service (from the real stack file,
// through the same mapping the program uses) runs here with Debian's websockify and noVNC, in a
// network namespace of its own, next to a VNC stand-in on 127.0.0.1:5981 that speaks the first step
// of RFB (the server's ProtocolVersion "RFB 003.008\n", RFC 6143 7.1.1). A hand-written browser
// stand-in (wsProbe.ts) fetches the noVNC page on 6081 and carries a WebSocket through websockify to
// the stand-in and back.
//
// PID 1 is not systemd here, so the unit's own sandboxing cannot run; the command runs as nobody
// with no_new_privs (setpriv), the nearest equivalent of DynamicUser=yes + NoNewPrivileges=yes, which
// shows websockify needs no privilege for what the unit asks of it. `systemd-analyze verify` checks
// the unit file itself (systemd.test.ts).
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { declaredServices } from "../../stacks/components/host/registry";
import { type NovncUnitModel, renderNovncUnit } from "../../stacks/render";
import { fixtureModel } from "../support/stacks";
import { netns, scratchDir, which, writeIn } from "./tools";
import { WS_PROBE_SCRIPT, type WsProbeResult } from "./wsProbe";

// The unit exactly as the program declares it, from the frozen fixture stack file.
const unitModel = declaredServices(fixtureModel())
  .filter((s) => s.kind === "novnc")
  .map((s) => s.instance.model as NovncUnitModel)
  .find((n) => n.vmid === 1201);
const unit = unitModel ? renderNovncUnit(unitModel) : "";
const GREETING = "RFB 003.008\n";

/**
 * The argv of a unit's single ExecStart= line. Splits on whitespace only, so it refuses anything that
 * needs systemd's fuller syntax (quotes, escapes, %-specifiers, $-variables, prefixes such as "-").
 */
function execStartArgv(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.startsWith("ExecStart="));
  if (lines.length !== 1) throw new Error(`expected one ExecStart= line, found ${lines.length}`);
  const cmd = lines[0].slice("ExecStart=".length);
  if (/["'\\%$]/.test(cmd) || /^[-@:+!|]/.test(cmd))
    throw new Error(`ExecStart= needs systemd's full command-line syntax, which this test does not parse: ${cmd}`);
  return cmd.trim().split(/\s+/);
}

/** A child started in its own process group, with its stderr kept for failure messages and as lines. */
interface Child {
  proc: ChildProcess;
  stderr: () => string;
  /**
   * Resolves with the first complete stderr line (past or future) matching `re`; rejects when the child exits
   * without one, or after `limitMs`, a bound for a hang only (the event waited for is the line).
   */
  line: (re: RegExp, limitMs: number) => Promise<string>;
}

function start(argv: string[]): Child {
  const proc = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  let all = "";
  const waiters = new Set<() => void>();
  proc.stderr?.on("data", (d) => {
    err = (err + d).slice(-4000);
    all += d;
    for (const w of [...waiters]) w();
  });
  proc.once("exit", () => {
    for (const w of [...waiters]) w();
  });
  const line = (re: RegExp, limitMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = all
          .split("\n")
          .slice(0, -1)
          .find((l) => re.test(l));
        if (hit !== undefined || proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          if (hit !== undefined) resolve(hit);
          else reject(new Error(`exited without a line matching ${re}: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${re} within ${limitMs} ms: ${err}`));
      }, limitMs);
      waiters.add(check);
      check();
    });
  return { proc, stderr: () => err, line };
}

/** SIGTERM the child's process group (websockify forks per connection), SIGKILL after 3 s. */
async function stop(c: Child | undefined): Promise<void> {
  if (!c || c.proc.pid === undefined || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise((r) => c.proc.once("exit", r));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-(c.proc.pid as number), s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL"); // forked connection handlers that outlived their parent
}

describe("novnc-1201.service, live with Debian's websockify and noVNC", () => {
  const WEBSOCKIFY = which("websockify");
  let ns: ReturnType<typeof netns> | undefined;
  let work: ReturnType<typeof scratchDir> | undefined;
  let websockify: Child | undefined;
  let vnc: Child | undefined;
  let argv: string[] = [];

  const sh = (args: string[]) => {
    const r = ns!.exec(args);
    if (r.status !== 0) throw new Error(`${args.join(" ")} in ${ns!.name}: ${r.stderr}`);
    return r.stdout;
  };
  const waitListening = async (what: string, child: Child, addr: string) => {
    const deadline = Date.now() + 60000;
    while (
      !sh(["ss", "-Hlnt"])
        .split("\n")
        .some((l) => l.split(/\s+/)[3] === addr)
    ) {
      if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not listen on ${addr}: ${child.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** `timeoutMs` bounds a hang of the probe; a loaded machine needs a generous one where an answer is expected. */
  const probe = (timeoutMs: number): WsProbeResult => {
    const listen = unitModel!.listenAddress === "0.0.0.0" ? "127.0.0.1" : unitModel!.listenAddress;
    const r = ns!.exec([
      process.execPath,
      "-e",
      WS_PROBE_SCRIPT,
      listen,
      String(unitModel!.listenPort),
      "/vnc.html",
      String(timeoutMs),
      String(GREETING.length),
      GREETING,
    ]);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
      return JSON.parse(line) as WsProbeResult;
    } catch {
      throw new Error(`probe printed no result (status ${r.status}): ${r.stdout}${r.stderr}`);
    }
  };

  beforeAll(async () => {
    if (WEBSOCKIFY === null) throw new Error("websockify is not installed; install the Debian packages websockify and novnc to run the render tests");
    if (!unitModel) throw new Error("the stack declares no noVNC console for VM 1201 (hostServices.novnc)");
    argv = execStartArgv(unit);
    work = scratchDir("novnc");
    ns = netns("render-novnc");
    sh(["ip", "link", "set", "lo", "up"]);
    // DynamicUser=yes + NoNewPrivileges=yes, as near as this machine allows.
    websockify = start(["ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs", ...argv]);
    await waitListening("websockify", websockify, `${unitModel.listenAddress}:${unitModel.listenPort}`);
  });

  afterAll(async () => {
    await stop(websockify);
    await stop(vnc);
    ns?.remove();
    work?.cleanup();
  });

  it("must run Debian's websockify towards 127.0.0.1:5981 and serve Debian's noVNC on 6081", () => {
    expect(argv).toEqual(["/usr/bin/websockify", "--web", "/usr/share/novnc", "0.0.0.0:6081", "127.0.0.1:5981"]);
    expect(argv[0]).toBe(WEBSOCKIFY);
    expect(fs.existsSync(path.join(argv[2], "vnc.html"))).toBe(true);
    // `ip netns exec` and setpriv exec in place, so the child's pid is websockify's, now unprivileged.
    const status = fs.readFileSync(`/proc/${websockify!.proc.pid}/status`, "utf8");
    expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(fs.readFileSync(`/proc/${websockify!.proc.pid}/cmdline`, "utf8").split("\0").join(" ")).toContain(`${argv[0]} --web`);
  });

  it("must not invent a VNC server: with nothing on 5981 the WebSocket carries no greeting", () => {
    const r = probe(10000);
    expect(r.pageStatus).toBe(200);
    expect(r.payload ?? "").toBe("");
    expect(r.error).toBeDefined();
  });

  it("must serve the noVNC page and carry a WebSocket to the VM's display and back", async () => {
    // The VNC stand-in, one shell per connection (socat fork): the server's ProtocolVersion, then the
    // client's 12-byte answer reported as a stderr line of its own, in hex, with the connection's pid.
    // Each connection reports for itself: no record file that a second connection could truncate, and
    // the test waits for that line (the event), not for a file to fill.
    const script = writeIn(
      work!.dir,
      "vnc-standin.sh",
      `#!/bin/sh\necho "vnc-standin $$ connected" >&2\nprintf 'RFB 003.008\\n'\ngot=$(head -c 12 | od -An -v -tx1 | tr -d ' \\n')\necho "vnc-standin $$ received [$got]" >&2\n`,
    );
    fs.chmodSync(script, 0o755);
    const vncAddr = `${argv[4]}`;
    const [vncHost, vncPort] = vncAddr.split(":");
    vnc = start(["ip", "netns", "exec", ns!.name, "socat", `TCP-LISTEN:${vncPort},bind=${vncHost},reuseaddr,fork`, `EXEC:${script}`]);
    await waitListening("the VNC stand-in", vnc, vncAddr);

    const r = probe(30000);
    expect(r).toEqual({
      pageStatus: 200,
      pageType: expect.stringMatching(/^text\/html/),
      pageTitle: "noVNC",
      upgradeStatus: 101,
      acceptValid: true,
      opcodes: expect.arrayContaining([2]),
      payload: GREETING,
    });
    expect(new Set(r.opcodes)).toEqual(new Set([2]));
    // ... and the client's ProtocolVersion arrived at the stand-in through websockify.
    const hex = Buffer.from(GREETING, "latin1").toString("hex");
    expect(await vnc.line(new RegExp(`^vnc-standin \\d+ received \\[${hex}\\]$`), 60000)).toMatch(/received/);
  });
});

/**
 * Every SSH connection the project opens must run with TCP_NODELAY (providers/ssh/socket.ts says why): read from
 * the kernel on live connections to the real sshd test host (./harness/tcpNoDelay.ts), in this process and in the
 * real provider host process, and a check of the sources that no connection is started any other way.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { close, connect } from "../../providers/ssh";
import { create, declare, haproxyCfg, haproxyConfigArgs } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { tcpNoDelayOf } from "./harness/tcpNoDelay";
import { startTestHost, type TestHost } from "./harness/testHost";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

function tcpConnect(host: TestHost, noDelay: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: host.address, port: host.port, noDelay });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

describe("TCP_NODELAY on every SSH connection (real sshd, read from the kernel)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost({ env: { SSH_AUTH_SOCK: undefined } })]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  // The probe itself must tell the two apart, or the tests below could not fail.
  it.each([
    ["Node's default (Nagle on)", false],
    ["setNoDelay", true],
  ])("must read the option as the kernel has it on a plain TCP connection to sshd: %s", async (_name, noDelay) => {
    const s = await tcpConnect(host, noDelay);
    try {
      const seen = await tcpNoDelayOf(process.pid, host.address, host.port);
      expect(seen.map((x) => x.noDelay)).toEqual([noDelay]);
    } finally {
      s.destroy();
    }
  });

  it("must set TCP_NODELAY on a connection opened by providers/ssh connect (the providers, discover's read)", async () => {
    const session = await connect({
      host: host.address,
      port: host.port,
      username: host.username,
      hostKey: host.hostKeyFingerprint,
      privateKey: host.clientPrivateKey,
    });
    try {
      const seen = await tcpNoDelayOf(process.pid, host.address, host.port);
      expect(seen.map((x) => x.noDelay)).toEqual([true]);
    } finally {
      close(session);
    }
  });

  it("must set TCP_NODELAY on the pooled connection of the real provider host after a push", async () => {
    const content = haproxyCfg(host, "nodelay");
    await create(ph, await declare("nodelay", haproxyConfigArgs(host, content)));
    expect(await host.readFile("/etc/haproxy/haproxy.cfg")).toBe(content);
    // The pool keeps the connection open after the call (providers/ssh/pool.ts), so it can be read now.
    const seen = await tcpNoDelayOf(ph.pid, host.address, host.port);
    expect(seen.map((x) => x.noDelay)).toEqual([true]);
  });

  it("must not start an ssh2 connection anywhere but providers/ssh/socket.ts (startSsh)", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.name === "node_modules" || e.name.startsWith(".")) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js)$/.test(e.name)) {
          const text = fs.readFileSync(p, "utf8");
          // Code that can reach ssh2's Client (not a type-only import) and calls some `.connect(`.
          const usesSsh2 = /require\(["']ssh2["']\)|^import\s+(?!type\b)[^;]*from\s+["']ssh2["']/m.test(text);
          if (usesSsh2 && /\.connect\(/.test(text)) offenders.push(path.relative(REPO_ROOT, p));
        }
      }
    };
    for (const d of ["providers", "scripts", "bench", "stacks", "tests", "examples"]) walk(path.join(REPO_ROOT, d));
    expect(offenders.filter((p) => p !== path.join("providers", "ssh", "socket.ts"))).toEqual([]);
  });
});

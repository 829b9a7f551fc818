import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { type HaproxyModel, haproxyBackendId, renderHaproxyConfig } from "../../stacks/render";
import * as neve from "./neve.fixture";
import { run, scratchDir, which, writeIn } from "./tools";

const HAPROXY = which("haproxy");

function haproxyCheck(file: string) {
  if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run the render tests");
  return run(HAPROXY, ["-c", "-f", file]);
}

describe("haproxy.cfg for neve", () => {
  const text = renderHaproxyConfig(neve.haproxy);

  it("is pinned as a whole", () => {
    expect(text).toMatchSnapshot();
  });

  it("must pass `haproxy -c -f` without a warning", () => {
    const { dir, cleanup } = scratchDir("haproxy");
    try {
      const r = haproxyCheck(writeIn(dir, "haproxy.cfg", text));
      expect(r.stderr + r.stdout).toContain("Configuration file is valid");
      expect(r.status).toBe(0);
      expect(r.stderr + r.stdout).not.toMatch(/\[(WARNING|ALERT)\]/);
    } finally {
      cleanup();
    }
  });

  it("must give distinct hostnames distinct backend names, accepted by `haproxy -c`", () => {
    const pair = ["a-b.example.com", "a.b.example.com"];
    expect(new Set(pair.map(haproxyBackendId)).size).toBe(2);
    const t = renderHaproxyConfig({ ...neve.haproxy, routes: pair.map((hostname) => ({ ...neve.haproxy.routes[0], hostname })) });
    expect(t).toContain("backend tls_a-b_example_com\n");
    expect(t).toContain("backend tls_a_b_example_com\n");
    const { dir, cleanup } = scratchDir("haproxy-names");
    try {
      const r = haproxyCheck(writeIn(dir, "haproxy.cfg", t));
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.not.stringMatching(/\[(WARNING|ALERT)\]/) });
    } finally {
      cleanup();
    }
  });

  it("must not expose port 8006 from the public frontends", () => {
    expect(text).not.toMatch(/8006/);
  });

  it("must route cipher by SNI on 443 and by Host on 80, after inspecting the ClientHello", () => {
    const tls = text.slice(text.indexOf("frontend tls_in"), text.indexOf("frontend http_in"));
    expect(tls).toContain("tcp-request inspect-delay 5s");
    expect(tls).toContain("tcp-request content accept if { req.ssl_hello_type 1 }");
    expect(tls).toContain("use_backend tls_cipher_wenzelarifiandi_com if { req.ssl_sni -i cipher.wenzelarifiandi.com }");
    const httpPart = text.slice(text.indexOf("frontend http_in"), text.indexOf("frontend stats"));
    expect(httpPart).toContain("use_backend http_cipher_wenzelarifiandi_com if { req.hdr(host),host_only -i cipher.wenzelarifiandi.com }");
    expect(text).toMatch(/backend tls_cipher_wenzelarifiandi_com\n {4}mode tcp\n {4}server \S+ 10\.10\.10\.90:443 check/);
    expect(text).toMatch(/backend http_cipher_wenzelarifiandi_com\n {4}mode http\n {4}server \S+ 10\.10\.10\.90:80 check/);
  });

  it("must listen on IPv4 and IPv6 for 443 and 80, and keep stats on loopback", () => {
    for (const port of [443, 80]) {
      expect(text).toContain(`bind 0.0.0.0:${port}\n`);
      expect(text).toContain(`bind [::]:${port} v6only\n`);
    }
    expect(text).toMatch(/frontend stats\n {4}mode http\n {4}bind 127\.0\.0\.1:8404\n/);
    expect(text).toContain("stats uri /stats");
  });

  it("must never terminate TLS", () => {
    expect(text).not.toMatch(/\bssl\b.*\bcrt\b|\bcrt\s/);
    expect(text.match(/^ {4}mode tcp$/gm)?.length).toBeGreaterThanOrEqual(2);
  });

  it("must close unknown server names and answer unknown Hosts with 404", () => {
    expect(text).toContain("default_backend tls_no_route");
    expect(text).toMatch(/backend tls_no_route\n {4}mode tcp\n {4}tcp-request content reject/);
    expect(text).toContain("default_backend http_no_route");
    expect(text).toContain('http-request return status 404 content-type text/plain string "no route for this host\\n"');
  });

  it("must send unknown hosts to the fallback route when one is named", () => {
    const t = renderHaproxyConfig({ ...neve.haproxy, fallbackHostname: "cipher.wenzelarifiandi.com" });
    expect(t).toContain("default_backend tls_cipher_wenzelarifiandi_com");
    expect(t).toContain("default_backend http_cipher_wenzelarifiandi_com");
    expect(t).not.toContain("tls_no_route");
  });
});

const cipherRoute = neve.haproxy.routes[0];

describe.each<[string, HaproxyModel, string]>([
  ["no TLS listener", { ...neve.haproxy, tlsBinds: [] }, "haproxy.tlsBinds: must list at least one entry"],
  [
    "a bind address that is a hostname",
    { ...neve.haproxy, httpBinds: [{ address: "neve.local", port: 80 }] },
    'haproxy.httpBinds[0].address: "neve.local" is not an IPv4 or IPv6 address',
  ],
  ["a public listener on 8006", { ...neve.haproxy, tlsBinds: [{ address: "0.0.0.0", port: 8006 }] }, "haproxy.tlsBinds[0].port: 8006 is the Proxmox API port"],
  [
    "the same listener twice",
    {
      ...neve.haproxy,
      tlsBinds: [
        { address: "0.0.0.0", port: 443 },
        { address: "0.0.0.0", port: 443 },
      ],
    },
    'haproxy.tlsBinds[1]: listener "0.0.0.0:443" is already used by haproxy.tlsBinds[0]',
  ],
  ["a port out of range", { ...neve.haproxy, httpBinds: [{ address: "::", port: 70000 }] }, "haproxy.httpBinds[0].port: must be a port in 1-65535 (got 70000)"],
  [
    "stats on a public address",
    { ...neve.haproxy, stats: { address: "0.0.0.0", port: 8404, path: "/stats" } },
    'haproxy.stats.address: "0.0.0.0" is not a loopback address',
  ],
  [
    "a stats path with a space",
    { ...neve.haproxy, stats: { address: "127.0.0.1", port: 8404, path: "/my stats" } },
    'haproxy.stats.path: must be a URI path such as "/stats", got "/my stats"',
  ],
  [
    "stats on a public port",
    { ...neve.haproxy, stats: { address: "127.0.0.1", port: 443, path: "/stats" } },
    "haproxy.stats.port: 443 is already a public frontend port",
  ],
  [
    "an uppercase hostname",
    { ...neve.haproxy, routes: [{ ...cipherRoute, hostname: "Cipher.example.com" }] },
    'haproxy.routes[0].hostname: "Cipher.example.com" has upper-case letters; write it in lower case: cipher.example.com',
  ],
  [
    "a hostname with a space (would split the ACL)",
    { ...neve.haproxy, routes: [{ ...cipherRoute, hostname: "a b.example.com" }] },
    'haproxy.routes[0].hostname: "a b.example.com" is not a fully qualified host name',
  ],
  [
    "a route to the Proxmox API",
    { ...neve.haproxy, routes: [{ ...cipherRoute, tlsPort: 8006 }] },
    "haproxy.routes[0].tlsPort: 8006 is the Proxmox API port; it must not be routed from the public frontends",
  ],
  [
    "a backend given by name",
    { ...neve.haproxy, routes: [{ ...cipherRoute, backendAddress: "cipher" }] },
    'haproxy.routes[0].backendAddress: "cipher" is not an IPv4 or IPv6 address',
  ],
  [
    "a wildcard backend",
    { ...neve.haproxy, routes: [{ ...cipherRoute, backendAddress: "0.0.0.0" }] },
    'haproxy.routes[0].backendAddress: "0.0.0.0" is a wildcard',
  ],
  [
    "the same hostname twice",
    { ...neve.haproxy, routes: [cipherRoute, cipherRoute] },
    'haproxy.routes[1]: hostname "cipher.wenzelarifiandi.com" is already used by haproxy.routes[0]',
  ],
  [
    "a fallback that is not a route",
    { ...neve.haproxy, fallbackHostname: "nope.example.com" },
    'haproxy.fallbackHostname: "nope.example.com" is not the hostname of any route',
  ],
  [
    "a relative chroot",
    { ...neve.haproxy, runtime: { chroot: "var/lib/haproxy", statsSocket: null, user: null, group: null } },
    "haproxy.runtime.chroot: must be an absolute path",
  ],
])("haproxy model with %s", (_name, model, message) => {
  it("must be refused with an error naming the field", () => {
    expect(() => renderHaproxyConfig(model)).toThrow(message);
  });
});

// A real haproxy, bound to loopback high ports, in front of real TLS and HTTP servers.
describe("haproxy with the rendered config, live on loopback", () => {
  interface Backend {
    name: string;
    tlsPort: number;
    httpPort: number;
    /** SNI seen by the backend's own TLS server, one entry per completed handshake. */
    sni: string[];
    /** Host headers of HTTP requests received. */
    hosts: string[];
    close: () => Promise<void>;
  }

  let work: { dir: string; cleanup: () => void };
  let handHaproxy: ChildProcess | undefined;
  const children: ChildProcess[] = [];
  const backends: Backend[] = [];
  let ports: { tls: number; http: number; stats: number };
  let handPorts: { tls: number; http: number; stats: number };

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
  }

  async function startBackend(name: string, key: Buffer, cert: Buffer): Promise<Backend> {
    const sni: string[] = [];
    const hosts: string[] = [];
    // A real TLS server: the handshake completes only if HAProxy passed the ClientHello through untouched.
    const tlsServer = tls.createServer({ key, cert }, (socket) => {
      sni.push(String((socket as tls.TLSSocket & { servername?: string | false }).servername));
      socket.end(`tls-backend ${name}\n`);
    });
    tlsServer.on("tlsClientError", () => undefined); // HAProxy's TCP health checks connect and hang up.
    const httpServer = http.createServer((req, res) => {
      hosts.push(String(req.headers.host));
      res.end(`http-backend ${name}\n`);
    });
    const listen = (srv: net.Server) => new Promise<number>((resolve) => srv.listen(0, "127.0.0.1", () => resolve((srv.address() as net.AddressInfo).port)));
    const tlsPort = await listen(tlsServer);
    const httpPort = await listen(httpServer);
    const close = async () => {
      await new Promise<void>((r) => tlsServer.close(() => r()));
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    };
    return { name, tlsPort, httpPort, sni, hosts, close };
  }

  /** Open a TLS connection through HAProxy; report whether the handshake completed and what came back. */
  function tlsRequest(servername: string, port = ports.tls): Promise<{ handshake: boolean; data: string; error: string | null }> {
    return new Promise((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false, timeout: 30000 });
      let handshake = false;
      let data = "";
      socket.setEncoding("utf8");
      socket.on("secureConnect", () => (handshake = true));
      socket.on("data", (d) => (data += d));
      socket.on("timeout", () => socket.destroy(new Error("timeout")));
      socket.on("error", (e) => resolve({ handshake, data, error: e.message }));
      socket.on("close", () => resolve({ handshake, data, error: null }));
    });
  }

  function httpRequest(host: string, port = ports.http, pathName = "/"): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port, path: pathName, headers: { host }, timeout: 30000, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
    });
  }

  beforeAll(async () => {
    if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run the render tests");
    work = scratchDir("haproxy-live");
    const keyPath = path.join(work.dir, "key.pem");
    const certPath = path.join(work.dir, "cert.pem");
    const gen = run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-subj",
      "/CN=render-test-backend",
      "-days",
      "1",
    ]);
    if (gen.status !== 0) throw new Error(`openssl failed: ${gen.stderr}`);
    const key = fs.readFileSync(keyPath);
    const cert = fs.readFileSync(certPath);
    backends.push(await startBackend("alpha", key, cert), await startBackend("beta", key, cert));
    ({ ports } = await startHaproxy("haproxy.cfg", (p) => ({
      tlsBinds: [{ address: "127.0.0.1", port: p.tls }],
      httpBinds: [{ address: "127.0.0.1", port: p.http }],
      stats: { address: "127.0.0.1", port: p.stats, path: "/stats" },
      routes: backends.map((b) => ({ hostname: `${b.name}.example.test`, backendAddress: "127.0.0.1", tlsPort: b.tlsPort, httpPort: b.httpPort })),
      runtime: { chroot: null, statsSocket: null, user: null, group: null },
    })));
    // The layout of a hand-written file: its own section names, the stats page as a listen section, no
    // default backend (unrouted: none) and the whole Host header matched (hostMatch: header).
    ({ child: handHaproxy, ports: handPorts } = await startHaproxy("hand.cfg", (p) => ({
      tlsBinds: [{ address: "127.0.0.1", port: p.tls }],
      httpBinds: [{ address: "127.0.0.1", port: p.http }],
      stats: { address: "127.0.0.1", port: p.stats, path: "/stats" },
      routes: backends.map((b) => ({
        hostname: `${b.name}.example.test`,
        backendAddress: "127.0.0.1",
        tlsPort: b.tlsPort,
        httpPort: b.httpPort,
        names: { tlsBackend: `${b.name}_tls`, httpBackend: `${b.name}_http`, server: b.name },
        httpServer: { check: true, weight: 10, extra: ["on-marked-down shutdown-sessions"] },
      })),
      runtime: { chroot: null, statsSocket: null, user: null, group: null },
      names: { tls: "https_in", http: "web_in", stats: "monitor" },
      statsSection: "listen",
      unrouted: "none",
      hostMatch: "header",
      omit: ["tls: option tcplog", "http: option httplog", "stats: stats refresh"],
    })));
  });

  /** Render `modelOf(ports)` on free loopback ports and run haproxy on it until its stats page answers. */
  async function startHaproxy(file: string, modelOf: (p: { tls: number; http: number; stats: number }) => HaproxyModel) {
    // The free ports are picked here and bound by haproxy a moment later: another process (a second run of the suite)
    // may take one in between. haproxy then exits at once, saying it cannot bind; pick new ports and start it again.
    for (let attempt = 1; ; attempt++) {
      const p = { tls: await freePort(), http: await freePort(), stats: await freePort() };
      const cfg = writeIn(work.dir, file, renderHaproxyConfig(modelOf(p)));
      let log = "";
      const child = spawn(HAPROXY as string, ["-db", "-f", cfg], { stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      child.stdout!.on("data", (d) => (log += d));
      child.stderr!.on("data", (d) => (log += d));
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      // A bound for a hang only: the wait ends when haproxy answers on its stats port or exits.
      const deadline = Date.now() + 60000;
      let up = false;
      while (!up && child.exitCode === null && Date.now() < deadline) {
        try {
          up = (await httpRequest("stats", p.stats, "/stats")).status === 200 && child.exitCode === null;
        } catch {
          // not listening yet
        }
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      if (up) return { child, ports: p };
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
      if (!/cannot bind|Address already in use/i.test(log) || attempt >= 5) {
        throw new Error(`haproxy did not come up on 127.0.0.1:${p.stats}: ${log}`);
      }
    }
  }

  afterAll(async () => {
    for (const child of children) {
      if (child.pid === undefined || child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all(backends.map((b) => b.close()));
    work?.cleanup();
  });

  it.each(["alpha", "beta"])("must pass a TLS connection for %s.example.test through to its own backend", async (name) => {
    const before = backends.map((b) => b.sni.length);
    const reply = await tlsRequest(`${name}.example.test`);
    expect(reply).toEqual({ handshake: true, data: `tls-backend ${name}\n`, error: null });
    const target = backends.find((b) => b.name === name)!;
    const other = backends.find((b) => b.name !== name)!;
    expect(target.sni.slice(before[backends.indexOf(target)])).toEqual([`${name}.example.test`]);
    expect(other.sni.length).toBe(before[backends.indexOf(other)]);
  });

  it("must close a TLS connection whose server name matches no route", async () => {
    const before = backends.map((b) => b.sni.length);
    const reply = await tlsRequest("unknown.example.test");
    expect(reply.handshake).toBe(false);
    expect(reply.data).toBe("");
    expect(backends.map((b) => b.sni.length)).toEqual(before);
  });

  it.each([
    ["alpha.example.test", "alpha"],
    ["beta.example.test:8080", "beta"],
    ["ALPHA.Example.Test", "alpha"],
  ])("must route HTTP Host %s to %s", async (host, name) => {
    const r = await httpRequest(host);
    expect(r).toEqual({ status: 200, body: `http-backend ${name}\n` });
    expect(backends.find((b) => b.name === name)!.hosts).toContain(host);
  });

  it("must answer an unknown Host with 404 and reach no backend", async () => {
    const before = backends.map((b) => b.hosts.length);
    const r = await httpRequest("unknown.example.test");
    expect(r).toEqual({ status: 404, body: "no route for this host\n" });
    expect(backends.map((b) => b.hosts.length)).toEqual(before);
  });

  it("must serve the stats page on its loopback port", async () => {
    const r = await httpRequest("localhost", ports.stats, "/stats");
    expect(r.status).toBe(200);
    expect(r.body).toContain("Statistics Report");
  });

  describe("in the layout of a hand-written file (own names, listen stats, unrouted: none, hostMatch: header)", () => {
    it("must be running (haproxy accepted the hand-named sections)", () => {
      expect(handHaproxy?.exitCode).toBeNull();
    });

    it("must pass a TLS connection for alpha.example.test through to alpha under the backend name alpha_tls", async () => {
      expect(await tlsRequest("alpha.example.test", handPorts.tls)).toEqual({ handshake: true, data: "tls-backend alpha\n", error: null });
    });

    it("must close a TLS connection that matches no route, without a default backend", async () => {
      const reply = await tlsRequest("unknown.example.test", handPorts.tls);
      expect(reply.handshake).toBe(false);
    });

    it("must route Host beta.example.test to beta, and answer haproxy's own 503 for a Host with its port (the whole header is matched) and an unknown Host", async () => {
      expect(await httpRequest("beta.example.test", handPorts.http)).toEqual({ status: 200, body: "http-backend beta\n" });
      const before = backends.map((b) => b.hosts.length);
      expect((await httpRequest("beta.example.test:8080", handPorts.http)).status).toBe(503);
      expect((await httpRequest("unknown.example.test", handPorts.http)).status).toBe(503);
      expect(backends.map((b) => b.hosts.length)).toEqual(before);
    });

    it("must serve the stats page from the listen section", async () => {
      const r = await httpRequest("localhost", handPorts.stats, "/stats");
      expect(r.status).toBe(200);
      expect(r.body).toContain("Statistics Report");
    });
  });
});

// The grown host-file models (issue 12): haproxy server options, global/defaults fields and extra lines
// (accepted by the real `haproxy -c`), websockify's options in the noVNC unit, and the certificate
// fix-up's "renew only near expiry" condition, run with the real openssl against certificates made here.
import { PVE_SSL_PEM } from "../../stacks/common/units";
import { renderFixPveCertsUnits, renderHaproxyConfig, renderNovncUnit } from "../../stacks/render";
import * as neve from "./neve.fixture";
import { run, scratchDir, which, writeIn } from "./tools";

const HAPROXY = which("haproxy");
const OPENSSL = which("openssl");

const grown = renderHaproxyConfig({
  ...neve.haproxy,
  routes: [
    {
      ...neve.haproxy.routes[0],
      tlsServer: { sendProxy: "v2", check: { port: 443, inter: "10s", rise: 2, fall: 3 }, maxconn: 500 },
      httpServer: { check: false, sendProxy: "v1" },
    },
  ],
  tuning: { globalMaxconn: 4096, log: ["/dev/log local0"], timeouts: { connect: "5000", client: "60s", server: "2m", tunnel: "1h" }, defaultsMaxconn: 2000 },
  extraLines: {
    global: ["tune.bufsize 32768", "tune.ssl.default-dh-param 2048"],
    defaults: ["retries 3", "option redispatch"],
    frontends: { tls_in: ["tcp-request connection reject if { src 192.0.2.0/24 }"], http_in: ["http-request set-header X-Forwarded-Proto http"] },
    backends: { http_cipher_wenzelarifiandi_com: ["option httpchk GET /healthz"], http_no_route: ["retries 2"] },
  },
});

describe("haproxy.cfg with server options, tuning and extra lines", () => {
  it("is pinned as a whole", () => {
    expect(grown).toMatchSnapshot();
  });

  it("must pass `haproxy -c -f` without an alert", () => {
    if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run the render tests");
    const { dir, cleanup } = scratchDir("haproxy-grown");
    try {
      const r = run(HAPROXY, ["-c", "-f", writeIn(dir, "haproxy.cfg", grown)]);
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.not.stringMatching(/\[(ALERT|WARNING)\]/) });
    } finally {
      cleanup();
    }
  });

  it("must send the PROXY v2 header to cipher's 443 and check that port, so nginx's proxy_protocol listener keeps working", () => {
    expect(grown).toContain("    server cipher_wenzelarifiandi_com 10.10.10.90:443 check port 443 inter 10s rise 2 fall 3 send-proxy-v2 maxconn 500\n");
    expect(grown).toContain("    server cipher_wenzelarifiandi_com 10.10.10.90:80 send-proxy\n");
  });

  it("must put each extra line in its own section, and the fields' values in global and defaults", () => {
    const section = (h: string) => grown.slice(grown.indexOf(`${h}\n`), grown.indexOf("\n\n", grown.indexOf(`${h}\n`)));
    expect(section("global")).toMatch(/maxconn 4096\n {4}tune.bufsize 32768\n {4}tune.ssl.default-dh-param 2048$/);
    expect(section("global").match(/^ {4}log /gm)).toHaveLength(1);
    expect(section("defaults")).toContain("timeout server 2m\n    timeout tunnel 1h\n    maxconn 2000\n    retries 3\n    option redispatch");
    expect(section("frontend tls_in")).toContain(
      "bind [::]:443 v6only\n    tcp-request connection reject if { src 192.0.2.0/24 }\n    tcp-request inspect-delay 5s",
    );
    expect(section("backend http_cipher_wenzelarifiandi_com")).toContain("option httpchk GET /healthz");
    expect(grown.slice(grown.indexOf("backend http_no_route"))).toContain("retries 2");
  });
});

describe("haproxy.cfg in a hand-written file's layout, with typed server options and extras", () => {
  const r0 = neve.haproxy.routes[0];
  const hand = renderHaproxyConfig({
    ...neve.haproxy,
    tlsBinds: [
      { address: "0.0.0.0", port: 443, extra: ["tfo"] },
      { address: "::", port: 443, family: "v4v6" },
    ],
    routes: [
      {
        ...r0,
        names: { tlsBackend: "cipher_tls", httpBackend: "cipher_http", server: "cipher" },
        httpServer: {
          check: true,
          ssl: { verify: "none", sni: "str(cipher.example.com)" },
          backup: true,
          weight: 5,
          extra: ["on-marked-down shutdown-sessions"],
        },
      },
    ],
    names: { tls: "https_in", http: "http_in", stats: "monitor" },
    statsSection: "listen",
    omit: ["defaults: mode", "global: stats timeout", "stats: stats refresh"],
    extraLines: { global: ["stats timeout 1m"] },
    unrouted: "none",
    hostMatch: "header",
  });

  it("must pass `haproxy -c -f` without an alert or a warning", () => {
    if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run the render tests");
    const { dir, cleanup } = scratchDir("haproxy-hand-layout");
    try {
      const r = run(HAPROXY, ["-c", "-f", writeIn(dir, "haproxy.cfg", hand)]);
      expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.not.stringMatching(/\[(ALERT|WARNING)\]/) });
    } finally {
      cleanup();
    }
  });

  it("must render the stated names, listeners, server words and no default backend", () => {
    expect(hand).toContain("\nfrontend https_in\n");
    expect(hand).toContain("\nlisten monitor\n");
    expect(hand).toContain("    bind 0.0.0.0:443 tfo\n    bind [::]:443 v4v6\n");
    expect(hand).toContain("    use_backend cipher_http if { hdr(host) -i cipher.wenzelarifiandi.com }\n");
    expect(hand).toContain(
      "\nbackend cipher_http\n    mode http\n    server cipher 10.10.10.90:80 check ssl verify none sni str(cipher.example.com) backup weight 5 on-marked-down shutdown-sessions\n",
    );
    expect(hand).toMatch(/^ {4}stats timeout 1m$/m);
    expect(hand).not.toMatch(/default_backend|_no_route|^ {4}mode tcp\n {4}option dontlognull|stats refresh/m);
  });
});

describe("websockify options in the noVNC unit", () => {
  it("must pass --heartbeat, --idle-timeout and --timeout after --web", () => {
    const u = renderNovncUnit({ ...neve.novnc, heartbeat: 30, idleTimeout: 3600, timeout: 86400 });
    expect(u).toContain(
      "ExecStart=/usr/bin/websockify --web /usr/share/novnc --heartbeat 30 --idle-timeout 3600 --timeout 86400 0.0.0.0:6081 127.0.0.1:5981\n",
    );
  });

  it("must refuse a heartbeat that is not whole seconds, naming the field", () => {
    expect(() => renderNovncUnit({ ...neve.novnc, heartbeat: 0.5 })).toThrow(/novnc.heartbeat: must be whole seconds of at least 1/);
  });
});

describe("certificate fix-up: renew only near expiry", () => {
  const svc = renderFixPveCertsUnits({ onCalendar: "weekly", renew: { beforeExpiryDays: 30 } }).service;

  it("must skip the run by an ExecCondition unless the certificate expires within the days given", () => {
    expect(svc).toContain(`ExecCondition=/bin/sh -c '! /usr/bin/openssl x509 -checkend 2592000 -noout -in ${PVE_SSL_PEM}'\n`);
    expect(svc).toContain("ExecStart=/usr/bin/pvecm updatecerts --force\n");
    expect(renderFixPveCertsUnits({ onCalendar: "weekly" }).service).not.toContain("ExecCondition");
  });

  it("must refuse a number of days that is not whole, naming the field", () => {
    expect(() => renderFixPveCertsUnits({ onCalendar: "weekly", renew: { beforeExpiryDays: 1.5 } })).toThrow(
      /fixPveCerts.renew.beforeExpiryDays: must be whole days/,
    );
  });

  it.each([
    [10, 0, "runs: the certificate expires within 30 days"],
    [100, 1, "is skipped: the certificate is valid beyond 30 days"],
  ])("with a certificate valid %i days, the condition exits %i (the run %s), under the real openssl", (days, code) => {
    if (OPENSSL === null) throw new Error("openssl is not installed; install the Debian package openssl to run this test");
    const { dir, cleanup } = scratchDir("certs");
    try {
      const pem = `${dir}/pve-ssl.pem`;
      const gen = run(OPENSSL, [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${dir}/k.pem`,
        "-out",
        pem,
        "-days",
        String(days),
        "-subj",
        "/CN=neve",
      ]);
      expect(gen.status).toBe(0);
      const cond = /^ExecCondition=(.*)$/m.exec(svc)?.[1] ?? "";
      const sh = /^\/bin\/sh -c '(.*)'$/.exec(cond)?.[1] ?? "";
      expect(sh).not.toBe("");
      expect(run("/bin/sh", ["-c", sh.replace(PVE_SSL_PEM, pem).replace("/usr/bin/openssl", OPENSSL)]).status).toBe(code);
    } finally {
      cleanup();
    }
  });
});

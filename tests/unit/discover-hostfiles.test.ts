import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { haproxyExtraLineProblem, parseServerOptions, redactHaproxyCredentials, serverOptionsText } from "../../stacks/common/haproxy";
import { backendNameIssues } from "../../stacks/components/host/preflight";
import { declaredServices } from "../../stacks/components/host/registry";
import { hostServicesSchema } from "../../stacks/config/hostServices";
import type { NeveModel } from "../../stacks/config/model";
import { routeSchema } from "../../stacks/config/routes";
import type { HostFileFacts } from "../../stacks/discover/facts";
import { stateHostFiles, unstatedHostFiles } from "../../stacks/discover/hostfiles";
import { haproxyMeaningDiff, parseHaproxyConfig, stateHaproxy } from "../../stacks/discover/hostfiles/haproxy";
import { parseWebsockify, unitMeaningDiff } from "../../stacks/discover/hostfiles/units";
import { readLive } from "../../stacks/discover/read";
import { liveVocabulary } from "../../stacks/discover/vocab";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { renderHaproxyConfig } from "../../stacks/render";
import * as neve from "../render/neve.fixture";
import { run, scratchDir, which, writeIn } from "../render/tools";
import { runScript } from "../support/scriptRun";

// Issue 12, host files: the live haproxy.cfg, noVNC unit and certificate fix-up unit/timer carry
// directives the model had no field for (tests/fixtures/pve-neve-hand, written by hand). --write states
// them, and the render of the written stack file is equal in meaning to each live file (haproxy -c
// accepts it); what cannot be stated is reported line by line.

const REPO = path.resolve(__dirname, "..", "..");
const HAND = path.join(REPO, "tests", "fixtures", "pve-neve-hand");
const STACK = fs.readFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), "utf8");
const HAPROXY = which("haproxy");

const HAND_FILES = {
  "/etc/haproxy/haproxy.cfg": "etc/haproxy/haproxy.cfg",
  "/etc/systemd/system/novnc-1201.service": "etc/systemd/system/novnc-1201.service",
  "/etc/systemd/system/fix-pve-certs.service": "etc/systemd/system/fix-pve-certs.service",
  "/etc/systemd/system/fix-pve-certs.timer": "etc/systemd/system/fix-pve-certs.timer",
};

function handFacts(over: Partial<Record<string, string>> = {}): Record<string, HostFileFacts> {
  const out: Record<string, HostFileFacts> = {};
  for (const [p, rel] of Object.entries(HAND_FILES)) {
    const content = over[p] ?? fs.readFileSync(path.join(HAND, rel), "utf8");
    out[p] = { path: p, exists: true, kind: "file", content, mode: "0644", owner: "root", group: "root" };
  }
  return out;
}

function rendered(model: NeveModel, p: string): string {
  for (const s of declaredServices(model)) for (const f of s.spec.files) if (f.path === p) return s.render(f.role);
  throw new Error(`${p} is not declared`);
}

function haproxyCheck(text: string) {
  if (HAPROXY === null) throw new Error("haproxy is not installed; install the Debian package haproxy to run this test");
  const { dir, cleanup } = scratchDir("haproxy-hand");
  try {
    return run(HAPROXY, ["-c", "-f", writeIn(dir, "haproxy.cfg", text)]);
  } finally {
    cleanup();
  }
}

describe("haproxy.cfg: meaning, not spelling", () => {
  it("must read sections and directives without comments, collapsing white space outside quotes", () => {
    const s = parseHaproxyConfig('global\n\tlog /dev/log\tlocal0 # syslog\n\nbackend b\n  http-request return string "a  #b"\n');
    expect(s).toEqual([
      { kind: "global", name: "", lines: ["log /dev/log local0"] },
      { kind: "backend", name: "b", lines: ['http-request return string "a  #b"'] },
    ]);
  });

  it("must call two files equal that differ only in directive order, white space, comments and time spelling", () => {
    const a = "defaults\n  timeout client 60s\n  mode tcp\nbackend b\n  server s 1.2.3.4:443 send-proxy-v2 check inter 10s\n";
    const b = "# x\nbackend b\n\tserver s 1.2.3.4:443 check inter 10000 send-proxy-v2\ndefaults\n\tmode tcp\n\ttimeout client 1m\n";
    expect(haproxyMeaningDiff(a, b)).toEqual([]);
  });

  it("must compare extra server keywords as the sequence of their words (their arity is unknown), typed keywords in any order", () => {
    expect(
      haproxyMeaningDiff(
        "backend b\n server s 1.2.3.4:80 resolvers dns check init-addr none\n",
        "backend b\n server s 1.2.3.4:80 check resolvers dns init-addr none\n",
      ),
    ).toEqual([]);
    expect(haproxyMeaningDiff("backend b\n server s 1.2.3.4:80 check weight 5 backup\n", "backend b\n server s 1.2.3.4:80 backup weight 5 check\n")).toEqual(
      [],
    );
    expect(
      haproxyMeaningDiff("backend b\n server s 1.2.3.4:80 init-addr none resolvers dns\n", "backend b\n server s 1.2.3.4:80 resolvers dns init-addr none\n"),
    ).not.toEqual([]);
  });

  it("must state a listener's options the model has no field for as the bind's extra, so the render is equal in meaning", () => {
    const live = renderHaproxyConfig(neve.haproxy)
      .replace("bind 0.0.0.0:443", "bind :443 accept-proxy tfo")
      .replace("bind [::]:443 v6only", "bind :::443 v4v6");
    const model = modelFromText(STACK);
    const st = stateHaproxy(live, model);
    expect(st.find((s) => s.path.join(".") === "neve-infra:hostServices.haproxy.binds.tls")?.value).toEqual([
      { address: "0.0.0.0", port: 443, extra: ["accept-proxy tfo"] },
      { address: "::", port: 443, family: "v4v6" },
    ]);
    const bindsOf = (text: string) =>
      parseHaproxyConfig(text)
        .find((x) => x.name === "tls_in")
        ?.lines.filter((l) => l.startsWith("bind "));
    const hx = {
      ...neve.haproxy,
      tlsBinds: [
        { address: "0.0.0.0", port: 443, extra: ["accept-proxy tfo"] },
        { address: "::", port: 443, family: "v4v6" as const },
      ],
    };
    expect(bindsOf(renderHaproxyConfig(hx))).toEqual(["bind 0.0.0.0:443 accept-proxy tfo", "bind [::]:443 v4v6"]);
    expect(haproxyMeaningDiff(live, renderHaproxyConfig(hx))).toEqual([]);
    expect(hostServicesSchema.safeParse({ haproxy: { binds: { tls: [{ address: "::", port: 443, extra: ["v6only"] }] } } }).error?.issues[0].message).toMatch(
      /have their own field, family/,
    );
  });

  it("must name each directive the render would drop, add or change", () => {
    const diff = haproxyMeaningDiff(
      "listen x\n  bind :1\nbackend b\n  server s 1.2.3.4:443 check ssl verify none\n",
      "backend b\n  server s 1.2.3.4:443 check\n",
    );
    expect(diff).toEqual([
      'section "listen x" (1 directives): the stack has no place for it; the render would drop it',
      'backend b: live "server s 1.2.3.4:443 check ssl verify=none" would be dropped or changed',
      'backend b: the render adds "server s 1.2.3.4:443 check"',
    ]);
  });

  it("must state server options it can, and return the rest apart", () => {
    expect(parseServerOptions("check port 443 inter 10s rise 2 fall 3 send-proxy-v2 maxconn 500".split(" "))).toEqual({
      options: { check: { port: 443, inter: "10s", rise: 2, fall: 3 }, sendProxy: "v2", maxconn: 500 },
      unknown: [],
    });
    expect(parseServerOptions("check ssl verify none sni str(x) ca-file /etc/ssl/ca.pem backup weight 10 on-marked-down shutdown-sessions".split(" "))).toEqual(
      {
        options: {
          check: true,
          ssl: { verify: "none", sni: "str(x)", caFile: "/etc/ssl/ca.pem" },
          backup: true,
          weight: 10,
          extra: ["on-marked-down shutdown-sessions"],
        },
        unknown: [],
      },
    );
    // A typed keyword with a bad argument, or sni without ssl, has no field: returned apart, never dropped.
    expect(parseServerOptions(["weight", "heavy", "sni", "str(x)"]).unknown).toEqual(["weight heavy", "sni str(x) (without ssl)"]);
    expect(serverOptionsText({ check: true, ssl: { verify: "required", caFile: "/x.pem" }, backup: true, weight: 5, extra: ["resolvers dns"] })).toBe(
      "check ssl verify required ca-file /x.pem backup weight 5 resolvers dns",
    );
    expect(serverOptionsText({ check: { port: 443, inter: "10s" }, sendProxy: "v1" })).toBe("check port 443 inter 10s send-proxy");
    expect(serverOptionsText({ check: false })).toBe("");
  });
});

describe("haproxy escape hatch: one predicate for schema and renderer", () => {
  it.each([
    ["global", "tune.bufsize 32768", null],
    ["defaults", "retries 3", null],
    ["frontend", "tcp-request connection reject if { src 192.0.2.0/24 }", null],
    ["backend", "option httpchk GET /healthz", null],
    ["global", "maxconn 10", /rendered by the model; state it through hostServices.haproxy.maxconn/],
    ["defaults", "timeout client 30s", /hostServices.haproxy.defaults.timeouts.client/],
    ["backend", "server x 1.2.3.4:80", /the route's httpsServer \/ httpServer options/],
    ["frontend", "use_backend x if y", /rendered by the model/],
    ["global", "retries 3\nbackend evil", /line break, NUL/],
    ["global", "a\u0000b", /line break, NUL/],
    ["global", "backend x", /opens a section/],
    ["global", "  ", /is empty/],
  ] as const)("a %s line %j", (kind, line, want) => {
    const p = haproxyExtraLineProblem(kind, line);
    if (want === null) expect(p).toBeNull();
    else expect(p).toMatch(want);
  });

  it("must refuse an owned directive in the stack file, naming the field and the fix", () => {
    const r = hostServicesSchema.safeParse({ haproxy: { extraLines: { global: ["maxconn 5"] } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "haproxy.extraLines.global.0",
        expect.stringMatching(/"maxconn" in a global section is rendered by the model; state it through hostServices.haproxy.maxconn/),
      ],
    ]);
  });

  it("must refuse a line with a newline in the stack file", () => {
    const r = hostServicesSchema.safeParse({ haproxy: { extraLines: { backends: { tls_x: ["retries 3\nlisten y"] } } } });
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["haproxy.extraLines.backends.tls_x.0", expect.stringMatching(/contains a line break/)],
    ]);
  });

  it("must refuse a bad server option and a bad timeout in the stack file", () => {
    const bad = routeSchema.safeParse({ hostname: "a.example.com", guest: "a", httpsServer: { sendProxy: "v3", check: { inter: "10 s" } } });
    const text = JSON.stringify(bad.error?.issues);
    expect(text).toMatch(/"path":\["httpsServer","sendProxy"\].*must be v1 \(send-proxy\) or v2/);
    expect(text).toMatch(/must be true, false or \{ port, inter, rise, fall \}|haproxy time/);
  });

  it.each([
    ["a section name with a space", { haproxy: { names: { tls: "tls in" } } }, "haproxy.names.tls", /must be a haproxy name of letters, digits/],
    ["an omit entry outside the closed set", { haproxy: { omit: ["defaults: retries"] } }, "haproxy.omit.0", /must be one of global: stats timeout, /],
    [
      "a bind family that is not v4v6/v6only",
      { haproxy: { binds: { tls: [{ address: "::", port: 443, family: "dual" }] } } },
      "haproxy.binds.tls.0.family",
      /v4v6 or v6only/,
    ],
    [
      "a bind address that is not an IP",
      { haproxy: { binds: { http: [{ address: "any", port: 80 }] } } },
      "haproxy.binds.http.0.address",
      /IPv4 or IPv6 address/,
    ],
    ["an unknown unrouted mode", { haproxy: { unrouted: "drop" } }, "haproxy.unrouted", /reject or none/],
  ])("the schema must refuse %s, naming the field", (_what, input, field, msg) => {
    const r = hostServicesSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([[field, expect.stringMatching(msg)]]);
  });

  it.each([
    ["a typed keyword as an extra", { extra: ["check inter 5s"] }, "httpsServer.extra.0", /"check" has its own field/],
    ["an extra with a quote", { extra: ['set-proxy-v2-tlv-fmt(0x20) "%[fc_pp_tlv(0x20)]"'] }, "httpsServer.extra.0", /is not a plain word/],
    ["an extra with a comment", { extra: ["resolvers dns # x"] }, "httpsServer.extra.0", /is not a plain word/],
    ["a weight above 256", { weight: 300 }, "httpsServer.weight", /at most 256/],
    ["an ssl verify mode haproxy lacks", { ssl: { verify: "optional" } }, "httpsServer.ssl.verify", /none or required/],
    ["an sni with a space", { ssl: { sni: "str(a b)" } }, "httpsServer.ssl.sni", /one word/],
    ["a route backend name with a slash", undefined, "names.tlsBackend", /haproxy name/],
  ])("the route schema must refuse %s, naming the field", (_what, server, field, msg) => {
    const r = routeSchema.safeParse({
      hostname: "a.example.com",
      guest: "a",
      ...(server ? { httpsServer: server } : { names: { tlsBackend: "tls/a" } }),
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([[field, expect.stringMatching(msg)]]);
  });

  it("the schema must refuse an extra line that restates a standard line still rendered, naming the omit entry (the renderer's predicate)", () => {
    const bad = hostServicesSchema.safeParse({ haproxy: { extraLines: { frontends: { http_in: ["timeout http-request 5s"] } } } });
    expect(bad.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["haproxy.extraLines.frontends.http_in.0", expect.stringMatching(/add "http: timeout http-request" to hostServices.haproxy.omit/)],
    ]);
    expect(
      hostServicesSchema.safeParse({ haproxy: { omit: ["http: timeout http-request"], extraLines: { frontends: { http_in: ["timeout http-request 5s"] } } } })
        .success,
    ).toBe(true);
  });

  it("the renderer must refuse an extra line that restates a standard line it still renders, naming the omit entry that frees it", () => {
    expect(() => renderHaproxyConfig({ ...neve.haproxy, extraLines: { global: ["stats timeout 1m"] } })).toThrow(
      /haproxy.extraLines.global\[0\]: "stats timeout 1m" restates the model's "stats timeout 30s"; add "global: stats timeout" to hostServices.haproxy.omit/,
    );
    expect(renderHaproxyConfig({ ...neve.haproxy, omit: ["global: stats timeout"], extraLines: { global: ["stats timeout 1m"] } })).toMatch(
      /^ {4}stats timeout 1m$/m,
    );
  });

  it("the program must refuse two routes whose stated backend names clash, naming the routes[].names field", () => {
    const m = modelFromText(STACK);
    const r0 = m.routes[0];
    const model = { ...m, routes: [r0, { ...r0, hostname: "b.example.com", names: { tlsBackend: `tls_${r0.hostname.replace(/\./g, "_")}` } }] };
    expect(backendNameIssues(model)).toEqual([
      {
        path: "routes[1].names.tlsBackend",
        message: `b.example.com gives the haproxy backend name tls_cipher_wenzelarifiandi_com, as routes[0] does; rename one (routes[].names)`,
      },
    ]);
  });

  it("the renderer must refuse two routes whose stated backend names clash", () => {
    const r0 = neve.haproxy.routes[0];
    expect(() =>
      renderHaproxyConfig({
        ...neve.haproxy,
        routes: [
          { ...r0, names: { tlsBackend: "web" } },
          { ...r0, hostname: "b.example.com", names: { tlsBackend: "web" } },
        ],
      }),
    ).toThrow(/backend name/);
  });

  it("the renderer must refuse extra lines for a backend the file does not have, naming the backends it has", () => {
    expect(() => renderHaproxyConfig({ ...neve.haproxy, extraLines: { backends: { tls_nope: ["retries 3"] } } })).toThrow(
      /haproxy.extraLines.backends.tls_nope: is not a backend of this file; use one of \["tls_cipher_wenzelarifiandi_com"/,
    );
    expect(() => renderHaproxyConfig({ ...neve.haproxy, extraLines: { global: ["daemon"] } })).toThrow(
      /haproxy.extraLines.global\[0\]: .*rendered by the model/,
    );
  });
});

describe("the hand-written fixture (tests/fixtures/pve-neve-hand)", () => {
  const model = modelFromText(STACK);

  it("its haproxy.cfg must pass `haproxy -c` (it is a real config)", () => {
    const r = haproxyCheck(handFacts()["/etc/haproxy/haproxy.cfg"].content as string);
    expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.stringContaining("Configuration file is valid") });
  });

  it("today's stack would drop send-proxy-v2, the check's port and timings, the timeouts and the hand directives (the finding)", () => {
    const diff = haproxyMeaningDiff(handFacts()["/etc/haproxy/haproxy.cfg"].content as string, rendered(model, "/etc/haproxy/haproxy.cfg"));
    expect(diff.join("\n")).toMatch(/send-proxy-v2/);
    expect(diff.join("\n")).toMatch(/tune.bufsize 32768/);
    expect(diff.join("\n")).toMatch(/live "timeout server 120000ms"/);
    expect(diff.join("\n")).not.toMatch(/timeout client/);
    expect(
      unitMeaningDiff(handFacts()["/etc/systemd/system/novnc-1201.service"].content as string, rendered(model, "/etc/systemd/system/novnc-1201.service")).join(
        "\n",
      ),
    ).toMatch(/--heartbeat=30/);
  });

  it("must state the route's server options, the global/defaults fields and the extra lines", () => {
    const st = stateHaproxy(handFacts()["/etc/haproxy/haproxy.cfg"].content as string, model);
    const by = Object.fromEntries(st.map((s) => [s.path.join("."), s.value]));
    expect(by["neve-infra:routes.0.httpsServer"]).toEqual({ check: { port: 443, inter: "10s", rise: 2, fall: 3 }, sendProxy: "v2", maxconn: 500 });
    expect(by["neve-infra:routes.0.httpServer"]).toEqual({ check: { inter: "10s" }, weight: 100, extra: ["on-marked-down shutdown-sessions"] });
    expect(by["neve-infra:hostServices.haproxy.maxconn"]).toBe(4096);
    expect(by["neve-infra:hostServices.haproxy.defaults.timeouts"]).toEqual({ connect: "5s", client: "1m", server: "2m", tunnel: "1h" });
    expect(by["neve-infra:hostServices.haproxy.extraLines"]).toEqual({
      global: ["ca-base /etc/ssl/certs", "crt-base /etc/ssl/private", "tune.ssl.default-dh-param 2048", "tune.bufsize 32768"],
      defaults: ["retries 3", "option redispatch"],
      frontends: { tls_in: ["tcp-request connection reject if { src 192.0.2.0/24 }"], http_in: ["http-request set-header X-Forwarded-Proto http"], stats: [] },
      backends: { http_cipher_wenzelarifiandi_com: ["option httpchk GET /healthz"] },
    });
  });

  it("a route that takes unrouted connections (default_backend to its backends) is stated as hostServices.haproxy.fallback, nothing left", async () => {
    const live = handFacts()["/etc/haproxy/haproxy.cfg"].content as string;
    const routed = live
      .replace("default_backend tls_no_route", "default_backend tls_cipher_wenzelarifiandi_com")
      .replace("default_backend http_no_route", "default_backend http_cipher_wenzelarifiandi_com");
    const cfg = routed.slice(0, routed.indexOf("backend tls_no_route"));
    expect(haproxyCheck(cfg).status).toBe(0);
    const hostFiles = handFacts({ "/etc/haproxy/haproxy.cfg": cfg });
    const facts = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const result = writeStack(STACK, model, liveVocabulary(facts), { now: "2026-12-07T00:00:00Z", hostFiles });
    expect(result.choices).toContain("hostServices.haproxy.fallback: cipher.wenzelarifiandi.com (live default_backend lines)");
    expect(result.choices.filter((c) => c.startsWith("  left: /etc/haproxy"))).toEqual([]);
    const model2 = modelFromText(result.text);
    expect(haproxyMeaningDiff(cfg, rendered(model2, "/etc/haproxy/haproxy.cfg"))).toEqual([]);
  });

  it("websockify's options are read from ExecStart in either spelling", () => {
    const p = parseWebsockify("/usr/bin/websockify --heartbeat=30 --web /usr/share/novnc --idle-timeout 3600 0.0.0.0:6081 127.0.0.1:5981");
    expect([...p.options]).toEqual([
      ["--heartbeat", "30"],
      ["--web", "/usr/share/novnc"],
      ["--idle-timeout", "3600"],
    ]);
    expect(p.positional).toEqual(["0.0.0.0:6081", "127.0.0.1:5981"]);
  });

  it("round trip: live files -> --write -> every render equal in meaning to its live file, haproxy -c accepts it, nothing left", async () => {
    const facts = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const hostFiles = handFacts();
    const before = JSON.stringify(hostFiles);
    const result = writeStack(STACK, model, liveVocabulary(facts), { now: "2026-12-07T00:00:00Z", hostFiles });
    expect(result.choices.filter((c) => /left: \/etc\/|cannot state/.test(c))).toEqual([]);
    expect(result.choices).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^routes\[0\]\.httpsServer: .*send-proxy|^routes\[0\]\.httpsServer: .*"sendProxy":"v2"/),
        "hostServices.novnc[0].heartbeat: 30 (live websockify --heartbeat)",
        'hostServices.fixPveCerts.renew: {"beforeExpiryDays":30} (live unit: renews only when the certificate expires within that many days)',
        "hostServices.fixPveCerts.onCalendar: Sun *-*-* 04:00 (live timer; was monthly)",
      ]),
    );
    const model2 = modelFromText(result.text);
    for (const p of Object.keys(HAND_FILES)) {
      const r = rendered(model2, p);
      const diff = p.endsWith("haproxy.cfg") ? haproxyMeaningDiff(hostFiles[p].content as string, r) : unitMeaningDiff(hostFiles[p].content as string, r);
      expect({ p, diff }).toEqual({ p, diff: [] });
    }
    expect(unstatedHostFiles(model2, hostFiles)).toEqual([]);
    const r = haproxyCheck(rendered(model2, "/etc/haproxy/haproxy.cfg"));
    expect({ status: r.status, out: r.stderr + r.stdout }).toEqual({ status: 0, out: expect.not.stringMatching(/\[ALERT\]/) });
    // A second --write states nothing more for these files.
    expect(stateHostFiles(model2, hostFiles)).toEqual([]);
    expect(JSON.stringify(hostFiles)).toBe(before);
  });

  it("a `stats auth` password is never stated in the stack file nor printed: the line is left (counted), shown as [secret]", async () => {
    const PASSWORD = "NOT-A-REAL-SECRET-pw";
    const cfg = handFacts()["/etc/haproxy/haproxy.cfg"].content!.replace("\tstats refresh 10s\n", `\tstats refresh 10s\n\tstats auth admin:${PASSWORD}\n`);
    expect(cfg).toContain(PASSWORD);
    const hostFiles = handFacts({ "/etc/haproxy/haproxy.cfg": cfg });
    const facts = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const result = writeStack(STACK, model, liveVocabulary(facts), { now: "2026-12-07T00:00:00Z", hostFiles });
    expect(result.text).not.toContain(PASSWORD);
    expect(result.choices.join("\n")).not.toContain(PASSWORD);
    expect(result.choices).toContain('  left: /etc/haproxy/haproxy.cfg: frontend stats: live "stats auth admin:[secret]" would be dropped or changed');
    expect(haproxyMeaningDiff(cfg, renderHaproxyConfig(neve.haproxy))).toContain(
      'frontend stats: live "stats auth admin:[secret]" would be dropped or changed',
    );
    // The schema's predicate refuses it as an extra line, without echoing the password.
    const problem = haproxyExtraLineProblem("frontend", `stats auth admin:${PASSWORD}`);
    expect(problem).toContain("carries a password");
    expect(problem).not.toContain(PASSWORD);
    // A userlist's passwords (a section the model has no place for) are never printed either.
    expect(redactHaproxyCredentials(`-\tuser admin insecure-password ${PASSWORD}\n+\tstats auth ops:${PASSWORD}`)).toBe(
      "-\tuser admin insecure-password [secret]\n+\tstats auth ops:[secret]",
    );
  });

  it("what the stack cannot state (a listen section beside the model's) is reported, never dropped silently; ssl on a server is stated", async () => {
    const cfg = `${handFacts()["/etc/haproxy/haproxy.cfg"].content}\nlisten legacy\n\tbind 127.0.0.1:9000\n\tserver old 10.10.10.5:9000\n`.replace(
      "10.10.10.90:80 check inter 10s on-marked-down shutdown-sessions weight 100",
      "10.10.10.90:80 check inter 10s ssl verify none",
    );
    const hostFiles = handFacts({ "/etc/haproxy/haproxy.cfg": cfg });
    const facts = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const result = writeStack(STACK, model, liveVocabulary(facts), { now: "2026-12-07T00:00:00Z", hostFiles });
    const left = result.choices.filter((c) => c.startsWith("  left: /etc/haproxy/haproxy.cfg"));
    expect(left.join("\n")).toMatch(/section "listen legacy" \(2 directives\): the stack has no place for it/);
    expect(left).toHaveLength(1);
    expect(result.choices).toContain(
      'routes[0].httpServer: {"check":{"inter":"10s"},"ssl":{"verify":"none"}} (live server line of http_cipher_wenzelarifiandi_com)',
    );
  });

  it("end to end: discover --root (pve-neve + these files) --write, then npm run plan --files renders each file equal in meaning, and the copy is unchanged", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neve-hand-"));
    try {
      const root = path.join(tmp, "root");
      fs.cpSync(path.join(REPO, "tests", "fixtures", "pve-neve"), root, { recursive: true, verbatimSymlinks: true });
      fs.cpSync(path.join(HAND, "etc"), path.join(root, "etc"), { recursive: true });
      const stack = path.join(tmp, "s.yaml");
      fs.writeFileSync(stack, STACK);
      // Any exit: other objects of the copy still differ; the host files are what is asserted here.
      const { stdout: out } = await runScript("discover", "--root", root, "--config", stack, "--write");
      expect(out).toMatch(/host files read \(.*haproxy.cfg.*\): each renders equal in meaning to the live file/);
      expect((await runScript("plan", "--config", stack, "--files", path.join(tmp, "out"))).code).toBe(0);
      for (const [p, rel] of Object.entries(HAND_FILES)) {
        const live = fs.readFileSync(path.join(HAND, rel), "utf8");
        const r = fs.readFileSync(path.join(tmp, "out", p), "utf8");
        expect({ p, diff: p.endsWith(".cfg") ? haproxyMeaningDiff(live, r) : unitMeaningDiff(live, r) }).toEqual({ p, diff: [] });
      }
      const r = haproxyCheck(fs.readFileSync(path.join(tmp, "out", "etc", "haproxy", "haproxy.cfg"), "utf8"));
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dnsmasqServerMeaning, dnsmasqServerProblem, parseDnsmasqLine } from "../../stacks/common/dnsmasqDirectives";
import { declaredServices } from "../../stacks/components/host/registry";
import type { NeveModel } from "../../stacks/config/model";
import { checkStack } from "../../stacks/discover/check";
import type { HostFileFacts } from "../../stacks/discover/facts";
import { stateHostFiles, unstatedHostFiles } from "../../stacks/discover/hostfiles";
import { dnsmasqMeaningDiff, stateDnsmasq } from "../../stacks/discover/hostfiles/dnsmasq";
import { readLive } from "../../stacks/discover/read";
import { liveVocabulary } from "../../stacks/discover/vocab";
import { modelFromText, writeStack } from "../../stacks/discover/write";
import { run, scratchDir, which, writeIn } from "../render/tools";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 12, host files, dnsmasq: the live drop-in carries upstream servers, no-resolv, domain/local,
// cache-size, another lease time and a guest's dhcp-host reservation (tests/fixtures/pve-neve-hand,
// written by hand). --write states them (the reservation on the guest), the render of the written stack
// file is equal in meaning to the live file and the real `dnsmasq --test` accepts it.

const REPO = path.resolve(__dirname, "..", "..");
const HAND = path.join(REPO, "tests", "fixtures", "pve-neve-hand");
const STACK = fs.readFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), "utf8");
const DNSMASQ = which("dnsmasq");
const CONF = "/etc/dnsmasq.d/neve-vmbr1.conf";
const LIVE = fs.readFileSync(path.join(HAND, "etc", "dnsmasq.d", "neve-vmbr1.conf"), "utf8");

function facts(content = LIVE): Record<string, HostFileFacts> {
  return { [CONF]: { path: CONF, exists: true, kind: "file", content, mode: "0644", owner: "root", group: "root" } };
}

function rendered(model: NeveModel): string {
  for (const s of declaredServices(model)) for (const f of s.spec.files) if (f.path === CONF) return s.render(f.role);
  throw new Error(`${CONF} is not declared`);
}

function dnsmasqTest(text: string) {
  if (DNSMASQ === null) throw new Error("dnsmasq is not installed; install the Debian package dnsmasq-base to run this test");
  const { dir, cleanup } = scratchDir("dnsmasq-hand");
  try {
    return run(DNSMASQ, ["--test", `--conf-file=${writeIn(dir, "neve-vmbr1.conf", text)}`]);
  } finally {
    cleanup();
  }
}

describe("dnsmasq: meaning, not spelling", () => {
  it("must read a line as dnsmasq does: a # after white space is a comment, a # inside a value is not", () => {
    expect(parseDnsmasqLine("server=9.9.9.9#53\t# quad9")).toEqual({ key: "server", value: "9.9.9.9#53" });
    expect(parseDnsmasqLine("  local = /neve.lan/ ")).toEqual({ key: "local", value: "/neve.lan/" });
    expect(parseDnsmasqLine("no-resolv")).toEqual({ key: "no-resolv", value: null });
    expect(parseDnsmasqLine("# server=1.1.1.1")).toBeNull();
  });

  it.each([
    ["1.1.1.1#53", "1.1.1.1"],
    ["/Home.Arpa/192.168.1.1", "/home.arpa/192.168.1.1"],
    ["2606:4700:4700:0:0:0:0:1111", "2606:4700:4700::1111"],
    ["10.0.0.53#5353", "10.0.0.53#5353"],
    ["/corp/", "/corp/"],
  ])("server=%s means server=%s", (a, b) => {
    expect(dnsmasqServerMeaning(a)).toBe(b);
  });

  it.each([
    ["1.1.1", /not an IPv4 or IPv6 address/],
    ["1.1.1.1#dns", /port "dns"/],
    ["/corp", /never closes/],
    ["", /upstream DNS server/],
  ])("server=%j is refused", (v, msg) => {
    expect(dnsmasqServerProblem(v)).toMatch(msg);
  });

  it("must call two files equal that differ in comments, order, repeated flags and spelling", () => {
    const a =
      "no-resolv\nserver=1.1.1.1#53\nserver=9.9.9.9\nbogus-priv\nbogus-priv\nlocal=/lan/\ndhcp-option=3,10.0.0.1\ndhcp-range=10.0.0.100,10.0.0.200,12h\ndhcp-host=BC:24:11:00:00:01,10.0.0.5,a\n";
    const b =
      "# x\ndhcp-host=bc:24:11:00:00:01,10.0.0.5,a\nserver=9.9.9.9\nserver=/lan/\nserver=1.1.1.1\nbogus-priv\ndhcp-range=10.0.0.100,10.0.0.200,720m\n  no-resolv\ndhcp-option=option:router,10.0.0.1\n";
    expect(dnsmasqMeaningDiff(a, b)).toEqual([]);
  });

  it("must keep the order of servers under strict-order, and name what the render would drop or add", () => {
    expect(dnsmasqMeaningDiff("strict-order\nserver=1.1.1.1\nserver=9.9.9.9\n", "strict-order\nserver=9.9.9.9\nserver=1.1.1.1\n")).toEqual([
      'dnsmasq: live "server (in this order, strict-order)=1.1.1.1 ; 9.9.9.9" would be dropped or changed',
      'dnsmasq: the render adds "server (in this order, strict-order)=9.9.9.9 ; 1.1.1.1"',
    ]);
    expect(dnsmasqMeaningDiff("no-resolv\ncache-size=1000\n", "cache-size=150\n")).toEqual([
      'dnsmasq: live "cache-size=1000" would be dropped or changed',
      'dnsmasq: live "no-resolv" would be dropped or changed',
      'dnsmasq: the render adds "cache-size=150"',
    ]);
  });
});

describe("the hand-written drop-in (tests/fixtures/pve-neve-hand/etc/dnsmasq.d/neve-vmbr1.conf)", () => {
  const model = modelFromText(STACK);

  it("is a real config: `dnsmasq --test` accepts it", () => {
    const r = dnsmasqTest(LIVE);
    expect({ status: r.status, out: r.stderr }).toEqual({ status: 0, out: expect.stringContaining("syntax check OK") });
  });

  it("today's stack would drop no-resolv, the upstream servers, domain/local, cache-size and etoile's reservation (the finding)", () => {
    const diff = dnsmasqMeaningDiff(LIVE, rendered(model)).join("\n");
    for (const l of ["no-resolv", "server=1.1.1.1", "server=9.9.9.9", "domain=neve.lan", "server=/neve.lan/", "cache-size=1000", "dhcp-host=bc:24:11:5e:7a:21"])
      expect(diff).toContain(`live "${l}`);
  });

  it("must state the fields, the guest's reservation and the extra lines", () => {
    const by = Object.fromEntries(stateDnsmasq(LIVE, model).map((s) => [s.path.join("."), s.value]));
    expect(by).toEqual({
      "neve-infra:hostServices.dnsmasq.servers": ["1.1.1.1", "9.9.9.9#53", "/home.arpa/192.168.1.1"],
      "neve-infra:hostServices.dnsmasq.noResolv": true,
      "neve-infra:hostServices.dnsmasq.domain": "neve.lan",
      "neve-infra:hostServices.dnsmasq.cacheSize": 1000,
      "neve-infra:hostServices.dnsmasq.leaseTime": "24h",
      "neve-infra:guests.etoile.mac": "BC:24:11:5E:7A:21",
      "neve-infra:guests.etoile.dhcpReserved": "10.10.10.2",
      "neve-infra:hostServices.dnsmasq.extraLines": [
        "dhcp-host=02:00:00:aa:bb:cc,10.10.10.210,printer",
        "log-queries",
        "dhcp-option=option:ntp-server,10.10.10.1",
      ],
    });
  });

  it("round trip: --write, then the render is equal in meaning, dnsmasq --test accepts it, nothing is left, the facts are unchanged", async () => {
    const live = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const hostFiles = facts();
    const before = JSON.stringify(hostFiles);
    const result = writeStack(STACK, model, liveVocabulary(live), { now: "2026-12-07T00:00:00Z", hostFiles });
    expect(result.choices.filter((c) => c.includes(CONF))).toEqual([`host files read (${CONF}): each renders equal in meaning to the live file`]);
    expect(result.choices).toEqual(
      expect.arrayContaining([
        "guests.etoile.dhcpReserved: 10.10.10.2 (live dhcp-host: dnsmasq reserves it for the MAC)",
        "hostServices.dnsmasq.noResolv: true (live no-resolv)",
      ]),
    );
    const model2 = modelFromText(result.text);
    const r = rendered(model2);
    expect(dnsmasqMeaningDiff(LIVE, r)).toEqual([]);
    expect(unstatedHostFiles(model2, hostFiles)).toEqual([]);
    expect(stateHostFiles(model2, hostFiles)).toEqual([]);
    expect(r).toContain("dhcp-host=bc:24:11:5e:7a:21,10.10.10.2,etoile\n");
    const t = dnsmasqTest(r);
    expect({ status: t.status, out: t.stderr }).toEqual({ status: 0, out: expect.stringContaining("syntax check OK") });
    expect(JSON.stringify(hostFiles)).toBe(before);
  });

  it("--check compares a stated guest MAC with net0's, without case (the reservation's MAC must be the guest's)", async () => {
    const live = liveVocabulary(await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] }));
    const macOf = (mac: string) => {
      const text = STACK.replace("      ipv4: 10.10.10.2\n", `      ipv4: 10.10.10.2\n      mac: "${mac}"\n      dhcpReserved: 10.10.10.2\n`);
      return checkStack(modelFromText(text), live).changes.filter((c) => c.path === "guests.etoile.mac");
    };
    expect(macOf("bc:24:11:5e:7a:21")).toEqual([]);
    expect(macOf("BC:24:11:5E:7A:99")).toEqual([expect.objectContaining({ live: "BC:24:11:5E:7A:21", declared: "BC:24:11:5E:7A:99", recorded: true })]);
  });

  it("what the stack cannot state (another interface, another range, a missing flag) is reported, never dropped silently", async () => {
    const edited = LIVE.replace("dhcp-range=10.10.10.100,", "dhcp-range=10.10.10.120,")
      .replace(/^bogus-priv\n/gm, "")
      .concat("interface=vmbr9\n");
    const live = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const result = writeStack(STACK, model, liveVocabulary(live), { now: "2026-12-07T00:00:00Z", hostFiles: facts(edited) });
    const left = result.choices.filter((c) => c.startsWith(`  left: ${CONF}`)).join("\n");
    expect(left).toContain('live "interface=vmbr9" would be dropped or changed');
    expect(left).toContain('live "dhcp-range=10.10.10.120,10.10.10.200,255.255.255.0,86400" would be dropped or changed');
    expect(left).toContain('the render adds "bogus-priv"');
  });

  it("a dhcp-host it cannot state on a guest that names the guest's address is left (reported), never written as an extra line the stack refuses", async () => {
    const edited = `${LIVE}dhcp-host=bc:24:11:a3:5c:90,set:web,10.10.10.90,cipher,infinite\n`;
    const live = await readLive({ kind: "root", dir: path.join(REPO, "tests", "fixtures", "pve-neve") }, { node: "neve", files: [] });
    const result = writeStack(STACK, model, liveVocabulary(live), { now: "2026-12-07T00:00:00Z", hostFiles: facts(edited) });
    expect(modelFromText(result.text).hostServices.dnsmasq.extraLines).not.toContainEqual(expect.stringContaining("10.10.10.90"));
    expect(result.choices.filter((c) => c.startsWith(`  left: ${CONF}`)).join("\n")).toContain(
      'live "dhcp-host=bc:24:11:a3:5c:90,set:web,10.10.10.90,cipher,infinite" would be dropped or changed',
    );
  });

  it("end to end: discover --root (pve-neve + pve-neve-hand) --write, then plan --files renders the drop-in equal in meaning; the copy is unchanged", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neve-dnsmasq-"));
    try {
      const root = path.join(tmp, "root");
      fs.cpSync(path.join(REPO, "tests", "fixtures", "pve-neve"), root, { recursive: true, verbatimSymlinks: true });
      fs.cpSync(path.join(HAND, "etc"), path.join(root, "etc"), { recursive: true });
      const hashBefore = treeHash(root);
      const stack = path.join(tmp, "s.yaml");
      fs.writeFileSync(stack, STACK);
      // Any exit: other objects of the copy still differ; the drop-in is what is asserted here.
      const discover = async (...args: string[]) => (await runScript("discover", "--root", root, "--config", stack, ...args)).stdout;
      const section = (out: string) => out.slice(out.indexOf(`differs   ${CONF}`)).split(/\n {2}(?=\S)/)[0];
      // Before: --check counts the file and names each live directive the render would drop, by meaning.
      const before = section(await discover("--check"));
      expect(before).toMatch(/counted: the up would replace \/etc\/dnsmasq.d\/neve-vmbr1.conf/);
      expect(before).toMatch(/\d+ differences in meaning/);
      for (const l of ["no-resolv", "server=1.1.1.1", "dhcp-host=bc:24:11:5e:7a:21,10.10.10.2,etoile", "cache-size=1000"])
        expect(before).toContain(`dnsmasq: live "${l}" would be dropped or changed`);
      expect(before).not.toContain('live "server=9.9.9.9#53"'); // spelling: 9.9.9.9#53 is 9.9.9.9
      const out = await discover("--write");
      expect(out).toMatch(/host files read \(.*neve-vmbr1\.conf.*\): each renders equal in meaning to the live file/);
      expect(fs.readFileSync(stack, "utf8")).toMatch(/dhcpReserved: 10\.10\.10\.2/);
      // After: equal in meaning (comments, order, spelling differ): shown, not counted.
      const after = section(await discover("--check"));
      expect(after).toMatch(/equal in meaning: .*not counted/);
      expect(after).not.toMatch(/differences? in meaning|counted: the up/);
      expect((await runScript("plan", "--config", stack, "--files", path.join(tmp, "out"))).code).toBe(0);
      const r = fs.readFileSync(path.join(tmp, "out", CONF), "utf8");
      expect(dnsmasqMeaningDiff(LIVE, r)).toEqual([]);
      expect(dnsmasqTest(r).status).toBe(0);
      expect(treeHash(root)).toBe(hashBefore);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 12 item 5 (firewall completeness): on neve's files with the firewall files a year of GUI and
// hand edits left (tests/fixtures/pve-neve-fw overlaid on tests/fixtures/pve-neve: IP sets with a
// nomatch entry, aliases, a security group and a GROUP rule, DNS and Ping macros, -log, -sport,
// -icmp-type, cluster options, host.fw options and rules, a guest's own .fw), `discover --check`
// exits 1 naming each; `--write` states each (a macro as the macro, a set as `+set`); then no
// firewall line is counted and, once the host files it cannot state are acknowledged, `--check`
// exits 0. The copies are not modified. Everything through the command's entry point.

const REPO = path.resolve(__dirname, "..", "..");
const BASE = path.join(REPO, "tests", "fixtures", "pve-neve");
const OVERLAY = path.join(REPO, "tests", "fixtures", "pve-neve-fw");
const run = promisify(execFile);

const discover = (...args: string[]) => runScript("discover", ...args);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "discover-fw-"));
const host = path.join(work, "host");
const stackCopy = path.join(work, "Pulumi.neve.yaml");
let beforeBase = "";
let beforeOverlay = "";
let beforeHost = "";
let check: Awaited<ReturnType<typeof discover>>;
let write: Awaited<ReturnType<typeof discover>>;
let afterWrite: Awaited<ReturnType<typeof discover>>;
let after: Awaited<ReturnType<typeof discover>>;
let firewall: Record<string, any>;
let planRules: Array<Record<string, unknown>>;

beforeAll(async () => {
  beforeBase = treeHash(BASE);
  beforeOverlay = treeHash(OVERLAY);
  fs.cpSync(BASE, host, { recursive: true, verbatimSymlinks: true });
  fs.cpSync(OVERLAY, host, { recursive: true, verbatimSymlinks: true });
  fs.rmSync(path.join(host, "README.md"), { force: true });
  beforeHost = treeHash(host);
  fs.copyFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), stackCopy);
  check = await discover("--root", host, "--check", "--config", stackCopy);
  write = await discover("--root", host, "--write", "--config", stackCopy);
  afterWrite = await discover("--root", host, "--check", "--config", stackCopy);
  const counted = [...afterWrite.stdout.matchAll(/counted: the up would replace (\S+);/g)].map((m) => m[1]);
  if (counted.length) await discover("--root", host, "--write", "--config", stackCopy, ...counted.flatMap((f) => ["--acknowledge-file", f]));
  after = await discover("--root", host, "--check", "--config", stackCopy);
  firewall = parseDocument(fs.readFileSync(stackCopy, "utf8")).toJS().config["neve-infra:firewall"];
  const plan = await run(
    process.execPath,
    ["--require", path.join(REPO, "scripts", "register.js"), path.join(REPO, "scripts", "plan.ts"), "--json", "--config", stackCopy],
    {
      cwd: REPO,
      maxBuffer: 32 * 1024 * 1024,
    },
  );
  const rules = JSON.parse(plan.stdout).resources.find((r: { type: string }) => r.type === "proxmoxve:firewall/rulesLegacy:RulesLegacy");
  planRules = rules.inputs.rules;
}, 300_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("discover --check on the copy with hand-shaped firewall files", () => {
  it("must exit 1", () => {
    expect(check.stderr).toBe("");
    expect(check.code).toBe(1);
  });

  it.each([
    ["cluster.fw's other options", "firewall options: live {ebtables: 0, log_ratelimit: burst=10,enable=1,rate=5/second}, declared {}"],
    ["the IP sets, nomatch entry included", "firewall ipsets: live {blocklist: [!198.51.100.7, 198.51.100.0/24, 203.0.113.0/24], management: [100.94.229.96]}"],
    ["the aliases", "firewall aliases: live {lan: 10.10.10.0/24, tailnet: 100.64.0.0/10}"],
    ["the security group", "firewall groups: live {tailnet-admin: [IN SSH(ACCEPT) -source tailnet # SSH from the tailnet]}"],
    ["the GROUP rule", "[0] live GROUP tailnet-admin # operator access from the tailnet"],
    ["the DNS macro as the macro", "live IN DNS(ACCEPT) -i vmbr1 -source lan # DNS from guests to dnsmasq"],
    ["Ping as the macro", "live IN Ping(ACCEPT)"],
    ["an IP set source with -log info", "live IN ACCEPT -source +management -p tcp -dport 8006 -log info # web UI from management hosts"],
    ["a source port", "live IN ACCEPT -i vmbr1 -p udp -sport 123 # NTP replies to guests' queries"],
    ["an ICMP type", "live IN ACCEPT -p icmp -icmp-type echo-reply"],
    ["host.fw's options", "firewall hostOptions: live {enable: 1, log_level_in: nolog, nosmurfs: 1, tcpflags: 1}, declared {}"],
    ["host.fw's rules", "firewall hostRules: live 2 rules, declared 0"],
    ["host.fw's DROP of every protocol from the set", "[0] live IN DROP -source +blocklist -log info # abusive ranges, declared (none)"],
  ])("must name %s", (_what, line) => {
    expect(check.stdout).toContain(line);
  });

  it("must report the guest's own firewall file, not count it, and say why", () => {
    expect(check.stdout).toContain(
      "Note: /etc/pve/firewall/1201.fw: guest 1201's own firewall (enabled, 2 rules, enable: 1, policy_in: DROP) is not managed by the stack and left alone",
    );
    expect(check.stdout).toContain("not to the host's access");
  });
});

describe("--write, then --check", () => {
  it("must write the firewall as the files state it: macros as macros, sets and aliases as references, the group, host.fw", () => {
    expect(write.stderr).toBe("");
    expect(firewall.rules[0]).toEqual({ name: "operator-access-from-the-tailnet", group: "tailnet-admin", comment: "operator access from the tailnet" });
    expect(firewall.rules).toContainEqual(expect.objectContaining({ action: "ACCEPT", macro: "DNS", source: "lan", iface: "vmbr1" }));
    expect(firewall.rules).toContainEqual({ name: "ping", action: "ACCEPT", macro: "Ping" });
    expect(firewall.rules).toContainEqual(expect.objectContaining({ source: "+management", dports: [8006], log: "info" }));
    expect(firewall.rules).toContainEqual(expect.objectContaining({ proto: "udp", sports: [123], iface: "vmbr1" }));
    expect(firewall.rules).toContainEqual(expect.objectContaining({ proto: "icmp", icmpType: "echo-reply" }));
    expect(firewall.ipsets.blocklist).toEqual(["!198.51.100.7", "198.51.100.0/24", "203.0.113.0/24"]);
    expect(firewall.aliases).toEqual({ lan: "10.10.10.0/24", tailnet: "100.64.0.0/10" });
    expect(firewall.groups["tailnet-admin"].rules).toEqual([
      { name: "ssh-from-the-tailnet", action: "ACCEPT", macro: "SSH", source: "tailnet", comment: "SSH from the tailnet" },
    ]);
    expect(firewall.options).toEqual({ ebtables: "0", log_ratelimit: "burst=10,enable=1,rate=5/second" });
    expect(firewall.hostOptions).toEqual({ enable: "1", log_level_in: "nolog", nosmurfs: "1", tcpflags: "1" });
    expect(firewall.hostRules[0]).toEqual({
      name: "abusive-ranges",
      action: "DROP",
      proto: "any",
      source: "+blocklist",
      log: "info",
      comment: "abusive ranges",
    });
  });

  it("must leave no firewall line counted after the write", () => {
    expect(afterWrite.stderr).toBe("");
    expect(afterWrite.stdout).toContain("Changes the first `pulumi up` would make (or recorded fields that differ): 0");
    expect(afterWrite.stdout).not.toMatch(/^ {2}firewall /m);
  });

  it("must exit 0 once the host files it cannot state are acknowledged", () => {
    expect(after.stdout).toContain("Result: nothing that exists on the host would change (exit 0).");
    expect(after.code).toBe(0);
  });

  it("must declare the provider's rule list as the files state it (npm run plan -- --json): a group as the group, a macro as the macro", () => {
    expect(planRules[0]).toEqual({
      securityGroup: "tailnet-admin",
      comment: "operator-access-from-the-tailnet: operator access from the tailnet",
      enabled: true,
    });
    expect(planRules).toContainEqual(expect.objectContaining({ type: "in", action: "ACCEPT", macro: "DNS", source: "lan", iface: "vmbr1" }));
    expect(planRules.find((r) => r.macro === "DNS")).not.toHaveProperty("proto");
    expect(planRules).toContainEqual(expect.objectContaining({ source: "+management", dport: "8006", log: "info" }));
    expect(planRules).toContainEqual(expect.objectContaining({ proto: "udp", sport: "123" }));
  });

  it("must not modify the fixtures or the copy of the host's files", () => {
    expect(treeHash(BASE)).toBe(beforeBase);
    expect(treeHash(OVERLAY)).toBe(beforeOverlay);
    expect(treeHash(host)).toBe(beforeHost);
  });
});

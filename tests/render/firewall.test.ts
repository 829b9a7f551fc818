/**
 * cluster.fw and host.fw rendered from the stack (stacks/render/firewall.ts, host service pve-firewall): read back
 * through discover's own cluster.fw parser they give the same model (round trip), and equal in meaning to the
 * fixture's live cluster.fw where the stack states it. Plus the service's files, order and validators.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { preflightHostServices } from "../../stacks/components/host/preflight";
import { pushDependencies } from "../../stacks/components/host/pushOrder";
import { declaredServices, HOST_SERVICE_KINDS } from "../../stacks/components/host/registry";
import { ConfigError, parseStackConfig } from "../../stacks/config";
import type { NeveModel } from "../../stacks/config/model";
import type { FirewallFacts } from "../../stacks/discover/facts";
import { parseFirewall } from "../../stacks/discover/parse/firewall";
import { CLUSTER_FW_PATH, type FirewallFilesModel, type FwRuleModel } from "../../stacks/render";
import { FIXTURE_STACK_FILE, type Raw, rawConfig } from "../support/stacks";

const LIVE_CLUSTER_FW = path.join(path.dirname(FIXTURE_STACK_FILE), "pve-neve", "etc", "pve", "firewall", "cluster.fw");

/** The fixture stack with the files managed and `edit` applied. */
function model(edit: (fw: Raw, raw: Raw) => void = () => {}): NeveModel {
  const raw = rawConfig();
  raw.firewall.filesManaged = true;
  edit(raw.firewall, raw);
  return parseStackConfig(raw);
}

/** The pve-firewall service's render model and its two rendered files. */
function firewallService(m: NeveModel) {
  const s = declaredServices(m).find((d) => d.kind === "pve-firewall");
  if (!s) throw new Error("no pve-firewall service declared");
  return { s, model: s.instance.model as FirewallFilesModel & { node: string }, cluster: s.render("config"), host: s.render("hostRules") };
}

/** A parsed rule back in the render model's terms: `# name: comment` split, proto as the schema defaults it. */
function ruleFromFacts(r: FirewallFacts["rules"][number]): FwRuleModel {
  const [name, ...rest] = (r.comment ?? "").split(": ");
  const group = r.type === "group" ? r.action : null;
  const ports = (v: string | undefined) => (v === undefined ? [] : v.split(",").map(Number));
  return {
    name,
    // The schema fills ACCEPT for a GROUP rule; no `-p` on a plain rule is `any`, on a macro or group the default tcp.
    action: (group === null ? r.action : "ACCEPT") as FwRuleModel["action"],
    direction: r.type === "out" ? "out" : "in",
    macro: r.macro ?? null,
    group,
    proto: r.proto ?? (r.macro !== undefined || group !== null ? "tcp" : "any"),
    source: r.source ?? null,
    dest: r.dest ?? null,
    dports: ports(r.dport),
    sports: ports(r.sport),
    log: r.log === undefined || r.log === "nolog" ? null : r.log,
    icmpType: r.icmpType ?? null,
    iface: r.iface ?? null,
    comment: rest.length ? rest.join(": ") : null,
    enabled: r.enabled,
  };
}

/** The render model read back from the two files by discover's parser. */
function readBack(cluster: FirewallFacts, host: FirewallFacts): FirewallFilesModel {
  const opt = new Map(cluster.options);
  const { enable: _e, policy_in: _i, policy_out: _o, ...options } = Object.fromEntries(cluster.options);
  return {
    enabled: opt.get("enable") === "1",
    inputPolicy: opt.get("policy_in") as FirewallFilesModel["inputPolicy"],
    outputPolicy: opt.get("policy_out") as FirewallFilesModel["outputPolicy"],
    aliases: cluster.aliases ?? {},
    ipsets: cluster.ipsets ?? {},
    rules: cluster.rules.map(ruleFromFacts),
    hostRules: host.rules.map(ruleFromFacts),
    groups: Object.fromEntries(
      Object.entries(cluster.groups ?? {}).map(([g, grp]) => [g, { comment: grp.comment ?? null, rules: grp.rules.map(ruleFromFacts) }]),
    ),
    options,
    hostOptions: Object.fromEntries(host.options),
  };
}

/**
 * What a firewall file means to pve-firewall, for comparing two spellings: options with their defaults
 * (Firewall.pm: `policy_in` DROP, `policy_out` ACCEPT, `enable` off), aliases, IP sets, and each enabled rule
 * with its macro expanded (`SSH` is tcp 22, `Ping` icmp: the macros the fixture uses) and one entry per port;
 * comments and `-log nolog` (no log, the rule default) carry no meaning. Disabled rules are kept apart: they
 * apply nothing, but a stack that drops one drops what the operator kept.
 */
function meaning(f: FirewallFacts) {
  const opt = new Map(f.options);
  const macros: Record<string, { proto: string; dports: string[] }> = { ssh: { proto: "tcp", dports: ["22"] }, ping: { proto: "icmp", dports: [] } };
  const expand = (r: FirewallFacts["rules"][number]) => {
    const m = r.macro ? macros[r.macro.toLowerCase()] : undefined;
    if (r.macro && !m) throw new Error(`macro ${r.macro} not in the test's table`);
    const proto = m ? m.proto : r.proto;
    const ports = m ? m.dports : (r.dport?.split(",") ?? []);
    const base = `${r.type} ${r.action} proto=${proto} src=${r.source ?? "any"} dst=${r.dest ?? "any"} if=${r.iface ?? "any"} log=${r.log === undefined || r.log === "nolog" ? "nolog" : r.log}`;
    return ports.length ? ports.map((p) => `${base} dport=${p}`) : [base];
  };
  return {
    enable: opt.get("enable") === "1",
    policyIn: opt.get("policy_in") ?? "DROP",
    policyOut: opt.get("policy_out") ?? "ACCEPT",
    aliases: f.aliases ?? {},
    ipsets: f.ipsets ?? {},
    rules: f.rules.filter((r) => r.enabled).flatMap(expand),
    disabled: f.rules.filter((r) => !r.enabled).flatMap(expand),
    unparsed: f.unparsed ?? [],
  };
}

describe("the firewall files renderer", () => {
  const full = model((fw) => {
    fw.aliases = { tailnet: "100.64.0.0/10", pbs: "10.10.10.91" };
    fw.ipsets = { management: ["100.94.229.96", "tailnet"], blocked: ["203.0.113.0/24", "!203.0.113.7"] };
    fw.rules.unshift({ name: "blocklist", action: "DROP", proto: "tcp", source: "+blocked", comment: "known scanners" });
    fw.rules.push(
      { name: "ping", action: "ACCEPT", macro: "Ping" },
      { name: "spice-off", action: "ACCEPT", proto: "tcp", dports: [3128], enabled: false, comment: "SPICE proxy, off since noVNC" },
      { name: "to-etoile", action: "ACCEPT", proto: "tcp", source: "tailnet", dest: "etoile", dports: [8007] },
    );
    // Every rule form the schema can state: a GROUP reference and its group, an OUT rule, no `-p`, `-sport`, `-log`, `-icmp-type`.
    fw.groups = { admins: { comment: "the operator, from the tailnet", rules: [{ name: "g-ssh", action: "ACCEPT", macro: "SSH", source: "tailnet" }] } };
    fw.rules.push(
      { name: "admins", group: "admins", iface: "tailscale0", comment: "operator access" },
      { name: "ntp-replies", action: "ACCEPT", proto: "udp", iface: "vmbr1", sports: [123], log: "info" },
      { name: "echo-reply", action: "ACCEPT", proto: "icmp", icmpType: "echo-reply" },
      { name: "no-smtp-out", action: "DROP", direction: "out", proto: "tcp", dports: [25] },
      { name: "lan-any", action: "ACCEPT", proto: "any", iface: "vmbr1", source: "10.10.10.0/24" },
    );
    fw.options = { ebtables: "0", log_ratelimit: "burst=10,enable=1,rate=5/second" };
    fw.hostOptions = { nosmurfs: "1", tcpflags: "1" };
    fw.hostRules = [{ name: "host-ssh", action: "ACCEPT", macro: "SSH", source: "100.64.0.0/10", comment: "node rule: SSH from the tailnet" }];
  });
  const { model: m, cluster, host } = firewallService(full);

  it("must read back through discover's own cluster.fw parser as the same model (options, aliases, IP sets, rules of every form, groups, host options and rules)", () => {
    const c = parseFirewall(cluster);
    const h = parseFirewall(host);
    expect(c.unparsed).toBeUndefined();
    expect(h.unparsed).toBeUndefined();
    const { node: _node, ...files } = m;
    expect(readBack(c, h)).toEqual(files);
    // The guest name is written as its address (the stack's resolution), macros as Macro(ACTION).
    expect(cluster).toContain("IN ACCEPT -source tailnet -dest 10.10.10.2 -p tcp -dport 8007 # to-etoile\n");
    expect(cluster).toContain("IN Ping(ACCEPT) # ping\n");
    expect(cluster).toContain("|IN ACCEPT -p tcp -dport 3128 # spice-off: SPICE proxy, off since noVNC\n");
    expect(host).toContain("IN SSH(ACCEPT) -source 100.64.0.0/10 # host-ssh: node rule: SSH from the tailnet\n");
    expect(cluster).toContain("GROUP admins -i tailscale0 # admins: operator access\n");
    expect(cluster).toContain("\n[group admins] # the operator, from the tailnet\n\nIN SSH(ACCEPT) -source tailnet # g-ssh\n");
    expect(cluster).toContain("OUT DROP -p tcp -dport 25 # no-smtp-out\n");
    expect(cluster).toContain("IN ACCEPT -i vmbr1 -source 10.10.10.0/24 # lan-any\n");
    expect(cluster).toContain("IN ACCEPT -i vmbr1 -p udp -sport 123 -log info # ntp-replies\n");
    expect(cluster).toContain("\nebtables: 0\nenable: 1\nlog_ratelimit: burst=10,enable=1,rate=5/second\n");
    expect(host).toContain("[OPTIONS]\n\nnosmurfs: 1\ntcpflags: 1\n");
    expect(host).not.toMatch(/\[(ALIASES|IPSET|group)/);
  });

  it("must say the same as the fixture's live cluster.fw when the stack states what it says", () => {
    const live = parseFirewall(fs.readFileSync(LIVE_CLUSTER_FW, "utf8"));
    const stated = model((fw) => {
      fw.aliases = { tailnet: "100.64.0.0/10" };
      fw.ipsets = { management: ["100.94.229.96"] };
      fw.rules = [
        { name: "ssh", action: "ACCEPT", macro: "SSH", source: "100.64.0.0/10", comment: "SSH from the tailnet" },
        { name: "webui", action: "ACCEPT", proto: "tcp", source: "100.64.0.0/10", dports: [8006], comment: "web UI from the tailnet" },
        { name: "edge", action: "ACCEPT", proto: "tcp", dports: [80, 443], comment: "haproxy: HTTP and TLS passthrough" },
        { name: "dhcp", action: "ACCEPT", proto: "udp", iface: "vmbr1", dports: [67], comment: "DHCP from guests to dnsmasq" },
        { name: "spice", action: "ACCEPT", proto: "tcp", dports: [3128], enabled: false, comment: "SPICE proxy, off since noVNC" },
        { name: "ping", action: "ACCEPT", macro: "Ping" },
      ];
    });
    expect(meaning(parseFirewall(firewallService(stated).cluster))).toEqual(meaning(live));
  });

  it("must render the frozen fixture stack's options as the live file has them, and its rules as the stack states them", () => {
    const live = meaning(parseFirewall(fs.readFileSync(LIVE_CLUSTER_FW, "utf8")));
    const ours = meaning(parseFirewall(firewallService(model()).cluster));
    expect({ enable: ours.enable, policyIn: ours.policyIn, policyOut: ours.policyOut }).toEqual({
      enable: live.enable,
      policyIn: live.policyIn,
      policyOut: live.policyOut,
    });
    // The fixture stack states two DNS rules the live file lacks and not its Ping rule: the meaning differs exactly there.
    expect(ours.rules.filter((r) => !live.rules.includes(r))).toEqual([
      "in ACCEPT proto=udp src=10.10.10.0/24 dst=any if=vmbr1 log=nolog dport=53",
      "in ACCEPT proto=tcp src=10.10.10.0/24 dst=any if=vmbr1 log=nolog dport=53",
    ]);
    expect(live.rules.filter((r) => !ours.rules.includes(r))).toEqual(["in ACCEPT proto=icmp src=any dst=any if=any log=nolog"]);
  });

  it.each([
    [
      "a macro rule with its own ports",
      (fw: Raw) => fw.rules.push({ name: "x", action: "ACCEPT", macro: "SSH", dports: [2222] }),
      "firewall.rules[7].dports: a macro rule (SSH)",
    ],
    [
      "ports on icmp",
      (fw: Raw) => fw.rules.push({ name: "x", action: "ACCEPT", proto: "icmp", dports: [1] }),
      "firewall.rules[7].dports: dports need proto tcp or udp",
    ],
    [
      "a comment with a line break",
      (fw: Raw) => fw.rules.push({ name: "x", action: "DROP", proto: "tcp", dports: [25], comment: "a\nb" }),
      "firewall.rules[7].comment: ",
    ],
  ])("must refuse %s, naming the stack-file field", (_what, edit, expected) => {
    let message = "";
    try {
      const m2 = model(edit);
      preflightHostServices(m2);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      message = e.message;
    }
    expect(message).toContain(expected);
  });

  it("must be pushed as pmxcfs files (0640 root:www-data), access-critical, kept on delete, right after the interfaces file", () => {
    const { s } = firewallService(full);
    expect(s.spec.files.map((f) => [f.role, f.path, f.mode, f.owner, f.group])).toEqual([
      ["config", CLUSTER_FW_PATH, "0640", "root", "www-data"],
      ["hostRules", "/etc/pve/nodes/neve/host.fw", "0640", "root", "www-data"],
    ]);
    expect(s.spec.accessCritical).toBe(true);
    expect(s.spec.keepOnDelete).toBe(true);
    expect(HOST_SERVICE_KINDS.slice(0, 2)).toEqual(["network-interfaces", "pve-firewall"]);
    // Alone among the access-critical services: it waits for every service before it, everything after waits for it.
    const services = declaredServices(full);
    const i = services.findIndex((d) => d.kind === "pve-firewall");
    expect(i).toBe(0);
    const waits = pushDependencies(services.map((d) => ({ accessCritical: d.spec.accessCritical })));
    services.forEach((_, k) => {
      if (k > i) expect(waits[k].some((j) => j >= i)).toBe(true);
    });
  });

  it("must not be declared while firewall.filesManaged is off, and must refuse being on without the host services", () => {
    const raw = rawConfig();
    expect(declaredServices(parseStackConfig(raw)).some((d) => d.kind === "pve-firewall")).toBe(false);
    raw.firewall.filesManaged = true;
    raw.hostServices.enabled = false;
    expect(() => parseStackConfig(raw)).toThrow(/firewall\.filesManaged: is true but hostServices\.enabled is false/);
  });

  it("must say on a host without pve-firewall's Perl modules that the staged copy was checked by the stack only (and pass it)", () => {
    const { s } = firewallService(full);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-fw-"));
    try {
      const staged = path.join(dir, "cluster.fw");
      fs.writeFileSync(staged, cluster);
      const cmd = s.spec.files[0].validate[0].split("{staged}").join(`'${staged}'`);
      const perl = spawnSync("perl", ["-MPVE::Firewall", "-e", "1"]).status === 0;
      const r = spawnSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });
      if (perl) {
        console.log("PVE::Firewall is installed here: its parser checked the staged copy");
        expect(r.status).toBe(0);
      } else {
        expect(r.stdout).toContain("PVE::Firewall is not installed here: cluster.fw checked by the stack only");
        expect(r.status).toBe(0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("must refuse a staged file for which pve-firewall's parser warns, reading host.fw against the staged cluster.fw (a stand-in PVE::Firewall)", () => {
    // STAND-IN for pve-firewall's Perl module (absent here), on PERL5LIB: its loaders warn for each line
    // containing BAD, as generic_fw_config_parser warns for a line it skips; the host loader records which
    // cluster file it was given. It proves the validator's wrapper (warnings refuse, arguments in order), not the parser.
    const { s: svc } = firewallService(full);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-fw-perl-"));
    try {
      fs.mkdirSync(path.join(dir, "lib", "PVE"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "lib", "PVE", "Firewall.pm"),
        [
          "package PVE::Firewall;",
          'sub scan { my ($f) = @_; open(my $h, \'<\', $f) or die "cannot read $f\\n"; while (<$h>) { warn "$f (line $.): skip line\\n" if /BAD/ } close $h; return { file => $f } }',
          "sub load_clusterfw_conf { my ($f) = @_; return scan($f) }",
          'sub load_hostfw_conf { my ($c, $f) = @_; print "cluster=$c->{file}\\n"; return scan($f) }',
          "1;",
        ].join("\n"),
      );
      const cl = path.join(dir, "cluster.fw");
      const hf = path.join(dir, "host.fw");
      const run = (k: number, cluster: string, host: string) => {
        fs.writeFileSync(cl, cluster);
        fs.writeFileSync(hf, host);
        const cmd = svc.spec.files[k].validate[0]
          .split(`{staged:${CLUSTER_FW_PATH}}`)
          .join(`'${cl}'`)
          .split("{staged}")
          .join(`'${k === 0 ? cl : hf}'`);
        return spawnSync("/bin/sh", ["-c", cmd], { encoding: "utf8", env: { ...process.env, PERL5LIB: path.join(dir, "lib") } });
      };
      if (spawnSync("perl", ["-e", "1"]).status !== 0) {
        console.log("skipped: no perl on this machine");
        return;
      }
      expect(run(0, cluster, host)).toMatchObject({ status: 0, stderr: "" });
      expect(run(0, `${cluster}IN BAD\n`, host)).toMatchObject({ status: 1, stderr: expect.stringContaining("skip line") });
      const h = run(1, cluster, host);
      expect(h).toMatchObject({ status: 0, stdout: `cluster=${cl}\n` });
      expect(run(1, cluster, `${host}IN BAD\n`).status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("the activation (against a scripted stand-in pve-firewall on PATH)", () => {
    /** Run the activation with a `pve-firewall` whose compile prints `warn` on stderr and whose status is pending `pending` times. */
    function activate(opts: { installed?: boolean; warn?: string; pending?: number }) {
      const { s: svc } = firewallService(full);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-fw-act-"));
      try {
        if (opts.installed !== false)
          fs.writeFileSync(
            path.join(dir, "pve-firewall"),
            `#!/bin/sh\n# TEST STAND-IN for pve-firewall: scripted answers only\necho "$*" >> ${dir}/calls\n` +
              `case "$1" in compile) ${opts.warn ? `echo '${opts.warn}' >&2` : ":"} ;; restart) : ;; ` +
              `status) n=$(cat ${dir}/n 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/n; if [ "$n" -lt ${opts.pending ?? 0} ]; then echo 'Status: enabled/running (pending changes)'; else echo 'Status: enabled/running'; fi ;; esac\n`,
            { mode: 0o755 },
          );
        const r = spawnSync("/bin/sh", ["-c", svc.spec.activate as string], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
        const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
        return { status: r.status, stderr: r.stderr, calls };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it("must compile, restart, and wait while pve-firewall status reports pending changes", () => {
      expect(activate({ pending: 2 })).toEqual({ status: 0, stderr: "", calls: ["compile", "restart", "status", "status", "status"] });
    });

    it("must fail, before any restart, when pve-firewall compile warns (a line it would skip)", () => {
      const r = activate({ warn: "cluster.fw (line 12): no such ipset x" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("pve-firewall compile warned (a line it would skip):\ncluster.fw (line 12): no such ipset x");
      expect(r.calls).toEqual(["compile"]);
    });

    it("must fail on a host without pve-firewall (nothing would apply the files)", () => {
      expect(activate({ installed: false })).toMatchObject({ status: 1, stderr: expect.stringContaining("pve-firewall is not installed on this host") });
    });
  });
});

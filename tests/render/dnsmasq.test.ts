import { type ChildProcess, spawn } from "node:child_process";
import { declaredServices } from "../../stacks/components/host/registry";
import { parseStackConfig } from "../../stacks/config";
import { type DnsmasqModel, renderDnsmasqConfig } from "../../stacks/render";
import { rawConfig } from "../support/stacks";
import { DHCP_PROBE_SCRIPT, type DhcpProbeResult } from "./dhcpProbe";
import * as neve from "./neve.fixture";
import { netns, run, scratchDir, which, writeIn } from "./tools";

const DNSMASQ = which("dnsmasq");

function dnsmasqTest(text: string) {
  if (DNSMASQ === null) throw new Error("dnsmasq is not installed; install the Debian package dnsmasq-base to run the render tests");
  const { dir, cleanup } = scratchDir("dnsmasq");
  try {
    return run(DNSMASQ, ["--test", `--conf-file=${writeIn(dir, "neve-vmbr1.conf", text)}`]);
  } finally {
    cleanup();
  }
}

describe("dnsmasq drop-in for vmbr1", () => {
  const text = renderDnsmasqConfig(neve.dnsmasq);
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

  it("is pinned as a whole", () => {
    expect(text).toMatchSnapshot();
  });

  it("must pass `dnsmasq --test`", () => {
    const r = dnsmasqTest(text);
    expect(r.stderr).toContain("syntax check OK");
    expect(r.status).toBe(0);
  });

  it("must serve DHCP .100-.200 with the host as router and DNS server", () => {
    expect(lines).toContain("dhcp-range=10.10.10.100,10.10.10.200,255.255.255.0,12h");
    expect(lines).toContain("dhcp-option=option:router,10.10.10.1");
    expect(lines).toContain("dhcp-option=option:dns-server,10.10.10.1");
    expect(lines.filter((l) => l.startsWith("dhcp-range="))).toHaveLength(1);
  });

  it("must answer on the private bridge only", () => {
    expect(lines.filter((l) => l.startsWith("interface="))).toEqual(["interface=vmbr1"]);
    expect(lines).toContain("bind-interfaces");
    for (const other of ["lo", "vmbr0", "tailscale0"]) expect(lines).toContain(`except-interface=${other}`);
    expect(lines.some((l) => l.startsWith("listen-address="))).toBe(false);
  });

  it("must render fixed leases and a local domain that dnsmasq accepts", () => {
    const t = renderDnsmasqConfig({
      ...neve.dnsmasq,
      domain: "neve.lan",
      staticHosts: [
        { mac: "BC:24:11:5A:0C:01", address: "10.10.10.50", hostname: "lune" },
        { mac: "bc:24:11:00:00:02", address: "10.10.10.2" },
      ],
    });
    expect(t).toContain("dhcp-host=bc:24:11:5a:0c:01,10.10.10.50,lune\n");
    expect(t).toContain("dhcp-host=bc:24:11:00:00:02,10.10.10.2\n");
    expect(t).toContain("domain=neve.lan\nlocal=/neve.lan/\n");
    expect(dnsmasqTest(t).status).toBe(0);
  });

  it("the `dnsmasq --test` check must be able to fail", () => {
    const r = dnsmasqTest(text.replace("dhcp-range=", "dhcp-rnage="));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/bad option|unrecognized option/i);
  });
});

const lune = { mac: "bc:24:11:5a:0c:01", address: "10.10.10.50", hostname: "lune" };
describe.each<[string, DnsmasqModel, string]>([
  ["a bad interface name", { ...neve.dnsmasq, interface: "vmbr1; rm" }, 'dnsmasq.interface: must be a network interface name such as "vmbr1"'],
  ["the served bridge excepted", { ...neve.dnsmasq, exceptInterfaces: ["vmbr1"] }, 'dnsmasq.exceptInterfaces[0]: "vmbr1" is the served interface itself'],
  [
    "a subnet with host bits",
    { ...neve.dnsmasq, subnet: "10.10.10.1/24" },
    "dnsmasq.subnet: 10.10.10.1/24 has host bits set; write the network address 10.10.10.0/24",
  ],
  ["a router outside the subnet", { ...neve.dnsmasq, router: "10.10.11.1" }, "dnsmasq.router: 10.10.11.1 is not a host address of 10.10.10.0/24"],
  [
    "a range end outside the subnet",
    { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.100", end: "10.10.10.255" } },
    "dnsmasq.dhcpRange.end: 10.10.10.255 is not a host address of 10.10.10.0/24",
  ],
  [
    "a reversed range",
    { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.200", end: "10.10.10.100" } },
    "dnsmasq.dhcpRange: starts at 10.10.10.200 after it ends at 10.10.10.100; swap them",
  ],
  [
    "the router inside the range",
    { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.1", end: "10.10.10.200" } },
    "dnsmasq.router: 10.10.10.1 lies in the DHCP range 10.10.10.1-10.10.10.200",
  ],
  [
    "a lease time typo",
    { ...neve.dnsmasq, leaseTime: "12hours" },
    'dnsmasq.leaseTime: must be seconds (at least 120), a number with m/h/d/w such as "12h", or "infinite"; got "12hours"',
  ],
  ["a lease too short", { ...neve.dnsmasq, leaseTime: "60" }, "dnsmasq.leaseTime: must be seconds (at least 120)"],
  [
    "a bad MAC",
    { ...neve.dnsmasq, staticHosts: [{ ...lune, mac: "bc:24:11:5a:0c" }] },
    'dnsmasq.staticHosts[0].mac: must be a MAC address such as "BC:24:11:5A:0C:01", got "bc:24:11:5a:0c"',
  ],
  [
    "a fixed lease inside the range",
    { ...neve.dnsmasq, staticHosts: [{ ...lune, address: "10.10.10.150" }] },
    "dnsmasq.staticHosts[0].address: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200; give fixed leases an address outside it",
  ],
  [
    "a fixed lease on the router",
    { ...neve.dnsmasq, staticHosts: [{ ...lune, address: "10.10.10.1" }] },
    "dnsmasq.staticHosts[0].address: 10.10.10.1 is the router's address",
  ],
  [
    "a hostname with dots",
    { ...neve.dnsmasq, staticHosts: [{ ...lune, hostname: "lune.lan" }] },
    'dnsmasq.staticHosts[0].hostname: must be a single lowercase DNS label such as "lune", got "lune.lan"',
  ],
  [
    "the same MAC twice",
    { ...neve.dnsmasq, staticHosts: [lune, { ...lune, address: "10.10.10.51", mac: "BC:24:11:5A:0C:01" }] },
    'dnsmasq.staticHosts[1]: MAC address "bc:24:11:5a:0c:01" is already used by dnsmasq.staticHosts[0]',
  ],
  [
    "the same address twice",
    { ...neve.dnsmasq, staticHosts: [lune, { ...lune, mac: "bc:24:11:00:00:09" }] },
    'dnsmasq.staticHosts[1]: address "10.10.10.50" is already used by dnsmasq.staticHosts[0]',
  ],
])("dnsmasq model with %s", (_name, model, message) => {
  it("must be refused with an error naming the field", () => {
    expect(() => renderDnsmasqConfig(model)).toThrow(message);
  });
});

// The real dnsmasq with the rendered drop-in, inside throwaway namespaces shaped like neve:
// a "host" namespace with bridge vmbr1 (10.10.10.1/24), a "public" vmbr0 and loopback, and two
// client namespaces, one plugged into vmbr1 and one into vmbr0. Nothing leaves these namespaces.
describe("dnsmasq with the rendered drop-in, live in namespaces", () => {
  const LAN_MAC = "02:00:00:00:01:01";
  const FIXED_MAC = "02:00:00:00:01:50";
  const PUBLIC_MAC = "02:00:00:00:02:01";
  let host: ReturnType<typeof netns>;
  let lanClient: ReturnType<typeof netns>;
  let publicClient: ReturnType<typeof netns>;
  let work: ReturnType<typeof scratchDir>;
  let dnsmasq: ChildProcess | undefined;
  let log = "";

  const sh = (ns: ReturnType<typeof netns>, args: string[]) => {
    const r = ns.exec(args);
    if (r.status !== 0) throw new Error(`${args.join(" ")} in ${ns.name}: ${r.stderr}`);
  };

  function probe(client: ReturnType<typeof netns>, mac: string, timeoutMs: number): DhcpProbeResult {
    const r = client.exec([process.execPath, "-e", DHCP_PROBE_SCRIPT, mac, String(timeoutMs)]);
    if (r.status !== 0) throw new Error(`DHCP probe failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as DhcpProbeResult;
  }

  beforeAll(async () => {
    if (DNSMASQ === null) throw new Error("dnsmasq is not installed; install the Debian package dnsmasq-base to run the render tests");
    work = scratchDir("dnsmasq-live");
    host = netns("render-dhcp-host");
    lanClient = netns("render-dhcp-lan");
    publicClient = netns("render-dhcp-pub");
    sh(host, ["ip", "link", "set", "lo", "up"]);
    sh(host, ["ip", "link", "add", "vmbr1", "type", "bridge"]);
    sh(host, ["ip", "addr", "add", "10.10.10.1/24", "dev", "vmbr1"]);
    sh(host, ["ip", "link", "set", "vmbr1", "up"]);
    sh(host, ["ip", "link", "add", "vmbr0", "type", "bridge"]);
    sh(host, ["ip", "addr", "add", "192.0.2.10/24", "dev", "vmbr0"]);
    sh(host, ["ip", "link", "set", "vmbr0", "up"]);
    for (const [client, bridge, port, mac] of [
      [lanClient, "vmbr1", "lan", LAN_MAC],
      [publicClient, "vmbr0", "pub", PUBLIC_MAC],
    ] as const) {
      sh(host, ["ip", "link", "add", `${port}-h`, "type", "veth", "peer", "name", "eth0", "netns", client.name]);
      sh(host, ["ip", "link", "set", `${port}-h`, "master", bridge]);
      sh(host, ["ip", "link", "set", `${port}-h`, "up"]);
      sh(client, ["ip", "link", "set", "eth0", "address", mac]);
      sh(client, ["ip", "link", "set", "eth0", "up"]);
      sh(client, ["ip", "route", "add", "255.255.255.255/32", "dev", "eth0"]);
    }
    // The fixed lease comes from the guest entry (guests.lune.mac + dhcpReserved), through the registry.
    const raw = rawConfig();
    Object.assign(raw.guests.lune, { mac: FIXED_MAC.toUpperCase(), dhcpReserved: "10.10.10.50" });
    const service = declaredServices(parseStackConfig(raw)).find((x) => x.kind === "dnsmasq");
    if (!service) throw new Error("the stack declares no dnsmasq");
    const text = service.render("config");
    if (!text.includes(`dhcp-host=${FIXED_MAC},10.10.10.50,lune\n`)) throw new Error(`the render has no reservation for lune:\n${text}`);
    const conf = writeIn(work.dir, "neve-vmbr1.conf", text);
    // --no-resolv/--no-hosts: no upstream server at all, so no query could ever leave.
    dnsmasq = spawn(
      "ip",
      [
        "netns",
        "exec",
        host.name,
        DNSMASQ,
        "--keep-in-foreground",
        `--conf-file=${conf}`,
        "--user=root",
        "--group=root",
        `--pid-file=${work.dir}/dnsmasq.pid`,
        `--dhcp-leasefile=${work.dir}/leases`,
        "--log-facility=-",
        "--no-resolv",
        "--no-hosts",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    dnsmasq.stdout!.on("data", (d) => (log += d));
    dnsmasq.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 60000;
    while (!host.exec(["ss", "-Hlnu"]).stdout.includes("10.10.10.1:53")) {
      if (dnsmasq.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    if (dnsmasq?.pid !== undefined && dnsmasq.exitCode === null) {
      const exited = new Promise((r) => dnsmasq!.once("exit", r));
      dnsmasq.kill("SIGTERM");
      const timer = setTimeout(() => dnsmasq?.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    for (const ns of [lanClient, publicClient, host]) ns?.remove();
    work?.cleanup();
  });

  it("must answer DNS on the private bridge only: never on loopback or the public bridge", () => {
    const listeners = [host.exec(["ss", "-Hlnu"]).stdout, host.exec(["ss", "-Hlnt"]).stdout]
      .join("\n")
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[3])
      .filter((a): a is string => a?.endsWith(":53"));
    expect(listeners).toContain("10.10.10.1:53");
    for (const a of listeners) expect(a).toMatch(/^10\.10\.10\.1:53$|%vmbr1:53$/);
  });

  // dnsmasq pings an address (up to 3 s) before offering it; the bound only ends a hang (a loaded machine is slow).
  it("must offer an address of .100-.200 with router and DNS 10.10.10.1 on vmbr1", () => {
    const offer = probe(lanClient, LAN_MAC, 30000);
    expect(offer).toMatchObject({ type: 2, server: "10.10.10.1", router: "10.10.10.1", dns: "10.10.10.1", netmask: "255.255.255.0", lease: 12 * 3600 });
    const last = Number(("yiaddr" in offer ? offer.yiaddr : "").split(".")[3]);
    expect(("yiaddr" in offer ? offer.yiaddr : "").startsWith("10.10.10.")).toBe(true);
    expect(last).toBeGreaterThanOrEqual(100);
    expect(last).toBeLessThanOrEqual(200);
  });

  it("must hand a guest with a DHCP reservation (guests.lune.mac + dhcpReserved) its reserved address", () => {
    // Re-plug the LAN client with the fixed MAC.
    lanClient.exec(["ip", "link", "set", "eth0", "address", FIXED_MAC]);
    try {
      expect(probe(lanClient, FIXED_MAC, 30000)).toMatchObject({ type: 2, yiaddr: "10.10.10.50", router: "10.10.10.1" });
    } finally {
      lanClient.exec(["ip", "link", "set", "eth0", "address", LAN_MAC]);
    }
  });

  it("must not offer anything on the public bridge", () => {
    expect(probe(publicClient, PUBLIC_MAC, 2000)).toEqual({ error: "no offer within 2000 ms" });
    expect(log).not.toMatch(/DHCPDISCOVER\(vmbr0\)/);
  });
});

describe("dnsmasq upstream servers, no-resolv, domain, local and cache-size (typed fields)", () => {
  const t = renderDnsmasqConfig({
    ...neve.dnsmasq,
    servers: ["1.1.1.1", "9.9.9.9#53", "/home.arpa/192.168.1.1", "2606:4700:4700::1111"],
    noResolv: true,
    domain: "neve.lan",
    local: ["neve.lan", "home.test"],
    cacheSize: 0,
  });
  const lines = t.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

  it("must render each field as its directive, servers in the stated order", () => {
    expect(lines.filter((l) => /^(server|local|no-resolv|domain|cache-size)(=|$)/.test(l))).toEqual([
      "domain=neve.lan",
      "local=/neve.lan/",
      "local=/home.test/",
      "no-resolv",
      "server=1.1.1.1",
      "server=9.9.9.9#53",
      "server=/home.arpa/192.168.1.1",
      "server=2606:4700:4700::1111",
      "cache-size=0",
    ]);
  });

  it("must pass `dnsmasq --test`", () => {
    const r = dnsmasqTest(t);
    expect({ status: r.status, out: r.stderr }).toEqual({ status: 0, out: expect.stringContaining("syntax check OK") });
  });

  it("must render no such directive when the fields are unstated (dnsmasq's own defaults)", () => {
    expect(renderDnsmasqConfig(neve.dnsmasq)).not.toMatch(/^(server|local|no-resolv|domain|cache-size)(=|$)/m);
  });

  it.each<[string, Partial<DnsmasqModel>, RegExp]>([
    ["a server that is no address", { servers: ["1.1.1"] }, /dnsmasq\.servers\[0\]: "1\.1\.1" has "1\.1\.1", which is not an IPv4 or IPv6 address/],
    ["a server with a bad port", { servers: ["1.1.1.1", "9.9.9.9#dns"] }, /dnsmasq\.servers\[1\]: .*port "dns"; write a port in 1-65535/],
    ["a domain with a space", { domain: "neve lan" }, /dnsmasq\.domain: must be a DNS domain such as "neve\.lan"/],
    ["a local domain with a slash", { local: ["a/b"] }, /dnsmasq\.local\[0\]: must be a DNS domain/],
    ["a negative cache size", { cacheSize: -1 }, /dnsmasq\.cacheSize: must be a whole number of cache entries, 0 or more/],
    ["an extra server= line", { extraLines: ["server=1.1.1.1"] }, /dnsmasq\.extraLines\[0\]: .*state it through hostServices\.dnsmasq\.servers/],
    [
      "an extra dhcp-host for a guest's MAC",
      { staticHosts: [lune], extraLines: ["dhcp-host=BC:24:11:5A:0C:01,10.10.10.60"] },
      /dnsmasq\.extraLines\[0\]: .*names the MAC or address of the fixed lease lune \(from its guest entry\); state the reservation once, on the guest/,
    ],
  ])("must refuse %s, naming the field", (_n, over, msg) => {
    expect(() => renderDnsmasqConfig({ ...neve.dnsmasq, ...over })).toThrow(msg);
  });
});

describe("dnsmasq extraLines (escape hatch)", () => {
  it("renders unknown directives last, and the real dnsmasq accepts them", () => {
    const t = renderDnsmasqConfig({ ...neve.dnsmasq, extraLines: ["log-queries", "strict-order", "dhcp-host=02:00:00:aa:bb:cc,10.10.10.210,printer"] });
    expect(t.trimEnd().split("\n").slice(-3)).toEqual(["log-queries", "strict-order", "dhcp-host=02:00:00:aa:bb:cc,10.10.10.210,printer"]);
    const r = dnsmasqTest(t);
    expect(r.stderr).toContain("syntax check OK");
    expect(r.status).toBe(0);
  });

  it("refuses a directive the model owns, or a line break, naming the field", () => {
    expect(() => renderDnsmasqConfig({ ...neve.dnsmasq, extraLines: ["dhcp-range=10.10.10.2,10.10.10.9"] })).toThrow(/dnsmasq\.extraLines\[0\].*dhcp-range/);
    expect(() => renderDnsmasqConfig({ ...neve.dnsmasq, extraLines: ["log-queries", "no-resolv\ninterface=vmbr0"] })).toThrow(
      /dnsmasq\.extraLines\[1\].*line break/,
    );
  });

  it("a line the real dnsmasq refuses fails `dnsmasq --test` (the push's check)", () => {
    const r = dnsmasqTest(renderDnsmasqConfig({ ...neve.dnsmasq, extraLines: ["no-such-option=1"] }));
    expect(r.status).not.toBe(0);
  });
});

import { type ChildProcess, spawn } from "node:child_process";
import { type NatModel, renderNatNft, renderSysctlForwarding, type SysctlForwardingModel } from "../../stacks/render";
import * as neve from "./neve.fixture";
import { netns, scratchDir, which, writeIn } from "./tools";

// Forwarding sysctls and nftables rule sets are per network namespace: each test gets a throwaway
// namespace, so this machine's own settings and rules are never touched.

describe("sysctl forwarding drop-in", () => {
  const text = renderSysctlForwarding(neve.sysctl);

  it("is pinned as a whole", () => {
    expect(text).toMatchSnapshot();
  });

  it("must switch on IPv4 and IPv6 forwarding when loaded with `sysctl -p`", () => {
    const ns = netns("render-sysctl");
    const { dir, cleanup } = scratchDir("sysctl");
    try {
      const file = writeIn(dir, "90-neve-forwarding.conf", text);
      expect(ns.exec(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.trim()).toBe("0");
      const r = ns.exec(["sysctl", "-p", file]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(ns.exec(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout.trim()).toBe("1");
      expect(ns.exec(["sysctl", "-n", "net.ipv6.conf.all.forwarding"]).stdout.trim()).toBe("1");
    } finally {
      cleanup();
      ns.remove();
    }
  });

  it("must write 0 for a switched-off family", () => {
    expect(renderSysctlForwarding({ ipv4Forwarding: true, ipv6Forwarding: false })).toContain("net.ipv6.conf.all.forwarding = 0\n");
  });

  it.each<[string, SysctlForwardingModel, string]>([
    ["a string for a boolean", { ipv4Forwarding: "1" as unknown as boolean, ipv6Forwarding: true }, 'sysctl.ipv4Forwarding: must be true or false, got "1"'],
  ])("must refuse %s", (_n, model, message) => {
    expect(() => renderSysctlForwarding(model)).toThrow(message);
  });
});

describe("NAT nftables file", () => {
  const text = renderNatNft(neve.nat);
  const NFT = which("nft");
  const requireNft = () => {
    if (NFT === null) throw new Error("nft is not installed; install the Debian package nftables to run the render tests");
    return NFT;
  };

  it("is pinned as a whole", () => {
    expect(text).toMatchSnapshot();
  });

  it("must masquerade 10.10.10.0/24 out of vmbr0 in a table of its own", () => {
    expect(text).toContain('ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade');
    expect(text).toContain("table ip neve_nat {");
    expect(text).not.toMatch(/flush ruleset/);
  });

  it("must pass `nft -c -f`, load, and load again without duplicating its rules", () => {
    const nft = requireNft();
    const ns = netns("render-nft");
    const { dir, cleanup } = scratchDir("nft");
    try {
      const file = writeIn(dir, "neve-nat.nft", text);
      const check = ns.exec([nft, "-c", "-f", file]);
      expect(check.stderr).toBe("");
      expect(check.status).toBe(0);
      // A table that belongs to someone else (the Proxmox firewall, say) must survive the load.
      expect(ns.exec([nft, "add", "table", "inet", "someone_else"]).status).toBe(0);
      for (let i = 0; i < 2; i++) expect(ns.exec([nft, "-f", file]).status).toBe(0);
      const listed = ns.exec([nft, "list", "ruleset"]).stdout;
      expect(listed.match(/masquerade/g)).toHaveLength(1);
      expect(listed).toMatch(/type nat hook postrouting priority srcnat; policy accept;/);
      expect(listed).toContain('ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade');
      expect(listed).toContain("table inet someone_else");
    } finally {
      cleanup();
      ns.remove();
    }
  });

  it("the `nft -c -f` check must be able to fail", () => {
    const nft = requireNft();
    const ns = netns("render-nft-bad");
    const { dir, cleanup } = scratchDir("nft-bad");
    try {
      const r = ns.exec([nft, "-c", "-f", writeIn(dir, "bad.nft", text.replace("masquerade", "masqerade"))]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/syntax error/);
    } finally {
      cleanup();
      ns.remove();
    }
  });

  it.each<[string, NatModel, string]>([
    ["no rule", { rules: [] }, "nat.rules: must list at least one entry"],
    ["a public source", { rules: [{ source: "51.159.96.0/24", outInterface: "vmbr0" }] }, "nat.rules[0].source: 51.159.96.0/24 is not a private network"],
    ["a source with host bits", { rules: [{ source: "10.10.10.1/24", outInterface: "vmbr0" }] }, "nat.rules[0].source: 10.10.10.1/24 has host bits set"],
    [
      "an interface name with a quote",
      { rules: [{ source: "10.10.10.0/24", outInterface: 'vmbr0"' }] },
      "nat.rules[0].outInterface: must be a network interface name",
    ],
    [
      "a table name with a dash",
      { table: "neve-nat", rules: neve.nat.rules },
      'nat.table: must be a table name of a-z, 0-9 and "_" starting with a letter, got "neve-nat"',
    ],
    ["the same rule twice", { rules: [...neve.nat.rules, ...neve.nat.rules] }, 'nat.rules[1]: rule "10.10.10.0/24 -> vmbr0" is already used by nat.rules[0]'],
  ])("must refuse %s", (_n, model, message) => {
    expect(() => renderNatNft(model)).toThrow(message);
  });
});

// The sysctl and NAT files together, for real: a guest on vmbr1 reaches a server behind vmbr0 only
// once forwarding is on and the NAT table is loaded, and the server then sees the host's address.
// Three throwaway namespaces (guest, host, outside); nothing leaves them.
describe("forwarding + NAT, live in namespaces", () => {
  const NFT = which("nft");
  const SOCAT = which("socat");
  let guest: ReturnType<typeof netns>;
  let host: ReturnType<typeof netns>;
  let outside: ReturnType<typeof netns>;
  let work: ReturnType<typeof scratchDir>;
  let server: ChildProcess | undefined;

  const sh = (ns: ReturnType<typeof netns>, args: string[]) => {
    const r = ns.exec(args);
    if (r.status !== 0) throw new Error(`${args.join(" ")} in ${ns.name}: ${r.stderr}`);
  };
  /**
   * Connect from the guest to the outside server; the server answers with the peer address it saw. `seconds` bounds
   * the attempt: short where no answer can come (the wait is the test), generous where one must (a loaded machine).
   * One way only (-u, from the connection to stdout): a two-way `socat - TCP:...` reads EOF from its empty stdin at
   * once and then gives the answer only socat's -t (0.5 s) to arrive, which a loaded machine can miss (the server
   * forks a shell per connection); this one waits for the server's hang-up, the event that ends the answer.
   */
  const connect = (seconds: number) =>
    guest.exec(["timeout", String(seconds + 1), SOCAT!, "-u", "-T", String(seconds), `TCP:192.0.2.1:9000,connect-timeout=${seconds}`, "-"]);

  beforeAll(async () => {
    if (NFT === null || SOCAT === null) throw new Error("nft and socat are needed: install the Debian packages nftables and socat");
    work = scratchDir("nat-live");
    guest = netns("render-nat-guest");
    host = netns("render-nat-host");
    outside = netns("render-nat-out");
    sh(host, ["ip", "link", "add", "vmbr1", "type", "bridge"]);
    sh(host, ["ip", "addr", "add", "10.10.10.1/24", "dev", "vmbr1"]);
    sh(host, ["ip", "link", "set", "vmbr1", "up"]);
    sh(host, ["ip", "link", "add", "g-h", "type", "veth", "peer", "name", "eth0", "netns", guest.name]);
    sh(host, ["ip", "link", "set", "g-h", "master", "vmbr1"]);
    sh(host, ["ip", "link", "set", "g-h", "up"]);
    sh(guest, ["ip", "addr", "add", "10.10.10.5/24", "dev", "eth0"]);
    sh(guest, ["ip", "link", "set", "eth0", "up"]);
    sh(guest, ["ip", "route", "add", "default", "via", "10.10.10.1"]);
    // vmbr0 as a plain veth here: the NAT rule matches the interface by name only.
    sh(host, ["ip", "link", "add", "vmbr0", "type", "veth", "peer", "name", "eth0", "netns", outside.name]);
    sh(host, ["ip", "addr", "add", "192.0.2.10/24", "dev", "vmbr0"]);
    sh(host, ["ip", "link", "set", "vmbr0", "up"]);
    sh(outside, ["ip", "addr", "add", "192.0.2.1/24", "dev", "eth0"]);
    sh(outside, ["ip", "link", "set", "eth0", "up"]);
    // The outside has no route back to 10.10.10.0/24: only masqueraded traffic can get an answer.
    server = spawn("ip", ["netns", "exec", outside.name, SOCAT, "TCP-LISTEN:9000,bind=192.0.2.1,reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERADDR"], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 60000;
    while (!outside.exec(["ss", "-Hlnt"]).stdout.includes("192.0.2.1:9000")) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error("socat server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      server.kill("SIGTERM");
      const timer = setTimeout(() => server?.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    for (const ns of [guest, outside, host]) ns?.remove();
    work?.cleanup();
  });

  it("must give a guest on vmbr1 the way out through vmbr0, seen as the host's address", () => {
    // Before: no forwarding, no NAT: the guest cannot get an answer.
    expect(connect(2).stdout.trim()).toBe("");
    sh(host, ["sysctl", "-p", writeIn(work.dir, "90-neve-forwarding.conf", renderSysctlForwarding(neve.sysctl))]);
    // Forwarding alone: packets leave with 10.10.10.5, and the outside cannot answer.
    expect(connect(2).stdout.trim()).toBe("");
    sh(host, [NFT!, "-f", writeIn(work.dir, "neve-nat.nft", renderNatNft(neve.nat))]);
    expect(connect(30).stdout.trim()).toBe("192.0.2.10");
  });
});

import { DnsmasqModel, renderDnsmasqConfig } from "../../stacks/render";
import * as neve from "./neve.fixture";
import { run, scratchDir, which, writeIn } from "./tools";

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
      staticHosts: [{ mac: "BC:24:11:5A:0C:01", address: "10.10.10.50", hostname: "lune" }, { mac: "bc:24:11:00:00:02", address: "10.10.10.2" }],
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
  ["a subnet with host bits", { ...neve.dnsmasq, subnet: "10.10.10.1/24" }, "dnsmasq.subnet: 10.10.10.1/24 has host bits set; write the network address 10.10.10.0/24"],
  ["a router outside the subnet", { ...neve.dnsmasq, router: "10.10.11.1" }, "dnsmasq.router: 10.10.11.1 is not a host address of 10.10.10.0/24"],
  ["a range end outside the subnet", { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.100", end: "10.10.10.255" } }, "dnsmasq.dhcpRange.end: 10.10.10.255 is not a host address of 10.10.10.0/24"],
  ["a reversed range", { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.200", end: "10.10.10.100" } }, "dnsmasq.dhcpRange: starts at 10.10.10.200 after it ends at 10.10.10.100; swap them"],
  ["the router inside the range", { ...neve.dnsmasq, dhcpRange: { start: "10.10.10.1", end: "10.10.10.200" } }, "dnsmasq.router: 10.10.10.1 lies in the DHCP range 10.10.10.1-10.10.10.200"],
  ["a lease time typo", { ...neve.dnsmasq, leaseTime: "12hours" }, 'dnsmasq.leaseTime: must be seconds (at least 120), a number with m/h/d/w such as "12h", or "infinite"; got "12hours"'],
  ["a lease too short", { ...neve.dnsmasq, leaseTime: "60" }, "dnsmasq.leaseTime: must be seconds (at least 120)"],
  ["a bad MAC", { ...neve.dnsmasq, staticHosts: [{ ...lune, mac: "bc:24:11:5a:0c" }] }, 'dnsmasq.staticHosts[0].mac: must be a MAC address such as "bc:24:11:aa:bb:cc", got "bc:24:11:5a:0c"'],
  ["a fixed lease inside the range", { ...neve.dnsmasq, staticHosts: [{ ...lune, address: "10.10.10.150" }] }, "dnsmasq.staticHosts[0].address: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200; give fixed leases an address outside it"],
  ["a fixed lease on the router", { ...neve.dnsmasq, staticHosts: [{ ...lune, address: "10.10.10.1" }] }, "dnsmasq.staticHosts[0].address: 10.10.10.1 is the router's address"],
  ["a hostname with dots", { ...neve.dnsmasq, staticHosts: [{ ...lune, hostname: "lune.lan" }] }, 'dnsmasq.staticHosts[0].hostname: must be a single lowercase DNS label such as "lune", got "lune.lan"'],
  ["the same MAC twice", { ...neve.dnsmasq, staticHosts: [lune, { ...lune, address: "10.10.10.51", mac: "BC:24:11:5A:0C:01" }] }, 'dnsmasq.staticHosts[1]: MAC address "bc:24:11:5a:0c:01" is already used by dnsmasq.staticHosts[0]'],
  ["the same address twice", { ...neve.dnsmasq, staticHosts: [lune, { ...lune, mac: "bc:24:11:00:00:09" }] }, 'dnsmasq.staticHosts[1]: address "10.10.10.50" is already used by dnsmasq.staticHosts[0]'],
])("dnsmasq model with %s", (_name, model, message) => {
  it("must be refused with an error naming the field", () => {
    expect(() => renderDnsmasqConfig(model)).toThrow(message);
  });
});

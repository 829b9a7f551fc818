import { hostServicesSchema } from "../../stacks/config/hostServices";

describe("hostServices.dnsmasq.extraLines", () => {
  it("accepts directives the model does not know", () => {
    const r = hostServicesSchema.safeParse({
      dnsmasq: { extraLines: ["log-queries", "strict-order", "dhcp-host=bc:24:11:00:00:01,10.10.10.5"] },
    });
    expect(r.success).toBe(true);
    expect(r.data?.dnsmasq.extraLines).toEqual(["log-queries", "strict-order", "dhcp-host=bc:24:11:00:00:01,10.10.10.5"]);
  });

  it.each([
    ["interface=vmbr0", /interface, which the model renders itself/],
    ["no-resolv", /state it through hostServices.dnsmasq.noResolv/],
    ["server=1.1.1.1", /state it through hostServices.dnsmasq.servers/],
    ["local=/neve.lan/", /state it through hostServices.dnsmasq.local/],
    ["cache-size=1000", /state it through hostServices.dnsmasq.cacheSize/],
    ["domain=neve.lan", /state it through hostServices.dnsmasq.domain/],
    ["--dhcp-range=10.10.10.2,10.10.10.9", /dhcp-range, which the model renders itself/],
    ["log-queries\u0000", /control character/],
    ["", /non-empty dnsmasq directive/],
  ])("refuses %j with a message naming the field", (line, msg) => {
    const r = hostServicesSchema.safeParse({ dnsmasq: { extraLines: ["log-queries", line] } });
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0];
    expect(issue?.path).toEqual(["dnsmasq", "extraLines", 1]);
    expect(issue?.message).toMatch(msg);
  });
});

describe("hostServices.dnsmasq typed fields", () => {
  it("accepts upstream servers, no-resolv, domain, local and cache-size", () => {
    const r = hostServicesSchema.safeParse({
      dnsmasq: { servers: ["1.1.1.1", "9.9.9.9#53", "/home.arpa/192.168.1.1"], noResolv: true, domain: "neve.lan", local: ["neve.lan"], cacheSize: 1000 },
    });
    expect(r.error?.issues).toBeUndefined();
    expect(r.data?.dnsmasq).toMatchObject({
      servers: ["1.1.1.1", "9.9.9.9#53", "/home.arpa/192.168.1.1"],
      noResolv: true,
      domain: "neve.lan",
      cacheSize: 1000,
    });
  });

  it.each([
    [{ servers: ["1.1.1.1", "one.one"] }, ["dnsmasq", "servers", 1], /"one.one" has "one.one", which is not an IPv4 or IPv6 address/],
    [{ domain: "neve_lan!" }, ["dnsmasq", "domain"], /must be a DNS domain such as "neve.lan"/],
    [{ cacheSize: -5 }, ["dnsmasq", "cacheSize"], /must be 0 \(no cache\) or more/],
    [{ noResolv: "yes" }, ["dnsmasq", "noResolv"], /boolean/],
  ])("refuses %j naming the field", (dnsmasq, where, msg) => {
    const r = hostServicesSchema.safeParse({ dnsmasq });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(where);
    expect(r.error?.issues[0].message).toMatch(msg);
  });
});

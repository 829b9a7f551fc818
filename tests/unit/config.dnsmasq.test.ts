import { hostServicesSchema } from "../../stacks/config/hostServices";

describe("hostServices.dnsmasq.extraLines", () => {
  it("accepts directives the model does not know", () => {
    const r = hostServicesSchema.safeParse({
      dnsmasq: { extraLines: ["no-resolv", "server=1.1.1.1", "local=/neve.lan/", "dhcp-host=bc:24:11:00:00:01,10.10.10.5"] },
    });
    expect(r.success).toBe(true);
    expect(r.data?.dnsmasq.extraLines).toEqual(["no-resolv", "server=1.1.1.1", "local=/neve.lan/", "dhcp-host=bc:24:11:00:00:01,10.10.10.5"]);
  });

  it.each([
    ["interface=vmbr0", /interface, which the model renders itself/],
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

// A DHCP reservation (dnsmasq `dhcp-host`) comes from one place, the guest entry: `mac` + `dhcpReserved`.
// Each case starts from the frozen fixture copy of the stack file and changes one guest.

import { declaredServices } from "../../stacks/components/host/registry";
import { parseStackConfig } from "../../stacks/config";
import { heldAddresses } from "../../stacks/config/build";
import { configRefusal, type Raw, rawConfig } from "../support/stacks";

function withGuest(mutate: (c: Raw) => void): Raw {
  const raw = rawConfig();
  mutate(raw);
  return raw;
}

function dnsmasqText(raw: Raw): string {
  const model = parseStackConfig(raw);
  const s = declaredServices(model).find((x) => x.kind === "dnsmasq");
  if (!s) throw new Error("no dnsmasq service declared");
  return s.render("config");
}

describe("a guest's DHCP reservation", () => {
  it("must render one dhcp-host line from the guest's MAC, address and name", () => {
    const raw = withGuest((c) => {
      c.guests.etoile.mac = "BC:24:11:5E:7A:21";
      c.guests.etoile.dhcpReserved = "10.10.10.2";
    });
    expect(
      dnsmasqText(raw)
        .split("\n")
        .filter((l) => l.startsWith("dhcp-host=")),
    ).toEqual(["dhcp-host=bc:24:11:5e:7a:21,10.10.10.2,etoile"]);
  });

  it("must hold the address: next-ip and the other guests cannot take it", () => {
    const raw = withGuest((c) => {
      delete c.guests.lune.ipv4;
      c.guests.lune.mac = "BC:24:11:8F:41:50";
      c.guests.lune.dhcpReserved = "10.10.10.50";
    });
    const model = parseStackConfig(raw);
    expect(heldAddresses(model).get("10.10.10.50")).toBe("lune");
    const taken = withGuest((c) => {
      delete c.guests.lune.ipv4;
      Object.assign(c.guests.lune, { mac: "BC:24:11:8F:41:50", dhcpReserved: "10.10.10.50" });
      c.guests.cipher.ipv4 = "10.10.10.50";
      c.guests.cipher.clone.outsideCloneRange = true;
    });
    expect(configRefusal(taken)).toContain("guests.lune.dhcpReserved: 10.10.10.50 is already used by guests.cipher; an address may be used only once");
  });

  it.each<[string, (c: Raw) => void, string]>([
    [
      "an address inside the DHCP range",
      (c) => Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21", dhcpReserved: "10.10.10.150" }),
      "guests.etoile.dhcpReserved: 10.10.10.150 differs from ipv4 10.10.10.2",
    ],
    [
      "an address inside the DHCP range (no static ipv4)",
      (c) => {
        delete c.guests.etoile.ipv4;
        Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21", dhcpReserved: "10.10.10.150" });
      },
      "guests.etoile.dhcpReserved: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200; give fixed leases an address outside it",
    ],
    [
      "an address outside the DHCP network",
      (c) => {
        delete c.guests.etoile.ipv4;
        Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21", dhcpReserved: "10.10.11.2" });
      },
      "guests.etoile.dhcpReserved: 10.10.11.2 is not a host address of the DHCP network 10.10.10.0/24; pick one inside it",
    ],
    [
      "another guest's address",
      (c) => {
        delete c.guests.etoile.ipv4;
        Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21", dhcpReserved: "10.10.10.90" });
      },
      "10.10.10.90 is already used by guests.",
    ],
    [
      "the gateway",
      (c) => {
        delete c.guests.etoile.ipv4;
        Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21", dhcpReserved: "10.10.10.1" });
      },
      "guests.etoile.dhcpReserved: 10.10.10.1 is the router's address; pick a free one",
    ],
    [
      "no MAC",
      (c) => Object.assign(c.guests.etoile, { dhcpReserved: "10.10.10.2" }),
      "guests.etoile.mac: is required with dhcpReserved (dnsmasq reserves 10.10.10.2 for this MAC); copy it from net0 of the guest's config (qm config / pct config 1201)",
    ],
    [
      "a MAC that is no MAC",
      (c) => Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A", dhcpReserved: "10.10.10.2" }),
      'must be a MAC address such as "BC:24:11:5A:0C:01", got "BC:24:11:5E:7A"',
    ],
    [
      "the same MAC on two guests",
      (c) => {
        Object.assign(c.guests.etoile, { mac: "BC:24:11:5E:7A:21" });
        Object.assign(c.guests.cipher, { mac: "bc-24-11-5e-7a-21" });
      },
      "guests.cipher.mac: bc-24-11-5e-7a-21 is already the MAC of guests.etoile",
    ],
    [
      "a guest on a bridge dnsmasq does not serve",
      (c) => Object.assign(c.guests.atlas, { mac: "BC:24:11:2D:0C:C8", dhcpReserved: "10.10.10.20" }),
      "guests.atlas.dhcpReserved: 10.10.10.20 is reserved, but vmbr0 is not served by dnsmasq (only vmbr1 is)",
    ],
    [
      "an extra dhcp-host line that hands out a guest's address",
      (c) => {
        c.hostServices.dnsmasq = { ...(c.hostServices.dnsmasq ?? {}), extraLines: ["log-queries", "dhcp-host=02:00:00:aa:bb:cc,10.10.10.90,printer"] };
      },
      'hostServices.dnsmasq.extraLines[1]: "dhcp-host=02:00:00:aa:bb:cc,10.10.10.90,printer" reserves 10.10.10.90, the address of guests.cipher; state the reservation on the guest',
    ],
  ])("must refuse %s, naming the field and the fix", (_n, mutate, message) => {
    expect(configRefusal(withGuest(mutate))).toContain(message);
  });
});

// discover reads /etc/network/interfaces by meaning when the stack renders it (network.interfacesFile: true): every
// live stanza, option, auto/source line and stanza comment the render would drop or change is named (closed world);
// layout (tabs or spaces, option order inside a stanza, file comments) is not a difference.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { interfacesMeaningDiff } from "../../stacks/discover/hostfiles/interfaces";
import { type InterfacesModel, renderInterfaces } from "../../stacks/render/interfaces";

const LIVE = fs.readFileSync(path.join(__dirname, "..", "fixtures", "pve-neve", "etc", "network", "interfaces"), "utf8");

// neve's bridges as the fixture file has them, with the stack's NAT (nat: true) instead of the post-up lines.
const model: InterfacesModel = {
  bridges: [
    { name: "vmbr0", ipv4: "dhcp", ipv6: "2001:bc8:1201:722::1/64", ports: ["enp5s0"], comment: null, hostNat: false },
    { name: "vmbr1", ipv4: "10.10.10.1/24", ipv6: null, ports: [], comment: null, hostNat: false },
  ],
};

describe("/etc/network/interfaces compared by meaning (stacks/discover/hostfiles/interfaces.ts)", () => {
  it("must find no difference between a render and itself re-laid out (spaces, option order, file comments)", () => {
    const rendered = renderInterfaces(model);
    const relaid = rendered
      .replace(/\t/g, "    ")
      .replace("\tbridge-stp off\n\tbridge-fd 0", "\tbridge-fd 0\n\tbridge-stp off")
      .replace(/^# .*\n/gm, "# another header\n");
    expect(interfacesMeaningDiff(relaid, rendered)).toEqual([]);
  });

  it("must name each live line of neve's file the render would drop: the host's own post-up NAT and conntrack lines", () => {
    expect(interfacesMeaningDiff(LIVE, renderInterfaces(model))).toEqual([
      `iface vmbr1 inet: live "post-up echo 1 > /proc/sys/net/ipv4/ip_forward" would be dropped or changed`,
      `iface vmbr1 inet: live "post-up iptables -t nat -A POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE" would be dropped or changed`,
      `iface vmbr1 inet: live "post-down iptables -t nat -D POSTROUTING -s '10.10.10.0/24' -o vmbr0 -j MASQUERADE" would be dropped or changed`,
      `iface vmbr1 inet: live "post-up iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1" would be dropped or changed`,
      `iface vmbr1 inet: live "post-down iptables -t raw -D PREROUTING -i fwbr+ -j CT --zone 1" would be dropped or changed`,
    ]);
  });

  it("must name a live stanza, an auto line, an option and a comment the stack does not state, and what the render adds", () => {
    const live = `${renderInterfaces(model)}
auto vmbr9
iface vmbr9 inet manual
\tbridge-ports none
`.replace("iface vmbr1 inet static\n", "iface vmbr1 inet static\n\tmtu 9000\n#lab\n");
    const rendered = renderInterfaces({ bridges: [model.bridges[0], { ...model.bridges[1], ipv4: "10.10.11.1/24" }] });
    expect(interfacesMeaningDiff(live, rendered).sort()).toEqual(
      [
        `auto: live "auto vmbr9" would be dropped or changed`,
        `iface vmbr1 inet: live "address 10.10.10.1/24" would be dropped or changed`,
        `iface vmbr1 inet: live "mtu 9000" would be dropped or changed`,
        `iface vmbr1 inet: live "comment lab" would be dropped or changed`,
        `iface vmbr1 inet: the render adds "address 10.10.11.1/24"`,
        `section "iface vmbr9 inet" (2 directives): the stack has no place for it; the render would drop it`,
      ].sort(),
    );
  });
});

describe("discover --check with network.interfacesFile: true (the fixture copy of neve's files, --root)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-interfaces-"));
  const root = path.join(dir, "root");
  const stack = path.join(dir, "Pulumi.neve.yaml");
  fs.cpSync(path.join(__dirname, "..", "fixtures", "pve-neve"), root, { recursive: true });
  const doc = parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"), "utf8"));
  doc.config["neve-infra:network"].interfacesFile = true;
  fs.writeFileSync(stack, stringify(doc));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("must count the live file and list under it, by meaning, each live line the up would drop", async () => {
    jest.resetModules();
    const { main } = await import("../../stacks/discover/cli");
    let out = "";
    let err = "";
    const code = await main(["--root", root, "--config", stack, "--check"], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      now: () => "2026-12-07T00:00:00Z",
    });
    expect(err).toBe("");
    expect(code).toBe(1);
    const files = out.slice(out.indexOf("\nHost files"));
    expect(files).toMatch(/differs +\/etc\/network\/interfaces \(host-network-interfaces\)\n +counted: the up would replace \/etc\/network\/interfaces/);
    expect(files).toMatch(/\n {12}\d+ differences? in meaning \(each live directive the render would drop or change, each it adds\):\n/);
    expect(files).toContain(`iface vmbr1 inet: live "post-up iptables -t raw -I PREROUTING -i fwbr+ -j CT --zone 1" would be dropped or changed`);
  }, 120000);
});

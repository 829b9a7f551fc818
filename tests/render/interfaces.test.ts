/**
 * /etc/network/interfaces rendered from the stack's bridges, checked by the real ifupdown2 parser with the
 * validator the network-interfaces host service runs on its staged copy.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { INTERFACES_SYNTAX_CHECK } from "../../stacks/components/host/registry";
import { type InterfacesModel, renderInterfaces } from "../../stacks/render";

const model: InterfacesModel = {
  bridges: [
    { name: "vmbr0", ipv4: "dhcp", ipv6: "2001:db8::1/64", ports: ["enp5s0"], comment: "public bridge", hostNat: false },
    { name: "vmbr1", ipv4: "10.10.10.1/24", ipv6: null, ports: [], comment: null, hostNat: false },
    { name: "vmbr2", ipv4: "10.20.0.1/24", ipv6: null, ports: [], comment: "private lab", hostNat: false },
  ],
};

function validate(text: string): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-ifaces-"));
  try {
    const f = path.join(dir, "interfaces");
    fs.writeFileSync(f, text);
    return spawnSync("/bin/sh", ["-c", INTERFACES_SYNTAX_CHECK.split("{staged}").join(`'${f}'`)], { encoding: "utf8" }).status ?? -1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("network-interfaces renderer", () => {
  const text = renderInterfaces(model);

  it("must keep vmbr0's inet dhcp (which the Proxmox API cannot express) and its static IPv6", () => {
    expect(text).toContain("auto vmbr0\niface vmbr0 inet dhcp\n\tbridge-ports enp5s0\n");
    expect(text).toContain("iface vmbr0 inet6 static\n\taddress 2001:db8::1/64\n");
    expect(text).toContain("auto vmbr2\niface vmbr2 inet static\n\taddress 10.20.0.1/24\n\tbridge-ports none\n");
  });

  it("must pass ifupdown2's own parser, and a broken stanza must not", () => {
    expect(validate(text)).toBe(0);
    expect(validate(text.replace("address 10.20.0.1/24", "address 10.20.0.400/24"))).not.toBe(0);
    expect(validate(`${text}\nauto x\niface x inet bogus\n`)).not.toBe(0);
  });

  it("must refuse the host's own post-up NAT lines (nat: interfaces), naming the field", () => {
    expect(() => renderInterfaces({ bridges: [{ ...model.bridges[1], hostNat: true }] })).toThrow(/interfaces\.bridges\[0\]\.hostNat: .*set nat: true/);
  });
});

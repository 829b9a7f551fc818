/**
 * A valid stack config with `n` guests, for the validation-scale measure of `npm run bench:plan` and tests/unit/config.scale.test.ts:
 * the frozen fixture (tests/fixtures/Pulumi.fixture.yaml) on a /16, plus `n` guests (VMs and
 * containers alternating, each with a static IPv4 and IPv6), one route per 10 guests, one firewall
 * rule per 10 guests naming a guest, every guest in a backup job and in `adoption.live`. So each
 * rule that relates guests to one another, to routes or to firewall rules meets `n`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "Pulumi.fixture.yaml");

/** The stack file's `config:` map (fully qualified keys) with `n` generated guests. */
export function scaleStackConfig(n: number): Record<string, unknown> {
  const c = (parse(fs.readFileSync(FIXTURE, "utf8")) as { config: Record<string, any> }).config;
  const net = c["neve-infra:network"];
  net.ipv4.subnet = "10.10.0.0/16";
  net.bridges.vmbr1.ipv4 = "10.10.10.1/16";
  const guests = c["neve-infra:guests"];
  const routes = c["neve-infra:routes"];
  const rules = c["neve-infra:firewall"].rules;
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `g${i}`;
    names.push(name);
    // 10.10.11.1 upwards: clear of the DHCP (.100-.200 of 10.10.10) and clone ranges.
    const ipv4 = `10.10.${11 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    const ipv6 = `2001:bc8:1201:722::${(0x1000 + i).toString(16)}`;
    const common = { vmid: 10000 + i, running: true, os: "ubuntu", memoryMiB: 512, bridge: "vmbr1", ipv4, ipv6 };
    guests[name] = i % 2 ? { ...common, kind: "ct", osType: "ubuntu", unprivileged: true } : { ...common, kind: "vm" };
    if (i % 10 === 0) routes.push({ hostname: `${name}.example.com`, guest: name, http: 80, https: 443 });
    if (i % 10 === 1) rules.push({ name: `r${i}`, action: "ACCEPT", proto: "tcp", source: name, dports: [22], comment: "from a guest" });
  }
  c["neve-infra:backups"]["nightly-local"].guests.push(...names);
  c["neve-infra:adoption"] = { live: { guests: Object.values(guests).map((g) => (g as { vmid: number }).vmid) } };
  return c;
}

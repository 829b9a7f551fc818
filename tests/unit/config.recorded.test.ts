// Nothing silently recorded (stacks/config/recorded.ts): a stack-file value an `up` would not apply is refused,
// naming the field and how to apply it, unless it is marked as a record of the host (`recorded: true`); a marker
// whose switch is on has no effect. On the frozen fixture (which marks the firewall and both bridges).
import { ConfigError, type ConfigIssue } from "../../stacks/config/errors";
import { recordedIssues } from "../../stacks/config/recorded";
import { parseStackConfig, stackConfigSchema } from "../../stacks/config/stack";
import { type Raw, rawConfig } from "../support/stacks";

/** The recorded-fact issues of the fixture with `edit` applied. */
function issuesOf(edit: (raw: Raw) => void): ConfigIssue[] {
  const raw = rawConfig();
  edit(raw);
  return recordedIssues(stackConfigSchema.parse(raw));
}

/** What parseStackConfig (the program's and the plan's parse) throws for the edited fixture, or "" when it accepts it. */
function refusal(edit: (raw: Raw) => void): string {
  const raw = rawConfig();
  edit(raw);
  try {
    parseStackConfig(raw);
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}

describe("nothing silently recorded", () => {
  it("must accept the fixture, whose firewall and bridges are marked recorded", () => {
    expect(issuesOf(() => {})).toEqual([]);
    expect(refusal(() => {})).toBe("");
  });

  describe.each<[string, (raw: Raw) => void, string, RegExp]>([
    [
      "the cluster firewall without firewall.recorded (filesManaged off)",
      (r) => delete r.firewall.recorded,
      "firewall",
      /^an up does not apply enabled, inputPolicy, outputPolicy, rules \(7\) while firewall\.filesManaged is false .*set neve-infra:firewall\.filesManaged: true .*set neve-infra:firewall\.recorded: true$/,
    ],
    [
      "host.fw rules and IP sets of an unmarked firewall, listed by name",
      (r) => {
        delete r.firewall.recorded;
        r.firewall.hostRules = [{ name: "lab", action: "ACCEPT", iface: "vmbr1", dports: [22] }];
        r.firewall.ipsets = { lab: ["10.10.10.0/24"] };
      },
      "firewall",
      /^an up does not apply enabled, inputPolicy, outputPolicy, rules \(7\), hostRules, ipsets while/,
    ],
    [
      "firewall.filesManaged without the host services",
      (r) => {
        r.firewall.filesManaged = true;
        delete r.firewall.recorded;
        r.hostServices.enabled = false;
      },
      "firewall.filesManaged",
      /^is true but hostServices\.enabled is false: nothing would push cluster\.fw and host\.fw/,
    ],
    [
      "the public bridge without recorded (interfacesFile off)",
      (r) => delete r.network.bridges.vmbr0.recorded,
      "network.bridges.vmbr0",
      /^an up does not apply vmbr0's comment, ports, ipv4 and ipv6 while network\.interfacesFile is false .*set neve-infra:network\.interfacesFile: true .*set recorded: true on network\.bridges\.vmbr0$/,
    ],
    [
      "a private bridge without recorded (interfacesFile off)",
      (r) => delete r.network.bridges.vmbr1.recorded,
      "network.bridges.vmbr1",
      /^an up does not apply vmbr1's comment, ports, ipv4 and ipv6 /,
    ],
    [
      "a new private bridge the host lacks (adoption.live recorded without it)",
      (r) => {
        r.network.bridges.vmbr2 = { ports: [], ipv4: "10.10.20.1/24" };
        r.adoption = { live: { guests: [], storage: [], bridges: ["vmbr0", "vmbr1"], jobs: [], firewall: true } };
      },
      "network.bridges.vmbr2",
      /^an up would not create vmbr2: .*the guards refuse .*To create it set neve-infra:network\.interfacesFile: true /,
    ],
    [
      "network.interfacesFile without the host services",
      (r) => {
        r.network.interfacesFile = true;
        for (const b of Object.values(r.network.bridges) as Raw[]) delete b.recorded;
        r.hostServices.enabled = false;
      },
      "network.interfacesFile",
      /^is true but hostServices\.enabled is false: nothing would push \/etc\/network\/interfaces/,
    ],
  ])("must refuse %s", (_what, edit, path, message) => {
    it("with one issue naming the field and the way to apply it", () => {
      const issues = issuesOf(edit);
      expect(issues).toEqual([{ path, message: expect.stringMatching(message) }]);
    });
    it("in the program's parse (what the plan exits 2 on)", () => {
      expect(refusal(edit)).toContain(`  - ${path}: `);
    });
  });

  it("must accept a marker while its switch is on (the files apply every value: the marker has no effect)", () => {
    expect(
      refusal((r) => {
        r.firewall.filesManaged = true;
        r.network.interfacesFile = true;
      }),
    ).toBe("");
  });

  it("must accept the switches on without the markers (the files apply every value)", () => {
    expect(
      refusal((r) => {
        r.firewall.filesManaged = true;
        delete r.firewall.recorded;
        r.network.interfacesFile = true;
        for (const b of Object.values(r.network.bridges) as Raw[]) delete b.recorded;
      }),
    ).toBe("");
  });

  it("must let discover read an unmarked file (skipRecorded), and only discover", () => {
    const raw = rawConfig();
    delete raw.firewall.recorded;
    expect(() => parseStackConfig(raw)).toThrow("firewall: an up does not apply");
    expect(parseStackConfig(raw, { skipRecorded: true }).firewall.recorded).toBe(false);
  });
});

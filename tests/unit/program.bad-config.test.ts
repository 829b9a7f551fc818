// Its own test file: Pulumi's mocks are process-global and the program runs once per module registry.
import type { CapturedResource } from "../../scripts/lib/mockRunner";
import { FIXTURE_STACK_FILE } from "../support/stacks";

describe("the program with a bad config", () => {
  it("must refuse it with the config error before declaring any resource", async () => {
    const { runProgram, buildConfig } = await import("../../scripts/lib/mockRunner");
    const guests = JSON.parse(buildConfig({ stackFile: FIXTURE_STACK_FILE }).config["neve-infra:guests"]);
    guests.cipher.ipv4 = "10.10.10.150";
    const pulumi = await import("@pulumi/pulumi");
    const seen: CapturedResource[] = [];
    await expect(runProgram({ stackFile: FIXTURE_STACK_FILE, configOverrides: { guests } }).then((r) => seen.push(...r.resources))).rejects.toThrow(
      "guests.cipher.ipv4: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200",
    );
    expect(seen).toEqual([]);
    // The mock monitor saw nothing either.
    const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
    expect(monitor.resources.size).toBe(0);
  });
});

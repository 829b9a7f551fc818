// Its own test file: Pulumi's mocks are process-global and the program runs once per module registry.
import { FIXTURE_STACK_FILE } from "../support/stacks";

describe("the program with a secret set but empty", () => {
  it("must refuse it by key, with the command that sets it, before declaring any resource and without printing a secret", async () => {
    const { runProgram, PLACEHOLDER_SECRETS } = await import("../../scripts/lib/mockRunner");
    const pulumi = await import("@pulumi/pulumi");
    let message = "";
    let declared = -1;
    await runProgram({ stackFile: FIXTURE_STACK_FILE, secrets: { pbsPassword: "", sshPrivateKey: " \n" } }).then(
      (r) => (declared = r.resources.length),
      (e: Error) => (message = e.message),
    );
    expect(declared).toBe(-1);
    expect(message).toContain(
      "neve-infra:sshPrivateKey: is set but empty (only white space); set the real value with `pulumi config set --secret neve-infra:sshPrivateKey < <private key file>`",
    );
    expect(message).toContain("neve-infra:pbsPassword: is set but empty; set the real value with `pulumi config set --secret neve-infra:pbsPassword`");
    for (const v of [PLACEHOLDER_SECRETS.proxmoxApiToken, "PLACEHOLDER-NOT-A-SECRET"]) expect(message).not.toContain(v);
    // The mock monitor saw no resource either.
    const monitor = pulumi.runtime.getMonitor() as unknown as { resources: Map<string, unknown> };
    expect(monitor.resources.size).toBe(0);
  });
});

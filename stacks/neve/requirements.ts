import * as pulumi from "@pulumi/pulumi";

/**
 * The oldest Pulumi CLI this program may run under (`pulumi preview`/`up`), as a range in the
 * engine's syntax (blang/semver). Below it, adopting the live host is unsafe (docs/adopting.md §3):
 * - v3.165.0 (pulumi/pulumi#19314): the state keeps each run's import id, so an adopted object that
 *   still carries its import id is no new import;
 * - v3.174.0 (pulumi/pulumi#19339): an import whose inputs differ is imported, then updated, with
 *   `ignoreChanges` honoured;
 * - v3.252.0 (pulumi/pulumi#23834, the fix of #14836): before it, an import followed by an update lost
 *   the import id, and the next `up` deleted the live object.
 */
export const PULUMI_CLI_RANGE = ">=3.252.0";

/**
 * Ask the engine whether its CLI is in {@link PULUMI_CLI_RANGE}; refuse to run otherwise, before any
 * resource is declared. Without an engine (the offline plan, mocks) there is nothing to ask.
 */
export async function requirePulumiCli(): Promise<void> {
  try {
    await pulumi.runtime.requirePulumiVersion(PULUMI_CLI_RANGE);
  } catch (e) {
    throw new pulumi.RunError(
      `this program needs the Pulumi CLI ${PULUMI_CLI_RANGE}: older engines can delete an adopted guest ` +
        `(pulumi/pulumi#14836, fixed in v3.252.0). Upgrade the CLI (https://www.pulumi.com/docs/install/) and run again. ` +
        `The engine said: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

// Its own test file: the program runs once per module registry. The fixture pins no host key (the
// real stack file will, once the operator follows the README).
import { FIXTURE_STACK_FILE } from "../support/stacks";

describe("host services without a pinned host key", () => {
  it("must refuse to declare them, naming ssh.hostKey and how to pin it (no trust on first use)", async () => {
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    await expect(runProgram({ stackFile: FIXTURE_STACK_FILE, placeholderHostKey: false })).rejects.toThrow(
      /ssh\.hostKey: is required to push host configuration \(no trust on first use\): on the host run `ssh-keygen -lf/,
    );
  });
});

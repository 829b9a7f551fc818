import { close, connect, type ExecResult, exec } from "../../../providers/ssh/client";
import type { TestHost } from "./testHost";

/**
 * Run `command` over a brand-new SSH connection to the test host (the operator's path: a new TCP
 * connection, handshake and key login), then close it. The lock-out tests use it to see that access
 * works again after the host restored its files by itself.
 */
export async function freshLogin(host: TestHost, command = "echo ok"): Promise<ExecResult> {
  const s = await connect({
    host: host.address,
    port: 22,
    username: "root",
    hostKey: host.hostKeyFingerprint,
    privateKey: host.clientPrivateKey,
    connectTimeoutMs: 30000,
  });
  try {
    return await exec(s, command);
  } finally {
    close(s);
  }
}

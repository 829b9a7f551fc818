import { probeApi } from "../../../providers/common/apiProbe";
import { waitFor } from "../../providers/support/hostconfigCase";
import type { TestHost } from "./testHost";

/**
 * Stand-in for pveproxy (absent here): `openssl s_server -www` on 8006 inside the test host's netns, with a
 * throwaway self-signed certificate named `neve`. It proves only that the port answers TLS, as the probe asks.
 * Throws when it does not come up.
 */
export async function startApiStandIn(host: TestHost): Promise<void> {
  const r = await host.exec(
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=neve -days 1 -keyout /tmp/api.key -out /tmp/api.crt >/dev/null 2>&1 && " +
      "(setsid openssl s_server -www -accept 8006 -cert /tmp/api.crt -key /tmp/api.key </dev/null >/dev/null 2>&1 &)",
  );
  if (r.code !== 0) throw new Error(`API stand-in did not start: ${r.stderr}`);
  const up = await waitFor(() =>
    probeApi({ host: host.address, port: 8006 }, 2000).then(
      () => true,
      () => false,
    ),
  );
  if (!up) throw new Error("API stand-in on 8006 did not answer a TLS handshake");
}

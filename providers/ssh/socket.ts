import type { Socket } from "node:net";
import type { Client, ConnectConfig } from "ssh2";

/**
 * The one place where an SSH connection of this project is opened: the host-file and raw-line providers
 * (ssh/client `connect`), discover's read, the benchmark and the test harness all start ssh2 through
 * {@link startSsh}, so every connection gets the same socket settings.
 *
 * Why: ssh2 1.17 opens its socket itself (`new Socket()` in lib/client.js `connect`) and never sets TCP_NODELAY,
 * and Node leaves Nagle's algorithm on; every small SSH packet that waits for the peer's answer (key exchange,
 * auth, channel open, exec request, window adjust) then waits for the peer's delayed ACK: about 200 ms per
 * handshake and 40-80 ms per round trip, on loopback and over a tailnet alike. OpenSSH sets TCP_NODELAY on every
 * session, interactive or not (packet.c `ssh_packet_set_interactive` calls `set_nodelay`).
 *
 * How: the socket is opened here, with `noDelay`, and handed to ssh2 as `sock`. What ssh2 does with a `sock`
 * it is given (lib/client.js): it still starts `readyTimeout` at once (so the limit still covers the TCP
 * connect, the key exchange and authentication), waits for the socket's `connect` event when it is still
 * connecting, turns the socket's errors into `error` events (level "client-socket", with the same `code`:
 * ECONNREFUSED, ENOTFOUND, ...), runs keepalives and closes on `readyTimeout` by destroying it. The two things
 * it only does to a socket it opens itself are done here: `setMaxListeners(0)` and no socket idle timeout
 * (Node's default, 0).
 */

/** Socket settings of every SSH connection (read by the test that checks them on a live connection). */
export const SSH_SOCKET = {
  /** TCP_NODELAY: small packets go out at once instead of waiting for the previous one's ACK (Nagle). */
  noDelay: true,
} as const;

/** Open the TCP connection an SSH session runs over, with {@link SSH_SOCKET}'s settings. */
export function openSshSocket(host: string, port: number): Socket {
  const net = require("node:net") as typeof import("net");
  const sock = net.connect({ host, port, noDelay: SSH_SOCKET.noDelay });
  sock.setMaxListeners(0);
  return sock;
}

/**
 * `client.connect(config)` over a socket from {@link openSshSocket} to `config.host`:`config.port` (port 22 when
 * absent, as ssh2's). Throws what `client.connect` throws (an unusable private key), after closing the socket.
 */
export function startSsh(client: Client, config: ConnectConfig): void {
  const sock = openSshSocket(config.host ?? "localhost", config.port ?? 22);
  try {
    client.connect({ ...config, sock });
  } catch (e) {
    // ssh2 threw before it took the socket (it parses the private key first): nobody listens to it but us.
    sock.on("error", () => undefined);
    sock.destroy();
    throw e;
  }
}

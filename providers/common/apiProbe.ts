/**
 * The second half of an access confirmation: a fresh TLS handshake with the API port (Proxmox's
 * pveproxy on 8006) over the operator's own path, from the process that runs the deployment. It sends
 * nothing and authenticates nobody, so the certificate is not checked here (the Proxmox provider checks
 * it, docs/tls.md): what it proves is that the port answers TLS after the change. Pure module: `node:tls`
 * is required inside the function, so the provider closure captures no live object.
 */

/** Where the API port is reached from the deployment: the host of `proxmox.endpoint` and its port. */
export interface ApiTarget {
  /** Host name or address (IPv6 without brackets). */
  host: string;
  /** TCP port (8006). */
  port: number;
}

/** Resolve once a TLS handshake with `target` completed; reject with a worded error after `timeoutMs` or on any failure. */
export function probeApi(target: ApiTarget, timeoutMs: number): Promise<void> {
  const tls = require("node:tls") as typeof import("node:tls");
  const net = require("node:net") as typeof import("node:net");
  const where = `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // SNI only for names, as a browser sends it; no secret is sent over this connection.
      ...(net.isIP(target.host) ? {} : { servername: target.host }),
      rejectUnauthorized: false,
    });
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    timer = setTimeout(
      () =>
        finish(new Error(`the API port ${where} did not complete a TLS handshake within ${Math.round(timeoutMs / 1000)}s (firewalled, down, or unreachable)`)),
      timeoutMs,
    );
    socket.once("secureConnect", () => finish(null));
    socket.once("error", (e: NodeJS.ErrnoException) => finish(new Error(`the API port ${where} did not complete a TLS handshake: ${e.code ?? e.message}`)));
  });
}

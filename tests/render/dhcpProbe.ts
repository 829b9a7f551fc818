// A minimal DHCP client for tests: sends one DHCPDISCOVER (broadcast flag set) with the given MAC and
// prints the first matching OFFER as JSON, or {"error":...} after the timeout. Run with
// `ip netns exec <client-ns> node -e DHCP_PROBE_SCRIPT <mac> <timeout-ms>`; no DHCP client package needed.
export const DHCP_PROBE_SCRIPT = `
const dgram = require("dgram");
const crypto = require("crypto");
const mac = Buffer.from(process.argv[1].split(":").map((h) => parseInt(h, 16)));
const timeoutMs = Number(process.argv[2]);
const xid = crypto.randomBytes(4);
const head = Buffer.alloc(240);
head[0] = 1; head[1] = 1; head[2] = 6; xid.copy(head, 4); head.writeUInt16BE(0x8000, 10);
mac.copy(head, 28); head.writeUInt32BE(0x63825363, 236);
const packet = Buffer.concat([head, Buffer.from([53, 1, 1, 55, 4, 1, 3, 6, 51, 255])]);
const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
const timer = setTimeout(() => { console.log(JSON.stringify({ error: "no offer within " + timeoutMs + " ms" })); process.exit(0); }, timeoutMs);
socket.on("message", (m) => {
  if (m[0] !== 2 || !m.subarray(4, 8).equals(xid)) return;
  const opts = {};
  for (let i = 240; i < m.length && m[i] !== 255; ) {
    if (m[i] === 0) { i++; continue; }
    opts[m[i]] = m.subarray(i + 2, i + 2 + m[i + 1]);
    i += 2 + m[i + 1];
  }
  const ip = (b) => (b ? [...b.subarray(0, 4)].join(".") : null);
  console.log(JSON.stringify({ type: opts[53] ? opts[53][0] : null, yiaddr: ip(m.subarray(16, 20)), server: ip(opts[54]),
    router: ip(opts[3]), dns: ip(opts[6]), netmask: ip(opts[1]), lease: opts[51] ? opts[51].readUInt32BE(0) : null }));
  clearTimeout(timer);
  socket.close();
});
socket.bind(68, () => { socket.setBroadcast(true); socket.send(packet, 67, "255.255.255.255"); });
`;

/** What the probe prints. */
export type DhcpProbeResult =
  | { type: number | null; yiaddr: string; server: string | null; router: string | null; dns: string | null; netmask: string | null; lease: number | null }
  | { error: string };

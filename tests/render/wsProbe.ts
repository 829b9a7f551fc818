// A minimal browser stand-in for the noVNC console, written by hand with node's net/http/crypto (no
// WebSocket package): it GETs the noVNC page, then opens a WebSocket the way noVNC 1.3 does (path
// /websockify, no subprotocol), collects the server's binary frames until `expect` bytes arrived,
// answers with one masked binary frame, and prints one JSON line. Run inside the test's network
// namespace: `ip netns exec <ns> node -e WS_PROBE_SCRIPT <host> <port> <page> <timeout-ms> <expect> <reply>`.

/** What the probe printed. */
export interface WsProbeResult {
  /** Set when something failed before the end; the other fields say how far it got. */
  error?: string;
  /** HTTP status of GET <page>. */
  pageStatus?: number;
  /** Content-Type of that answer. */
  pageType?: string;
  /** Its <title>. */
  pageTitle?: string;
  /** Status line code of the WebSocket upgrade (101 expected). */
  upgradeStatus?: number;
  /** True when Sec-WebSocket-Accept is the RFC 6455 hash of the key the probe sent. */
  acceptValid?: boolean;
  /** Opcodes of the data frames received (2 = binary). */
  opcodes?: number[];
  /** The payload bytes received, as latin1 text. */
  payload?: string;
}

/** The probe's source, for `node -e`. */
export const WS_PROBE_SCRIPT = `
const net = require("net");
const http = require("http");
const crypto = require("crypto");
const [host, portText, page, timeoutText, expectText, reply] = process.argv.slice(1);
const port = Number(portText);
const out = {};
const finish = (extra) => { Object.assign(out, extra); console.log(JSON.stringify(out)); process.exit(0); };
setTimeout(() => finish({ error: "timeout after " + timeoutText + " ms" }), Number(timeoutText));

function getPage(next) {
  http.get({ host, port, path: page, agent: false }, (res) => {
    let body = "";
    res.setEncoding("latin1");
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      const title = /<title>([^<]*)<\\/title>/i.exec(body);
      Object.assign(out, { pageStatus: res.statusCode, pageType: res.headers["content-type"], pageTitle: title ? title[1] : null });
      next();
    });
  }).on("error", (e) => finish({ error: "GET " + page + ": " + e.message }));
}

function frame(payload) {
  // Client frames are masked (RFC 6455 5.3). FIN + binary opcode; payloads here are short.
  const mask = crypto.randomBytes(4);
  const body = Buffer.from(payload, "latin1").map((b, i) => b ^ mask[i % 4]);
  return Buffer.concat([Buffer.from([0x82, 0x80 | body.length]), mask, body]);
}

function webSocket() {
  const key = crypto.randomBytes(16).toString("base64");
  const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  const s = net.connect(port, host);
  let buf = Buffer.alloc(0);
  let head = null;
  const opcodes = [];
  let payload = Buffer.alloc(0);
  let replied = false;
  s.on("connect", () => s.write(["GET /websockify HTTP/1.1", "Host: " + host + ":" + port, "Upgrade: websocket",
    "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13", "", ""].join("\\r\\n")));
  s.on("error", (e) => finish({ error: "WebSocket: " + e.message }));
  s.on("close", () => finish({ error: "WebSocket closed early", opcodes, payload: payload.toString("latin1") }));
  s.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    if (head === null) {
      const i = buf.indexOf("\\r\\n\\r\\n");
      if (i < 0) return;
      head = buf.subarray(0, i).toString("latin1");
      buf = buf.subarray(i + 4);
      const got = /^sec-websocket-accept:\\s*(\\S+)/im.exec(head);
      Object.assign(out, { upgradeStatus: Number(head.split(" ")[1]), acceptValid: got !== null && got[1] === accept });
    }
    // Server frames are unmasked: FIN/opcode, length (7 bits, or 16 bits after 126), payload.
    while (buf.length >= 2) {
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) return finish({ error: "unexpectedly long frame" });
      if (buf.length < at + len) return;
      const opcode = buf[0] & 0x0f;
      // Data frames (continuation, text, binary) only; a close frame after the reply is the target
      // hanging up once the stand-in got its answer.
      if (opcode <= 2 && !replied) {
        opcodes.push(opcode);
        payload = Buffer.concat([payload, buf.subarray(at, at + len)]);
      }
      buf = buf.subarray(at + len);
    }
    if (!replied && payload.length >= Number(expectText)) {
      replied = true;
      s.removeAllListeners("close");
      // Stay connected until the target hangs up (the stand-in exits once it has read the reply, so
      // websockify closes): closing at once could drop the reply inside websockify on a loaded machine.
      // The event waited for is that hang-up; the probe's own time limit only bounds a hang (a fixed 5 s
      // here once dropped the reply on a machine running two suites at once).
      const done = () => { s.destroy(); finish({ opcodes, payload: payload.toString("latin1") }); };
      const bound = setTimeout(done, Number(timeoutText));
      s.on("close", () => { clearTimeout(bound); done(); });
      s.write(frame(reply));
    }
  });
}

getPage(webSocket);
`;

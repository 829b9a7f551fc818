// The documented API endpoint must verify against the node's DEFAULT certificate with only the
// cluster CA trusted, and the old one (the tailnet address) must not.
//
// The certificates are made the way Proxmox VE makes them, with the same openssl commands
// (pve-cluster src/PVE/Cluster/Setup.pm, gen_pveca_cert and gen_pve_ssl_cert):
//   CA:   openssl genrsa 4096; openssl req -batch -days 3650 -new -x509 -nodes
//         -addext keyUsage=critical,keyCertSign,cRLSign -subj "/CN=Proxmox Virtual Environment/OU=<uuid>/O=PVE Cluster Manager CA/"
//   node: openssl genrsa 2048; openssl req -batch -new -subj "/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=<fqdn>"
//         -addext basicConstraints=CA:FALSE -addext extendedKeyUsage=serverAuth
//         -addext subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,IP:<ip>,DNS:<nodename>[,DNS:<nodename>.<search>]
//         then openssl x509 -req -CA ... -CAkey ... -CAserial ... -copy_extensions copyall
// (Proxmox wraps the two signing steps in `faketime yesterday` against clock skew; that moves
// notBefore by a day and has no bearing on name matching, so it is left out here.)
// <ip> is what the node name resolves to on the host (PVE::Cluster::remote_node_ip); for a
// standalone node that is the /etc/hosts entry the installer wrote, here the stack's public IPv4.
//
// The provider is a Go binary (bpg/terraform-provider-proxmox, proxmox/api/client.go: an
// http.Transport whose tls.Config sets only MinVersion and InsecureSkipVerify, so RootCAs is nil
// and Go's system pool is used). Node's TLS client stands in for Go's here. For this question the
// two agree: both check the chain against the trusted roots only, then match the URL host against
// the certificate's subjectAltName only (an IP literal against IP SANs, a name against DNS SANs,
// case-insensitively; Go ignores the CN since 1.15, Node ignores it when DNS SANs exist, which
// Proxmox's always has). No connection goes anywhere but 127.0.0.1: the endpoint's name is mapped
// to 127.0.0.1 by the `lookup` option, and the old endpoint's identity is checked on a connection
// to 127.0.0.1 with tls.checkServerIdentity for the old host.
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import { type AddressInfo, isIP } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { loadModelFromFile, readStackConfig } from "../../scripts/lib/stackFile";
import { ConfigError, parseStackConfig, rawConfigFromPulumi, SECRET_KEYS } from "../../stacks/config";
import { endpointHost } from "../../stacks/config/proxmox";

const model = loadModelFromFile();
const nodeName = model.proxmox.nodeName;
const documentedHost = endpointHost(model.proxmox.endpoint) as string;
// The old endpoint was https://<tailnet address>:8006; the tailnet address is where SSH goes.
const oldHost = model.ssh.host;
const nodeIp = (model.network.publicIpv4 ?? "").split("/")[0];

/** The subjectAltName list gen_pve_ssl_cert writes, in its order. */
function proxmoxSans(node: string, ip: string, search?: string): string {
  return `IP:127.0.0.1,IP:::1,DNS:localhost,IP:${ip},DNS:${node}${search ? `,DNS:${node}.${search}` : ""}`;
}

interface NodeCert {
  ca: string;
  key: string;
  cert: string;
  text: string;
}

function openssl(args: string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "pipe"] });
}

/** The cluster CA, made with gen_pveca_cert's openssl commands, into `dir`. */
function makeProxmoxCa(dir: string): void {
  openssl(["genrsa", "-out", "pve-root-ca.key", "4096"], dir);
  openssl(
    [
      "req",
      "-batch",
      "-days",
      "3650",
      "-new",
      "-x509",
      "-nodes",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-key",
      "pve-root-ca.key",
      "-out",
      "pve-root-ca.pem",
      "-subj",
      `/CN=Proxmox Virtual Environment/OU=${randomUUID()}/O=PVE Cluster Manager CA/`,
    ],
    dir,
  );
  fs.writeFileSync(path.join(dir, "pve-root-ca.srl"), "0000000000000000\n");
}

/** A node certificate made with gen_pve_ssl_cert's openssl commands, signed by the CA in `dir`. */
function makeProxmoxNodeCert(dir: string, node: string, ip: string, search?: string): NodeCert {
  const fqdn = search ? `${node}.${search}` : node;
  openssl(["genrsa", "-out", "pve-ssl.key", "2048"], dir);
  openssl(
    [
      "req",
      "-batch",
      "-new",
      "-key",
      "pve-ssl.key",
      "-out",
      "req.csr",
      "-subj",
      `/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=${fqdn}`,
      "-addext",
      "basicConstraints=CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-addext",
      `subjectAltName=${proxmoxSans(node, ip, search)}`,
    ],
    dir,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "req.csr",
      "-days",
      "730",
      "-out",
      "pve-ssl.pem",
      "-CAkey",
      "pve-root-ca.key",
      "-CA",
      "pve-root-ca.pem",
      "-CAserial",
      "pve-root-ca.srl",
      "-copy_extensions",
      "copyall",
    ],
    dir,
  );
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  return {
    ca: read("pve-root-ca.pem"),
    key: read("pve-ssl.key"),
    cert: read("pve-ssl.pem"),
    text: openssl(["x509", "-in", "pve-ssl.pem", "-noout", "-text"], dir),
  };
}

type Outcome = { ok: true; body: string } | { ok: false; code: string };

/** GET /api2/json/version from https://<host>:<port>, with `host` resolved to 127.0.0.1 only. */
function getVia(host: string, port: number, ca: string | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.get(
      {
        host,
        port,
        path: "/api2/json/version",
        ca,
        agent: false,
        timeout: 30000,
        // Never real DNS: the one name this test uses maps to loopback; anything else is an error.
        lookup: ((name: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
          if (name !== host) return cb(new Error(`unexpected lookup of ${name}`));
          if (opts?.all) return cb(null, [{ address: "127.0.0.1", family: 4 }]);
          return cb(null, "127.0.0.1", 4);
        }) as never,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ ok: true, body }));
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? e.message }));
  });
}

/** TLS to 127.0.0.1:<port>, verifying the chain against `ca` and the identity as `identity` (an IP). */
function identityAs(identity: string, port: number, ca: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: "127.0.0.1", port, ca, checkServerIdentity: (_h, cert) => tls.checkServerIdentity(identity, cert) });
    sock.setTimeout(30000, () => sock.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    sock.on("secureConnect", () => {
      sock.end();
      resolve({ ok: true, body: "" });
    });
    sock.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? e.message }));
  });
}

// One cluster CA for all cases, as on the host (a 4096-bit key takes seconds on a small machine).
let caDir = "";
beforeAll(() => {
  if (spawnSync("openssl", ["version"]).error) {
    throw new Error("openssl is not installed; install the Debian package openssl (the certificates are made with Proxmox's own openssl commands)");
  }
  caDir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-api-tls-"));
  makeProxmoxCa(caDir);
}, 120000);
afterAll(() => {
  if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
});

/** Connect as the provider would to `host`, but only ever to 127.0.0.1 (see the header). */
function connectAs(host: string, port: number, ca: string): Promise<Outcome> {
  // An IP literal is never looked up, so https.get would dial it for real: check its identity instead.
  if (isIP(host) !== 0) return identityAs(host, port, ca);
  return getVia(host, port, ca);
}

describe.each([
  ["without a search domain in resolv.conf", undefined],
  ["with the tailnet's search domain in resolv.conf (MagicDNS)", "tail0000.ts.net"],
])("the node's default certificate, %s", (_name, search) => {
  let certs: NodeCert;
  let server: https.Server;
  let port = 0;

  beforeAll(async () => {
    certs = makeProxmoxNodeCert(caDir, nodeName, nodeIp, search);
    server = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ data: { version: model.proxmox.version ?? "8" } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  }, 120000);

  afterAll(async () => {
    if (server) await new Promise((r) => server.close(r));
  });

  it("must carry the names gen_pve_ssl_cert writes (the stand-in is faithful)", () => {
    const sans = certs.text.match(/X509v3 Subject Alternative Name:\s*\n\s*(.+)/)?.[1];
    const expected = ["IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "DNS:localhost", `IP Address:${nodeIp}`, `DNS:${nodeName}`];
    if (search) expected.push(`DNS:${nodeName}.${search}`);
    expect(sans?.split(", ")).toEqual(expected);
    expect(certs.text).toContain("TLS Web Server Authentication");
    expect(certs.text).toContain("CA:FALSE");
  });

  it(`must verify for the documented endpoint ${model.proxmox.endpoint} with only the cluster CA trusted`, async () => {
    expect(documentedHost).not.toBe(oldHost);
    const r = await connectAs(documentedHost, port, certs.ca);
    expect(r).toMatchObject({ ok: true });
  });

  it("must fail for the node name when the cluster CA is not trusted (the CA step is needed)", async () => {
    const r = await getVia(nodeName, port, undefined);
    expect(r).toEqual({ ok: false, code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    expect(await getVia(nodeName, port, certs.ca)).toEqual({ ok: true, body: expect.stringContaining('"version"') });
  });

  it(`must fail for the old endpoint https://${oldHost}:8006 even with the cluster CA trusted`, async () => {
    const r = await identityAs(oldHost, port, certs.ca);
    expect(r).toEqual({ ok: false, code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("must verify for the node's own address from the certificate (the identity check can succeed)", async () => {
    expect(await identityAs(nodeIp, port, certs.ca)).toEqual({ ok: true, body: "" });
  });
});

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function proxmoxErrors(patch: Raw): string {
  const raw = structuredClone(rawConfigFromPulumi(readStackConfig(), SECRET_KEYS)) as Raw;
  Object.assign(raw.proxmox, patch);
  try {
    parseStackConfig(raw);
    return "";
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
}

describe("config rule: the endpoint host must be a name the node's certificate carries", () => {
  it.each<[string, Raw]>([
    ["the node name (the stack file's choice)", {}],
    ["localhost over an SSH forward", { endpoint: "https://localhost:8006" }],
    ["127.0.0.1 over an SSH forward", { endpoint: "https://127.0.0.1:8006" }],
    ["::1 over an SSH forward", { endpoint: "https://[::1]:8006" }],
    ["the node name in capitals", { endpoint: "https://NEVE:8006" }],
    ["an FQDN the certificate is declared to carry", { endpoint: "https://pve.example.com:8006", certificateNames: ["pve.example.com"] }],
    ["the tailnet address with verification knowingly off", { endpoint: "https://100.94.229.96:8006", insecure: true }],
  ])("must accept %s", (_name, patch) => {
    expect(proxmoxErrors(patch)).toBe("");
  });

  it.each<[string, Raw, string]>([
    [
      "the tailnet address (the old endpoint)",
      { endpoint: "https://100.94.229.96:8006" },
      'proxmox.endpoint: host "100.94.229.96" is not a name the node\'s certificate carries (neve, localhost, 127.0.0.1, ::1), so TLS verification would fail; use https://neve:8006',
    ],
    [
      "the MagicDNS FQDN, which is not certain to be in the certificate",
      { endpoint: "https://neve.tail0000.ts.net:8006" },
      'proxmox.endpoint: host "neve.tail0000.ts.net" is not a name',
    ],
    ["an FQDN not declared", { endpoint: "https://pve.example.com:8006", certificateNames: ["other.example.com"] }, "add it to proxmox.certificateNames"],
    ["a certificate name that is no name", { certificateNames: ["neve example"] }, "proxmox.certificateNames[0]: must be a DNS name or an IP address"],
  ])("must refuse %s, naming the field and the fix", (_name, patch, message) => {
    expect(proxmoxErrors(patch)).toContain(message);
  });
});

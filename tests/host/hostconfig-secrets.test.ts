/**
 * Secrets of a HostConfig (private key, secret file content) through the real capture, the REAL provider host and a
 * REAL sshd: never in `__provider`, never in plain outputs, never in an error message, never in the host's output.
 */

import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { unpackProvider } from "../../providers/common/packedProvider";
import type { HostConfigArgs } from "../../providers/hostconfig";
import { check, conn, create, type Declared, declare, filesOf, secretConn, up } from "../providers/support/hostconfigCase";
import { collectFailures, expectNoSecret, keyLines } from "../providers/support/secrets";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CREDS = "/etc/cloudflared/tunnel-creds.json";
const SECRET = `{"AccountTag":"acc","TunnelSecret":"TUNNEL-SECRET-${crypto.randomBytes(12).toString("hex")}","TunnelID":"t"}`;

/** Texts that must never leak: the secret file and every line of the private key body. */
function secretTexts(privateKey: string): string[] {
  const b64 = Buffer.from(SECRET).toString("base64");
  const reversed = [...SECRET].reverse().join("");
  return [SECRET, SECRET.slice(30, 70), SECRET.slice(45, 60), b64.slice(8, 40), reversed.slice(5, 30), ...keyLines(privateKey)];
}

describe("HostConfig secrets", () => {
  let host: TestHost;
  let ph: ProviderHost;
  let secrets: string[];
  const { errors, failing } = collectFailures();
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
    secrets = secretTexts(host.clientPrivateKey);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const args = (over: Partial<HostConfigArgs> = {}): HostConfigArgs => ({
    connection: secretConn(host),
    service: "cloudflared",
    files: [
      { path: CREDS, content: pulumi.secret(SECRET), mode: "0600", secret: true },
      { path: "/etc/cloudflared/config.yml", content: `credentials-file: ${CREDS}\n` },
    ],
    validate: [`grep -q TunnelSecret {staged:${CREDS}}`],
    ...over,
  });

  let d: Declared;

  it("must keep the private key and the secret file out of __provider, and mark both as secret inputs", async () => {
    d = await declare("tunnel", args());
    // The packed text and the SDK's text inside it (providers/common/packedProvider.ts).
    expectNoSecret("__provider", `${d.inputs.__provider}\n${unpackProvider(String(d.inputs.__provider))}`, secrets);
    expect(unpackProvider(String(d.inputs.__provider)).length).toBeGreaterThan(1000);
    expect(d.secretPaths).toEqual(expect.arrayContaining(["connection"]));
    expect(d.secretPaths.some((p) => p === "files" || p.startsWith("files[0]"))).toBe(true);
  });

  it("must treat a file whose content is already a Pulumi secret as secret even without `secret: true`", async () => {
    const auto = await declare("auto", args({ files: [{ path: CREDS, content: pulumi.secret(SECRET), mode: "0600" }] }));
    expect((auto.inputs.files as { secret: boolean }[])[0].secret).toBe(true);
    expectNoSecret("__provider", `${auto.inputs.__provider}\n${unpackProvider(String(auto.inputs.__provider))}`, secrets);
  });

  it("must keep secret content out of the plain outputs (hash only), the key only in the secret connection output", async () => {
    const s = await create(ph, d);
    expect(await host.readFile(CREDS)).toBe(SECRET);
    const f = filesOf(s)[0];
    expect(f).toMatchObject({ secret: true, content: null, mode: "0600", sha256: crypto.createHash("sha256").update(SECRET).digest("hex") });
    const { connection, __provider, ...plain } = s.outputs;
    void __provider;
    expectNoSecret("plain outputs", JSON.stringify(plain), secrets);
    expect((connection as { privateKey: string }).privateKey).toBe(host.clientPrivateKey);
    // Refresh: still hash only.
    const r = await ph.read(s.id, "", s.outputs);
    const { connection: _c, ...plainRead } = r.properties;
    expectNoSecret("plain outputs after read", JSON.stringify(plainRead), secrets);
    // A changed secret is an update by hash.
    const { diff } = await up(
      ph,
      s,
      await declare(
        "tunnel",
        args({
          files: [
            { path: CREDS, content: pulumi.secret(`${SECRET} `), secret: true, mode: "0600" },
            { path: "/etc/cloudflared/config.yml", content: `credentials-file: ${CREDS}\n` },
          ],
        }),
      ),
    );
    expect(diff.changes).toBe("some");
  });

  it("must withhold the output of a validator, activation or health check that can read a secret file: whole, pretty-printed, in part or base64", async () => {
    const withheld = `output withheld: the command can read ${CREDS}, a secret file`;
    const leaks: [string, Partial<HostConfigArgs>, RegExp][] = [
      [
        "v-whole",
        { validate: [`cat {staged:${CREDS}}; exit 1`] },
        /validation failed, nothing was changed: `cat \{staged:\/etc\/cloudflared\/tunnel-creds\.json\}; exit 1` exited with 1:\noutput withheld/,
      ],
      ["v-pretty", { validate: [`python3 -m json.tool {staged:${CREDS}} || sed 's/,/,\\n  /g' {staged:${CREDS}}; exit 1`] }, /exited with 1:\noutput withheld/],
      ["v-part", { validate: [`cut -c 30-60 {staged:${CREDS}} >&2; exit 2`] }, /exited with 2:\noutput withheld/],
      ["v-base64", { validate: [`base64 {staged:${CREDS}}; exit 3`] }, /exited with 3:\noutput withheld/],
      ["a-rev", { validate: [], activate: `rev ${CREDS}; exit 4` }, /activation `rev \/etc\/cloudflared\/tunnel-creds\.json; exit 4` failed \(exit 4\)/],
      [
        "h-base64",
        { validate: [], healthCheck: `base64 -w0 ${CREDS} >&2; exit 5` },
        /health check `base64 -w0 \/etc\/cloudflared\/tunnel-creds\.json >&2; exit 5` failed \(exit 5\): output withheld/,
      ],
    ];
    for (const [service, over, want] of leaks) {
      const m = await failing(create(ph, await declare(service, args({ service, ...over }))));
      expect(m).toMatch(want);
      expect(m).toContain(withheld);
    }
  });

  it("must never quote the private key in errors: malformed key, refused key", async () => {
    const garbled = `-----BEGIN OPENSSH PRIVATE KEY-----\nGARBLED-KEY-MATERIAL-${crypto.randomBytes(8).toString("hex")}\n-----END OPENSSH PRIVATE KEY-----\n`;
    secrets.push(garbled.split("\n")[1]);
    const bad = await declare("badkey", args({ service: "badkey", connection: { ...conn(host), privateKey: pulumi.secret(garbled) } }));
    const inputs = await check(ph, bad);
    const m = await failing(ph.create(bad.urn, inputs));
    expect(m).toMatch(/cannot use connection\.privateKey for root@[\d.]+:22: it is not a private key this client can read/);
    // ssh2 would quote bytes decoded from the key ("Unsupported OpenSSH key magic: ...").
    const magic = `MAGIC-${crypto.randomBytes(4).toString("hex")}`;
    secrets.push(magic);
    const badMagic = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from(magic + "x".repeat(40)).toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const bm = await failing(
      create(ph, await declare("badmagic", args({ service: "badmagic", connection: { ...conn(host), privateKey: pulumi.secret(badMagic) } }))),
    );
    expect(bm).toMatch(/the parser's message is withheld because it can quote the key/);
    expect(bm).not.toMatch(/key magic/i);
    const notAKey = await declare(
      "notakey",
      args({ service: "notakey", connection: { ...conn(host), privateKey: pulumi.secret(`hunter2-NOT-A-KEY-${"x".repeat(10)}`) } }),
    );
    secrets.push("hunter2-NOT-A-KEY-");
    const r = await ph.check(notAKey.urn, {}, notAKey.inputs);
    expect(r.failures).toEqual([{ property: "connection.privateKey", reason: expect.stringMatching(/must be the text of a private key/) }]);
    errors.push(JSON.stringify(r.failures));
    const refused = await failing(
      create(ph, await declare("refused", args({ service: "refused", connection: { ...conn(host), privateKey: pulumi.secret(host.otherPrivateKey) } }))),
    );
    secrets.push(...keyLines(host.otherPrivateKey));
    expect(refused).toMatch(/SSH authentication refused/);
  });

  it("must have leaked no secret into any error message or the provider host's output", () => {
    expect(errors.length).toBeGreaterThanOrEqual(10);
    for (const e of errors) expectNoSecret("error message", e, secrets);
    expectNoSecret("provider host output", ph.output(), secrets);
  });
});

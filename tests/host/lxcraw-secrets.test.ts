/**
 * Secrets of an LxcRawConfig (the SSH private key) through the real capture, the REAL provider host and a REAL sshd:
 * never in `__provider`, never in plain outputs, never in an error message, never in the host's output. Also proves
 * that the pure renderer travels inside `__provider` (the provider host has no access to the repo's sources).
 */

import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { unpackProvider } from "../../providers/common/packedProvider";
import type { LxcRawConfigArgs } from "../../providers/lxcraw";
import { check, conn, create, type Declared } from "../providers/support/hostconfigCase";
import { declareLxcRaw, lxcRawArgs } from "../providers/support/lxcrawCase";
import { collectFailures, expectNoSecret, keyLines } from "../providers/support/secrets";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CONF = "/etc/pve/lxc/201.conf";
const CT = "arch: amd64\nhostname: lune\nmemory: 4096\n\n[atlas]\nmemory: 2048\nlxc.apparmor.profile: generated\n";

describe("LxcRawConfig secrets", () => {
  let host: TestHost;
  let ph: ProviderHost;
  let secrets: string[];
  const { errors, failing } = collectFailures();
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
    secrets = keyLines(host.clientPrivateKey);
    await host.writeFile(CONF, CT, "0640");
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const args = (over: Partial<LxcRawConfigArgs> = {}) => lxcRawArgs(host, over);

  let d: Declared;

  it("must keep the private key out of __provider, mark the connection secret, and carry the renderer itself", async () => {
    d = await declareLxcRaw("lune-raw", args());
    // The SDK's text inside the packed module (providers/common/packedProvider.ts), and the packed text itself.
    const provider = unpackProvider(String(d.inputs.__provider));
    expectNoSecret("__provider", `${d.inputs.__provider}\n${provider}`, secrets);
    expect(d.secretPaths).toEqual(expect.arrayContaining(["connection"]));
    // The splice runs in the provider host: renderLxcRawConfig's body must be in the serialized module, not a require
    // of a repo path the provider host could not load.
    expect(provider).toContain("return function /*renderLxcRawConfig*/(existing, model)");
    expect(provider).toContain("refusing to write only raw lines");
    expect(provider).not.toMatch(/require\("\.{1,2}\//);
  });

  it("must mark the connection secret also when the key is given as a plain string", async () => {
    const plain = await declareLxcRaw("plain-key", args({ connection: conn(host) }));
    expect(plain.secretPaths).toEqual(expect.arrayContaining(["connection"]));
    expectNoSecret("__provider", `${plain.inputs.__provider}\n${unpackProvider(String(plain.inputs.__provider))}`, secrets);
  });

  it("must keep the key only in the secret connection output, none in the plain outputs or after a refresh", async () => {
    const s = await create(ph, d);
    expect(await host.readFile(CONF)).toContain("lxc.apparmor.profile: unconfined\n");
    const { connection, ...plain } = s.outputs;
    expectNoSecret("plain outputs", JSON.stringify(plain), secrets);
    expect((connection as { privateKey: string }).privateKey).toBe(host.clientPrivateKey);
    // Positive control: the detector does find the key where it legitimately is.
    expect(() => expectNoSecret("connection output", JSON.stringify(connection), secrets)).toThrow(/contains secret text/);
    const r = await ph.read(s.id, "", s.outputs);
    const { connection: _c, ...plainRead } = r.properties;
    expectNoSecret("plain outputs after read", JSON.stringify(plainRead), secrets);
  });

  it("must not quote the key in errors: missing container, garbled key, refused key, unreachable host", async () => {
    const missing = await failing(create(ph, await declareLxcRaw("ghost", args({ vmid: 404 }))));
    expect(missing).toMatch(/^CT 404 does not exist on /);
    const garbled = `-----BEGIN OPENSSH PRIVATE KEY-----\nGARBLED-KEY-MATERIAL-${crypto.randomBytes(8).toString("hex")}\n-----END OPENSSH PRIVATE KEY-----\n`;
    secrets.push(garbled.split("\n")[1]);
    const bad = await declareLxcRaw("badkey", args({ connection: { ...conn(host), privateKey: pulumi.secret(garbled) } }));
    const m = await failing(ph.create(bad.urn, await check(ph, bad)));
    expect(m).toMatch(/cannot use connection\.privateKey for root@[\d.]+:22/);
    secrets.push(...keyLines(host.otherPrivateKey));
    const refused = await failing(
      create(ph, await declareLxcRaw("refused", args({ connection: { ...conn(host), privateKey: pulumi.secret(host.otherPrivateKey) } }))),
    );
    expect(refused).toMatch(/SSH authentication refused for root@[\d.]+:22/);
    const closed = await failing(create(ph, await declareLxcRaw("closed", args({ connection: { ...conn(host), port: 2 } }))));
    expect(closed).toMatch(/cannot reach root@[\d.]+:2: connection refused/);
  });

  it("must have leaked no secret into any error message or the provider host's output", () => {
    expect(errors.length).toBe(4);
    for (const e of errors) expectNoSecret("error message", e, secrets);
    expectNoSecret("provider host output", ph.output(), secrets);
  });
});

// The packed `__provider` (providers/common/packedProvider.ts): the SDK's text travels deflated and runs exactly as the
// provider host runs any `__provider` (require-from-string). That the real provider host runs the packed HostConfig and
// LxcRawConfig providers end to end is what every test under tests/host does; this file holds the packing itself.
import * as pulumi from "@pulumi/pulumi";
import { PACKED_HEADER, packProvider, unpackProvider } from "../../providers/common/packedProvider";
import { HostConfig } from "../../providers/hostconfig";
import { captureResources } from "../host/harness/capture";

// The copy the provider host itself loads (@pulumi/pulumi cmd/dynamic-provider/index.js).
const requireFromString = require(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] })) as (
  code: string,
  filename?: string,
) => { handler: () => unknown };

/** A module text as the SDK writes one: `exports.handler` returns the provider. */
const sdkLike = (body: string) =>
  `exports.handler = __f0;\nfunction __f0() {\n  return (function() {\n${body}\n  }).apply(undefined, undefined).apply(this, arguments);\n}\n`;

describe("packProvider / unpackProvider", () => {
  const text = sdkLike(
    'return () => ({ name: "é ✓ 𝄞 \\\\ \\" ` ${x} $HOME \'q\'", path: require("node:path").posix.join("a", "b"), ssh2: typeof require("ssh2").Client });',
  );

  it("must give back the SDK's text byte for byte, non-ASCII, quotes, backslashes and `$` included", () => {
    const packed = packProvider(text);
    expect(packed.startsWith(`${PACKED_HEADER}\n`)).toBe(true);
    expect(unpackProvider(packed)).toBe(text);
    expect(packProvider(text)).toBe(packed);
  });

  it("must run as the provider host runs a __provider, with the inner module's require resolving packages and node: modules", () => {
    const plain = requireFromString(text).handler();
    const packed = requireFromString(packProvider(text)).handler();
    expect(packed).toEqual(plain);
    expect(packed).toEqual({ name: "é ✓ 𝄞 \\ \" ` ${x} $HOME 'q'", path: "a/b", ssh2: "function" });
  });

  it("must leave a text that is not packed as it is, and refuse a packed header without its payload", () => {
    expect(unpackProvider(text)).toBe(text);
    expect(() => unpackProvider(`${PACKED_HEADER}\nexports.handler = 1;\n`)).toThrow(/without its payload/);
  });

  it("must ship HostConfig's provider packed, at most a third of the SDK's text, and run it to a provider with every method", async () => {
    const [r] = await captureResources(() => {
      new HostConfig("packed", {
        connection: { host: "neve", hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
        service: "demo",
        files: [{ path: "/etc/demo.conf", content: pulumi.output("x\n") }],
      });
    });
    const shipped = r.inputs.__provider as string;
    const inner = unpackProvider(shipped);
    expect(shipped.length).toBeLessThan(inner.length / 3);
    const provider = requireFromString(shipped).handler() as Record<string, unknown>;
    for (const m of ["check", "diff", "create", "update", "read", "delete"]) expect(typeof provider[m]).toBe("function");
    const checked = await (provider.check as (o: unknown, n: unknown) => Promise<{ failures: unknown[] }>)({}, r.inputs);
    expect(checked.failures).toEqual([]);
  }, 60000);
});

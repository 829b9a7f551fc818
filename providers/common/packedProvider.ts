import * as zlib from "node:zlib";

/**
 * The `__provider` a dynamic resource ships: the SDK's closure serialization (the module text whose
 * `exports.handler()` returns the provider), deflated and base64-encoded inside a short module that
 * inflates and runs it. Program side only (a provider module never imports this file).
 *
 * Why: `__provider` crosses the provider host's gRPC boundary four times per resource on a first push
 * (the check request and its answer, the create request and its answer: @pulumi/pulumi
 * cmd/dynamic-provider/index.js returns it in `inputs` and `properties`), and the provider host encodes
 * and decodes each time with google-protobuf's JavaScript code, about 80 ns per character to encode.
 * At 135 kB of text that was some 60 ms of the provider host's single thread per resource, most of
 * what a first push spent beyond its SSH work (bench/README.md). Deflated it is about a third.
 *
 * Equivalence: the inner text is run exactly as the provider host runs a `__provider`
 * (require-from-string: `Module#_compile` of a new module whose `require` resolves from the provider
 * host's working directory); the outer module hands over its own `require`, which resolves the same way,
 * and its own file name. {@link unpackProvider} gives back the SDK's text byte for byte, which
 * tests/unit/provider-cache.test.ts holds to the SDK's class. Node's zlib makes the same bytes for the
 * same input and Node version (the provider cache's key covers the version).
 */

/** First line of every packed `__provider`: how to tell one from an SDK text, and where to read about it. */
export const PACKED_HEADER = "// neve-infra: a Pulumi closure serialization, deflated (providers/common/packedProvider.ts)";

const PAYLOAD = /\nconst packed = "([A-Za-z0-9+/=]*)";\n/;

/** The `__provider` module that runs `text` (the SDK's serialization). */
export function packProvider(text: string): string {
  const b64 = zlib.deflateRawSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64");
  return [
    PACKED_HEADER,
    `const packed = "${b64}";`,
    "exports.handler = function handler() {",
    '  const text = require("zlib").inflateRawSync(Buffer.from(packed, "base64")).toString("utf8");',
    '  const Module = require("module");',
    "  const inner = new Module(module.filename, module);",
    "  inner.filename = module.filename;",
    "  inner.paths = module.paths;",
    "  inner._compile(text, module.filename);",
    "  return inner.exports.handler();",
    "};",
    "",
  ].join("\n");
}

/** The SDK's text inside a packed `__provider`; any other text is returned as it is. */
export function unpackProvider(provider: string): string {
  if (!provider.startsWith(`${PACKED_HEADER}\n`)) return provider;
  const m = PAYLOAD.exec(provider);
  if (!m) throw new Error("a packed __provider without its payload");
  return zlib.inflateRawSync(Buffer.from(m[1], "base64")).toString("utf8");
}

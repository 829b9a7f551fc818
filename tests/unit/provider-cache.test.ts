// The serialized-provider cache (providers/common/providerCache.ts): a warm plan must show exactly
// the `__provider` a fresh serialization makes, any change to the code behind it must miss, and no
// run whose __provider runs (preview, up) reads it. Its trust rule: tests/unit/cache-trust.test.ts.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { serializeProvider } from "../../providers/common/dynamicResource";
import { PACKED_HEADER, packProvider, unpackProvider } from "../../providers/common/packedProvider";
import {
  forgetProviderCodeDigests,
  MAX_CACHED_PROVIDERS,
  providerCacheDir,
  providerCacheKey,
  readCachedProvider,
  writeCachedProvider,
} from "../../providers/common/providerCache";
import { HostConfig } from "../../providers/hostconfig";
import { hostConfigProvider } from "../../providers/hostconfig/provider";
import { LxcRawConfig } from "../../providers/lxcraw";
import { lxcRawConfigProvider } from "../../providers/lxcraw/provider";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { type CapturedResource, captureResources } from "../host/harness/capture";
import { FIXTURE_STACK_FILE, REAL_STACK_FILE } from "../support/stacks";
import { reconciled, stackSections } from "./support/adoption";
import { runCmdRun } from "./support/cmdRun";

const run = promisify(execFile);
const HOST_KEY = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
/** The SDK's own class (abstract in its typings), for comparison. */
class SdkDynamicResource extends pulumi.dynamic.Resource {}
const sha16 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "neve-provider-cache-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("DynamicResource against pulumi.dynamic.Resource", () => {
  let captured: CapturedResource[];
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = path.join(tmp, "in-process");
    process.env.NEVE_PROVIDER_CACHE = cacheDir;
    const connection = { host: "neve", hostKey: HOST_KEY };
    captured = await captureResources(() => {
      new HostConfig("ours-host", { connection, service: "demo", files: [{ path: "/etc/demo.conf", content: "x\n" }] });
      new LxcRawConfig("ours-lxc", { connection, vmid: 201, rawLines: ["lxc.cgroup2.devices.allow: c 10:200 rwm"] });
      new SdkDynamicResource(hostConfigProvider, "sdk-host", { service: "demo" }, undefined, "neve", "HostConfig");
      new SdkDynamicResource(lxcRawConfigProvider, "sdk-lxc", { vmid: 201 }, undefined, "neve", "LxcRawConfig");
    });
  }, 120000);
  afterAll(() => {
    delete process.env.NEVE_PROVIDER_CACHE;
  });
  const byName = (n: string) => {
    const r = captured.find((c) => c.name === n);
    if (!r) throw new Error(`${n} was not registered`);
    return r;
  };

  it.each([
    ["ours-host", "sdk-host"],
    ["ours-lxc", "sdk-lxc"],
  ])("must register %s with the type token of the SDK's class and the __provider text it gives %s, packed", (ours, sdk) => {
    const a = byName(ours);
    const b = byName(sdk);
    expect(a.type).toBe(b.type);
    expect(a.type).toMatch(/^pulumi-nodejs:dynamic\/neve:(HostConfig|LxcRawConfig)$/);
    const shippedText = a.inputs.__provider as string;
    expect(typeof shippedText).toBe("string");
    expect(shippedText.startsWith(`${PACKED_HEADER}\n`)).toBe(true);
    expect((b.inputs.__provider as string).length).toBeGreaterThan(10000);
    // Byte for byte the SDK's text inside, and at most half its size on the wire.
    expect(unpackProvider(shippedText)).toBe(b.inputs.__provider);
    expect(shippedText.length).toBeLessThan((b.inputs.__provider as string).length / 2);
    expect(shippedText).toBe(packProvider(b.inputs.__provider as string));
  });

  it("must keep exactly that text on disk, one entry per provider", () => {
    const entries = fs.readdirSync(cacheDir).filter((f) => f.endsWith(".json"));
    expect(entries).toHaveLength(2);
    const texts = entries.map((f) => JSON.parse(fs.readFileSync(path.join(cacheDir, f), "utf8")).text).sort();
    expect(texts).toEqual([byName("sdk-host").inputs.__provider, byName("sdk-lxc").inputs.__provider].sort());
  });

  it("must refuse a provider whose closure captured a Pulumi secret, without printing the secret", async () => {
    const token = pulumi.secret("hunter2-not-for-state");
    const leaky: pulumi.dynamic.ResourceProvider = {
      async create() {
        return { id: String(token) };
      },
    };
    const err = await serializeProvider(leaky, "pulumi-nodejs:dynamic/neve:Leaky").then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/pulumi-nodejs:dynamic\/neve:Leaky captured a Pulumi secret.*pass secrets to the resource as inputs/);
    expect(err?.message).not.toContain("hunter2");
  });
});

describe("npm run plan with the cache", () => {
  // The real command with a probe that counts how often V8's debugger was enabled (the closure
  // serializer's first step), on a cache directory of its own.
  const plan = async (cache: string) => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        "--require",
        "./tests/unit/support/inspectorProbe.js",
        "--require",
        "./scripts/register.js",
        "scripts/plan.ts",
        "--json",
        "--config",
        FIXTURE_STACK_FILE,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, NEVE_PROVIDER_CACHE: cache }, maxBuffer: 64 * 1024 * 1024 },
    );
    const enabled = Number(/inspector-probe: debugger-enabled=(\d+)/.exec(stderr)?.[1]);
    const resources: { type: string; inputs: Record<string, unknown> }[] = JSON.parse(stdout).resources;
    const providers = [...new Set(resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => `${r.type} ${r.inputs.__provider}`))].sort();
    return { enabled, providers };
  };
  let fresh: Awaited<ReturnType<typeof plan>>;
  let cold: Awaited<ReturnType<typeof plan>>;
  let warm: Awaited<ReturnType<typeof plan>>;
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, "plan");
    fresh = await plan("off");
    cold = await plan(dir);
    warm = await plan(dir);
  }, 180000);

  it("must serialize every time with NEVE_PROVIDER_CACHE=off, and on the first run into an empty cache", () => {
    expect(fresh.providers).toHaveLength(2);
    expect(fresh.enabled).toBeGreaterThanOrEqual(1);
    expect(cold.enabled).toBeGreaterThanOrEqual(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".json"))).toHaveLength(2);
  });

  it("must not run the closure serializer on a warm run, and ship the same __provider as a fresh serialization", () => {
    expect(warm.enabled).toBe(0);
    expect(warm.providers).toEqual(fresh.providers);
    expect(cold.providers).toEqual(fresh.providers);
  });

  it("must ship the same __provider as the SDK's own class in another process (jest's transpile, in-process)", async () => {
    const texts = await Promise.all([
      serializeProvider(hostConfigProvider, "pulumi-nodejs:dynamic/neve:HostConfig"),
      serializeProvider(lxcRawConfigProvider, "pulumi-nodejs:dynamic/neve:LxcRawConfig"),
    ]);
    const digests = texts.map((t) => `sha256:${sha16(packProvider(t))}`);
    for (const d of digests) expect(warm.providers.some((p) => p.includes(d))).toBe(true);
  }, 60000);

  it("must serialize again when an entry on disk was damaged, and repair it", async () => {
    const entry = fs.readdirSync(dir).find((f) => f.endsWith(".json")) as string;
    fs.writeFileSync(path.join(dir, entry), fs.readFileSync(path.join(dir, entry), "utf8").replace("exports.handler", "exports.handlr"));
    const again = await plan(dir);
    expect(again.enabled).toBe(1);
    expect(again.providers).toEqual(fresh.providers);
    expect(fs.readFileSync(path.join(dir, entry), "utf8")).toContain("exports.handler");
  }, 60000);
});

describe("under @pulumi/pulumi/cmd/run (what `pulumi preview` and `pulumi up` run)", () => {
  // An entry that is intact (right key, right sha256) but not what the serializer makes, as a
  // same-user edit of the cache would leave it: neither a preview (whose provider host runs
  // __provider with the stack's secrets at hand) nor an update may ship it.
  const configOverrides = { adoption: reconciled(stackSections(REAL_STACK_FILE)).adoption };
  const providers = [
    ["pulumi-nodejs:dynamic/neve:HostConfig", hostConfigProvider],
    ["pulumi-nodejs:dynamic/neve:LxcRawConfig", lxcRawConfigProvider],
  ] as const;
  let dir: string;
  let fresh: Record<string, string>;
  const planted = (token: string) => `${fresh[token]}\n// planted in the cache by the test\n`;
  // What a run shipped, unpacked: the SDK's text (packing itself is held to the SDK's class above).
  const shipped = (r: Awaited<ReturnType<typeof runCmdRun>>) =>
    Object.fromEntries(
      r.registrations.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic")).map((x) => [x.type, unpackProvider(x.inputs.__provider as string)]),
    );
  const plant = () => {
    for (const [token, provider] of providers) {
      const key = providerCacheKey(token, provider);
      if (!key) throw new Error("no cache key: package-lock.json missing?");
      writeCachedProvider(dir, key, planted(token));
    }
  };
  beforeAll(async () => {
    dir = path.join(tmp, "cmd-run");
    fresh = Object.fromEntries(await Promise.all(providers.map(async ([token, p]) => [token, await serializeProvider(p, token)])));
  }, 60000);

  it("must serialize afresh in a preview, whatever the cache holds (only the offline plan reads it), and put the fresh text in the cache", async () => {
    plant();
    const r = await runCmdRun({ configOverrides, dryRun: true, env: { NEVE_PROVIDER_CACHE: dir } });
    expect(r.code).toBe(0);
    expect(shipped(r)).toEqual(fresh);
    for (const [token, provider] of providers) expect(readCachedProvider(dir, providerCacheKey(token, provider) as string)).toBe(fresh[token]);
  }, 120000);

  it("must serialize afresh in an update, whatever the cache holds, and put the fresh text in the cache", async () => {
    plant();
    const r = await runCmdRun({ configOverrides, dryRun: false, env: { NEVE_PROVIDER_CACHE: dir } });
    expect(r.code).toBe(0);
    expect(shipped(r)).toEqual(fresh);
    for (const [token, provider] of providers) expect(readCachedProvider(dir, providerCacheKey(token, provider) as string)).toBe(fresh[token]);
  }, 120000);
});

describe("the cache key", () => {
  let root: string;
  const provider = { create: async () => ({ id: "a" }), diff: async () => ({}) };
  const key = (p: object = provider, id = "pulumi-nodejs:dynamic/neve:T") => {
    forgetProviderCodeDigests();
    return providerCacheKey(id, p, root);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(tmp, "root-"));
    for (const [rel, text] of [
      ["package-lock.json", '{"lockfileVersion":3}'],
      ["tsconfig.json", '{"compilerOptions":{}}'],
      ["scripts/lib/transpile.js", "// transpile"],
      ["providers/common/shell.ts", "export const a = 1;"],
      ["providers/hostconfig/provider.ts", "export const b = 2;"],
    ]) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    }
  });
  afterAll(() => forgetProviderCodeDigests());

  it("must be stable while nothing changes", () => {
    expect(key()).toMatch(/^[0-9a-f]{64}$/);
    expect(key()).toBe(key());
  });

  it.each([
    ["a provider module changes", "providers/common/shell.ts", "export const a = 3;"],
    ["a provider module is added", "providers/ssh/new.ts", "export {};"],
    ["a package version changes", "package-lock.json", '{"lockfileVersion":3,"x":1}'],
    ["the TypeScript settings change", "tsconfig.json", '{"compilerOptions":{"target":"es2019"}}'],
    ["the transpile changes", "scripts/lib/transpile.js", "// transpile 2"],
  ])("must change when %s", (_what, rel, text) => {
    const before = key();
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
    expect(key()).not.toBe(before);
  });

  it("must change when an environment variable of Pulumi's TypeScript path changes", () => {
    const before = key();
    process.env.TS_NODE_COMPILER_OPTIONS = '{"target":"es5"}';
    try {
      expect(key()).not.toBe(before);
    } finally {
      delete process.env.TS_NODE_COMPILER_OPTIONS;
    }
  });

  it("must follow a symbolic link under providers/ to the module it names", () => {
    fs.writeFileSync(path.join(root, "elsewhere.ts"), "export const c = 1;");
    fs.symlinkSync(path.join(root, "elsewhere.ts"), path.join(root, "providers/common/linked.ts"));
    const before = key();
    fs.writeFileSync(path.join(root, "elsewhere.ts"), "export const c = 2;");
    expect(key()).not.toBe(before);
  });

  it("must not change for files that cannot be modules (editor swap files, .DS_Store)", () => {
    const before = key();
    fs.writeFileSync(path.join(root, "providers/common/.shell.ts.swp"), "x");
    fs.writeFileSync(path.join(root, "providers/.DS_Store"), "x");
    expect(key()).toBe(before);
  });

  it("must change when a provider module is renamed", () => {
    const before = key();
    fs.renameSync(path.join(root, "providers/common/shell.ts"), path.join(root, "providers/common/shell2.ts"));
    expect(key()).not.toBe(before);
  });

  it("must differ between providers, and between loaded method texts (coverage-instrumented code is other code)", () => {
    expect(key(provider, "pulumi-nodejs:dynamic/neve:A")).not.toBe(key(provider, "pulumi-nodejs:dynamic/neve:B"));
    expect(key({ ...provider, create: async () => ({ id: "b" }) })).not.toBe(key());
  });

  it("must not exist without package-lock.json (nothing is cached when the package versions are unknown)", () => {
    fs.rmSync(path.join(root, "package-lock.json"));
    expect(key()).toBeUndefined();
  });
});

describe("cache entries", () => {
  const k = "a".repeat(64);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmp, "entries-"));
  });

  it("must read back what was written", () => {
    writeCachedProvider(dir, k, "exports.handler = 1;");
    expect(readCachedProvider(dir, k)).toBe("exports.handler = 1;");
    expect(fs.readdirSync(dir)).toEqual([`${k}.json`]);
  });

  it.each([
    ["an edited text", (s: string) => s.replace("= 1", "= 2")],
    ["a cut-short file", (s: string) => s.slice(0, s.length - 5)],
    ["another key inside", (s: string) => s.replace(`"key":"${k}"`, `"key":"${"b".repeat(64)}"`)],
    ["an empty file", () => ""],
  ])("must ignore %s", (_what, damage) => {
    writeCachedProvider(dir, k, "exports.handler = 1;");
    const p = path.join(dir, `${k}.json`);
    fs.writeFileSync(p, damage(fs.readFileSync(p, "utf8")));
    expect(readCachedProvider(dir, k)).toBeUndefined();
  });

  it(`must keep only the ${MAX_CACHED_PROVIDERS} most recently used entries`, () => {
    const keys = Array.from({ length: MAX_CACHED_PROVIDERS + 3 }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));
    keys.forEach((key, i) => {
      writeCachedProvider(dir, key, `text ${i}`);
      const t = new Date(Date.now() - (keys.length - i) * 1000);
      fs.utimesSync(path.join(dir, `${key}.json`), t, t);
    });
    expect(fs.readdirSync(dir)).toHaveLength(MAX_CACHED_PROVIDERS);
    expect(readCachedProvider(dir, keys[2])).toBeUndefined();
    expect(readCachedProvider(dir, keys[3])).toBe("text 3");
    expect(readCachedProvider(dir, keys[keys.length - 1])).toBe(`text ${keys.length - 1}`);
  });

  it("must neither read nor write a directory that other users can write (entries are code a preview runs)", () => {
    writeCachedProvider(dir, k, "exports.handler = 1;");
    fs.chmodSync(dir, 0o777);
    expect(readCachedProvider(dir, k)).toBeUndefined();
    writeCachedProvider(dir, "b".repeat(64), "x");
    expect(fs.readdirSync(dir)).toEqual([`${k}.json`]);
    fs.chmodSync(dir, 0o755);
    expect(readCachedProvider(dir, k)).toBe("exports.handler = 1;");
  });

  it("must not read an entry that other users can write", () => {
    writeCachedProvider(dir, k, "exports.handler = 1;");
    expect(fs.statSync(path.join(dir, `${k}.json`)).mode & 0o777).toBe(0o600);
    fs.chmodSync(path.join(dir, `${k}.json`), 0o666);
    expect(readCachedProvider(dir, k)).toBeUndefined();
  });

  it("must not throw, nor leave a temporary file, when the directory cannot be written", () => {
    const blocked = path.join(dir, "file-not-dir");
    fs.writeFileSync(blocked, "");
    expect(() => writeCachedProvider(path.join(blocked, "cache"), k, "x")).not.toThrow();
    expect(readCachedProvider(path.join(blocked, "cache"), k)).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual(["file-not-dir"]);
  });
});

describe("NEVE_PROVIDER_CACHE", () => {
  it.each([
    [undefined, path.join("/r", "node_modules", ".cache", "neve-providers")],
    ["", path.join("/r", "node_modules", ".cache", "neve-providers")],
    ["off", undefined],
    ["/elsewhere/cache", "/elsewhere/cache"],
  ])("must map %p to %p", (value, dir) => {
    expect(providerCacheDir(value === undefined ? {} : { NEVE_PROVIDER_CACHE: value }, "/r")).toBe(dir);
  });
});

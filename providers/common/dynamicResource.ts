import * as pulumi from "@pulumi/pulumi";
import { providerCacheDir, providerCacheKey, readCachedProvider, writeCachedProvider } from "./providerCache";
import { deploysNothing } from "./runMode";

/**
 * `pulumi.dynamic.Resource`, with the serialized provider kept on disk between runs
 * (providers/common/providerCache.ts says why and what the key covers). Program side only.
 *
 * It registers what `pulumi.dynamic.Resource` (@pulumi/pulumi dynamic/index.ts) registers: the
 * type `pulumi-nodejs:dynamic/<module>:<type>`, the given properties plus `__provider`, the text of
 * `serializeFunction(() => provider, { allowSecrets: true })`. tests/unit/provider-cache.test.ts
 * holds both to the SDK's class, so a change in the SDK fails there first.
 *
 * The cache is read only by runs that deploy nothing (a preview, the offline plan; see
 * providers/common/runMode.ts). The update of `pulumi up`, and mock runs other than the offline
 * plan, serialize afresh and refresh the entry: whatever the key cannot see, the state and the
 * provider host of an update get the text of the code as it is now.
 *
 * Two differences, on purpose: `module` and `type` are required (the SDK defaults them), and a
 * provider whose closure captured a secret is refused instead of being stored as a secret
 * `__provider`. Secrets reach the providers as inputs only.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  constructor(
    provider: pulumi.dynamic.ResourceProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if (props.__provider) throw new Error("A dynamic resource must not define the __provider key");
    if (!module || !type) throw new Error("DynamicResource needs a module and a type: they make its type token");
    const token = `pulumi-nodejs:dynamic/${module}:${type}`;
    super(token, name, { ...props, __provider: serializedProvider(provider, token) }, opts);
  }
}

/** One serialization per provider object, process and kind of read, as the SDK's own cache keeps one per provider. */
const texts = { cached: new WeakMap<object, Promise<string>>(), fresh: new WeakMap<object, Promise<string>>() };

function serializedProvider(provider: pulumi.dynamic.ResourceProvider, token: string): pulumi.Output<string> {
  // Decided when the resource is constructed, not when the promise runs.
  const readCache = deploysNothing();
  const memo = readCache ? texts.cached : texts.fresh;
  let text = memo.get(provider);
  if (text === undefined) {
    text = cachedOrSerialized(provider, token, readCache);
    memo.set(provider, text);
  }
  return pulumi.output(text);
}

async function cachedOrSerialized(provider: pulumi.dynamic.ResourceProvider, token: string, readCache: boolean): Promise<string> {
  const dir = providerCacheDir();
  const key = dir === undefined ? undefined : providerCacheKey(token, provider);
  if (readCache && dir !== undefined && key !== undefined) {
    const hit = readCachedProvider(dir, key);
    if (hit !== undefined) return hit;
  }
  const text = await serializeProvider(provider, token);
  if (dir !== undefined && key !== undefined) writeCachedProvider(dir, key, text);
  return text;
}

/**
 * The SDK's serialization of a provider, byte for byte: the arrow function and the name of its
 * captured variable (`provider`) are part of the text.
 */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider, token: string): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  if (sf.containsSecrets) {
    throw new Error(
      `the dynamic provider of ${token} captured a Pulumi secret in its closure, which would store it in __provider: ` +
        "pass secrets to the resource as inputs, never through a variable its provider functions read",
    );
  }
  return sf.text;
}

import * as pulumi from "@pulumi/pulumi";
import { packProvider } from "./packedProvider";
import { providerCacheDir, providerCacheKey, readCachedProvider, reportNoProviderCacheKey, writeCachedProvider } from "./providerCache";
import { inOfflinePlan } from "./runMode";

/**
 * `pulumi.dynamic.Resource`, with the serialized provider kept on disk between runs
 * (providers/common/providerCache.ts says why and what the key covers). Program side only.
 *
 * It registers what `pulumi.dynamic.Resource` (@pulumi/pulumi dynamic/index.ts) registers: the
 * type `pulumi-nodejs:dynamic/<module>:<type>`, the given properties plus `__provider`, the text of
 * `serializeFunction(() => provider, { allowSecrets: true })` (packed). tests/unit/provider-cache.test.ts
 * holds both to the SDK's class, so a change in the SDK fails there first.
 *
 * The cache is read only by the offline plan (providers/common/runMode.ts), where `__provider` is
 * shown as its size and hash and never runs. A preview (whose provider host runs `__provider` with
 * the stack's secrets at hand), the update of `pulumi up` and mock runs other than the offline plan
 * serialize afresh and refresh the entry: neither a same-user edit of the cache, which no check can
 * tell from the user's own (providers/common/cacheTrust.js), nor a change the key cannot see reaches
 * a provider host or the state.
 *
 * Three differences, on purpose: `module` and `type` are required (the SDK defaults them), a
 * provider whose closure captured a secret is refused instead of being stored as a secret
 * `__provider` (secrets reach the providers as inputs only), and the text is shipped packed
 * (providers/common/packedProvider.ts says why; the cache keeps the SDK's text).
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
  const readCache = inOfflinePlan();
  const memo = readCache ? texts.cached : texts.fresh;
  let text = memo.get(provider);
  if (text === undefined) {
    text = cachedOrSerialized(provider, token, readCache).then(packProvider);
    memo.set(provider, text);
  }
  return pulumi.output(text);
}

async function cachedOrSerialized(provider: pulumi.dynamic.ResourceProvider, token: string, readCache: boolean): Promise<string> {
  const dir = providerCacheDir();
  const key = dir === undefined ? undefined : providerCacheKey(token, provider);
  if (dir !== undefined && key === undefined) reportNoProviderCacheKey();
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

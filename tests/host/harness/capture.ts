/**
 * Run a Pulumi declaration in-process under `pulumi.runtime.setMocks` and return what the engine would receive for
 * each resource, including `__provider` (the serialized dynamic provider module) for dynamic resources.
 *
 * Secrets: the mock monitor hands inputs over with secret values still wrapped in Pulumi's secret signature object
 * ({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value}). `inputs` has them unwrapped
 * (the value in place of the wrapper, exactly as the engine sends them to a provider that says acceptSecrets=false),
 * and `secretPaths` lists where they were ("files[0].content", or "files" when Pulumi lifted the secretness of an
 * element to the whole array), so tests can both feed the inputs to the provider host and know what was secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, STACK } from "./providerHost";

/** One resource registration as the engine would see it. */
export interface CapturedResource {
  /** Type token, e.g. "pulumi-nodejs:dynamic:Resource" or "neve:hostconfig:HostConfig". */
  type: string;
  /** Resource name. */
  name: string;
  /** Inputs with secrets unwrapped (see the module comment); `__provider` for dynamic resources. */
  inputs: Record<string, unknown>;
  /** Property paths whose value was a Pulumi secret. */
  secretPaths: string[];
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrap(value: unknown, at: string, secrets: string[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${at}[${i}]`, secrets));
  const obj = value as Record<string, unknown>;
  if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
    secrets.push(at);
    return unwrap(obj.value, at, []);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = unwrap(v, at ? `${at}.${k}` : k, secrets);
  return out;
}

/**
 * Run `declare` under mocks (project neve-infra, stack neve, not a preview) and wait until every registration
 * reached the mock monitor. Calls must not overlap: mocks are process-global.
 */
export async function captureResources(declare: () => void | Promise<void>): Promise<CapturedResource[]> {
  const captured: CapturedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const secretPaths: string[] = [];
        const inputs = unwrap(args.inputs, "", secretPaths) as Record<string, unknown>;
        captured.push({ type: args.type, name: args.name, inputs, secretPaths });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    PROJECT,
    STACK,
    false,
  );
  await declare();
  // waitForRPCs is exported by the runtime's settings module but not declared in its typings; it resolves once the
  // queue of outstanding registrations (including closure serialization of `__provider`) has drained.
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (!waitForRPCs) throw new Error("pulumi.runtime.waitForRPCs is missing: @pulumi/pulumi changed; adapt capture.ts");
  await waitForRPCs();
  return captured;
}

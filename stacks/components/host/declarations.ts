// What the host-services component declares, as plain data: one HostConfig per service instance
// and one LxcRawConfig per container with raw lines, with the inputs they get (secrets left as
// markers). Pure: the component, the preflight checks and `npm run plan` all start from here, so they
// see the same inputs. A renderer's refusal becomes a ConfigError naming the stack-file field.
import { ConfigError, type ConfigIssue } from "../../config/errors";
import type { NeveModel } from "../../config/model";
import { endpointTarget } from "../../config/proxmox";
import { lxcConfigPath, RenderModelError, type ServiceSpec } from "../../render";
import { type DeclaredService, declaredServices, type HostServiceKind, stackFieldOf } from "./registry";

/** Stands for a secret file's content, filled by the component from a Pulumi secret. */
export const SECRET_CONTENT: unique symbol = Symbol("secret content");

/** One file of a declared HostConfig. */
export interface DeclaredFile {
  /** Absolute path on the host. */
  readonly path: string;
  /** Rendered text, or SECRET_CONTENT for a secret file. */
  readonly content: string | typeof SECRET_CONTENT;
  /** Octal mode. */
  readonly mode: string;
  /** Owner. */
  readonly owner: string;
  /** Group. */
  readonly group: string;
  /** Secret flag. */
  readonly secret: boolean;
  /**
   * The adoption guard of the first push: the live contents it may replace besides an absent file and one equal
   * to the render, i.e. the hash `neve-infra:adoption.files` records for this path (discover --write
   * --acknowledge-file), or none. Any other live file makes the create fail on the host (exit 20), nothing changed.
   */
  readonly acceptLive: readonly string[];
}

/** A HostConfig resource the component declares (everything but the connection). */
export interface HostConfigDeclaration {
  /** The service kind. */
  readonly kind: HostServiceKind;
  /** Resource name suffix and `service` input, e.g. "haproxy". */
  readonly name: string;
  /** The stack-file section it comes from. */
  readonly at: string;
  /** Files in order. */
  readonly files: readonly DeclaredFile[];
  /** Validators with `{staged:/abs/path}` placeholders. */
  readonly validate: readonly string[];
  /** Activation command, if any. */
  readonly activate?: string;
  /** Health check, if any. */
  readonly healthCheck?: string;
  /**
   * Access-critical: the seconds of the confirmation window and the API port (the host and port of
   * `proxmox.endpoint`) that must answer a fresh TLS handshake besides a fresh SSH login; else undefined.
   */
  readonly accessCritical?: { readonly confirmSeconds: number; readonly api: { readonly host: string; readonly port: number } | null };
  /** The files stay on the host when the resource is deleted (`onDelete: keep` whatever hostServices.onDelete says). */
  readonly keepOnDelete: boolean;
}

/** An LxcRawConfig resource the component declares (everything but the connection). */
export interface LxcRawDeclaration {
  /** Resource name suffix, `lxc-<vmid>-raw`. */
  readonly name: string;
  /** The guest the lines belong to. */
  readonly guest: string;
  /** Container id. */
  readonly vmid: number;
  /** Raw lines. */
  readonly rawLines: readonly string[];
  /** The host path the lines are written into. */
  readonly path: string;
}

/** Everything the host-services component declares, and the shared inputs. */
export interface HostDeclarations {
  /** One per service instance, in push order. */
  readonly services: readonly HostConfigDeclaration[];
  /** One per container with raw lines. */
  readonly lxcRaw: readonly LxcRawDeclaration[];
  /** hostServices.stashDir. */
  readonly stashDir: string;
  /** hostServices.stashKeep. */
  readonly stashKeep: number;
  /** hostServices.onDelete. */
  readonly onDelete: "keep" | "remove" | "restore";
}

/**
 * The service's `{staged}` validators, per file; the provider needs `{staged:/abs/path}` once a
 * service has several files.
 */
export function validators(spec: ServiceSpec): string[] {
  return spec.files.flatMap((f) => f.validate.map((cmd) => cmd.split("{staged}").join(`{staged:${f.path}}`)));
}

function declareService(s: DeclaredService, model: NeveModel, issues: ConfigIssue[]): HostConfigDeclaration {
  const files = s.spec.files.map((f): DeclaredFile => {
    let content: DeclaredFile["content"] = SECRET_CONTENT;
    if (!f.secret) {
      try {
        content = s.render(f.role);
      } catch (e) {
        if (!(e instanceof RenderModelError)) throw e;
        // The renderer's own message names its model field; the stack field is what the operator edits.
        issues.push({ path: stackFieldOf(s.instance, e.field), message: `${e.message.slice(e.field.length + 2)} (refused while rendering ${f.path})` });
        content = "";
      }
    }
    const ack = model.adoption.files[f.path];
    return { path: f.path, content, mode: f.mode, owner: f.owner, group: f.group, secret: f.secret, acceptLive: ack ? [ack] : [] };
  });
  return {
    kind: s.kind,
    name: s.spec.name,
    at: s.instance.at,
    files,
    validate: validators(s.spec),
    activate: s.spec.activate ?? undefined,
    healthCheck: s.spec.healthCheck ?? undefined,
    keepOnDelete: s.spec.keepOnDelete === true,
    accessCritical: s.spec.accessCritical ? { confirmSeconds: model.hostServices.confirmSeconds, api: endpointTarget(model.proxmox.endpoint) } : undefined,
  };
}

/**
 * Render every host service of the model and list the resources the component declares.
 * Throws ConfigError (stack-file field paths) when a renderer refuses a value from the config.
 */
export function declareHostServices(model: NeveModel): HostDeclarations {
  const issues: ConfigIssue[] = [];
  const services = declaredServices(model).map((s) => declareService(s, model, issues));
  if (issues.length) throw new ConfigError(issues);
  const lxcRaw: LxcRawDeclaration[] = [];
  for (const g of model.guests) {
    if (g.kind !== "ct" || g.rawLxc.length === 0) continue;
    lxcRaw.push({ name: `lxc-${g.vmid}-raw`, guest: g.name, vmid: g.vmid, rawLines: [...g.rawLxc], path: lxcConfigPath(g.vmid) });
  }
  const hs = model.hostServices;
  return { services, lxcRaw, stashDir: hs.stashDir, stashKeep: hs.stashKeep, onDelete: hs.onDelete };
}

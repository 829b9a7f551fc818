// Checks that need every declared host resource in view, run by the program before any resource is
// registered and by `npm run plan` before the mock run: what a provider would refuse at preview (its
// own pure `check`), and the invariants a provider cannot see because it sees one resource at a time
// (one owner per host path, unique haproxy backend names, one listener per port).
// Every issue names the stack-file field. Pure: no Pulumi, no SSH.

import { UNKNOWN } from "../../../providers/common/unknown";
import { checkHostConfig } from "../../../providers/hostconfig/check";
import { checkLxcRawConfig } from "../../../providers/lxcraw/check";
import { ConfigError, type ConfigIssue } from "../../config/errors";
import type { NeveModel } from "../../config/model";
import { haproxyBackendId } from "../../render";
import { declareHostServices, type HostDeclarations, SECRET_CONTENT } from "./declarations";
import { declaredServices } from "./registry";

/** Ports on the host that belong to something other than the managed services. */
function fixedPorts(model: NeveModel): Map<number, string> {
  const hx = model.hostServices.haproxy;
  return new Map<number, string>([
    [22, "sshd"],
    ...hx.binds.http.map((b): [number, string] => [b.port, "the public HTTP frontend (haproxy, hostServices.haproxy.binds.http)"]),
    ...hx.binds.tls.map((b): [number, string] => [b.port, "the public TLS frontend (haproxy, hostServices.haproxy.binds.tls)"]),
    [model.firewall.apiPort, "the Proxmox API"],
    [3128, "the Proxmox SPICE proxy"],
    [53, "dnsmasq (DNS)"],
  ]);
}

/** A provider input property -> the stack-file field that sets it (connection and shared settings). */
function sharedField(property: string): string | undefined {
  const conn = /^connection(?:\.(\w+))?/.exec(property);
  if (conn) {
    const key = conn[1];
    if (key === undefined) return "ssh";
    if (key === "username") return "ssh.user";
    if (key === "privateKey") return "sshPrivateKey";
    return `ssh.${property.slice("connection.".length)}`;
  }
  if (property === "stashDir") return "hostServices.stashDir";
  if (property === "stashKeep") return "hostServices.stashKeep";
  if (property === "onDelete") return "hostServices.onDelete";
  if (property.startsWith("accessCritical")) return "hostServices.confirmSeconds";
  return undefined;
}

/** The connection inputs as the program declares them; secrets and an unpinned host key stay unknown. */
function connectionOf(model: NeveModel): Record<string, unknown> {
  return {
    host: model.ssh.host,
    port: model.ssh.port,
    username: model.ssh.user,
    // Without a pin the component refuses with its own message (ssh.hostKey is required).
    hostKey: model.ssh.hostKey ?? UNKNOWN,
    privateKey: UNKNOWN,
    timeouts: model.ssh.timeouts,
  };
}

/** Run each declared resource's own provider `check` and map its failures to stack-file fields. */
function providerCheckIssues(model: NeveModel, d: HostDeclarations): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const push = (path: string, message: string) => {
    // Shared inputs (connection, stash) fail the same way on every resource: report them once.
    const key = `${path}\n${message}`;
    if (!seen.has(key)) issues.push({ path, message });
    seen.add(key);
  };
  const connection = connectionOf(model);
  for (const s of d.services) {
    const { failures } = checkHostConfig({
      connection,
      service: s.name,
      files: s.files.map((f) => ({ ...f, content: f.content === SECRET_CONTENT ? UNKNOWN : f.content })),
      validate: [...s.validate],
      activate: s.activate,
      healthCheck: s.healthCheck,
      stashDir: d.stashDir,
      stashKeep: d.stashKeep,
      onDelete: d.onDelete,
      accessCritical: s.accessCritical,
    });
    for (const f of failures) {
      const shared = sharedField(f.property);
      push(shared ?? s.at, shared ? f.reason : `${f.reason} (HostConfig ${s.name}, ${f.property})`);
    }
  }
  for (const r of d.lxcRaw) {
    const { failures } = checkLxcRawConfig({
      connection,
      vmid: r.vmid,
      rawLines: [...r.rawLines],
      stashDir: d.stashDir,
      onDelete: d.onDelete === "remove" ? "remove" : "keep",
    });
    for (const f of failures) {
      const lines = /^rawLines(.*)$/.exec(f.property);
      const path = lines
        ? `guests.${r.guest}.rawLxc${lines[1]}`
        : f.property === "vmid"
          ? `guests.${r.guest}.vmid`
          : (sharedField(f.property) ?? `guests.${r.guest}`);
      push(path, f.reason);
    }
  }
  return issues;
}

/** One owner per host path: no two resources (HostConfig files, LxcRawConfig configs) write the same file. */
export function hostPathIssues(d: HostDeclarations): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const owners = new Map<string, string>();
  const claim = (path: string, owner: string, field: string) => {
    const prev = owners.get(path);
    if (prev !== undefined)
      issues.push({
        path: field,
        message: `${path} is already written by ${prev}; each host file has one owner, or every \`up\` overwrites the other's version and both see drift`,
      });
    else owners.set(path, owner);
  };
  for (const s of d.services) for (const f of s.files) claim(f.path, `host service ${s.name} (${s.at})`, s.at);
  for (const r of d.lxcRaw) claim(r.path, `the raw lines of guests.${r.guest}`, `guests.${r.guest}.rawLxc`);
  return issues;
}

/** Every port a host service listens on is claimed once, and never one of the host's fixed ports. */
function portIssues(model: NeveModel): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const taken = fixedPorts(model);
  for (const s of declaredServices(model)) {
    for (const c of s.instance.ports) {
      const holder = taken.get(c.port);
      if (holder) issues.push({ path: c.field, message: `port ${c.port} is already used by ${holder}; pick a free port` });
      else taken.set(c.port, c.field);
    }
  }
  return issues;
}

/** Distinct route hostnames must give distinct haproxy backend names (a clash is refused only by `haproxy -c` on the host). */
export function backendNameIssues(model: NeveModel): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ids = new Map<string, number>();
  model.routes.forEach((r, i) => {
    const id = haproxyBackendId(r.hostname);
    for (const [role, name] of [
      ["tlsBackend", r.names?.tlsBackend ?? `tls_${id}`],
      ["httpBackend", r.names?.httpBackend ?? `http_${id}`],
    ] as const) {
      const prev = ids.get(name);
      const field = r.names?.[role] !== undefined ? `routes[${i}].names.${role}` : `routes[${i}].hostname`;
      if (prev !== undefined)
        issues.push({ path: field, message: `${r.hostname} gives the haproxy backend name ${name}, as routes[${prev}] does; rename one (routes[].names)` });
      else ids.set(name, i);
    }
  });
  return issues;
}

/**
 * Everything the host resources would refuse, with stack-file fields, before any resource exists:
 * the renderers (through `declareHostServices`), the cross-resource invariants and each provider's
 * own `check`. Returns the declarations on success; throws ConfigError listing every problem.
 * Does nothing (returns undefined) while `hostServices.enabled` is false.
 */
export function preflightHostServices(model: NeveModel): HostDeclarations | undefined {
  if (!model.hostServices.enabled) return undefined;
  const early = [...portIssues(model), ...backendNameIssues(model)];
  if (early.length) throw new ConfigError(early);
  const d = declareHostServices(model);
  const issues = [...hostPathIssues(d), ...providerCheckIssues(model, d)];
  if (issues.length) throw new ConfigError(issues);
  return d;
}

import { createHash } from "node:crypto";
import type { CapturedResource } from "./mockRunner";
import { isSecretValue, unwrapSecret } from "./secretValue";

/** Inputs that never appear in the plan: secrets and the serialized dynamic provider. */
const HIDDEN_INPUTS = new Set(["__provider", "password", "apiToken", "privateKey", "credentials", "secret"]);

/** `proxmoxve:index/vmLegacy:VmLegacy` -> `proxmoxve:VmLegacy`; other tokens unchanged. */
export function shortType(type: string): string {
  const m = /^proxmoxve:[^:]*:(\w+)$/.exec(type);
  return m ? `proxmoxve:${m[1]}` : type;
}

function get(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split(".")) {
    if (cur === null || cur === undefined) return undefined;
    cur = /^\d+$/.test(p) ? (cur as unknown[])[Number(p)] : (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function fmt(v: unknown): string {
  if (Array.isArray(v)) return v.map(fmt).join(",");
  if (v && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Known key properties, in display order: label and input path. */
const KEY_PROPERTIES: readonly [string, string][] = [
  ["vmid", "vmId"],
  ["name", "name"],
  ["template", "template"],
  ["started", "started"],
  ["memory", "memory.dedicated"],
  ["bridge", "networkDevices.0.bridge"],
  ["bridge", "networkInterfaces.0.bridge"],
  ["ipv4", "initialization.ipConfigs.0.ipv4.address"],
  ["ipv6", "initialization.ipConfigs.0.ipv6.address"],
  ["clone-of", "clone.vmId"],
  ["unprivileged", "unprivileged"],
  ["features", "features"],
  ["address", "address"],
  ["address6", "address6"],
  ["ports", "ports"],
  ["id", "resourceId"],
  ["path", "path"],
  ["pool", "zfsPool"],
  ["server", "server"],
  ["datastore", "datastore"],
  ["contents", "contents"],
  ["disabled", "disable"],
  ["schedule", "schedule"],
  ["storage", "storage"],
  ["vmids", "vmids"],
  ["enabled", "enabled"],
  ["input", "inputPolicy"],
  ["output", "outputPolicy"],
  ["endpoint", "endpoint"],
  ["insecure", "insecure"],
];

/** Replace any secret value that appears in `s`. */
function redact(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const v of secrets) if (v) out = out.split(v).join("[secret]");
  return out;
}

/** The "key properties" cell of one resource. Unknown resource kinds show their first scalar inputs. */
function keyProperties(r: CapturedResource, secrets: readonly string[]): string {
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const [label, p] of KEY_PROPERTIES) {
    const v = get(r.inputs, p);
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0) || seen.has(label)) continue;
    seen.add(label);
    parts.push(`${label}=${fmt(v)}`);
  }
  const rules = get(r.inputs, "rules");
  if (Array.isArray(rules)) parts.push(`rules=${rules.length}`);
  const files = hostConfigFiles(r);
  if (files) {
    parts.push(`service=${fmt(r.inputs.service)} files=${files.length}`);
    if (Array.isArray(r.inputs.validate) && r.inputs.validate.length) parts.push(`validators=${r.inputs.validate.length}`);
    if (r.inputs.activate) parts.push("activate");
    if (r.inputs.healthCheck) parts.push("health-check");
    if (r.inputs.accessCritical)
      parts.push(
        `access-critical(${fmt(get(r.inputs, "accessCritical.confirmSeconds"))}s, confirmed by SSH${get(r.inputs, "accessCritical.api") ? ` + API ${fmt(get(r.inputs, "accessCritical.api.host"))}:${fmt(get(r.inputs, "accessCritical.api.port"))}` : ""})`,
      );
  }
  if (parts.length === 0 && r.custom) {
    for (const [k, v] of Object.entries(r.inputs)) {
      if (HIDDEN_INPUTS.has(k) || v === null || typeof v === "object") continue;
      parts.push(`${k}=${fmt(v)}`);
      if (parts.length >= 4) break;
    }
  }
  return redact(parts.join(" "), secrets);
}

/** The files of a HostConfig resource (dynamic provider inputs), or undefined for other resources. */
function hostConfigFiles(r: CapturedResource): Record<string, unknown>[] | undefined {
  const files = unwrapSecret(r.inputs.files);
  return typeof r.inputs.service === "string" && Array.isArray(files) ? (files as Record<string, unknown>[]) : undefined;
}

/**
 * The adoption guard of a file's first push, as the plan shows it: the live contents the create may replace
 * (the offline plan cannot read the host; the host refuses any other live file with exit 20).
 */
function guardText(acceptLive: unknown): string {
  const acks = Array.isArray(acceptLive) ? acceptLive.filter((h): h is string => typeof h === "string") : [];
  return `guard: absent|render${acks.map((h) => `|ack ${h.slice(0, 19)}`).join("")}`;
}

/** Lines under a resource that has list-shaped content worth seeing (firewall rules, host files). */
function detailLines(r: CapturedResource, secrets: readonly string[]): string[] {
  const files = hostConfigFiles(r);
  if (files) {
    return files.map((raw) => {
      const f = unwrapSecret(raw) as Record<string, unknown>;
      const content = typeof f.content === "string" ? f.content : "";
      // Secret content shows as such; other content by its size and a short hash, to compare runs.
      const what =
        f.secret || isSecretValue(f.content)
          ? "[secret content]"
          : `${content.split("\n").length - 1} lines sha256:${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
      return redact(`    ${f.path} ${f.mode ?? "0644"} ${f.owner ?? "root"}:${f.group ?? "root"} ${what}  ${guardText(f.acceptLive)}`, secrets);
    });
  }
  const rules = get(r.inputs, "rules");
  if (!Array.isArray(rules)) return [];
  return rules.map((x: Record<string, unknown>, i: number) =>
    redact(
      `    #${i + 1} ${x.type ?? "in"} ${x.action} ${x.proto ?? ""} from ${x.source ?? "any"}${x.iface ? ` on ${x.iface}` : ""} to ${x.dest ?? "host"}:${x.dport ?? "any"}  (${x.comment ?? ""})`,
      secrets,
    ),
  );
}

/** Render the resource table: TYPE, NAME, KEY PROPERTIES, OPTIONS. */
export function renderTable(resources: readonly CapturedResource[], secrets: readonly string[]): string {
  const rows = treeOrder(resources).map(({ r, depth }) => {
    const opts = [
      r.protect ? "protect" : "",
      r.retainOnDelete ? "retain" : "",
      r.importId ? `import=${r.importId}` : "",
      r.ignoreChanges.length ? `ignore=${r.ignoreChanges.join(",")}` : "",
      // The guards the resource carries (stacks/guards): its resource hooks, every lifecycle point together.
      Object.values(r.hooks ?? {}).flat().length
        ? `hooks=${Object.values(r.hooks ?? {})
            .flat()
            .join(",")}`
        : "",
    ]
      .filter(Boolean)
      .join(" ");
    return { r, cells: [shortType(r.type), `${"  ".repeat(depth)}${r.name}`, keyProperties(r, secrets), opts] };
  });
  const header = ["TYPE", "NAME", "KEY PROPERTIES", "OPTIONS"];
  const widths = [0, 1].map((i) => Math.max(header[i].length, ...rows.map((x) => x.cells[i].length)));
  const line = (c: string[]) => `${c[0].padEnd(widths[0])}  ${c[1].padEnd(widths[1])}  ${c[2]}${c[3] ? `  [${c[3]}]` : ""}`;
  const out = [line(header), line(["-".repeat(widths[0]), "-".repeat(widths[1]), "-".repeat(14), ""])];
  for (const { r, cells } of rows) {
    out.push(line(cells));
    out.push(...detailLines(r, secrets));
  }
  return out.join("\n");
}

/** Parents first, each followed by its children (indented), otherwise registration order. */
function treeOrder(resources: readonly CapturedResource[]): { r: CapturedResource; depth: number }[] {
  const byUrn = new Set(resources.map((r) => r.urn));
  const out: { r: CapturedResource; depth: number }[] = [];
  const visit = (r: CapturedResource, depth: number) => {
    out.push({ r, depth });
    for (const c of resources) if (c.parent && c.parent === r.urn) visit(c, depth + 1);
  };
  for (const r of resources) if (!r.parent || !byUrn.has(r.parent)) visit(r, 0);
  return out;
}

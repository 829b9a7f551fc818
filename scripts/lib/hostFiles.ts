import * as fs from "node:fs";
import * as path from "node:path";
import type { CapturedResource } from "./mockRunner";
import { isSecretValue, unwrapSecret } from "./secretValue";

/**
 * Write the content of every non-secret file that HostConfig resources would push under `dir`,
 * at its host path (dir/etc/haproxy/haproxy.cfg ...), so the operator can compare the rendered
 * files with the live ones before the first `pulumi up`. Secret files (flagged `secret`, or whose
 * content is a Pulumi secret) are never written. Returns the host paths written.
 */
export function writeHostFiles(resources: readonly CapturedResource[], dir: string): string[] {
  const written: string[] = [];
  for (const r of resources) {
    // One secret file makes the whole list a secret Output; the flag per file says which one it is.
    const files = unwrapSecret(r.inputs.files);
    if (typeof r.inputs.service !== "string" || !Array.isArray(files)) continue;
    for (const f of files as Record<string, unknown>[]) {
      if (isSecretValue(f) || f.secret === true || isSecretValue(f.content) || typeof f.content !== "string" || typeof f.path !== "string") continue;
      const target = path.join(dir, path.normalize(f.path));
      if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`refusing to write ${f.path} outside ${dir}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, f.content);
      written.push(f.path);
    }
  }
  return written;
}

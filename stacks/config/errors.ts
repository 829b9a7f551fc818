/** One problem found in the stack config. */
export interface ConfigIssue {
  /** Dotted field path inside the `neve-infra:` config, e.g. `guests.cipher.ipv4`. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Thrown when the stack config is invalid; its message lists every issue, one per line. */
export class ConfigError extends Error {
  /** The individual problems, in the order found. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid stack config (neve-infra:*), ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n` +
        issues.map((i) => `  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** `["guests", "cipher", "ipv4"]` -> `guests.cipher.ipv4`; numbers become `[i]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

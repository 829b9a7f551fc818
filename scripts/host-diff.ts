// npm run host-diff [-- --config FILE] [--key FILE] [--host H] [--port P] [--host-key K] [--secret KEY=FILE]
//
// Compares the host files the program declares (HostConfig files, LxcRawConfig raw lxc lines) with
// the live ones on the host, before the first `pulumi up` creates them: a unified diff per differing
// file (live -> declared), a line per mode/owner/group difference, a summary.
//
// READ-ONLY: one SSH connection and one exec per host that only reads (test, sha256sum, stat, base64);
// it never writes, stashes, reloads or restarts anything there. Secret files are compared by hash only
// and printed as same/differs/absent, never their content or hash.
//
// The host key is pinned (ssh.hostKey in the stack, or --host-key): no trust on first use. Auth: --key
// FILE (a private key file on this workstation), else the ssh-agent at SSH_AUTH_SOCK.
// --secret KEY=FILE renders a secret (e.g. tunnelCredentials) with its real value so that file can be
// compared: `--secret tunnelCredentials=<(pulumi config get --show-secrets neve-infra:tunnelCredentials)`.
//
// Exit 0 everything compared matches, 1 something differs, 2 error (bad config or arguments, unpinned
// host key, host unreachable, host key mismatch, auth refused).
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../stacks/config/errors";
import { SECRET_KEYS, type SecretKey } from "../stacks/config/secrets";
import { DEFAULT_STACK_FILE, loadModelFromFile } from "./lib/stackFile";

const USAGE = "usage: npm run host-diff [-- --config FILE] [--key FILE] [--host H] [--port P] [--host-key K] [--secret KEY=FILE]";

interface Args {
  stackFile: string;
  keyFile?: string;
  host?: string;
  port?: number;
  hostKey?: string;
  secretFiles: Partial<Record<SecretKey, string>>;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const a: Args = { stackFile: DEFAULT_STACK_FILE, secretFiles: {} };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--config":
        a.stackFile = path.resolve(value());
        break;
      case "--key":
        a.keyFile = path.resolve(value());
        break;
      case "--host":
        a.host = value();
        break;
      case "--port": {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new UsageError(`--port must be an integer 1-65535, got ${JSON.stringify(v)}`);
        a.port = n;
        break;
      }
      case "--host-key":
        a.hostKey = value();
        break;
      case "--secret": {
        const v = value();
        const eq = v.indexOf("=");
        const key = v.slice(0, eq) as SecretKey;
        if (eq <= 0 || !SECRET_KEYS.includes(key)) throw new UsageError(`--secret takes KEY=FILE with KEY one of ${SECRET_KEYS.join(", ")}`);
        a.secretFiles[key] = path.resolve(v.slice(eq + 1));
        break;
      }
      default:
        throw new UsageError(`unknown argument "${argv[i]}"; ${USAGE}`);
    }
  }
  return a;
}

/** Read a file the operator named; the error names the option and the path, never the content. */
function readNamed(option: string, file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${option} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`host-diff: ${(e as Error).message}\n`);
    return 2;
  }
  const shown = path.relative(process.cwd(), args.stackFile) || args.stackFile;
  try {
    // Same parser as the program: config problems before any mock is set.
    loadModelFromFile(args.stackFile);
  } catch (e) {
    process.stderr.write(`host-diff: ${shown}: ${e instanceof ConfigError ? e.message : (e as Error).message}\n`);
    return 2;
  }
  let privateKey: string | undefined;
  const secrets: Partial<Record<SecretKey, string>> = {};
  try {
    if (args.keyFile) privateKey = readNamed("--key", args.keyFile);
    for (const [k, f] of Object.entries(args.secretFiles) as [SecretKey, string][]) secrets[k] = readNamed(`--secret ${k}=`, f).replace(/\r?\n$/, "");
  } catch (e) {
    process.stderr.write(`host-diff: ${(e as Error).message}\n`);
    return 2;
  }
  // Loaded only now so @pulumi/pulumi's start-up cost is not paid for bad arguments.
  const { loadDeclared, runHostDiff } = await import("./lib/hostDiff");
  let declared: Awaited<ReturnType<typeof loadDeclared>>;
  try {
    declared = await loadDeclared({ stackFile: args.stackFile, hostKey: args.hostKey, secrets });
  } catch (e) {
    // The program's own message (e.g. "ssh.hostKey: is required ..."); it never holds a secret value.
    const msg = e instanceof Error ? e.message : String(e);
    const hint = /ssh\.hostKey/.test(msg) && !args.hostKey ? "\n  (for this comparison alone you may also pin it with --host-key SHA256:...)" : "";
    let text = `host-diff: the program refused stack ${shown}: ${msg}${hint}\n`;
    for (const v of [...Object.values(secrets), privateKey ?? ""]) if (v && v.length >= 4) text = text.split(v).join("[secret]");
    process.stderr.write(text);
    return 2;
  }
  process.stdout.write(`host-diff of stack neve from ${shown} against the live host (read-only; diffs go live -> declared)\n\n`);
  const result = await runHostDiff(declared, { host: args.host, port: args.port, hostKey: args.hostKey, privateKey });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`host-diff failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);

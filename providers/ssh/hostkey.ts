/** A pinned host key, parsed from what the operator wrote in `connection.hostKey`. */
export interface HostKeyPin {
  /** "SHA256:..." as `ssh-keygen -lf` prints it (base64 without padding). */
  fingerprint: string;
  /** Key type when the pin was a key line ("ssh-ed25519"), else undefined. */
  keyType?: string;
}

/**
 * Parse a host key pin: either an OpenSSH fingerprint ("SHA256:<base64>") or a known_hosts-style
 * key line ("ssh-ed25519 AAAA...", optionally preceded by host names and followed by a comment).
 * Throws an Error that says what is accepted.
 */
export function parseHostKeyPin(pin: string): HostKeyPin {
  const crypto = require("node:crypto") as typeof import("crypto");
  const text = String(pin ?? "").trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
  if (fp) {
    return { fingerprint: `SHA256:${fp[1]}` };
  }
  const fields = text.split(/\s+/);
  for (let i = 0; i < fields.length - 1; i++) {
    if (/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/.test(fields[i])) {
      const b64 = fields[i + 1];
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) break;
      const blob = Buffer.from(b64, "base64");
      // The blob starts with the key type as an SSH string; a mismatch means a garbled line.
      const typeLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
      if (typeLen <= 0 || 4 + typeLen > blob.length || blob.subarray(4, 4 + typeLen).toString() !== fields[i]) {
        break;
      }
      if (!isWholeSshStrings(blob)) break;
      return { fingerprint: fingerprintOf(blob, crypto), keyType: fields[i] };
    }
  }
  throw new Error(
    'expected "SHA256:<43 base64 chars>" as printed by `ssh-keygen -lf <key>.pub`, ' +
      'or a key line such as "ssh-ed25519 AAAA..." (from /etc/ssh/ssh_host_ed25519_key.pub)',
  );
}

/** True when the blob is a sequence of at least two length-prefixed SSH strings, nothing left over. */
function isWholeSshStrings(blob: Buffer): boolean {
  let off = 0;
  let n = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) return false;
    const len = blob.readUInt32BE(off);
    off += 4 + len;
    n++;
  }
  return off === blob.length && n >= 2;
}

/** OpenSSH SHA256 fingerprint of a raw public key blob. */
export function fingerprintOf(blob: Buffer, cryptoModule?: typeof import("crypto")): string {
  const crypto = cryptoModule ?? (require("node:crypto") as typeof import("crypto"));
  return `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Key type named inside a raw SSH public key blob ("ssh-ed25519"), or "unknown". */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return "unknown";
  const n = blob.readUInt32BE(0);
  return n > 0 && 4 + n <= blob.length ? blob.subarray(4, 4 + n).toString() : "unknown";
}

/** Host key algorithms to offer for a pinned key type, so the server presents the pinned key. */
export function hostKeyAlgorithmsFor(keyType: string | undefined): string[] | undefined {
  switch (keyType) {
    case undefined:
      return undefined;
    case "ssh-rsa":
      return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
    default:
      return [keyType];
  }
}

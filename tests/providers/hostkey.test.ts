import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeConnectError } from "../../providers/ssh/client";
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, parseHostKeyPin } from "../../providers/ssh/hostkey";

describe("host key pins", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-hostkey-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, "host_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test@host", "-f", keyFile]);
  const pubLine = fs.readFileSync(`${keyFile}.pub`, "utf8").trim();
  // What the operator copies: the fingerprint exactly as OpenSSH prints it.
  const printed = execFileSync("ssh-keygen", ["-lf", `${keyFile}.pub`])
    .toString()
    .split(" ")[1];

  it("must compute the same SHA256 fingerprint as ssh-keygen -lf", () => {
    const blob = Buffer.from(pubLine.split(" ")[1], "base64");
    expect(fingerprintOf(blob)).toBe(printed);
    expect(keyTypeOf(blob)).toBe("ssh-ed25519");
  });

  it("must accept the fingerprint as OpenSSH prints it", () => {
    expect(parseHostKeyPin(printed)).toEqual({ fingerprint: printed });
  });

  it("must accept a known_hosts-style key line, with or without host names and comment", () => {
    const [type, b64] = pubLine.split(" ");
    for (const line of [`${type} ${b64}`, pubLine, `neve,192.0.2.1 ${type} ${b64}`]) {
      expect(parseHostKeyPin(line)).toEqual({ fingerprint: printed, keyType: "ssh-ed25519" });
    }
  });

  it.each([
    ["empty", ""],
    ["md5 fingerprint", "MD5:12:34:56"],
    ["short sha256", "SHA256:abc"],
    ["garbled key line", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJunk"],
    ["type mismatch inside blob", `ssh-rsa ${pubLine.split(" ")[1]}`],
  ])("must refuse a %s pin with a message saying what is accepted", (_n, pin) => {
    expect(() => parseHostKeyPin(pin)).toThrow(/expected "SHA256:<43 base64 chars>".*or a key line/);
  });

  it("must offer only the pinned key type's algorithms", () => {
    expect(hostKeyAlgorithmsFor("ssh-ed25519")).toEqual(["ssh-ed25519"]);
    expect(hostKeyAlgorithmsFor("ssh-rsa")).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(hostKeyAlgorithmsFor(undefined)).toBeUndefined();
  });
});

describe("connection errors", () => {
  const where = "root@192.0.2.10:22";
  it.each([
    [{ level: "client-authentication", message: "All configured authentication methods failed" }, /SSH authentication refused for root@192\.0\.2\.10:22/],
    [{ level: "client-timeout", message: "Timed out while waiting for handshake" }, /cannot reach root@192\.0\.2\.10:22: no SSH handshake within 5s/],
    [{ code: "ECONNREFUSED", message: "connect ECONNREFUSED" }, /cannot reach root@192\.0\.2\.10:22: connection refused/],
    [{ code: "EHOSTUNREACH", message: "connect EHOSTUNREACH" }, /cannot reach root@192\.0\.2\.10:22: EHOSTUNREACH/],
  ])("must name user@host:port and the cause (%j)", (err, re) => {
    expect(describeConnectError(err, where, 5000, true)).toMatch(re);
  });
});

describe("pool key", () => {
  it("must share a connection between a fingerprint pin and the key line of the same key, but not across credentials", () => {
    const { poolKey } = require("../../providers/ssh/pool") as typeof import("../../providers/ssh/pool");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-poolkey-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "k")]);
      const line = fs.readFileSync(path.join(dir, "k.pub"), "utf8").trim();
      const fp = execFileSync("ssh-keygen", ["-lf", path.join(dir, "k.pub")])
        .toString()
        .split(" ")[1];
      const base = { host: "192.0.2.1", port: 22, username: "root", privateKey: "-----BEGIN KEY A-----" };
      expect(poolKey({ ...base, hostKey: line })).toBe(poolKey({ ...base, hostKey: fp }));
      expect(poolKey({ ...base, hostKey: fp })).not.toBe(poolKey({ ...base, hostKey: fp, privateKey: "-----BEGIN KEY B-----" }));
      expect(poolKey({ ...base, hostKey: fp })).not.toContain("KEY A");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

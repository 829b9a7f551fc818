/**
 * discover's read against a REAL sshd test host (tests/host/harness): the pve-neve fixture (with
 * host.fw and a guest's <vmid>.fw from pve-neve-fw) is placed at
 * its host paths inside the test host, then read over SSH (one pinned connection, one read-only exec)
 * and, here, from the fixture directory with --root: both must give the same facts. The host must be
 * left as it was, and /etc/pve/priv never read (a file there whose access time would move on any read).
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LiveFacts } from "../../stacks/discover/facts";
import { buildReadCommand, parseReadOutput, ReadLimitError } from "../../stacks/discover/probe";
import { assembleFacts, DiscoverError, type ReadRequest, type ReadTarget, readLive } from "../../stacks/discover/read";
import { LIVE_EDIT_CASES, type LiveEditCase } from "../discoverCases";
import { treeHash } from "../treeHash";
import { STAGED_VMBR0_EDIT } from "../unit/support/discoverHost";
import { startTestHost, type TestHost } from "./harness/testHost";

// neve's files with host.fw and a guest's .fw of tests/fixtures/pve-neve-fw beside them (its cluster.fw
// is not laid over: the damage cases of tests/discoverCases.ts name lines of the base cluster.fw).
const FIXTURE = fs.mkdtempSync(path.join(os.tmpdir(), "discover-read-host-"));
fs.cpSync(path.resolve(__dirname, "..", "fixtures", "pve-neve"), FIXTURE, { recursive: true, verbatimSymlinks: true });
for (const f of ["etc/pve/nodes/neve/host.fw", "etc/pve/firewall/1201.fw"])
  fs.copyFileSync(path.resolve(__dirname, "..", "fixtures", "pve-neve-fw", f), path.join(FIXTURE, f));
const PRIV_KEY = "/etc/pve/priv/authkey.key";
const PRIV_MARKER = "FIXTURE-PRIVATE-MUST-NEVER-BE-READ";
const TUNNEL_JSON = "/etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json";
const REQUEST: ReadRequest = {
  node: "neve",
  files: [
    { path: "/etc/haproxy/haproxy.cfg", secret: false },
    { path: "/etc/cloudflared/config.yml", secret: false },
    { path: TUNNEL_JSON, secret: true },
    { path: "/etc/dnsmasq.d/neve-vmbr1.conf", secret: false },
    { path: "/etc/pve", secret: false },
  ],
};
const WATCHED = ["/etc/pve", "/etc/network", "/etc/sysctl.d", "/etc/sysctl.conf", "/etc/haproxy", "/etc/cloudflared", "/etc/dnsmasq.d", "/root"];

let host: TestHost;
let fixtureHash: string;
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const ssh = (over: Partial<Extract<ReadTarget, { kind: "ssh" }>> = {}): ReadTarget => ({
  kind: "ssh",
  host: host.address,
  port: host.port,
  username: host.username,
  hostKey: host.hostKeyFingerprint,
  privateKey: host.clientPrivateKey,
  connectTimeoutMs: 30000,
  ...over,
});
/** Everything under the watched paths: path, mode, owner, size, mtime, ctime (and priv's atime, which any read moves). */
const snapshot = async () =>
  (await host.exec(`find ${WATCHED.join(" ")} -printf '%p %m %u %g %s %T@ %C@\\n' 2>/dev/null | sort; stat -c 'priv-atime %X' ${PRIV_KEY}`)).stdout;
const withoutOrigin = (f: LiveFacts) => {
  const { source: _s, sysctlRuntime: _r, ...rest } = f;
  return rest;
};

beforeAll(async () => {
  fixtureHash = treeHash(FIXTURE);
  host = await startTestHost({ haproxy: false });
  // The fixture onto the host at its host paths, modes and links kept (tar through base64: writeFile takes text).
  const tar = execFileSync("tar", ["-C", FIXTURE, "--owner=root", "--group=root", "-cf", "-", "etc"]);
  await host.writeFile("/tmp/pve-neve.tar.b64", tar.toString("base64"));
  const r = await host.exec("base64 -d /tmp/pve-neve.tar.b64 > /tmp/pve-neve.tar && rm -f /tmp/pve-neve.tar.b64");
  if (r.code !== 0) throw new Error(`unpacking the fixture failed: ${r.stderr}`);
  await placeFixture();
}, 120000);

/** (Re)place the fixture at its host paths, removing what a previous case added. */
async function placeFixture(): Promise<void> {
  const r = await host.exec(
    "rm -rf /etc/pve/* /etc/network /etc/sysctl.d/* /etc/sysctl.conf /etc/haproxy/* /etc/cloudflared/* && tar -C / -xpf /tmp/pve-neve.tar" +
      // A canary: any read of Proxmox's private dir would move this access time (tmpfs, relatime: atime older than mtime).
      ` && touch -a -d '2000-01-01 00:00:00' ${PRIV_KEY}`,
  );
  if (r.code !== 0) throw new Error(`placing the fixture failed: ${r.stderr}`);
}

afterAll(async () => {
  await host?.stop();
  fs.rmSync(FIXTURE, { recursive: true, force: true });
});

describe("discover's read over SSH against a host holding neve's files", () => {
  it("must give the same facts as --root on the same tree, over one connection and one exec", async () => {
    const before = await host.sshdLog();
    const live = await readLive(ssh(), REQUEST);
    const log = (await host.sshdLog()).slice(before.length);
    expect(count(log, /Accepted publickey/g)).toBe(1);
    expect(count(log, /Starting session:/g)).toBe(1);
    expect(count(log, /subsystem request for sftp/g)).toBe(0);
    const offline = await readLive({ kind: "root", dir: FIXTURE }, REQUEST);
    expect(withoutOrigin(live)).toEqual(withoutOrigin(offline));
    expect(live.source).toBe(`ssh://root@${host.address}:22`);
    // The read covered everything the fixture holds (so the equality is not vacuous).
    expect(live.guests).toHaveLength(8);
    expect(live.network.files).toEqual(["/etc/network/interfaces", "/etc/network/interfaces.d/vmbr1-ipv6"]);
    expect(live.network.staged).toBeUndefined(); // the fixture stages nothing
    expect(live.hostFirewall?.rules).toHaveLength(2);
    expect(live.guestFirewalls?.map((g) => [g.vmid, g.path])).toEqual([[1201, "/etc/pve/firewall/1201.fw"]]);
    expect(live.files[TUNNEL_JSON]).toMatchObject({ kind: "file", owner: "root" });
    expect(live.files["/etc/pve"]).toEqual({ path: "/etc/pve", exists: false, kind: "other" });
    expect(Object.keys(live.sysctlRuntime ?? {}).sort()).toEqual(["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"]);
    for (const v of Object.values(live.sysctlRuntime ?? {})) expect(v).toMatch(/^[0-9]+$/);
    const text = JSON.stringify(live);
    expect(text).not.toContain(PRIV_MARKER);
    expect(text).not.toContain("FIXTURE-TUNNEL-SECRET-NOT-REAL");
  });

  it("must write nothing on the host and never read /etc/pve/priv", async () => {
    const before = await snapshot();
    expect(before).toContain("priv-atime 946684800");
    expect(before).toContain("/etc/pve/nodes/neve/qemu-server/1201.conf ");
    await readLive(ssh(), REQUEST);
    expect(await snapshot()).toBe(before);
    // The canary is live: a read of the file does move its access time.
    await host.exec(`cat ${PRIV_KEY} >/dev/null`);
    expect(await snapshot()).not.toBe(before);
    await host.exec(`touch -a -d '2000-01-01 00:00:00' ${PRIV_KEY}`);
  });

  it("must refuse, unread, a requested file that is a link into /etc/pve/priv", async () => {
    await host.exec(`ln -sfn ${PRIV_KEY} /etc/haproxy/innocent.cfg`);
    try {
      const before = await snapshot();
      const f = await readLive(ssh(), { node: "neve", files: [{ path: "/etc/haproxy/innocent.cfg", secret: false }] });
      expect(f.files["/etc/haproxy/innocent.cfg"]).toEqual({ path: "/etc/haproxy/innocent.cfg", exists: false, kind: "other", problem: "refused" });
      expect(JSON.stringify(f)).not.toContain(PRIV_MARKER);
      expect(await snapshot()).toBe(before);
    } finally {
      await host.exec("rm -f /etc/haproxy/innocent.cfg");
    }
  });

  it("must refuse a request for /etc/pve/priv before connecting", async () => {
    const before = await host.sshdLog();
    await expect(readLive(ssh(), { node: "neve", files: [{ path: PRIV_KEY, secret: true }] })).rejects.toThrow(/lies under \/etc\/pve\/priv/);
    expect(count((await host.sshdLog()).slice(before.length), /Accepted publickey|Connection from/g)).toBe(0);
  });

  it("must refuse a host whose key is not the pinned one before authenticating, naming both fingerprints", async () => {
    const other = `SHA256:${crypto.createHash("sha256").update("not the test host").digest("base64").replace(/=+$/, "")}`;
    const before = await host.sshdLog();
    const e = await readLive(ssh({ hostKey: other }), REQUEST).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoverError);
    expect((e as Error).message).toContain(`host key mismatch for root@${host.address}:${host.port}: expected ${other}, got ${host.hostKeyFingerprint}`);
    expect((e as Error).message).not.toContain("PRIVATE KEY");
    expect(count((await host.sshdLog()).slice(before.length), /Accepted publickey|Failed publickey|Postponed publickey|Starting session/g)).toBe(0);
  });

  it("must name the host's nodes when the node name is wrong", async () => {
    await expect(readLive(ssh(), { node: "pve", files: [] })).rejects.toThrow("/etc/pve/nodes/pve does not exist (nodes there: neve)");
  });
});

describe("what discover cannot read, over SSH as with --root", () => {
  beforeAll(placeFixture);

  it("must stop at the size limit with its own message, naming the same file as --root", async () => {
    const request = { node: "neve", files: [], limitBytes: 4096 };
    const viaSsh = (await readLive(ssh(), request).catch((e: unknown) => e)) as Error;
    const viaRoot = (await readLive({ kind: "root", dir: FIXTURE }, request).catch((e: unknown) => e)) as Error;
    expect(viaSsh).toBeInstanceOf(ReadLimitError);
    expect(viaRoot).toBeInstanceOf(ReadLimitError);
    expect(viaSsh.message).toMatch(
      /^ssh:\/\/root@[\d.]+:22: the files discover reads passed its limit of 4 KiB of content in one read at \/etc\/pve\/\S+; nothing was reported/,
    );
    expect(viaSsh.message.replace(/^\S+: /, "")).toBe(viaRoot.message.replace(/^\S+: /, ""));
    expect(viaSsh.message).not.toMatch(/incompletely|run discover again/);
  });

  it("must name a directory the reading user may not list (the script run as nobody on the host), not read it as empty", async () => {
    await host.exec("chmod 000 /etc/pve/nodes/neve/lxc");
    try {
      const request = { node: "neve", files: [] };
      const r = await host.exec(`setpriv --reuid=65534 --regid=65534 --clear-groups ${buildReadCommand(request)}`);
      expect(r.code).toBe(0);
      const raw = parseReadOutput(r.stdout, "nobody@test-host");
      expect(raw.records.filter((x) => x.tag === "lxc")).toEqual([]);
      expect(() => assembleFacts(raw, request, "ssh://nobody@test-host")).toThrow(
        /\n {2}\/etc\/pve\/nodes\/neve\/lxc\/ is a directory discover cannot list \(permissions\): the files in it would be missed/,
      );
    } finally {
      await host.exec("chmod 755 /etc/pve/nodes/neve/lxc");
    }
  });
});

/** A network change staged in the Proxmox UI (read here only: its --check report is tests/unit/discover-staged.test.ts). */
const STAGED_CASE: LiveEditCase = {
  name: "vmbr0 changed in the Proxmox UI, not applied (/etc/network/interfaces.new)",
  edit: STAGED_VMBR0_EDIT,
  expect: (f) => {
    if (!f.network.staged?.text.includes("iface vmbr0 inet static\n\taddress 203.0.113.5/24\n")) throw new Error("the staged vmbr0 change is not in the facts");
    if (!f.network.staged.current.includes("iface vmbr0 inet dhcp\n")) throw new Error("the live interfaces file is not beside the staged one");
  },
};

describe.each([...LIVE_EDIT_CASES, STAGED_CASE].map((c) => [c.name, c] as const))("live edit over SSH and with --root: %s", (_name, c) => {
  let dir: string;
  beforeAll(async () => {
    await placeFixture();
    const r = await host.exec(`cd / && ${c.edit}`);
    if (r.code !== 0) throw new Error(`the edit failed on the test host: ${r.stderr}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "discover-case-"));
    fs.cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
    execFileSync("/bin/sh", ["-c", c.edit], { cwd: dir });
  });
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("must read the same over SSH as from the edited copy, and show the edit", async () => {
    const request = { node: "neve", files: [] };
    if ("error" in c.expect) {
      await expect(readLive(ssh(), request)).rejects.toThrow(c.expect.error);
      await expect(readLive({ kind: "root", dir }, request)).rejects.toThrow(c.expect.error);
      return;
    }
    const a = await readLive(ssh(), request);
    const b = await readLive({ kind: "root", dir }, request);
    expect(withoutOrigin(a)).toEqual(withoutOrigin(b));
    c.expect(a);
  });
});

describe("the fixture directory read with --root", () => {
  it("must be exactly as it was before these tests (nothing written in DIR)", () => {
    expect(treeHash(FIXTURE)).toBe(fixtureHash);
  });
});

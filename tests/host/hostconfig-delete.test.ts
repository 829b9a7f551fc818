/**
 * Delete modes (keep, remove, restore the adopted original) and stash retention of HostConfig, through the REAL
 * provider host against a REAL sshd test host with real haproxy.
 */

import type { HostConfigArgs } from "../../providers/hostconfig";
import { conn, create, declare, haproxyCfg, up } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";
const EXTRA = "/etc/haproxy/extra.cfg";

describe("HostConfig delete modes and stash", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost()]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const unit = (name: string, onDelete: HostConfigArgs["onDelete"], activate = "systemctl daemon-reload"): HostConfigArgs => ({
    connection: conn(host),
    service: name,
    files: [{ path: `/etc/systemd/system/${name}.service`, content: `[Service]\nExecStart=/bin/true\n# ${name}\n` }],
    activate,
    onDelete,
  });

  it('must leave files and services alone and not even connect on delete with "keep" (the default)', async () => {
    const d = await declare("kept", { ...unit("neve-kept", undefined) });
    const s = await create(ph, d);
    expect(s.outputs.onDelete).toBe("keep");
    await host.clearSystemctlCalls();
    const log0 = await host.sshdLog();
    await ph.delete(s.id, d.urn, s.outputs);
    expect(await host.readFile("/etc/systemd/system/neve-kept.service")).toContain("neve-kept");
    expect(await host.systemctlCalls()).toEqual([]);
    expect((await host.sshdLog()).slice(log0.length)).not.toMatch(/Starting session/);
  });

  it('must remove the files, stash them and activate once on delete with "remove"', async () => {
    const d = await declare("removed", unit("neve-removed", "remove"));
    const s = await create(ph, d);
    await host.clearSystemctlCalls();
    await ph.delete(s.id, d.urn, s.outputs);
    expect(await host.readFile("/etc/systemd/system/neve-removed.service")).toBeNull();
    expect(await host.systemctlCalls()).toEqual(["daemon-reload"]);
    const stashed = await host.exec("ls /root/etc-pve.stash/neve-removed/*/files/etc/systemd/system/neve-removed.service");
    expect(stashed.code).toBe(0);
  });

  it('must put the file back and activate again when the activation after "remove" fails, and say so', async () => {
    const d = await declare("rm-fails", unit("neve-rmfail", "remove", "echo 'unit still referenced' >&2; exit 4"));
    // Created with an activation that works; the deleting provider sees one that fails (as after a bad edit of the program).
    const created = await create(ph, await declare("rm-fails", unit("neve-rmfail", "remove", "true")));
    await expect(ph.delete(created.id, d.urn, { ...created.outputs, activate: "echo 'unit still referenced' >&2; exit 4" })).rejects.toThrow(
      /delete \(remove\): activation `echo 'unit still referenced' >&2; exit 4` failed \(exit 4\)\.\nRolled back the files from \S+, but activation failed again \(exit 4\): the service needs attention\.\n--- activation after the change \(exit 4\):\nunit still referenced\n--- activation after restoring the previous files \(exit 4\):\nunit still referenced/,
    );
    expect(await host.readFile("/etc/systemd/system/neve-rmfail.service")).toContain("neve-rmfail");
  });

  it('must also remove, on delete with "remove", the directories the push created, where empty', async () => {
    const d = await declare("dirs", {
      connection: conn(host),
      service: "neve-dirs",
      files: [
        { path: "/etc/neve-dirs/conf.d/a.conf", content: "a\n" },
        { path: "/etc/neve-dirs/b.conf", content: "b\n" },
      ],
      onDelete: "remove",
    });
    expect((await host.exec("test -e /etc/neve-dirs")).code).not.toBe(0);
    const s = await create(ph, d);
    expect(await host.readFile("/etc/neve-dirs/conf.d/a.conf")).toBe("a\n");
    await ph.delete(s.id, d.urn, s.outputs);
    expect((await host.exec("test -e /etc/neve-dirs")).code).not.toBe(0);
    expect((await host.exec("test -d /etc")).code).toBe(0);
  });

  it('must restore the originals found at the first create on delete with "restore": adopted file back, new file gone, reloaded', async () => {
    const original = await host.readFile(CFG);
    expect(await host.readFile(EXTRA)).toBeNull();
    const args = (body: string): HostConfigArgs => ({
      connection: conn(host),
      service: "haproxy",
      files: [
        // The first create adopts the harness's haproxy.cfg: acknowledged by its hash (the adoption guard).
        { path: CFG, content: haproxyCfg(host, body), acceptLive: [host.initialHaproxyCfgHash] },
        { path: EXTRA, content: `# ${body}\n` },
      ],
      validate: [`haproxy -c -f {staged:${CFG}}`],
      activate: "systemctl reload haproxy",
      onDelete: "restore",
      stashKeep: 2,
    });
    let s = await create(ph, await declare("haproxy", args("r1")));
    for (const body of ["r2", "r3", "r4"]) {
      s = (await up(ph, s, await declare("haproxy", args(body)))).state;
    }
    // Retention: the last 2 timestamped stashes, plus the original, which is never pruned.
    const dirs = (await host.exec("ls -1 /root/etc-pve.stash/haproxy")).stdout.trim().split("\n");
    expect(dirs.filter((n) => n !== "original")).toHaveLength(2);
    expect(dirs).toContain("original");
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "r4"));
    await host.clearSystemctlCalls();
    await ph.delete(s.id, "", s.outputs);
    expect(await host.readFile(CFG)).toBe(original);
    expect(await host.readFile(EXTRA)).toBeNull();
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    expect(await host.haproxyPid()).not.toBeNull();
  });

  it("must replace (delete first) when the set of paths or the service changes, and update when only content changes", async () => {
    const d1 = await declare("ident", unit("neve-ident", "keep"));
    const s = await create(ph, d1);
    const inputs = (
      await ph.check(
        d1.urn,
        {},
        (
          await declare("ident", { ...unit("neve-ident", "keep"), files: [{ path: "/etc/systemd/system/neve-ident2.service", content: "x\n" }] })
        ).inputs,
      )
    ).inputs;
    const replace = await ph.diff(s.id, d1.urn, s.outputs, inputs);
    expect(replace).toMatchObject({ changes: "some", replaces: ["files"], deleteBeforeReplace: true });
    const renamed = (await ph.check(d1.urn, {}, (await declare("ident", { ...unit("neve-ident", "keep"), service: "neve-other" })).inputs)).inputs;
    expect(await ph.diff(s.id, d1.urn, s.outputs, renamed)).toMatchObject({ changes: "some", replaces: ["service"], deleteBeforeReplace: true });
    const sameFiles = (await ph.check(d1.urn, {}, (await declare("ident", unit("neve-ident", "keep", "systemctl restart x"))).inputs)).inputs;
    expect(await ph.diff(s.id, d1.urn, s.outputs, sameFiles)).toMatchObject({ changes: "some", replaces: [] });
  });
});

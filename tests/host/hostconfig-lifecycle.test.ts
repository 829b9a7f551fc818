/**
 * HostConfig lifecycle through the REAL dynamic provider host and a REAL sshd test host with real haproxy:
 * create, no-op, update, drift, validation, rollback on failed activation / health check, modes and owners.
 */

import type { HostConfigArgs } from "../../providers/hostconfig";
import { conn, create, declare, filesOf, haproxyCfg, haproxyConfigArgs, type State, statOf, up, waitFor } from "../providers/support/hostconfigCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CFG = "/etc/haproxy/haproxy.cfg";

describe("HostConfig lifecycle (real provider host, real sshd, real haproxy)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: true }), startProviderHost()]);
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const haproxyArgs = (content: string, over: Partial<HostConfigArgs> = {}) => haproxyConfigArgs(host, content, over);

  let state: State;

  it("must adopt the live haproxy.cfg on first create: original stashed, new config live, haproxy reloaded once", async () => {
    const original = await host.readFile(CFG);
    expect(original).toContain("test host");
    const pidBefore = await host.haproxyPid();
    await host.clearSystemctlCalls();
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v1")));
    state = await create(ph, d);
    expect(state.id).toBe(`${host.address}:haproxy`);
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v1"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    const pidAfter = await host.haproxyPid();
    expect(pidAfter).not.toBeNull();
    expect(pidAfter).not.toBe(pidBefore);
    expect(await host.readFile(`/root/etc-pve.stash/haproxy/original/files${CFG}`)).toBe(original);
    const f = filesOf(state)[0];
    expect(f).toMatchObject({ path: CFG, mode: "0644", owner: "root", group: "root", present: true });
    expect(f.content).toBe(haproxyCfg(host, "v1"));
    // Nothing staged is left next to the target.
    expect((await host.exec("ls -A /etc/haproxy")).stdout.trim().split("\n")).toEqual(["haproxy.cfg"]);
  });

  it("must do nothing on a second run with the same declaration: diff none, nothing written, nothing reloaded, no SSH", async () => {
    const before = await statOf(host, CFG);
    const logBefore = await host.sshdLog();
    await host.clearSystemctlCalls();
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v1")));
    const { diff } = await up(ph, state, d);
    expect(diff.changes).toBe("none");
    expect(diff.replaces).toEqual([]);
    expect(await statOf(host, CFG)).toBe(before);
    expect(await host.systemctlCalls()).toEqual([]);
    const logAfter = await host.sshdLog();
    expect(logAfter.slice(logBefore.length)).not.toMatch(/Accepted publickey|Starting session/);
  });

  it("must update a content change in place, stash the previous version and reload once", async () => {
    await host.clearSystemctlCalls();
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v2")));
    const { diff, state: next } = await up(ph, state, d);
    expect(diff).toMatchObject({ changes: "some", replaces: [] });
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy"]);
    const stash = next.outputs.lastStash as string;
    expect(stash).toMatch(/^\/root\/etc-pve\.stash\/haproxy\/\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(await host.readFile(`${stash}/files${CFG}`)).toBe(haproxyCfg(host, "v1"));
    state = next;
  });

  it("must show a hand edit on the host as drift on refresh, and put the declared content back on the next up", async () => {
    await host.writeFile(CFG, haproxyCfg(host, "edited by hand"), "0600");
    const r = await ph.read(state.id, "", state.outputs);
    const f = (r.properties.files as { sha256: string; mode: string; content: string | null }[])[0];
    expect(f.mode).toBe("0600");
    expect(f.content).toBeNull();
    const refreshed: State = { ...state, outputs: r.properties };
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v2")));
    const { diff, state: next } = await up(ph, refreshed, d);
    expect(diff.changes).toBe("some");
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
    expect(await statOf(host, CFG)).toMatch(/^644:root:root:/);
    state = next;
  });

  it("must show a file deleted on the host as missing on refresh, and recreate it on the next up", async () => {
    await host.exec(`rm -f ${CFG}`);
    const r = await ph.read(state.id, "", state.outputs);
    expect((r.properties.files as { present: boolean; sha256: string | null }[])[0]).toMatchObject({ present: false, sha256: null });
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v2")));
    const { diff, state: next } = await up(ph, { ...state, outputs: r.properties }, d);
    expect(diff.changes).toBe("some");
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
    state = next;
  });

  it("must refuse an invalid haproxy config: live file and running haproxy untouched, haproxy's own message in the error", async () => {
    const pid = await host.haproxyPid();
    const before = await statOf(host, CFG);
    await host.clearSystemctlCalls();
    const bad = haproxyCfg(host, "v3").replace("maxconn 256", "maxconn 256\n    no-such-keyword here");
    const d = await declare("haproxy", haproxyArgs(bad));
    await expect(up(ph, state, d)).rejects.toThrow(
      /HostConfig haproxy on root@[\d.]+:22: validation failed, nothing was changed: `haproxy -c -f \{staged\}` exited with \d+:[\s\S]*unknown keyword 'no-such-keyword'/,
    );
    expect(await statOf(host, CFG)).toBe(before);
    expect(await host.haproxyPid()).toBe(pid);
    expect(await host.systemctlCalls()).toEqual([]);
    expect((await host.exec("ls -A /etc/haproxy")).stdout.trim()).toBe("haproxy.cfg");
  });

  it("must roll back when activation fails (new config binds a port already taken): previous file back, reloaded again", async () => {
    // A listener the new config wants, held by another process inside the host: haproxy -c passes, the reload cannot bind.
    const holder = await host.exec("setsid socat TCP-LISTEN:8405,bind=127.0.0.1,reuseaddr,fork EXEC:/bin/true </dev/null >/dev/null 2>&1 & echo $!");
    const holderPid = Number(holder.stdout.trim());
    try {
      expect(await waitFor(async () => (await host.exec("ss -Hlnt")).stdout.includes("127.0.0.1:8405"))).toBe(true);
      const pid = await host.haproxyPid();
      await host.clearSystemctlCalls();
      const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v4", "\nlisten taken\n    bind 127.0.0.1:8405\n")));
      await expect(up(ph, state, d)).rejects.toThrow(
        /activation `systemctl reload haproxy` failed \(exit \d+\):[\s\S]*8405[\s\S]*Rolled back: the previous files were restored from \/root\/etc-pve\.stash\/haproxy\/\S+ and activation ran again successfully\./,
      );
      expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
      expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
      const after = await host.haproxyPid();
      expect(after).not.toBeNull();
      void pid;
    } finally {
      await host.exec(`kill ${holderPid} 2>/dev/null; true`);
    }
  });

  it("must roll back when the health check fails: previous file restored and re-activated, error says both", async () => {
    await host.clearSystemctlCalls();
    const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v5"), { healthCheck: `echo 'expected v6, got v5' >&2; exit 7` }));
    await expect(up(ph, state, d)).rejects.toThrow(
      /health check `echo 'expected v6, got v5' >&2; exit 7` failed \(exit 7\): expected v6, got v5\nRolled back: the previous files were restored from \S+ and activation ran again successfully\./,
    );
    expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
    expect(await host.systemctlCalls()).toEqual(["reload haproxy", "reload haproxy"]);
  });

  it("must roll back when the stand-in systemctl refuses the reload (injected failure)", async () => {
    await host.failSystemctl("reload", "haproxy", true);
    try {
      const d = await declare("haproxy", haproxyArgs(haproxyCfg(host, "v6")));
      await expect(up(ph, state, d)).rejects.toThrow(
        /activation `systemctl reload haproxy` failed \(exit 1\)[\s\S]*Rolled back the files from \S+, but activation failed again/,
      );
      expect(await host.readFile(CFG)).toBe(haproxyCfg(host, "v2"));
    } finally {
      await host.failSystemctl("reload", "haproxy", false);
    }
  });

  it("must write modes and owners as declared (0600 root for credentials, others as given)", async () => {
    const d = await declare("creds", {
      connection: conn(host),
      service: "cloudflared",
      files: [
        { path: "/etc/cloudflared/creds.json", content: '{"TunnelSecret":"x"}\n', mode: "0600" },
        { path: "/etc/cloudflared/config.yml", content: "tunnel: t\n", mode: "0640", owner: "nobody", group: "nogroup" },
      ],
    });
    const s = await create(ph, d);
    expect(await statOf(host, "/etc/cloudflared/creds.json")).toMatch(/^600:root:root:/);
    expect(await statOf(host, "/etc/cloudflared/config.yml")).toMatch(/^640:nobody:nogroup:/);
    expect(filesOf(s).map((f) => `${f.mode}:${f.owner}:${f.group}`)).toEqual(["0600:root:root", "0640:nobody:nogroup"]);
    // A mode change alone is an update that fixes the mode.
    const d2 = await declare("creds", {
      connection: conn(host),
      service: "cloudflared",
      files: [
        { path: "/etc/cloudflared/creds.json", content: '{"TunnelSecret":"x"}\n', mode: "0400" },
        { path: "/etc/cloudflared/config.yml", content: "tunnel: t\n", mode: "0640", owner: "nobody", group: "nogroup" },
      ],
    });
    const { diff } = await up(ph, s, d2);
    expect(diff.changes).toBe("some");
    expect(await statOf(host, "/etc/cloudflared/creds.json")).toMatch(/^400:root:root:/);
  });

  it("must refuse bad declarations in check, naming the property", async () => {
    const d = await declare("bad", {
      connection: { host: host.address, hostKey: "" },
      service: "bad name",
      files: [
        { path: "etc/relative.cfg", content: "x" },
        { path: "/etc/../etc/passwd", content: "x" },
        { path: "/etc/haproxy/a.cfg", content: "x", mode: "644x" },
        { path: "/etc/haproxy/a.cfg", content: "x", owner: "Root User" },
      ],
      validate: ["", "haproxy -c -f {staged}"],
    });
    const r = await ph.check(d.urn, {}, d.inputs);
    const byProp = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    expect(byProp["connection.hostKey"]).toMatch(/is required \(no trust on first use\)/);
    expect(byProp.service).toMatch(/must be a short name/);
    expect(byProp["files[0].path"]).toMatch(/is relative/);
    expect(byProp["files[1].path"]).toMatch(/"\." or "\.\." segments/);
    expect(byProp["files[2].mode"]).toMatch(/octal string/);
    expect(byProp["files[3].path"]).toMatch(/already declared as files\[2\]\.path/);
    expect(byProp["files[3].owner"]).toMatch(/must be a user name/);
    expect(byProp["validate[0]"]).toMatch(/non-empty command/);
    expect(byProp["validate[1]"]).toMatch(/\{staged\} is only allowed with exactly one file/);
  });
});

/**
 * LxcRawConfig through the REAL dynamic provider host against a REAL sshd test host. /etc/pve on the test host is a
 * plain directory standing in for pmxcfs (no Proxmox here), holding a realistic /etc/pve/lxc/201.conf with a
 * snapshot section and a pending section; Proxmox's config lock is the real flock(1) on /run/lock/lxc.
 */
import * as crypto from "node:crypto";
import type { LxcRawConfigArgs } from "../../providers/lxcraw";
import { ANSWER_END, buildApplyScript, commandOf } from "../../providers/lxcraw/script";
import { FUSE_UNCONFINED_RAW_LINES } from "../../stacks/render/lxcRaw";
import { create, type State, statOf, up, waitFor } from "../providers/support/hostconfigCase";
import { declareLxcRaw, lxcRawArgs } from "../providers/support/lxcrawCase";
import { type ProviderHost, startProviderHost } from "./harness/providerHost";
import { startTestHost, type TestHost } from "./harness/testHost";

const CONF = "/etc/pve/lxc/201.conf";
const STASH = "/root/etc-pve.stash/lxc-201";

/** CT 201 as Proxmox writes it, before the raw lines: main section, a snapshot, pending changes. */
const MAIN = `#lune%3A media and FUSE mounts
#second description line
arch: amd64
cores: 2
features: fuse=1,nesting=1
hostname: lune
memory: 4096
net0: name=eth0,bridge=vmbr1,gw=10.10.10.1,hwaddr=BC:24:11:5A:0C:01,ip=10.10.10.50/24,type=veth
onboot: 1
ostype: ubuntu
parent: atlas
rootfs: vmdata:subvol-201-disk-0,size=32G
swap: 512
`;
const REST = `
[atlas]
arch: amd64
cores: 2
hostname: lune
memory: 2048
net0: name=eth0,bridge=vmbr1,gw=10.10.10.1,hwaddr=BC:24:11:5A:0C:01,ip=10.10.10.50/24,type=veth
ostype: ubuntu
rootfs: vmdata:subvol-201-disk-0,size=32G
snaptime: 1727000000
swap: 512
lxc.apparmor.profile: generated
lxc.mount.entry: /old old none bind 0 0

[pve:pending]
memory: 8192
delete: swap
`;
const ORIGINAL = MAIN + REST;
const withLines = (lines: readonly string[]) => MAIN + lines.map((l) => `${l}\n`).join("") + REST;
const EXTRA = "lxc.mount.entry: /srv/media srv/media none bind,create=dir 0 0";

describe("LxcRawConfig of CT 201 (real provider host, real sshd, /etc/pve stand-in directory)", () => {
  let host: TestHost;
  let ph: ProviderHost;
  beforeAll(async () => {
    [host, ph] = await Promise.all([startTestHost({ haproxy: false }), startProviderHost()]);
    await host.writeFile(CONF, ORIGINAL, "0640");
  });
  afterAll(async () => {
    await ph?.stop();
    await host?.stop();
  });

  const args = (over: Partial<LxcRawConfigArgs> = {}) => lxcRawArgs(host, over);
  const ls = async (dir: string) => (await host.exec(`ls -A ${dir}`)).stdout.trim().split("\n").filter(Boolean);

  let state: State;

  it("must add the three FUSE/AppArmor lines and keep every other line byte for byte, snapshot and pending sections included", async () => {
    const d = await declareLxcRaw("lune-raw", args());
    const t0 = Date.now();
    state = await create(ph, d);
    timings.create = Date.now() - t0;
    expect(state.id).toBe(`${host.address}:lxc/201`);
    expect(await host.readFile(CONF)).toBe(withLines(FUSE_UNCONFINED_RAW_LINES));
    expect(state.outputs).toMatchObject({ vmid: 201, path: CONF, rawLines: [...FUSE_UNCONFINED_RAW_LINES], present: true, onDelete: "keep" });
    expect(state.outputs.lastStash).toMatch(/^\/root\/etc-pve\.stash\/lxc-201\/\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(await host.readFile(`${STASH}/original/files${CONF}`)).toBe(ORIGINAL);
    expect(await host.readFile(`${state.outputs.lastStash}/files${CONF}`)).toBe(ORIGINAL);
    // Mode as pmxcfs shows it, no staged copy left next to the config.
    expect(await statOf(host, CONF)).toMatch(/^640:root:root:/);
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
  });

  it("must do nothing on a second run: diff none, no SSH, file untouched (same mtime and inode)", async () => {
    const before = await statOf(host, CONF);
    const logBefore = await host.sshdLog();
    const t0 = Date.now();
    const { diff } = await up(ph, state, await declareLxcRaw("lune-raw", args()));
    timings.noop = Date.now() - t0;
    expect(diff).toMatchObject({ changes: "none", replaces: [] });
    expect(await statOf(host, CONF)).toBe(before);
    expect((await host.sshdLog()).slice(logBefore.length)).not.toMatch(/Accepted publickey|Starting session/);
  });

  it("must write nothing when a create finds the lines already in place (no stash, same mtime and inode)", async () => {
    const before = await statOf(host, CONF);
    const stashes = await ls(STASH);
    const again = await create(ph, await declareLxcRaw("lune-raw-again", args()));
    expect(again.outputs).toMatchObject({ rawLines: [...FUSE_UNCONFINED_RAW_LINES], lastStash: null, present: true });
    expect(await statOf(host, CONF)).toBe(before);
    expect(await ls(STASH)).toEqual(stashes);
  });

  it("must update the raw lines in place in one exec when the declaration changes, stashing the previous file", async () => {
    const lines = [...FUSE_UNCONFINED_RAW_LINES, EXTRA];
    const logBefore = await host.sshdLog();
    const t0 = Date.now();
    const { diff, state: next } = await up(ph, state, await declareLxcRaw("lune-raw", args({ rawLines: lines })));
    timings.update = Date.now() - t0;
    expect(diff).toMatchObject({ changes: "some", replaces: [] });
    expect(await host.readFile(CONF)).toBe(withLines(lines));
    expect(next.outputs.rawLines).toEqual(lines);
    // Read, render and compare-and-swap in ONE exec on the pooled connection.
    expect((await host.sshdLog()).slice(logBefore.length).match(/Starting session/g)).toHaveLength(1);
    expect(next.outputs.lastStash).not.toBe(state.outputs.lastStash);
    expect(await host.readFile(`${next.outputs.lastStash}/files${CONF}`)).toBe(withLines(FUSE_UNCONFINED_RAW_LINES));
    expect(await host.readFile(`${STASH}/original/files${CONF}`)).toBe(ORIGINAL);
    state = next;
  });

  it("must not see drift when Proxmox rewrites its own lines (a new snapshot), and keep them on the next write", async () => {
    const proxmox = `${withLines([...FUSE_UNCONFINED_RAW_LINES, EXTRA]).replace("parent: atlas\n", "parent: nightly\n")}\n[nightly]\narch: amd64\nhostname: lune\nsnaptime: 1764000000\n`;
    await host.writeFile(CONF, proxmox, "0640");
    const r = await ph.read(state.id, "", state.outputs);
    expect(r.properties.rawLines).toEqual([...FUSE_UNCONFINED_RAW_LINES, EXTRA]);
    const { diff } = await up(
      ph,
      { ...state, outputs: r.properties },
      await declareLxcRaw("lune-raw", args({ rawLines: [...FUSE_UNCONFINED_RAW_LINES, EXTRA] })),
    );
    expect(diff.changes).toBe("none");
    const { state: next } = await up(ph, { ...state, outputs: r.properties }, await declareLxcRaw("lune-raw", args()));
    expect(await host.readFile(CONF)).toBe(proxmox.replace(`${EXTRA}\n`, ""));
    state = next;
    await host.writeFile(CONF, withLines(FUSE_UNCONFINED_RAW_LINES), "0640");
  });

  it("must show a hand edit of the raw lines as drift on refresh (one round trip), and put the declared lines back", async () => {
    const live = (await host.readFile(CONF))!;
    await host.writeFile(CONF, live.replace("lxc.apparmor.profile: unconfined\n", "lxc.apparmor.profile: generated\n"), "0640");
    const logBefore = await host.sshdLog();
    const t0 = Date.now();
    const r = await ph.read(state.id, "", state.outputs);
    timings.read = Date.now() - t0;
    expect((await host.sshdLog()).slice(logBefore.length).match(/Starting session/g)).toHaveLength(1);
    expect(r.properties.rawLines).toEqual(["lxc.apparmor.profile: generated", ...FUSE_UNCONFINED_RAW_LINES.slice(1)]);
    expect(r.properties.present).toBe(true);
    const { diff, state: next } = await up(ph, { ...state, outputs: r.properties }, await declareLxcRaw("lune-raw", args()));
    expect(diff.changes).toBe("some");
    expect(await host.readFile(CONF)).toBe(live);
    state = next;
  });

  it("must refuse to write when the file changes between read and write (a writer holding Proxmox's lock), leaving that change alone", async () => {
    // A stand-in for `pct set` running at the same moment: it holds the real config lock (flock, as pct does),
    // waits until the provider has read the file and staged its copy, then writes its own change and releases
    // the lock. The provider's swap waits for the lock, then must see a different sha256 and give up.
    const lock = "/run/lock/lxc/pve-config-201.lock";
    await host.exec(
      `mkdir -p /run/lock/lxc; rm -f /tmp/locked; setsid flock ${lock} sh -c 'touch /tmp/locked; i=0; ` +
        `until ls /etc/pve/lxc/.neve-stage-* >/dev/null 2>&1; do sleep 0.02; i=$((i+1)); [ $i -gt 1500 ] && exit 1; done; ` +
        `sed -i "s/^memory: 4096$/memory: 6144/" ${CONF}' </dev/null >/dev/null 2>&1 &`,
    );
    expect(await waitFor(async () => (await host.exec("test -e /tmp/locked")).code === 0)).toBe(true);
    const stashes = await ls(STASH);
    const before = (await host.readFile(CONF))!;
    const err = await up(ph, state, await declareLxcRaw("lune-raw", args({ rawLines: [EXTRA] }))).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      /^LxcRawConfig CT 201 on root@[\d.]+:22: \/etc\/pve\/lxc\/201\.conf changed underneath us between read and write \(sha256 [0-9a-f]{64} when read, [0-9a-f]{64} at the swap; .*\)\. Nothing was written and the file was left alone; retry/,
    );
    expect(await host.readFile(CONF)).toBe(before.replace("memory: 4096\n", "memory: 6144\n"));
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
    expect(await ls(STASH)).toEqual(stashes);
    // The retry the message asks for works, and keeps the other writer's change.
    const { state: next } = await up(ph, state, await declareLxcRaw("lune-raw", args()));
    expect(await host.readFile(CONF)).toBe(before.replace("memory: 4096\n", "memory: 6144\n"));
    state = next;
    await host.writeFile(CONF, before, "0640");
  });

  it("must say precisely whether the change can be live, and that the next up reconciles it, when the connection is lost after the new text was sent", async () => {
    // Proxmox's lock is held until the test lets it go (or about two minutes pass), so the write waits at the swap
    // with the new text staged; then the connection dies, and only then is the lock released.
    const lock = "/run/lock/lxc/pve-config-201.lock";
    await host.exec(
      `mkdir -p /run/lock/lxc; rm -f /tmp/locked /tmp/unlock; setsid flock ${lock} sh -c 'touch /tmp/locked; i=0; ` +
        `until [ -e /tmp/unlock ]; do sleep 0.05; i=$((i+1)); [ $i -gt 2400 ] && exit 1; done' </dev/null >/dev/null 2>&1 &`,
    );
    expect(await waitFor(async () => (await host.exec("test -e /tmp/locked")).code === 0)).toBe(true);
    const pending = up(ph, state, await declareLxcRaw("lune-raw", args({ rawLines: [EXTRA] }))).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(await waitFor(async () => (await ls("/etc/pve/lxc")).some((f) => f.startsWith(".neve-stage-")))).toBe(true);
    await host.exec(`pids=$(ss -Htnp state established '( sport = :22 )' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); [ -n "$pids" ] && kill -9 $pids`);
    expect(await pending).toMatch(
      /^LxcRawConfig CT 201 on root@[\d.]+:22: write: .*lost.*, after the new text was sent, before the host reported its stash: the host stops at that report once the connection is gone \(before the rename, removing the staged copy\), so the file is unchanged, unless .*\. The next `pulumi up` reads the file and reconciles it\.$/,
    );
    const unchanged = await host.readFile(CONF);
    await host.exec("touch /tmp/unlock");
    expect(await waitFor(async () => (await ls("/etc/pve/lxc")).length === 1)).toBe(true);
    // As the message says: the host stopped at its report, before the rename.
    expect(await host.readFile(CONF)).toBe(unchanged);
    expect(unchanged).not.toContain(EXTRA);
    const { state: next } = await up(ph, state, await declareLxcRaw("lune-raw", args({ rawLines: [EXTRA] })));
    expect(await host.readFile(CONF)).toContain(`\n${EXTRA}\n`);
    state = (await up(ph, next, await declareLxcRaw("lune-raw", args()))).state;
  });

  it("must fail clearly for a container that does not exist, and write nothing", async () => {
    const err = await create(ph, await declareLxcRaw("ghost", args({ vmid: 999 }))).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      new RegExp(
        `^CT 999 does not exist on ${host.address.replace(/\./g, "\\.")}: /etc/pve/lxc/999\\.conf is missing \\(via root@[\\d.]+:22\\); nothing was written`,
      ),
    );
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
    expect((await host.exec("test -e /root/etc-pve.stash/lxc-999")).code).not.toBe(0);
  });

  it("must refuse a file without Proxmox keys (wrong container?) and leave it alone", async () => {
    await host.writeFile("/etc/pve/lxc/300.conf", "lxc.apparmor.profile: generated\n", "0640");
    const err = await create(ph, await declareLxcRaw("raw-only", args({ vmid: 300 }))).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      /LxcRawConfig CT 300 on root@[\d.]+:22: write: \/etc\/pve\/lxc\/300\.conf has no Proxmox keys in its main section \(is vmid 300 the right container\?\); refusing to write only raw lines/,
    );
    expect(await host.readFile("/etc/pve/lxc/300.conf")).toBe("lxc.apparmor.profile: generated\n");
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf", "300.conf"]);
    await host.exec("rm -f /etc/pve/lxc/300.conf");
  });

  it("must fail at once with its own message, not at the time limit, on a config whose read passes the 4 MiB stdout limit, and write nothing", async () => {
    // Larger than pmxcfs allows (1 MiB), so only a stand-in /etc/pve can hold it: 3.5 MiB is 4.7 MiB of base64.
    const big = `arch: amd64\nhostname: big\nmemory: 512\nostype: debian\n#${"x".repeat(3.5 * 1024 * 1024)}\n`;
    await host.writeFile("/etc/pve/lxc/302.conf", big, "0640");
    try {
      await bigConfigFailsAtOnce();
    } finally {
      await host.exec("rm -f /etc/pve/lxc/302.conf");
    }
  });
  const bigConfigFailsAtOnce = async () => {
    const before = await statOf(host, "/etc/pve/lxc/302.conf");
    const err = await create(ph, await declareLxcRaw("big-raw", args({ vmid: 302 }))).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(
      /^LxcRawConfig CT 302 on root@[\d.]+:22: write: the write of \/etc\/pve\/lxc\/302\.conf on root@[\d.]+:22 printed more than 4 MiB on stdout, the most it may print; it was stopped before it ended, and nothing it printed was used \(\/etc\/pve\/lxc\/302\.conf is larger than any config Proxmox writes: pmxcfs keeps every file below 1 MiB; check the file on the host\)$/,
    );
    expect(err).not.toMatch(/timed out/);
    expect(await statOf(host, "/etc/pve/lxc/302.conf")).toBe(before);
    // The stopped script removes its staged copy on the way out (its trap), and stashed nothing.
    expect(await waitFor(async () => (await ls("/etc/pve/lxc")).join(" ") === "201.conf 302.conf", 10000)).toBe(true);
    expect((await host.exec("test -e /root/etc-pve.stash/lxc-302")).code).not.toBe(0);
  };

  it("must write nothing when the provider's answer arrives cut short or with a wrong hash (the remote script on its own)", async () => {
    const live = (await host.readFile(CONF))!;
    const before = await statOf(host, CONF);
    const sha = (t: string) => crypto.createHash("sha256").update(t).digest("hex");
    const next = live.replace("memory: 4096", "memory: 1024");
    const payload = Buffer.from(next).toString("base64");
    const script = buildApplyScript({ vmid: 201, stashDir: "/root/etc-pve.stash", token: "deadbeef", stamp: "20260101T000000000Z" });
    const runWith = (answer: string) => host.exec(`printf '%s' '${answer}' | ${commandOf(script)}`);
    const cut = await runWith(`write ${sha(live)} ${sha(next)}\n${payload.slice(0, 40)}`);
    expect(cut.code).toBe(97);
    expect(cut.stderr).toContain("incomplete answer from the provider (connection cut?); nothing was written");
    const wrongNew = await runWith(`write ${sha(live)} ${sha(`${next}x`)}\n${payload}\n${ANSWER_END}`);
    expect(wrongNew.code).toBe(11);
    expect(wrongNew.stderr).toContain("does not hold the new text");
    const stale = await runWith(`write ${sha(`${live}older`)} ${sha(next)}\n${payload}\n${ANSWER_END}`);
    expect(stale.code).toBe(21);
    expect(stale.stdout).toContain(`@@neve cas ${sha(live)}`);
    expect(await statOf(host, CONF)).toBe(before);
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
    expect(await ls(STASH)).not.toContain("20260101T000000000Z-deadbeef");
    // Control: the same script with a whole, correct answer does write.
    const ok = await runWith(`write ${sha(live)} ${sha(next)}\n${payload}\n${ANSWER_END}`);
    expect(ok.code).toBe(0);
    expect(await host.readFile(CONF)).toBe(next);
    await host.writeFile(CONF, live, "0640");
  });

  it("must not write while Proxmox has the container locked (lock: backup in the main section)", async () => {
    const live = (await host.readFile(CONF))!;
    const locked = live.replace("memory: 4096\n", "lock: backup\nmemory: 4096\n");
    await host.writeFile(CONF, locked, "0640");
    try {
      const before = await statOf(host, CONF);
      const err = await up(ph, state, await declareLxcRaw("lune-raw", args({ rawLines: [EXTRA] }))).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err).toMatch(
        /LxcRawConfig CT 201 on root@[\d.]+:22: write: CT 201 is locked by a running Proxmox operation \(lock: backup\); nothing was written, retry when it has finished/,
      );
      expect(await statOf(host, CONF)).toBe(before);
      expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
    } finally {
      await host.writeFile(CONF, live, "0640");
    }
  });

  it("must leave the lines in place on delete with onDelete keep (the default)", async () => {
    const before = await statOf(host, CONF);
    await ph.delete(state.id, "", state.outputs);
    expect(await statOf(host, CONF)).toBe(before);
    expect(await host.readFile(CONF)).toBe(withLines(FUSE_UNCONFINED_RAW_LINES));
  });

  it("must take the raw lines out again on delete with onDelete remove, every other line untouched", async () => {
    const { diff, state: s } = await up(ph, state, await declareLxcRaw("lune-raw", args({ onDelete: "remove" })));
    expect(diff).toMatchObject({ changes: "some", replaces: [] });
    expect(s.outputs.onDelete).toBe("remove");
    const before = await statOf(host, CONF);
    await ph.delete(s.id, "", s.outputs);
    expect(await statOf(host, CONF)).not.toBe(before);
    expect(await host.readFile(CONF)).toBe(ORIGINAL);
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
    // A container already gone has no lines left to remove: delete succeeds without writing anything.
    await ph.delete(`${host.address}:lxc/999`, "", { ...s.outputs, vmid: 999, path: "/etc/pve/lxc/999.conf" });
    expect(await ls("/etc/pve/lxc")).toEqual(["201.conf"]);
  });

  it("must refuse bad declarations in check through the provider host, naming the property", async () => {
    const d = await declareLxcRaw(
      "bad",
      args({ vmid: 7, rawLines: ["lxc.apparmor.profile: unconfined", "memory: 1", "lxc.cap.drop: x\nlxc.y: z"], onDelete: "restore" as "keep" }),
    );
    const r = await ph.check(d.urn, {}, d.inputs);
    const byProp = Object.fromEntries(r.failures.map((f) => [f.property, f.reason]));
    expect(Object.keys(byProp).sort()).toEqual(["onDelete", "rawLines[1]", "rawLines[2]", "vmid"]);
    expect(byProp["rawLines[1]"]).toMatch(/does not start with "lxc\."/);
    expect(byProp["rawLines[2]"]).toMatch(/contains a line break/);
    expect(byProp.vmid).toMatch(/integer 100-999999999/);
  });
});

const timings: Record<string, number> = {};
afterAll(() => {
  // Shown in the jest output for the report; not asserted (timings are never test conditions here).
  process.stdout.write(`lxcraw timings (ms): ${JSON.stringify(timings)}\n`);
});

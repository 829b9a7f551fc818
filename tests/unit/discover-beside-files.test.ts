/**
 * `npm run discover -- --check` counts a live file "beside" a managed one (the same service configured under
 * another file name: another /etc/dnsmasq.d file, /etc/haproxy/conf.d/*.cfg, a second cloudflared config, a
 * drop-in of a managed unit, in /etc, /run or set-property's system.control), each line naming the file and what to do; files the
 * service skips are not counted; `--write --acknowledge-file PATH` keeps one knowingly until it is edited.
 * On a copy of the `tests/fixtures/pve-neve` files (--root) with such files added.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { besideOf, besideSources } from "../../stacks/discover/beside";
import { discoverCopy } from "../support/discoverCopy";

const ADDED: Record<string, string> = {
  "/etc/dnsmasq.d/local.conf": "server=1.1.1.1\nno-resolv\n",
  "/etc/haproxy/conf.d/legacy.cfg": "frontend legacy\n    bind :8080\n",
  "/etc/cloudflared/old-tunnel.yml": "tunnel: 00000000-0000-0000-0000-000000000000\n",
  "/etc/systemd/system/cloudflared.service.d/override.conf": "[Service]\nExecStart=\nExecStart=/usr/bin/cloudflared tunnel run\n",
  "/etc/systemd/system/novnc-.service.d/heartbeat.conf": "[Service]\nEnvironment=HEARTBEAT=30\n",
  "/run/systemd/system.control/fix-pve-certs.timer.d/50-calendar.conf": "[Timer]\nOnCalendar=weekly\n",
};
/** Files the services skip (or that are not configuration): never counted. */
const SKIPPED: Record<string, string> = {
  "/etc/dnsmasq.d/local.conf~": "an editor backup\n",
  "/etc/dnsmasq.d/.hidden": "dot file\n",
  "/etc/dnsmasq.d/#autosave#": "emacs autosave\n",
  "/etc/dnsmasq.d/old.conf.dpkg-old": "Debian's conf-dir exclusion\n",
  "/etc/haproxy/conf.d/README": "not a .cfg\n",
  "/etc/systemd/system/cloudflared.service.d/notes.txt": "not a .conf\n",
};

describe("discover --check: live files beside the managed ones count, each named with what to do", () => {
  const { root, stack, run, remove } = discoverCopy("discover-beside-");
  afterAll(remove);
  const put = (files: Record<string, string>) => {
    for (const [p, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), text);
    }
  };
  const besideLines = (out: string) => out.split("\n").filter((l) => l.startsWith("  beside "));

  it("must name nothing beside on the fixture as it is", async () => {
    const r = await run("--check");
    expect(r.err).toBe("");
    expect(besideLines(r.out)).toEqual([]);
  });

  it("must count each file beside a managed one, name it, who reads it and what to do; and skip what the services skip", async () => {
    put(ADDED);
    put(SKIPPED);
    const r = await run("--check");
    expect(r.code).toBe(1);
    const lines = besideLines(r.out);
    expect(lines.map((l) => l.split(/\s+/)[2]).sort()).toEqual(Object.keys(ADDED).sort());
    for (const p of Object.keys(ADDED)) {
      expect(r.out).toContain(`counted: the up leaves ${p} in place`);
      expect(r.out).toContain(`npm run discover -- --write --acknowledge-file ${p}`);
    }
    expect(r.out).toContain("dnsmasq reads every file of /etc/dnsmasq.d (--conf-dir), this one as well as /etc/dnsmasq.d/neve-vmbr1.conf");
    expect(r.out).toContain("a systemd drop-in of novnc-1201.service");
    expect(r.out).toContain("a systemd drop-in of fix-pve-certs.timer: it changes the unit /etc/systemd/system/fix-pve-certs.timer defines");
    for (const p of Object.keys(SKIPPED)) expect(r.out).not.toContain(p);
    // Names and hashes only: a beside file's content is never printed.
    expect(r.out).not.toContain("no-resolv");
    expect(r.out).not.toContain("HEARTBEAT=30");
  });

  it("must keep an acknowledged beside file out of the count until it is edited on the host", async () => {
    const p = "/etc/dnsmasq.d/local.conf";
    const w = await run("--write", "--acknowledge-file", p);
    expect(w.err).toBe("");
    expect(parse(fs.readFileSync(stack, "utf8")).config["neve-infra:adoption"].files[p]).toMatch(/^sha256:[0-9a-f]{64}$/);
    const acked = await run("--check");
    expect(acked.out).toContain("kept beside the render knowingly; not counted");
    expect(acked.out).not.toContain(`counted: the up leaves ${p} in place`);
    // The others still count.
    expect(acked.code).toBe(1);
    fs.appendFileSync(path.join(root, p), "dhcp-host=aa:bb:cc:dd:ee:ff,10.10.10.9\n");
    const reopened = await run("--check");
    expect(reopened.out).toContain(`counted: ${p} changed since it was acknowledged`);
  });

  it("must refuse --acknowledge-file for a path neither managed nor beside a managed file (exit 2, nothing written)", async () => {
    const before = fs.readFileSync(stack, "utf8");
    const r = await run("--write", "--acknowledge-file", "/etc/dnsmasq.conf");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--acknowledge-file /etc/dnsmasq.conf: neither a host file the stack manages nor one beside a managed file");
    expect(fs.readFileSync(stack, "utf8")).toBe(before);
  });
});

describe("beside rule (stacks/discover/beside.ts)", () => {
  const managed = ["/etc/dnsmasq.d/neve-vmbr1.conf", "/etc/systemd/system/novnc-1201.service", "/etc/haproxy/haproxy.cfg"];
  it("must list the drop-in directories of a dashed unit name, prefixes included, and never a managed path", () => {
    const s = besideSources(managed).map((b) => `dir ${b.path}`);
    expect(s).toEqual(
      expect.arrayContaining([
        "dir /etc/dnsmasq.d",
        "dir /etc/haproxy/conf.d",
        "dir /etc/systemd/system/novnc-1201.service.d",
        "dir /etc/systemd/system/novnc-.service.d",
        "dir /run/systemd/system/novnc-1201.service.d",
        "dir /run/systemd/system/novnc-.service.d",
        "dir /usr/lib/systemd/system/novnc-1201.service.d",
      ]),
    );
    expect(s.some((x) => managed.some((m) => x.endsWith(` ${m}`)))).toBe(false);
  });
  it("must not take the managed file itself, a push's own staged copy, or a file of another service", () => {
    expect(besideOf("/etc/dnsmasq.d/neve-vmbr1.conf", managed)).toBeUndefined();
    expect(besideOf("/etc/dnsmasq.d/.neve-stage-0123abcd-neve-vmbr1.conf", managed)).toBeUndefined();
    expect(besideOf("/etc/systemd/system/other.service.d/x.conf", managed)).toBeUndefined();
    expect(besideOf("/etc/dnsmasq.d/zz.conf", managed)?.managed).toBe("/etc/dnsmasq.d/neve-vmbr1.conf");
  });
});

import * as fs from "node:fs";
import * as path from "node:path";
import { ctSchema, vmSchema } from "../../stacks/config/guests";
import type { LiveFacts } from "../../stacks/discover/facts";
import {
  classifyKey,
  type KeyClass,
  LXC_KEYS,
  LXC_NET_PROPS,
  QEMU_IPCONFIG_PROPS,
  QEMU_KEYS,
  QEMU_NET_PROPS,
  STORAGE_KEYS,
  VZDUMP_KEYS,
} from "../../stacks/discover/keys";
import { writeStack } from "../../stacks/discover/write";
import { base, run, STACK, set, withCt, withVm } from "./support/discoverHost";

// Issue 12, item 1: closed world for a guest's live config. Every key of qemu-server's and
// pve-container's config descriptions (names generated from the Proxmox sources, with the commits:
// tests/data/proxmox-guest-keys.json) is stated, ignored with a reason, or counted.

const KEYS = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "proxmox-guest-keys.json"), "utf8")) as {
  qemu: { main: string[]; net: string[]; ipconfig: string[] };
  lxc: { main: string[]; net: string[] };
};

const SECTIONS = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "data", "proxmox-storage-job-keys.json"), "utf8")) as {
  storage: Record<"dir" | "zfspool" | "pbs", string[]>;
  vzdump: string[];
};

const TABLES: Array<[name: string, schema: string[], table: Readonly<Record<string, KeyClass>>]> = [
  ["pve-storage dir options", SECTIONS.storage.dir, STORAGE_KEYS.dir],
  ["pve-storage zfspool options", SECTIONS.storage.zfspool, STORAGE_KEYS.zfspool],
  ["pve-storage pbs options", SECTIONS.storage.pbs, STORAGE_KEYS.pbs],
  ["vzdump job options", SECTIONS.vzdump, VZDUMP_KEYS],
  ["qemu-server config keys", KEYS.qemu.main, QEMU_KEYS],
  ["qemu-server net<n> properties", KEYS.qemu.net, QEMU_NET_PROPS],
  ["qemu-server ipconfig<n> properties", KEYS.qemu.ipconfig, QEMU_IPCONFIG_PROPS],
  ["pve-container config keys", KEYS.lxc.main, LXC_KEYS],
  ["pve-container net<n> properties", KEYS.lxc.net, LXC_NET_PROPS],
];

describe.each(TABLES)("%s", (_name, schema, table) => {
  it("must enumerate the schema (the data file is not empty)", () => {
    expect(schema.length).toBeGreaterThan(3);
  });

  it("must classify every key of the Proxmox schema as stated, ignored with a reason, or counted", () => {
    expect(schema.filter((k) => classifyKey(table, k) === undefined)).toEqual([]);
  });

  it("must not classify keys the schema does not have (the table follows the sources)", () => {
    expect(Object.keys(table).filter((k) => !schema.includes(k))).toEqual([]);
  });

  it("must give every ignored or counted key a reason", () => {
    const empty = Object.entries(table).filter(([, c]) => ("ignored" in c ? c.ignored.length < 20 : "counted" in c ? c.counted.length < 20 : false));
    expect(empty).toEqual([]);
  });
});

describe.each([
  ["VM", [QEMU_KEYS, QEMU_NET_PROPS, QEMU_IPCONFIG_PROPS], Object.keys(vmSchema.shape)],
  ["container", [LXC_KEYS, LXC_NET_PROPS], Object.keys(ctSchema.shape)],
])("the %s keys the stack states", (_kind, tables, fields) => {
  it("must name stack fields that exist in the schema (or a field elsewhere in the stack file, dotted)", () => {
    const named = tables
      .flatMap((t) => Object.values(t))
      .filter((c): c is { stack: string } => "stack" in c && !c.stack.startsWith("("))
      .flatMap((c) => c.stack.split(" (")[0].split(/, /));
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((w) => !fields.includes(w) && !w.includes("."))).toEqual([]);
  });
});

describe("discover --check counts a live key the stack cannot state or discover does not know", () => {
  it.each([
    [
      "a VLAN tag on a VM's NIC",
      withVm(set("net0", "virtio=BC:24:11:5E:7A:21,bridge=vmbr1,tag=20")),
      "guests.etoile config.net0.tag: live 20, declared (none)",
    ],
    [
      "an MTU on a container's NIC",
      withCt(set("net0", "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:2D:0C:C8,ip=dhcp,mtu=1400,type=veth")),
      "guests.atlas config.net0.mtu: live 1400",
    ],
    ["a key of a newer Proxmox", withVm(set("futurekey", "1")), "guests.etoile config.futurekey: live 1, declared (none)"],
  ])("must exit 1 naming %s, and --write must leave it (named) until it is removed or acknowledged", (_n, mutate, line) => {
    const { report, out, model, live } = run(mutate(base()));
    expect(out).toContain(line);
    expect(report.code).toBe(1);
    const written = writeStack(STACK, model, live, { now: "2026-11-30T00:00:00Z" });
    expect(written.after.code).toBe(1);
    expect(written.choices.join("\n")).toMatch(/config\.(net0\.tag|net0\.mtu|futurekey): left as \(none\): /);
  });

  it.each([
    [
      "a storage.cfg key of a newer Proxmox",
      (l: LiveFacts): LiveFacts => ({ ...l, storage: [{ ...l.storage[0], props: [...l.storage[0].props, ["future-option", "1"]] }, l.storage[1]] }),
      "storage.local config.future-option: live 1, declared (none)",
    ],
    [
      "a jobs.cfg key of a newer Proxmox",
      (l: LiveFacts): LiveFacts => ({ ...l, jobs: [{ ...l.jobs[0], props: [...l.jobs[0].props, ["future-option", "1"]] }] }),
      "backups.weekly config.future-option: live 1, declared (none)",
    ],
  ])("must count %s", (_n, mutate, line) => {
    const { report, out } = run(mutate(base()));
    expect(out).toContain(line);
    expect(report.code).toBe(1);
  });

  it("must not count storage and job keys the resources ignore (shared, prune-backups of a storage, repeat-missed, comment)", () => {
    const mutate = (l: LiveFacts): LiveFacts => ({
      ...l,
      storage: [{ ...l.storage[0], props: [...l.storage[0].props, ["shared", "0"], ["prune-backups", "keep-all=1"]] }, l.storage[1]],
      jobs: [{ ...l.jobs[0], props: [...l.jobs[0].props, ["repeat-missed", "0"], ["comment", "weekly"]] }],
    });
    expect(run(mutate(base())).report.code).toBe(0);
  });

  it("must not count a key the resource ignores (meta, vmgenid, smbios1, a disk, startup)", () => {
    const mutate = withVm((m) => [
      ...m,
      ["meta", "creation-qemu=9.0.2,ctime=1726929381"],
      ["vmgenid", "3b9d6f2e-8a41-4c57-b0e3-7f1a2c5d9e86"],
      ["smbios1", "uuid=6f1c2a9e-4b7d-4e0a-9c3f-2d8e5a1b7c40"],
      ["scsi1", "vmdata:vm-1201-disk-1,size=500G"],
      ["startup", "order=2,up=30"],
    ]);
    expect(run(mutate(base())).report.code).toBe(0);
  });
});

// The real program under Pulumi mocks, fed the frozen fixture copy of Pulumi.neve.yaml with the
// adoption record that `npm run discover -- --write` adds (its objects live, fingerprint matching):
// what the stack declares, how it adopts the live host, and the outputs contract other stacks rely on.
import * as fs from "node:fs";
import * as path from "node:path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type { CapturedResource, ProgramRun } from "../../scripts/lib/mockRunner";
import { BRIDGE_INPUT_FIELDS } from "../../stacks/components/proxmox/bridges";
import { NEVE_OUTPUT_NAMES, type NeveStackOutputs } from "../../stacks/neve/outputs";
import { FIXTURE_STACK_FILE } from "../support/stacks";
import { reconciled, stackSections } from "./support/adoption";

const T = {
  vm: "proxmoxve:index/vmLegacy:VmLegacy",
  ct: "proxmoxve:index/containerLegacy:ContainerLegacy",
  bridge: "proxmoxve:network/linux/bridge:Bridge",
  dir: "proxmoxve:storage/directory:Directory",
  zfs: "proxmoxve:storage/zfspool:Zfspool",
  pbs: "proxmoxve:storage/pbs:Pbs",
  fwOptions: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
  fwRules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
  job: "proxmoxve:backup/job:Job",
  provider: "pulumi:providers:proxmoxve",
};

let run: ProgramRun;
const SECRETS = {
  proxmoxApiToken: "test@pam!unit=11111111-2222-3333-4444-555555555555",
  pbsPassword: "unit-test-pbs-password-4f1c",
};

beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  // Enforcing, as under pulumi up: the gate passes because the record matches the stack file.
  run = await runProgram({
    stackFile: FIXTURE_STACK_FILE,
    secrets: SECRETS,
    configOverrides: { adoption: reconciled(stackSections()).adoption },
    adoptionGate: "enforce",
  });
});

function one(type: string, name: string): CapturedResource {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}
const ofType = (type: string) => run.resources.filter((r) => r.type === type);
/**
 * The input fields of a resource as the installed SDK declares them (its `<Name>Args` interface in
 * the .d.ts), read from the file so that a provider upgrade that adds a field fails the policy.
 */
function sdkInputFields(dts: string, iface: string): string[] {
  const text = fs.readFileSync(path.join(require.resolve("@muhlba91/pulumi-proxmoxve/package.json"), "..", dts), "utf8");
  const body = text.slice(text.indexOf(`export interface ${iface} {`));
  const block = body.slice(0, body.indexOf("\n}"));
  return [...block.matchAll(/^\s+(?:readonly\s+)?([A-Za-z0-9_]+)\??:/gm)].map((m) => m[1]).sort();
}
const inputs = (r: CapturedResource) => r.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("declared Proxmox objects of docs/neve.md", () => {
  it.each([
    ["debian12-cloud", 1200, true, false, 2048],
    ["etoile", 1201, false, true, 4096],
    ["ubuntu-2404-template", 9000, true, false, 2048],
    ["cipher", 9100, false, true, 4096],
  ])("must declare VM %s (id %i, template=%s, running=%s, %i MiB)", (name, vmid, template, started, mem) => {
    const vm = inputs(one(T.vm, `${name}-vm`));
    expect(vm).toMatchObject({ vmId: vmid, name, template, started, nodeName: "neve", memory: { dedicated: mem } });
    expect(vm.networkDevices[0].bridge).toBe("vmbr1");
  });

  it("must clone cipher from template 9000 with ipconfig0 carrying its IPv4 and IPv6", () => {
    const cipher = inputs(one(T.vm, "cipher-vm"));
    expect(cipher.clone).toMatchObject({ vmId: 9000, full: true });
    expect(cipher.initialization.ipConfigs[0]).toEqual({
      ipv4: { address: "10.10.10.90/24", gateway: "10.10.10.1" },
      ipv6: { address: "2001:bc8:1201:722::90/64", gateway: "2001:bc8:1201:722::1" },
    });
  });

  it("must keep the .99 placeholder on template 9000's ipconfig0", () => {
    const tpl = inputs(one(T.vm, "ubuntu-2404-template-vm"));
    expect(tpl.initialization.ipConfigs[0].ipv4).toEqual({ address: "10.10.10.99/24", gateway: "10.10.10.1" });
  });

  it("must declare atlas unprivileged with nesting and keyctl on vmbr0", () => {
    const atlas = inputs(one(T.ct, "atlas-ct"));
    expect(atlas).toMatchObject({ vmId: 200, unprivileged: true, started: true, memory: { dedicated: 512 } });
    expect(atlas.features).toEqual({ nesting: true, keyctl: true });
    expect(atlas.networkInterfaces[0].bridge).toBe("vmbr0");
  });

  it("must declare lune privileged with FUSE on 10.10.10.50", () => {
    const lune = inputs(one(T.ct, "lune-ct"));
    expect(lune).toMatchObject({ vmId: 201, unprivileged: false, memory: { dedicated: 4096 } });
    expect(lune.features).toEqual({ fuse: true });
    expect(lune.initialization.ipConfigs[0].ipv4).toEqual({ address: "10.10.10.50/24", gateway: "10.10.10.1" });
  });

  it("must declare exactly the six guests", () => {
    expect(ofType(T.vm).length + ofType(T.ct).length).toBe(6);
  });

  it("must declare bridges vmbr0 (public, enp5s0, IPv6 ::1) and vmbr1 (10.10.10.1/24)", () => {
    expect(inputs(one(T.bridge, "network-vmbr0"))).toMatchObject({ name: "vmbr0", ports: ["enp5s0"], address6: "2001:bc8:1201:722::1/64" });
    expect(inputs(one(T.bridge, "network-vmbr0")).address).toBeUndefined();
    expect(inputs(one(T.bridge, "network-vmbr1"))).toMatchObject({ name: "vmbr1", address: "10.10.10.1/24" });
  });

  it("must declare the three storages local, vmdata and etoile", () => {
    expect(inputs(one(T.dir, "storage-local"))).toMatchObject({ resourceId: "local", path: "/var/lib/vz" });
    expect(inputs(one(T.dir, "storage-local")).contents).toEqual(expect.arrayContaining(["iso", "backup", "vztmpl", "snippets"]));
    expect(inputs(one(T.zfs, "storage-vmdata"))).toMatchObject({ resourceId: "vmdata", zfsPool: "rpool/vmdata" });
    expect(inputs(one(T.pbs, "storage-etoile"))).toMatchObject({ resourceId: "etoile", server: "10.10.10.2", disable: true });
  });

  it("must enable the cluster firewall with INPUT policy DROP", () => {
    expect(inputs(one(T.fwOptions, "firewall-options"))).toMatchObject({ enabled: true, inputPolicy: "DROP" });
  });

  it.each([
    ["100.64.0.0/10", "22"],
    ["100.64.0.0/10", "8006"],
    [undefined, "80"],
    [undefined, "443"],
  ])("must allow source %s to port %s", (source, dport) => {
    const rules = inputs(one(T.fwRules, "firewall-rules")).rules as Record<string, unknown>[];
    expect(rules).toContainEqual(expect.objectContaining({ type: "in", action: "ACCEPT", proto: "tcp", dport, ...(source ? { source } : {}) }));
  });

  it("must let guests on vmbr1 reach dnsmasq's DHCP on the host, and only on vmbr1", () => {
    const rules = inputs(one(T.fwRules, "firewall-rules")).rules as Record<string, unknown>[];
    expect(rules.filter((r) => r.dport === "67")).toEqual([expect.objectContaining({ action: "ACCEPT", proto: "udp", iface: "vmbr1" })]);
  });

  it("must let guests on 10.10.10.0/24 reach dnsmasq's DNS on the host (udp and tcp 53), and only on vmbr1", () => {
    const rules = inputs(one(T.fwRules, "firewall-rules")).rules as Record<string, unknown>[];
    const dns = rules.filter((r) => r.dport === "53");
    expect(dns.map((r) => r.proto).sort()).toEqual(["tcp", "udp"]);
    for (const r of dns) expect(r).toMatchObject({ action: "ACCEPT", iface: "vmbr1", source: "10.10.10.0/24" });
  });

  it("must declare the vzdump jobs to local and to PBS etoile", () => {
    const local = inputs(one(T.job, "backups-nightly-local"));
    expect(local).toMatchObject({ storage: "local", schedule: "*-*-* 02:30", enabled: true, mode: "snapshot", pruneBackups: { "keep-last": "3" } });
    expect(local.vmids).toEqual(["1201", "9100", "200", "201"]);
    expect(inputs(one(T.job, "backups-weekly-etoile"))).toMatchObject({ storage: "etoile", enabled: false });
  });
});

describe("policies", () => {
  const proxmoxResources = () => run.resources.filter((r) => r.custom && r.type.startsWith("proxmoxve:"));

  it.each(["etoile-vm", "cipher-vm"])("must protect running VM %s", (name) => {
    expect(one(T.vm, name).protect).toBe(true);
  });
  it.each(["atlas-ct", "lune-ct"])("must protect running container %s", (name) => {
    expect(one(T.ct, name).protect).toBe(true);
  });
  it("must protect the public bridge vmbr0", () => {
    expect(one(T.bridge, "network-vmbr0").protect).toBe(true);
  });

  it("must import every guest listed in adoption.live when adopting (neve/<vmid>)", () => {
    for (const r of [...ofType(T.vm), ...ofType(T.ct)]) {
      expect(r.importId).toBe(`neve/${inputs(r).vmId}`);
    }
  });

  it("must import bridges, storages and the cluster firewall with the provider's id formats", () => {
    expect(one(T.bridge, "network-vmbr0").importId).toBe("neve:vmbr0");
    expect(one(T.bridge, "network-vmbr1").importId).toBe("neve:vmbr1");
    expect(one(T.dir, "storage-local").importId).toBe("local");
    expect(one(T.zfs, "storage-vmdata").importId).toBe("vmdata");
    expect(one(T.pbs, "storage-etoile").importId).toBe("etoile");
    expect(one(T.fwOptions, "firewall-options").importId).toBe("cluster");
    expect(one(T.fwRules, "firewall-rules").importId).toBe("cluster");
  });

  it("must not import backup jobs that adoption.live does not list", () => {
    for (const j of ofType(T.job)) expect(j.importId).toBeUndefined();
  });

  it.each([
    ["the public bridge vmbr0", T.bridge, "network-vmbr0", "network/linux/bridge.d.ts", "BridgeArgs"],
    ["the cluster firewall's enable switch and policies", T.fwOptions, "firewall-options", "cluster/firewallLegacy.d.ts", "FirewallLegacyArgs"],
    ["the cluster firewall rules (tailnet SSH and 8006 among them)", T.fwRules, "firewall-rules", "firewall/rulesLegacy.d.ts", "RulesLegacyArgs"],
  ])("must not let an up change or delete %s: adopted, protected, every input field of the SDK ignored", (_, type, name, dts, args) => {
    const r = one(type, name);
    expect(r.protect).toBe(true);
    expect(r.importId).toBeDefined();
    const fields = sdkInputFields(dts, args);
    expect(fields.length).toBeGreaterThan(3);
    expect([...r.ignoreChanges].sort()).toEqual(fields);
  });

  it("must make vmbr1 read-only too once it exists on the host: any bridge update reloads the whole network, vmbr0 included", () => {
    expect([...one(T.bridge, "network-vmbr1").ignoreChanges].sort()).toEqual([...BRIDGE_INPUT_FIELDS].sort());
    expect(one(T.bridge, "network-vmbr1").protect).toBe(true);
  });

  it("must ignore the fields the provider churns on after import (clone, disks, MAC)", () => {
    for (const vm of ofType(T.vm)) expect(vm.ignoreChanges).toEqual(expect.arrayContaining(["clone", "disks", "networkDevices[0].macAddress"]));
    for (const ct of ofType(T.ct)) expect(ct.ignoreChanges).toEqual(expect.arrayContaining(["disk", "operatingSystem", "networkInterfaces[0].macAddress"]));
  });

  it("must not open 8006 to the public bridge or to any source", () => {
    const rules = inputs(one(T.fwRules, "firewall-rules")).rules as Record<string, string | undefined>[];
    const api = rules.filter((r) => r.action === "ACCEPT" && (r.dport ?? "").split(",").includes("8006"));
    expect(api.length).toBeGreaterThan(0);
    for (const r of api) {
      expect(r.source).toBe("100.64.0.0/10");
      expect(r.iface).not.toBe("vmbr0");
    }
  });

  it("must verify the Proxmox API's TLS certificate by default", () => {
    const p = inputs(one(T.provider, "proxmox"));
    // Provider inputs travel to the engine as strings.
    expect(String(p.insecure)).toBe("false");
    expect(p.endpoint).toMatch(/^https:\/\//);
  });

  it("must manage every Proxmox object through the explicit provider built from config", () => {
    const provider = one(T.provider, "proxmox");
    for (const r of proxmoxResources()) expect(r.provider).toMatch(new RegExp(`^${provider.urn.replace(/[$]/g, "\\$")}::`));
  });

  it("must give the API token to the provider as a secret from the secret config", () => {
    expect(inputs(one(T.provider, "proxmox")).apiToken).toEqual({ [specialSigKey]: specialSecretSig, value: SECRETS.proxmoxApiToken });
  });

  it("must give the PBS password to the storage as a secret", () => {
    expect(inputs(one(T.pbs, "storage-etoile")).password).toEqual({ [specialSigKey]: specialSecretSig, value: SECRETS.pbsPassword });
  });

  it("must not put any secret into a stack output", () => {
    const text = JSON.stringify(run.outputs);
    for (const v of Object.values(run.secretValues)) expect(text).not.toContain(v);
  });

  it("must parent every Proxmox resource to its component", () => {
    for (const r of proxmoxResources()) expect(r.parent).toMatch(/::neve:/);
  });

  it("must not back up etoile into itself", () => {
    expect(inputs(one(T.job, "backups-weekly-etoile")).vmids).not.toContain("1201");
  });
});

describe("outputs contract", () => {
  it("must export every output NeveStackOutputs names", () => {
    expect(Object.keys(run.outputs).sort()).toEqual([...NEVE_OUTPUT_NAMES].sort());
  });

  it("must match the NeveStackOutputs type and the inventory", () => {
    const o = run.outputs as unknown as NeveStackOutputs;
    expect(o.network).toMatchObject({
      cidr: "10.10.10.0/24",
      gateway: "10.10.10.1",
      bridge: "vmbr1",
      dhcpRange: { start: "10.10.10.100", end: "10.10.10.200" },
      cloneRange: { start: "10.10.10.91", end: "10.10.10.99" },
      ipv6Prefix: "2001:bc8:1201:722::/64",
    });
    // MAC addresses come from the provider; the mocks of this file report none.
    expect(o.guests.cipher).toEqual({
      id: 9100,
      name: "cipher",
      kind: "vm",
      bridge: "vmbr1",
      ipv4: "10.10.10.90",
      ipv6: "2001:bc8:1201:722::90",
      template: false,
      running: true,
      macAddresses: null,
    });
    expect(o.guests.atlas).toMatchObject({ id: 200, kind: "ct", bridge: "vmbr0", ipv4: null });
    expect(o.guests["ubuntu-2404-template"]).toMatchObject({ id: 9000, template: true });
    expect(Object.keys(o.guests).sort()).toEqual(["atlas", "cipher", "debian12-cloud", "etoile", "lune", "ubuntu-2404-template"]);
    expect(o.publicRoutes).toEqual([
      { hostname: "cipher.wenzelarifiandi.com", via: "edge", guest: "cipher", target: "10.10.10.90", http: 80, https: 443 },
      { hostname: "neve.wenzelarifiandi.com", via: "tunnel", guest: null, target: "https://127.0.0.1:8006", http: null, https: null },
    ]);
    expect(o.storageIds).toEqual(["local", "vmdata", "etoile"]);
  });
});

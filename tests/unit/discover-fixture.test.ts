import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { type CapturedResource, runProgram } from "../../scripts/lib/mockRunner";
import { CT_INPUT_COVERAGE } from "../../stacks/components/proxmox/container";
import type { CoverageTable } from "../../stacks/components/proxmox/coverage";
import { VM_INPUT_COVERAGE } from "../../stacks/components/proxmox/vm";
import { adoptionFingerprint } from "../../stacks/config/adoption";
import { adoptionScopeOf } from "../../stacks/config/adoptionScope";
import { vocabularyYaml } from "../../stacks/discover/cli";
import { CT_FIELDS, same, show, VM_FIELDS, vgaCanonical } from "../../stacks/discover/fields";
import { readLive } from "../../stacks/discover/read";
import { type LiveVocabulary, liveVocabulary } from "../../stacks/discover/vocab";
import { modelFromText } from "../../stacks/discover/write";
import { runScript } from "../support/scriptRun";
import { treeHash } from "../treeHash";

// Issue 6's "done when", offline half: on the realistic copy of neve's files (tests/fixtures/pve-neve:
// args, a VGA clipboard, a CPU and an OS type, a PBS fingerprint, a backup job and guests the stack does
// not know, NAT in /etc/network/interfaces), `discover --root DIR --check` exits 1 naming each of them;
// `--write` on a copy of Pulumi.neve.yaml (its frozen copy tests/fixtures/Pulumi.fixture.yaml), then
// `--check`, exits 0; the copy of the host files is not
// modified; and the program run on the written file declares those live values.

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURE = path.join(REPO, "tests", "fixtures", "pve-neve");

const discover = (...args: string[]) => runScript("discover", ...args);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "discover-fixture-"));
const stackCopy = path.join(work, "Pulumi.neve.yaml");
let before = "";

beforeAll(() => {
  // The frozen copy of Pulumi.neve.yaml (exact values are pinned against it, not the operator's file).
  fs.copyFileSync(path.join(REPO, "tests", "fixtures", "Pulumi.fixture.yaml"), stackCopy);
  before = treeHash(FIXTURE);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("npm run discover -- --root tests/fixtures/pve-neve", () => {
  let check: Awaited<ReturnType<typeof discover>>;
  beforeAll(async () => {
    check = await discover("--root", FIXTURE, "--check", "--config", stackCopy);
  }, 120_000);

  it("must exit 1 on the stack as written", () => {
    expect(check.stderr).toBe("");
    expect(check.code).toBe(1);
  });

  it.each([
    ["etoile's args", "guests.etoile args: live -vnc 127.0.0.1:81, declared (none) (recorded only"],
    ["etoile's VGA clipboard", "guests.etoile vga: live {type: std, clipboard: vnc}, declared {type: std} (provider default)"],
    ["etoile's CPU type", "guests.etoile cpuType: live host, declared qemu64 (provider default)"],
    ["etoile's OS type", "guests.etoile osType: live l26, declared other (provider default)"],
    ["the PBS fingerprint", "storage.etoile fingerprint: live 4c:9e:1d:73"],
    ["the backup job the stack does not know", "backup job backup-5d2f9a1c-7e34"],
    ["the guests the stack does not know (francoise)", "guest 9101 francoise (VM, 10.10.10.91)"],
    ["the guests the stack does not know (dhcp-final-test)", "guest 9102 dhcp-final-test (VM, 10.10.10.92)"],
    ["the NAT in /etc/network/interfaces", "network.bridges.vmbr1.nat: the host already masquerades 10.10.10.0/24"],
    ["forwarding set elsewhere", "hostServices.forwarding: the host already sets net.ipv4.ip_forward=1"],
  ])("must name %s", (_what, line) => {
    expect(check.stdout).toContain(line);
  });

  it("must compare the managed host files in the same read (section host files) without printing a secret", () => {
    expect(check.stdout).toMatch(/Host files \(the first up replaces each differing file/);
    expect(check.stdout).toContain("/etc/haproxy/haproxy.cfg");
    expect(check.stdout).not.toMatch(/PLACEHOLDER-NOT-A-SECRET/);
  });
});

describe("npm run discover without flags", () => {
  it("must print the live facts as YAML in the stack file's vocabulary", async () => {
    const text = vocabularyYaml(liveVocabulary(await readLive({ kind: "root", dir: FIXTURE }, { node: "neve", files: [] })));
    const doc = parse(text) as Record<string, any>;
    expect(doc.guests.etoile).toMatchObject({
      vmid: 1201,
      kind: "vm",
      cpuType: "host",
      osType: "l26",
      args: "-vnc 127.0.0.1:81",
      vga: { type: "std", clipboard: "vnc" },
    });
    expect(doc.storage.etoile).toMatchObject({ type: "pbs", server: "10.10.10.2", fingerprint: expect.stringMatching(/^4c:9e:/) });
    expect(doc.network.bridges.vmbr1).toMatchObject({ ipv4: "10.10.10.1/24", nat: "interfaces" });
    expect(doc.backups["backup-5d2f9a1c-7e34"]).toMatchObject({ guests: [9101, 9102], storage: "local", keepLast: 2 });
  });
});

describe("--write on a copy of Pulumi.neve.yaml, then --check", () => {
  let write: Awaited<ReturnType<typeof discover>>;
  let after: Awaited<ReturnType<typeof discover>>;
  let afterWrite: Awaited<ReturnType<typeof discover>>;
  let counted: string[] = [];
  let resources: readonly CapturedResource[] = [];
  beforeAll(async () => {
    write = await discover("--root", FIXTURE, "--write", "--config", stackCopy);
    afterWrite = await discover("--root", FIXTURE, "--check", "--config", stackCopy);
    // Host files the write could not state (cloudflared's config.yml has no reader yet) count until the
    // operator accepts each exact live file; haproxy.cfg, named by hand, is stated and equal in meaning.
    counted = [...afterWrite.stdout.matchAll(/counted: the up would replace (\S+);/g)].map((m) => m[1]);
    await discover("--root", FIXTURE, "--write", "--config", stackCopy, ...counted.flatMap((f) => ["--acknowledge-file", f]));
    after = await discover("--root", FIXTURE, "--check", "--config", stackCopy);
    resources = (await runProgram({ stackFile: stackCopy })).resources;
  }, 180_000);

  it("must say what it chose for each object and exit 0", () => {
    expect(write.stderr).toBe("");
    expect(write.stdout).toContain("network.bridges.vmbr1.nat: interfaces (adopted the host's own NAT");
    expect(write.stdout).toContain("guest 9101 francoise (VM, 10.10.10.91): recorded as unmanaged");
    expect(write.stdout).toContain("backup job backup-5d2f9a1c-7e34 (guests 9101, 9102 to local, sat 01:00): recorded as unmanaged");
    expect(write.stdout).toContain("adoption.reconciled: set");
    expect(write.code).toBe(0);
  });

  it("must record the fingerprint the adoption gate computes for the written file", () => {
    const model = modelFromText(fs.readFileSync(stackCopy, "utf8"));
    expect(model.adoption.reconciled).toBe(adoptionFingerprint(adoptionScopeOf(model)));
    // Declared objects only: francoise and dhcp-final-test are unmanaged, never adopted.
    expect(model.adoption.live?.guests).toEqual([200, 201, 1200, 1201, 9000, 9100]);
    expect(model.adoption.unmanaged).toEqual({ guests: [9101, 9102], storage: [], jobs: ["backup-5d2f9a1c-7e34"] });
  });

  it("must state the hand-named haproxy.cfg (section names, listeners, omitted standard lines): no line left, equal in meaning, not counted", () => {
    expect(write.stdout).not.toMatch(/left: \/etc\/haproxy/);
    expect(write.stdout).toContain("host files read (/etc/haproxy/haproxy.cfg): each renders equal in meaning to the live file");
    expect(write.stdout).toContain('routes[0].names: {"tlsBackend":"cipher_tls","httpBackend":"cipher_http","server":"cipher"}');
    expect(write.stdout).toContain('hostServices.haproxy.names: {"tls":"https_in","http":"http_in","stats":"stats","statsSection":"listen"}');
    expect(counted).not.toContain("/etc/haproxy/haproxy.cfg");
    expect(afterWrite.stdout).toMatch(
      /differs {3}\/etc\/haproxy\/haproxy\.cfg \(host-haproxy\)\n {12}equal in meaning: the render differs from the live file only in comments, white space, order or spelling; the up replaces it; not counted\n/,
    );
  });

  it("must count the host files the write could not state, each with the way to accept it", () => {
    expect(counted.length).toBeGreaterThan(0);
    for (const f of counted) expect(afterWrite.stdout).toContain(`npm run discover -- --write --acknowledge-file ${f}`);
    expect(afterWrite.stdout).toContain("Result: the first `pulumi up` would replace the host files counted above (exit 1)");
    expect(afterWrite.code).toBe(1);
  });

  it("must make --check exit 0 once each counted host file is acknowledged", () => {
    expect(after.stdout).toContain("Result: nothing that exists on the host would change (exit 0).");
    expect(after.code).toBe(0);
  });

  it("must keep the stack file's comments", () => {
    const text = fs.readFileSync(stackCopy, "utf8");
    expect(text).toContain("# Stack `neve`: the Proxmox VE host neve, the whole inventory as structured config.");
    expect(text).toContain("# VMs cloned by hand from template 9000, not managed by this stack: their addresses stay taken.");
  });

  it("must not modify the copy of the host's files", () => {
    expect(treeHash(FIXTURE)).toBe(before);
  });

  const vm = (name: string) => resources.find((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy" && r.name === `${name}-vm`)?.inputs as Record<string, any>;
  it.each([
    ["cpu.type", () => vm("etoile").cpu.type, "host"],
    ["operatingSystem.type", () => vm("etoile").operatingSystem.type, "l26"],
    ["vga", () => vm("etoile").vga, { type: "std", clipboard: "vnc" }],
    ["scsiHardware", () => vm("etoile").scsiHardware, "virtio-scsi-single"],
    ["networkDevices[0].firewall", () => vm("etoile").networkDevices[0].firewall, true],
    ["cipher's cpu.type", () => vm("cipher").cpu.type, "x86-64-v2-AES"],
    [
      "the PBS fingerprint",
      () => resources.find((r) => r.type === "proxmoxve:storage/pbs:Pbs")?.inputs.fingerprint,
      "4c:9e:1d:73:a0:5b:e2:88:16:f4:3d:c7:90:2a:6b:e5:0f:d8:41:b3:7c:95:2e:6a:18:c0:f7:53:ad:29:84:e1",
    ],
    ["atlas's swap", () => (resources.find((r) => r.name === "atlas-ct")!.inputs as any).memory.swap, 512],
  ])("must declare the live %s in the program's inputs", (_field, get, value) => {
    expect(get()).toEqual(value);
  });

  it("must never send etoile's args (root@pam only) and must ignore them", () => {
    const r = resources.find((x) => x.name === "etoile-vm")!;
    expect(r.inputs.kvmArguments).toBeUndefined();
    expect(r.ignoreChanges).toContain("kvmArguments");
  });

  it("must declare, for every compared guest field the provider manages, the live value (or a provider default equal to it)", async () => {
    const live: LiveVocabulary = liveVocabulary(await readLive({ kind: "root", dir: FIXTURE }, { node: "neve", files: [] }));
    const model = modelFromText(fs.readFileSync(stackCopy, "utf8"));
    const providerPath = (table: CoverageTable, field: string) => Object.entries(table).find(([, c]) => "stack" in c && c.stack === field)?.[0];
    const valueAt = (o: unknown, p: string): unknown =>
      p.split(".").reduce<unknown>((v, seg) => {
        if (v === undefined || v === null) return undefined;
        const list = seg.endsWith("[]");
        const x = (v as Record<string, unknown>)[list ? seg.slice(0, -2) : seg];
        return list ? (Array.isArray(x) ? x[0] : undefined) : x;
      }, o);
    const mismatches: string[] = [];
    let compared = 0;
    for (const g of model.guests) {
      const l = live.guests.find((x) => x.fields.vmid === g.vmid);
      if (!l) continue;
      const r = resources.find((x) => x.name === `${g.name}-${g.kind === "vm" ? "vm" : "ct"}`)!;
      const table = g.kind === "vm" ? VM_INPUT_COVERAGE : CT_INPUT_COVERAGE;
      for (const spec of g.kind === "vm" ? VM_FIELDS : CT_FIELDS) {
        if (spec.recorded) continue;
        let declared: unknown;
        let liveValue: unknown = l.fields[spec.field];
        if (spec.field === "vga") {
          const v = r.inputs.vga as { type?: string; memory?: number; clipboard?: string } | undefined;
          declared = vgaCanonical(v ? { type: v.type, memoryMiB: v.memory, clipboard: v.clipboard } : spec.provider);
          liveValue = vgaCanonical(liveValue ?? spec.absent);
        } else {
          const p = providerPath(table, spec.field);
          if (!p) throw new Error(`no provider input for ${spec.field}`);
          declared = valueAt(r.inputs, p) ?? spec.provider;
          liveValue = liveValue ?? (spec.field === "balloonMiB" ? l.fields.memoryMiB : spec.absent);
          if (Array.isArray(declared)) declared = [...declared].sort();
        }
        compared++;
        if (declared !== undefined && !same(declared, liveValue))
          mismatches.push(`${g.name} ${spec.field}: live ${show(liveValue)}, declared ${show(declared)}`);
      }
    }
    expect(compared).toBeGreaterThan(60);
    expect(mismatches).toEqual([]);
  });

  it("must declare no second NAT and no second forwarding drop-in", () => {
    const services = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/neve:HostConfig").map((r) => r.inputs.service);
    expect(services).not.toContain("nat");
    expect(services).not.toContain("sysctl-forwarding");
    expect(services).toContain("haproxy");
  });
});

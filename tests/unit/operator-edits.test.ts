// The README's everyday edits, made on a copy of the REAL Pulumi.neve.yaml as an operator makes them
// ("How to change things"): a clone of template 9000 at the address `npm run next-ip` gives, a route
// to it, a firewall rule for it, the clone added to a backup job, and a noVNC console for it. The result must pass the config
// rules, the host preflight (renderers, invariants, providers' checks) and the program under mocks,
// with the policies intact. Only invariants and policies here: no value of today's inventory is pinned.
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { checkStackFile } from "../../scripts/lib/planCheck";
import { loadModelFromFile } from "../../scripts/lib/stackFile";
import { CloneRangeFullError, nextFreeCloneAddress } from "../../stacks/config";
import { editedStackFile, type Raw, REAL_STACK_FILE } from "../support/stacks";

const ns = "neve-infra";
const real = loadModelFromFile(REAL_STACK_FILE);
let address: string | undefined;
try {
  address = nextFreeCloneAddress(real);
} catch (e) {
  if (!(e instanceof CloneRangeFullError)) throw e;
}
const template = real.guests.find((g) => g.kind === "vm" && g.template && g.cloudInit && g.ipv4 !== undefined);
let name = "opclone";
while (real.guests.some((g) => g.name === name)) name += "x";
const vmid = Math.max(...real.guests.map((g) => g.vmid)) + 1;
const hostname = `${name}.operator-edit.test`;
// A second noVNC console (for the clone): a port and a VNC display no console uses yet.
const consoles = real.hostServices.novnc;
let novncPort = 6082;
while (consoles.some((n) => n.port === novncPort || 5900 + n.vncDisplay === novncPort)) novncPort++;
let vncDisplay = 82;
while (consoles.some((n) => n.vncDisplay === vncDisplay || n.port === 5900 + vncDisplay)) vncDisplay++;

/** The README's steps, as YAML edits of the stack file. */
function operatorEdits(doc: Raw): void {
  const c = doc.config;
  c[`${ns}:guests`][name] = {
    vmid,
    kind: "vm",
    running: true,
    os: "ubuntu",
    memoryMiB: 2048,
    bridge: real.network.ipv4.bridge,
    ipv4: address,
    cloudInit: true,
    clone: { from: template?.name },
  };
  if (c[`${ns}:routes`] === undefined) c[`${ns}:routes`] = [];
  c[`${ns}:routes`].push({ hostname, guest: name, http: 80, https: 443 });
  c[`${ns}:firewall`].rules.push({
    name: `${name}-ssh`,
    action: "ACCEPT",
    proto: "tcp",
    source: real.network.tailnet.cidr,
    dest: name,
    dports: [22],
    comment: "SSH to the new clone from the tailnet",
  });
  const services = c[`${ns}:hostServices`] ?? {};
  services.novnc = [...(services.novnc ?? []), { guest: name, port: novncPort, vncDisplay }];
  c[`${ns}:hostServices`] = services;
  const jobs = c[`${ns}:backups`] ?? {};
  const first = Object.keys(jobs)[0];
  if (first !== undefined) jobs[first].guests.push(name);
}

const skip =
  address === undefined
    ? "the clone range of the real stack file is full"
    : template === undefined
      ? "the real stack file has no cloud-init VM template"
      : null;
if (skip !== null) console.info(`operator-edit tests skipped: ${skip}`);
const maybe = skip === null ? describe : describe.skip;

maybe("the README's everyday edits on a copy of the real Pulumi.neve.yaml", () => {
  let edited: { file: string; cleanup: () => void };
  let run: ProgramRun;
  beforeAll(async () => {
    edited = editedStackFile(operatorEdits, REAL_STACK_FILE);
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    run = await runProgram({ stackFile: edited.file });
  });
  afterAll(() => edited?.cleanup());

  it("must pass the config rules and the host preflight (what `npm run plan` checks first)", () => {
    const model = checkStackFile(edited.file);
    expect(model.guests.find((g) => g.name === name)?.ipv4).toBe(address);
  });

  it("must move next-ip on to another free address", () => {
    let next: string | undefined;
    try {
      next = nextFreeCloneAddress(loadModelFromFile(edited.file));
    } catch (e) {
      if (!(e instanceof CloneRangeFullError)) throw e;
    }
    expect(next).not.toBe(address);
  });

  it("must declare the clone, protected because it runs, cloned from the template with its address", () => {
    const vm = run.resources.find((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy" && r.name === `${name}-vm`);
    expect(vm?.protect).toBe(true);
    expect(vm?.inputs).toMatchObject({ vmId: vmid, clone: { vmId: template?.vmid } });
    expect(JSON.stringify(vm?.inputs)).toContain(`${address}/`);
  });

  it("must route the new hostname to the clone in haproxy.cfg", () => {
    const haproxy = run.resources.find((r) => r.type.endsWith(":HostConfig") && r.inputs.service === "haproxy");
    expect(JSON.stringify(haproxy?.inputs)).toContain(`req.ssl_sni -i ${hostname}`);
    expect(JSON.stringify(haproxy?.inputs)).toContain(`${address}:443`);
  });

  it("must keep the policies: every running guest protected, the API port never open to everyone", () => {
    for (const g of loadModelFromFile(edited.file).guests.filter((x) => x.running)) {
      const r = run.resources.find((x) => x.name === `${g.name}-${g.kind}`);
      expect({ guest: g.name, protect: r?.protect }).toEqual({ guest: g.name, protect: true });
    }
    const rules = run.resources.filter((r) => r.type === "proxmoxve:firewall/rulesLegacy:RulesLegacy").flatMap((r) => (r.inputs.rules as Raw[]) ?? []);
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      if (
        r.action === "ACCEPT" &&
        String(r.dport ?? "")
          .split(",")
          .includes(String(real.firewall.apiPort))
      )
        expect(r.source).toBeTruthy();
    }
  });

  it("must declare a noVNC console for the clone next to the existing ones", () => {
    const units = run.resources.filter((r) => r.type.endsWith(":HostConfig") && String(r.inputs.service).startsWith("novnc-"));
    expect(units.map((r) => r.inputs.service)).toContain(`novnc-${vmid}`);
    expect(units.length).toBe(consoles.length + 1);
  });

  it("must back the clone up with the job it was added to", () => {
    const jobs = run.resources.filter((r) => r.type === "proxmoxve:backup/job:Job");
    expect(jobs.some((j) => (j.inputs.vmids as string[]).includes(String(vmid)))).toBe(true);
  });
});

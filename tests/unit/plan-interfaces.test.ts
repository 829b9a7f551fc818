// `network.interfacesFile: true` as `npm run plan -- --json` shows it: the bridges are one access-critical host file
// (no Proxmox bridge resource beside it), a new private bridge is a change of that file an up applies, and every guest
// waits for its push (created only after the file is live and access is confirmed).
import type { PlanJson } from "../../scripts/lib/planJson";
import { editedStackFile, type Raw } from "../support/stacks";

const NS = "neve-infra";
const BRIDGE = "proxmoxve:network/linux/bridge:Bridge";
const HOSTCONFIG = "pulumi-nodejs:dynamic/neve:HostConfig";

let plan: PlanJson;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  const { planJson } = await import("../../scripts/lib/planJson");
  const { file, cleanup } = editedStackFile((d: Raw) => {
    d.config[`${NS}:network`].interfacesFile = true;
    // Not keep, so that the interfaces file's own keep shows (the real file says keep for every service).
    d.config[`${NS}:hostServices`].onDelete = "restore";
    // The file applies the bridges: the markers have no effect (stacks/config/recorded.ts); removed as discover --write does.
    for (const b of Object.values(d.config[`${NS}:network`].bridges) as Raw[]) delete b.recorded;
    d.config[`${NS}:network`].bridges.vmbr2 = { comment: "lab network", ports: [], ipv4: "10.20.20.1/24" };
  });
  try {
    plan = planJson(await runProgram({ stackFile: file }), "Pulumi.neve.yaml");
  } finally {
    cleanup();
  }
}, 120000);

describe("network.interfacesFile: true in the plan", () => {
  it("must declare the bridges as one access-critical host file and no Proxmox bridge beside it", () => {
    expect(plan.resources.filter((r) => r.type === BRIDGE)).toEqual([]);
    const push = plan.resources.filter((r) => r.type === HOSTCONFIG && r.name === "host-network-interfaces");
    expect(push).toHaveLength(1);
    const inputs = push[0].inputs as { files: { path: string; content: string }[]; accessCritical: { confirmSeconds: number; api: unknown } };
    expect(inputs.accessCritical).toMatchObject({ confirmSeconds: expect.any(Number), api: { port: 8006 } });
    const file = inputs.files.find((f) => f.path === "/etc/network/interfaces")!;
    // vmbr0 keeps its DHCP (what the API cannot express); the new bridge is in the file an up pushes.
    expect(file.content).toMatch(/\niface vmbr0 inet dhcp\n/);
    expect(file.content).toMatch(/\nauto vmbr2\niface vmbr2 inet static\n\taddress 10\.20\.20\.1\/24\n\tbridge-ports none\n/);
  });

  it("must keep the interfaces file on delete whatever hostServices.onDelete says (a removed file would cut the host off)", () => {
    const push = plan.resources.find((r) => r.name === "host-network-interfaces")!;
    expect(push.inputs.onDelete).toBe("keep");
    expect(plan.resources.find((r) => r.name === "host-haproxy")?.inputs.onDelete).toBe("restore");
  });

  it("must make every guest wait for the interfaces push (dependsOn, in the plan's dependencies)", () => {
    const push = plan.resources.find((r) => r.name === "host-network-interfaces")!;
    const guests = plan.resources.filter((r) => r.type === "neve:guests:Vm" || r.type === "neve:guests:Container");
    expect(guests.length).toBeGreaterThan(0);
    for (const g of guests)
      expect({ guest: g.name, dependencies: g.dependencies }).toEqual({ guest: g.name, dependencies: expect.arrayContaining([push.urn]) });
  });
});

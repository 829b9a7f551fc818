// The running-guest update guard's rule (stacks/guards/restart.ts), table-driven on provider inputs shaped
// as vmArgs/ctArgs send them; the hook that applies it runs under cmd/run in guards.hooks.test.ts.
import { restartChanges, restartInputsOfPaths, restartRefusal } from "../../stacks/guards/restart";

const VM = {
  name: "cipher",
  vmId: 9100,
  started: true,
  description: "web",
  memory: { dedicated: 4096 },
  cpu: { cores: 2 },
  networkDevices: [{ bridge: "vmbr1", model: "virtio" }],
  initialization: { datastoreId: "vmdata", ipConfigs: [{ ipv4: { address: "10.10.10.90/24", gateway: "10.10.10.1" } }] },
};
const CT = {
  vmId: 201,
  started: true,
  memory: { dedicated: 4096, swap: 512 },
  networkInterfaces: [{ name: "eth0", bridge: "vmbr1" }],
  initialization: { hostname: "lune", ipConfigs: [{ ipv4: { address: "10.10.10.50/24" } }] },
};

describe("which updates restart a running guest", () => {
  it.each([
    ["a VM's cores", "vm", VM, { ...VM, cpu: { cores: 4 } }, ["cpu.cores"]],
    ["a VM's memory", "vm", VM, { ...VM, memory: { dedicated: 8192 } }, ["memory.dedicated"]],
    [
      "a VM's cloud-init address",
      "vm",
      VM,
      { ...VM, initialization: { ...VM.initialization, ipConfigs: [{ ipv4: { address: "dhcp" } }] } },
      ["initialization.ipConfigs"],
    ],
    ["a VM's description", "vm", VM, { ...VM, description: "other" }, []],
    ["a VM's bridge (hot-plugged)", "vm", VM, { ...VM, networkDevices: [{ bridge: "vmbr0", model: "virtio" }] }, []],
    ["an input not sent against one sent as null", "vm", { ...VM, bios: null }, VM, []],
    ["a container's bridge", "ct", CT, { ...CT, networkInterfaces: [{ name: "eth0", bridge: "vmbr0" }] }, ["networkInterfaces[].bridge"]],
    ["a container's hostname", "ct", CT, { ...CT, initialization: { ...CT.initialization, hostname: "lune2" } }, ["initialization.hostname"]],
    ["a container's swap", "ct", CT, { ...CT, memory: { dedicated: 4096, swap: 0 } }, ["memory.swap"]],
  ] as const)("%s", (_name, kind, oldInputs, newInputs, inputs) => {
    expect(restartChanges(kind, oldInputs, newInputs).map((c) => c.input)).toEqual(inputs);
  });

  it("must name the guest, its vmid, the stack fields and both ways out", () => {
    const why = restartRefusal("vm", VM, { ...VM, cpu: { cores: 4 }, memory: { dedicated: 8192 } }, { started: true });
    expect(why).toContain("the running VM cipher (9100): it changes cpu.cores, memory.dedicated (stack fields guests.cipher.cores, guests.cipher.memoryMiB)");
    expect(why).toContain("set guests.cipher.restartOnUpdate: true");
    expect(why).toContain("npm run discover -- --check");
  });

  it("must name the guest by its key (the resource's name) when its stated hostname is not the key", () => {
    const dotted = { ...CT, initialization: { ...CT.initialization, hostname: "lune.neve.lan" } };
    const urn = "urn:pulumi:neve::neve-infra::neve:guests:Container$proxmoxve:index/containerLegacy:ContainerLegacy::lune-ct";
    const why = restartRefusal("ct", dotted, { ...dotted, memory: { dedicated: 1024, swap: 512 } }, { started: true }, urn);
    expect(why).toContain("set guests.lune.restartOnUpdate: true");
    expect(why).not.toContain("lune.neve.lan");
  });

  it("must go by the live record: the old outputs' started, else the old inputs'", () => {
    const bigger = { ...VM, memory: { dedicated: 8192 } };
    expect(restartRefusal("vm", VM, bigger, { started: false })).toBeUndefined();
    expect(restartRefusal("vm", { ...VM, started: false }, bigger, undefined)).toBeUndefined();
    expect(restartRefusal("vm", VM, bigger, undefined)).toBeDefined();
    expect(restartRefusal("ct", CT, { ...CT, memory: { dedicated: 1024, swap: 512 } }, { started: true })).toMatch(/running container lune \(201\)/);
  });
});

describe("which detailed-diff paths (pulumi's property paths) touch a restart input", () => {
  it.each([
    ["a VM's cores", "vm", ["cpu.cores"], ["cpu.cores"]],
    ["a whole memory block", "vm", ["memory"], ["memory.dedicated", "memory.floating"]],
    ["a cloud-init address below the input", "vm", ["initialization.ipConfigs[0].ipv4.address"], ["initialization.ipConfigs"]],
    ["a VM's description and bridge (no restart)", "vm", ["description", "networkDevices[0].bridge"], []],
    ["a container's bridge by index", "ct", ["networkInterfaces[1].bridge"], ["networkInterfaces[].bridge"]],
    ["a container's hostname in bracket form", "ct", ['initialization["hostname"]'], ["initialization.hostname"]],
    ["a container's description (no restart)", "ct", ["description", "tags"], []],
  ] as const)("%s", (_name, kind, paths, inputs) => {
    expect(restartInputsOfPaths(kind, paths).map((c) => c.input)).toEqual(inputs);
  });
});

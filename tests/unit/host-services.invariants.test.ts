// Invariants across host resources, checked with every declared resource in view before any is
// registered (stacks/components/host/preflight.ts), and the registry's shape. Exact values from the fixture.

import { declareHostServices, type HostDeclarations } from "../../stacks/components/host/declarations";
import { backendNameIssues, hostPathIssues, preflightHostServices } from "../../stacks/components/host/preflight";
import { declaredServices, HOST_SERVICE_KINDS, HOST_SERVICES, type HostServiceEntry, type HostServiceModels } from "../../stacks/components/host/registry";
import { parseStackConfig } from "../../stacks/config";
import { type NatModel, renderNatNft } from "../../stacks/render";
import { fixtureModel, rawConfig } from "../support/stacks";

describe("NAT per bridge", () => {
  it("must masquerade each bridge marked nat from that bridge's own subnet", () => {
    const raw = rawConfig();
    raw.network.bridges.vmbr2 = { comment: "lab", ipv4: "10.10.20.1/24", nat: true, recorded: true };
    const nat = declaredServices(parseStackConfig(raw)).find((s) => s.kind === "nat");
    const natModel = nat?.instance.model as NatModel | undefined;
    expect(natModel?.rules).toEqual([
      { source: "10.10.10.0/24", outInterface: "vmbr0" },
      { source: "10.10.20.0/24", outInterface: "vmbr0" },
    ]);
    const text = renderNatNft(nat?.instance.model as NatModel);
    expect(text).toContain('ip saddr 10.10.10.0/24 oifname "vmbr0" masquerade');
    expect(text).toContain('ip saddr 10.10.20.0/24 oifname "vmbr0" masquerade');
  });

  it("must declare no NAT when no bridge is marked nat", () => {
    const raw = rawConfig();
    raw.network.bridges.vmbr1.nat = false;
    expect(declaredServices(parseStackConfig(raw)).map((s) => s.kind)).not.toContain("nat");
  });
});

describe("one owner per host path", () => {
  const d = declareHostServices(fixtureModel());

  it("must hold for the fixture's declared HostConfig and LxcRawConfig resources", () => {
    expect(hostPathIssues(d)).toEqual([]);
    expect(d.lxcRaw.map((r) => r.path)).toEqual(["/etc/pve/lxc/201.conf"]);
  });

  it("must refuse a HostConfig file that an LxcRawConfig also writes, naming both", () => {
    const clash: HostDeclarations = {
      ...d,
      services: [
        ...d.services,
        { ...d.services[0], name: "intruder", at: "hostServices.intruder", files: [{ ...d.services[0].files[0], path: "/etc/pve/lxc/201.conf" }] },
      ],
    };
    expect(hostPathIssues(clash)).toEqual([
      {
        path: "guests.lune.rawLxc",
        message: expect.stringContaining("/etc/pve/lxc/201.conf is already written by host service intruder (hostServices.intruder)"),
      },
    ]);
  });

  it("must refuse two HostConfig resources claiming one file", () => {
    const clash: HostDeclarations = { ...d, services: [...d.services, { ...d.services[0], name: "again", at: "hostServices.again" }] };
    expect(hostPathIssues(clash)[0]).toEqual({
      path: "hostServices.again",
      message: expect.stringContaining(`${d.services[0].files[0].path} is already written by host service ${d.services[0].name}`),
    });
  });
});

describe("haproxy backend names", () => {
  it("must stay distinct for hostnames that differ only in '-' versus '.'", () => {
    const raw = rawConfig();
    raw.guests.cipher.ipv4 = "10.10.10.90";
    raw.routes = [
      { hostname: "a-b.example.com", guest: "cipher", http: 80, https: 443 },
      { hostname: "a.b.example.com", guest: "cipher", http: 80, https: 443 },
    ];
    const model = parseStackConfig(raw);
    expect(backendNameIssues(model)).toEqual([]);
    expect(() => preflightHostServices(model)).not.toThrow();
  });
});

describe("host service registry", () => {
  it("must give every kind a template, a spec and a renderer", () => {
    for (const kind of HOST_SERVICE_KINDS) {
      const e = HOST_SERVICES[kind];
      expect({ kind, templates: e.templates.length > 0, spec: typeof e.spec, render: typeof e.render }).toEqual({
        kind,
        templates: true,
        spec: "function",
        render: "function",
      });
    }
  });

  it("must be exhaustive by construction: a registry without an entry for a kind does not compile", () => {
    const { nat: _dropped, ...partial } = HOST_SERVICES;
    // @ts-expect-error -- "nat" is missing: the mapped type over HostServiceKind refuses it (checked by `npm run typecheck`).
    const incomplete: { readonly [K in keyof HostServiceModels]: HostServiceEntry<HostServiceModels[K]> } = partial;
    expect(Object.keys(incomplete)).not.toContain("nat");
  });
});

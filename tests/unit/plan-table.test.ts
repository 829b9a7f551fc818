// The plan table is generic: resources it has never heard of (dynamic host-config resources) show
// up without crashing, and secret values are never printed.

import type { CapturedResource } from "../../scripts/lib/mockRunner";
import { renderTable, shortType } from "../../scripts/lib/planTable";

const base = { custom: true, protect: false, retainOnDelete: false, ignoreChanges: [] as string[] };

describe("plan table", () => {
  it("must list an unknown dynamic resource with its scalar inputs and without __provider", () => {
    const dyn: CapturedResource = {
      ...base,
      type: "pulumi-nodejs:dynamic:Resource",
      name: "haproxy-cfg",
      urn: "urn:pulumi:neve::neve-infra::pulumi-nodejs:dynamic:Resource::haproxy-cfg",
      inputs: { __provider: "exports.handler = function () {}", host: "100.94.229.96", path: "/etc/haproxy/haproxy.cfg", content: "global\n" },
    };
    const out = renderTable([dyn], []);
    expect(out).toContain("pulumi-nodejs:dynamic:Resource");
    expect(out).toContain("haproxy-cfg");
    expect(out).toContain("path=/etc/haproxy/haproxy.cfg");
    expect(out).not.toContain("exports.handler");
  });

  it("must redact a secret value wherever it would appear", () => {
    const leaky: CapturedResource = {
      ...base,
      type: "pulumi-nodejs:dynamic:Resource",
      name: "cloudflared-credentials",
      urn: "urn:x",
      inputs: { host: "neve", content: "TOP-SECRET-VALUE-123" },
    };
    const out = renderTable([leaky], ["TOP-SECRET-VALUE-123"]);
    expect(out).not.toContain("TOP-SECRET-VALUE-123");
    expect(out).toContain("[secret]");
  });

  it("must shorten provider type tokens only", () => {
    expect(shortType("proxmoxve:index/vmLegacy:VmLegacy")).toBe("proxmoxve:VmLegacy");
    expect(shortType("neve:guests:Vm")).toBe("neve:guests:Vm");
  });
});

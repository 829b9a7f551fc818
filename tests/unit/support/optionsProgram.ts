// A minimal program for tests/unit/mock-internals.test.ts: one provider, one component and one
// custom resource with every resource option the offline plan shows.
import * as pulumi from "@pulumi/pulumi";

class ProbeProvider extends pulumi.ProviderResource {
  constructor(name: string) {
    super("probe", name, {});
  }
}
class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super("probe:index:Thing", name, props, opts);
  }
}

const provider = new ProbeProvider("probe-provider");
const parent = new pulumi.ComponentResource("neve:test:Parent", "probe-parent");
const first = new Thing("probe-first", { size: 1 }, { parent, provider });
new Thing("probe-second", { size: 2, after: first.id }, { parent, provider, protect: true, import: "probe-id-2", ignoreChanges: ["size"], dependsOn: [first] });

export const done = true;

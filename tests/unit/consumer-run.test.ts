// The consumer package run for real under Pulumi mocks: its StackReference to neve answers with the
// outputs neve's program builds from the stack file, and the consumer derives what a DNS or an
// automation stack would (A/AAAA/CNAME records, a free address, the API and SSH endpoints).
import * as pulumi from "@pulumi/pulumi";
import { loadModelFromFile } from "../../scripts/lib/stackFile";
import { buildOutputs } from "../../stacks/neve/buildOutputs";
import type { NeveStackOutputs } from "../../stacks/neve/outputs";

const neve: NeveStackOutputs = buildOutputs(loadModelFromFile());
const references: string[] = [];

type Consumer = typeof import("../../examples/consumer/index");
let consumer: Consumer;

/** The plain value of an Output. */
const resolved = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        if (args.type === "pulumi:pulumi:StackReference") {
          references.push(args.inputs.name);
          return { id: args.inputs.name, state: { name: args.inputs.name, outputs: neve, secretOutputNames: [] } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "neve-consumer-example",
    "dev",
    false,
  );
  pulumi.runtime.setAllConfig({ "neve-consumer-example:neveStack": "acme/neve-infra/neve" });
  consumer = await import("../../examples/consumer/index");
});

describe("the example consumer", () => {
  it("must reference the stack named in its config", async () => {
    await resolved(consumer.cipherIpv4);
    expect(references).toEqual(["acme/neve-infra/neve"]);
  });

  it("must build A and AAAA records for edge routes and a CNAME to the tunnel for tunnel routes", async () => {
    const records = await resolved(consumer.records);
    for (const r of neve.publicRoutes) {
      const mine = records.filter((x) => x.name === r.hostname);
      if (r.via === "tunnel") expect(mine).toEqual([{ name: r.hostname, type: "CNAME", value: `${neve.tunnel.id}.cfargotunnel.com` }]);
      else {
        const expected = [
          ...(neve.publicAddresses.ipv4 ? [{ name: r.hostname, type: "A", value: neve.publicAddresses.ipv4 }] : []),
          ...(neve.publicAddresses.ipv6 ? [{ name: r.hostname, type: "AAAA", value: neve.publicAddresses.ipv6 }] : []),
        ];
        expect(expected.length).toBeGreaterThan(0);
        expect(mine).toEqual(expected);
      }
    }
  });

  it("must pick neve's next free clone address for a new guest, one that nothing holds", async () => {
    const address = await resolved(consumer.newGuestAddress);
    expect(address).toBe(neve.network.nextFreeCloneAddress);
    expect(neve.network.taken.map((t) => t.address)).not.toContain(address);
  });

  it("must reach the API on the node and SSH on the endpoint the outputs give", async () => {
    const access = await resolved(consumer.access);
    expect(access.api).toBe(`${neve.proxmox.endpoint}/api2/json/nodes/${neve.proxmox.nodeName}`);
    expect(access.ssh).toBe(`${neve.ssh.user}@${neve.ssh.host}:${neve.ssh.port}`);
  });
});

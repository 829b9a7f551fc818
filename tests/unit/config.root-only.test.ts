import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../stacks/config/errors";
import { SECRET_KEYS } from "../../stacks/config/secrets";
import { parseStackConfig, rawConfigFromPulumi } from "../../stacks/config/stack";

// A guest the program would create may not declare what only root@pam itself can set (qemu-server
// `args`; pve-container features other than nesting of an unprivileged container, any feature of a
// privileged one): the API token would be refused halfway through the creation.

const stack = () => {
  // The frozen copy of the stack file, so an operator's edit (e.g. discover --write) never turns this red.
  const doc = parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "Pulumi.fixture.yaml"), "utf8")) as { config: Record<string, unknown> };
  return rawConfigFromPulumi(doc.config, SECRET_KEYS) as Record<string, any>;
};

function withGuest(name: string, guest: Record<string, unknown>, adoption?: Record<string, unknown>): Record<string, unknown> {
  const c = stack();
  c.guests = { ...c.guests, [name]: guest };
  if (adoption) c.adoption = adoption;
  return c;
}

const NEW_VM = {
  vmid: 9103,
  kind: "vm",
  memoryMiB: 2048,
  bridge: "vmbr1",
  ipv4: "10.10.10.93",
  clone: { from: "ubuntu-2404-template" },
  cloudInit: true,
  args: "-vnc 127.0.0.1:82",
};
const NEW_CT = (unprivileged: boolean, features: Record<string, unknown>) => ({
  vmid: 202,
  kind: "ct",
  memoryMiB: 512,
  bridge: "vmbr0",
  unprivileged,
  features,
});
const LIVE = { live: { guests: [200, 201, 1200, 1201, 9000, 9100] } };

describe.each([
  [
    "a new VM with args",
    withGuest("nova", NEW_VM, LIVE),
    "guests.nova.args",
    /nova \(9103\) does not exist on the host yet and only root@pam itself may set args \(the API token cannot\); remove args/,
  ],
  [
    "a new unprivileged container with keyctl",
    withGuest("nova", NEW_CT(true, { nesting: true, keyctl: true }), LIVE),
    "guests.nova.features.keyctl",
    /only root@pam itself may set the keyctl feature of an unprivileged container/,
  ],
  [
    "a new privileged container with nesting",
    withGuest("nova", NEW_CT(false, { nesting: true }), LIVE),
    "guests.nova.features.nesting",
    /the nesting feature of a privileged container/,
  ],
])("must refuse %s", (_name, raw, field, message) => {
  it("with the field and the reason", () => {
    let err: unknown;
    try {
      parseStackConfig(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issue = (err as ConfigError).issues.find((i) => i.path === field);
    expect(issue?.message).toMatch(message);
  });
});

describe.each([
  ["an existing VM with args (in adoption.live)", withGuest("nova", NEW_VM, { live: { guests: [...LIVE.live.guests, 9103] } })],
  ["a new unprivileged container with only nesting", withGuest("nova", NEW_CT(true, { nesting: true }), LIVE)],
  ["any guest before discover has recorded what is live", withGuest("nova", NEW_VM)],
  ["any guest with adopt off before discover has run (the guests may long exist in the state)", { ...withGuest("nova", NEW_VM), adopt: false }],
])("must accept %s", (_name, raw) => {
  it("without an issue", () => {
    expect(() => parseStackConfig(raw)).not.toThrow();
  });
});

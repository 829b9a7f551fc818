// `npm run plan -- --json`: one JSON document with every declared resource (type, name, full
// inputs, import id, protect, ignoreChanges, dependencies) and the outputs; secrets only as "[secret]".
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseHostKeyPin } from "../../providers/ssh/hostkey";
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import type { PlanJson } from "../../scripts/lib/planJson";
import { DEFAULT_STACK_FILE, REPO_ROOT, readStackConfig } from "../../scripts/lib/stackFile";
import { NEVE_OUTPUT_NAMES } from "../../stacks/neve/outputs";

const exec = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const TUNNEL_SECRET = "dW5pdC10ZXN0LXR1bm5lbC1zZWNyZXQtOWI3YQ==";
const SECRETS = {
  proxmoxApiToken: "root@pam!unit=9f0e8d7c-6b5a-4c3d-8e2f-1a2b3c4d5e6f",
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-private-key-material-3c1d\n-----END OPENSSH PRIVATE KEY-----\n",
  tunnelCredentials: JSON.stringify({ AccountTag: "unit-account-tag-77aa", TunnelSecret: TUNNEL_SECRET, TunnelID: "464de2f3-7058-4a1f-9f93-ae8425f0ffbe" }),
  pbsPassword: "unit-test-pbs-password-e5d2",
};
/** Every secret value, and the parts of the credentials JSON that are secret on their own. */
const SECRET_STRINGS = [...Object.values(SECRETS), TUNNEL_SECRET, "unit-account-tag-77aa", "unit-test-private-key-material-3c1d"];

let run: ProgramRun;
let plan: PlanJson;
let text: string;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  const { planJson } = await import("../../scripts/lib/planJson");
  run = await runProgram({ secrets: SECRETS });
  plan = planJson(run, "Pulumi.neve.yaml");
  text = JSON.stringify(plan);
});

const resource = (name: string) => {
  const found = plan.resources.filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("the JSON plan", () => {
  it("must list every registered resource with type, name, inputs, import id, protect, ignoreChanges and dependencies", () => {
    expect(plan.resources.map((r) => r.urn)).toEqual(run.resources.map((r) => r.urn));
    for (const r of plan.resources) {
      expect(Object.keys(r).sort()).toEqual(
        [
          "custom",
          "dependencies",
          "hooks",
          "ignoreChanges",
          "importId",
          "inputs",
          "name",
          "parent",
          "propertyDependencies",
          "protect",
          "provider",
          "retainOnDelete",
          "type",
          "urn",
        ].sort(),
      );
      expect(r.urn).toMatch(/^urn:pulumi:neve::neve-infra::/);
    }
  });

  it("must carry a resource's full inputs and options as the program declared them", () => {
    const declared = run.resources.find((r) => r.name === "cipher-vm");
    const cipher = resource("cipher-vm");
    expect(cipher.inputs).toEqual(declared?.inputs);
    expect(cipher).toMatchObject({ type: "proxmoxve:index/vmLegacy:VmLegacy", custom: true, importId: declared?.importId ?? null, protect: true });
    expect(cipher.ignoreChanges).toEqual(declared?.ignoreChanges);
  });

  it("must record the dependencies the engine would see: guests wait for bridges and storage, raw lxc lines for their container", () => {
    const urnsOf = (prefix: string) => plan.resources.filter((r) => r.custom && r.name.startsWith(prefix)).map((r) => r.urn);
    const bridgesAndStorage = [...urnsOf("network-"), ...urnsOf("storage-")];
    expect(bridgesAndStorage.length).toBeGreaterThan(0);
    for (const guest of plan.resources.filter((r) => r.type === "neve:guests:Vm" || r.type === "neve:guests:Container")) {
      expect([...guest.dependencies].sort()).toEqual([...bridgesAndStorage].sort());
    }
    for (const raw of plan.resources.filter((r) => r.type.endsWith(":LxcRawConfig"))) {
      const vmid = (raw.inputs as { vmid: number }).vmid;
      const ct = plan.resources.find((r) => r.type === "proxmoxve:index/containerLegacy:ContainerLegacy" && (r.inputs as { vmId: number }).vmId === vmid);
      expect(raw.dependencies).toContain(ct?.urn);
    }
  });

  it("must show every Pulumi secret as [secret]", () => {
    expect(resource("proxmox").inputs.apiToken).toBe("[secret]");
    expect(resource("storage-etoile").inputs.password).toBe("[secret]");
    for (const r of plan.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/"))) expect(r.inputs.connection).toBe("[secret]");
    expect(resource("host-cloudflared").inputs.files).toBe("[secret]");
    expect(plan.placeholders.secretMarker).toBe("[secret]");
  });

  it("must not contain any secret value of the stack anywhere", () => {
    for (const v of SECRET_STRINGS) expect(text).not.toContain(v);
  });

  it("must show a serialized dynamic provider by its size and hash, not its code", () => {
    const p = resource("host-haproxy").inputs.__provider;
    expect(p).toMatch(/^\[serialized dynamic provider: \d+ bytes, sha256:[0-9a-f]{16}\]$/);
  });

  it("must carry every output of the contract", () => {
    expect(Object.keys(plan.outputs).sort()).toEqual([...NEVE_OUTPUT_NAMES].sort());
  });

  it("must give the pinned host key's fingerprint, or null with the reason, never the plan's placeholder", () => {
    const pinned = (readStackConfig(DEFAULT_STACK_FILE)["neve-infra:ssh"] as { hostKey?: string } | undefined)?.hostKey;
    const ssh = plan.outputs.ssh as { hostKeyFingerprint: string | null; hostKeyUnpinnedReason: string | null };
    if (pinned) {
      expect(ssh.hostKeyFingerprint).toBe(parseHostKeyPin(pinned).fingerprint);
      expect(plan.placeholders.sshHostKey).toBe(false);
    } else {
      expect(ssh.hostKeyFingerprint).toBeNull();
      expect(ssh.hostKeyUnpinnedReason).toMatch(/ssh\.hostKey is not set.*placeholder/);
      expect(plan.placeholders.sshHostKey).toBe(true);
    }
    expect(JSON.stringify(plan.outputs)).not.toContain("PLACEHOLDER");
  });
});

describe("npm run plan -- --json", () => {
  it("must print one JSON document with the resources and outputs, and no secret placeholder value", async () => {
    const { PLACEHOLDER_SECRETS } = await import("../../scripts/lib/mockRunner");
    const { stdout, stderr } = await exec(npm, ["run", "-s", "plan", "--", "--json"], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const doc = JSON.parse(stdout) as PlanJson;
    expect(doc).toMatchObject({ stack: "neve", offline: true });
    expect(doc.adoptionNotice).toBe(run.adoptionNotice ?? null);
    expect(doc.resources.map((r) => `${r.type}::${r.name}`)).toEqual(plan.resources.map((r) => `${r.type}::${r.name}`));
    expect(Object.keys(doc.outputs).sort()).toEqual([...NEVE_OUTPUT_NAMES].sort());
    for (const v of Object.values(PLACEHOLDER_SECRETS)) {
      expect(stdout).not.toContain(v);
      expect(stderr).not.toContain(v);
    }
  });

  it("must refuse --json together with --files", async () => {
    const err = await exec(npm, ["run", "-s", "plan", "--", "--json", "--files", "out"], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain("--json and --files do not go together");
  });
});

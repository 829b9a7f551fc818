// `npm run plan -- --json` on a copy of the real stack file with `firewall.filesManaged: true`: a rule added to
// neve-infra:firewall.rules is a change an `up` applies (the pve-firewall HostConfig's file content changes, no
// field of it ignored) and runs under the commit-confirmed net (its `accessCritical` input); no Proxmox firewall
// resource is declared beside it. Without the switch the same rule is only recorded (every bpg field ignored).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { firewallOwnerIssues } from "../../scripts/lib/planCheck";
import type { PlanJson, PlanJsonResource } from "../../scripts/lib/planJson";
import { loadModelFromFile, REPO_ROOT } from "../../scripts/lib/stackFile";
import { CLUSTER_FW_PATH } from "../../stacks/render";
import { editedStackFile, FIXTURE_STACK_FILE, type Raw, REAL_STACK_FILE } from "../support/stacks";

const exec = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const ns = "neve-infra";
const FW_TYPES = ["proxmoxve:firewall/rulesLegacy:RulesLegacy", "proxmoxve:cluster/firewallLegacy:FirewallLegacy"];
const NEW_RULE = { name: "plan-test-smtp-drop", action: "DROP", proto: "tcp", dports: [25], comment: "added by the plan test" };

/** `npm run plan -- --json` on the real stack file with `edit` applied. */
async function plan(edit: (fw: Raw) => void): Promise<PlanJson> {
  const { file, cleanup } = editedStackFile((d) => edit(d.config[`${ns}:firewall`]), REAL_STACK_FILE);
  try {
    const { stdout } = await exec(npm, ["run", "-s", "plan", "--", "--json", "--config", file], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as PlanJson;
  } finally {
    cleanup();
  }
}

const firewallHostConfig = (p: PlanJson): PlanJsonResource => {
  const found = p.resources.filter((r) => r.type.endsWith(":HostConfig") && r.inputs.service === "pve-firewall");
  expect(found).toHaveLength(1);
  return found[0];
};
const clusterFw = (r: PlanJsonResource): string =>
  ((r.inputs.files as { path: string; content: string }[]).find((f) => f.path === CLUSTER_FW_PATH) as { content: string }).content;

/** The switch on (the marker would have no effect then: stacks/config/recorded.ts; removed as discover --write does). */
const manage = (fw: Raw) => {
  fw.filesManaged = true;
  delete fw.recorded;
};

let before: PlanJson;
let after: PlanJson;
let recorded: PlanJson;
beforeAll(async () => {
  [before, after, recorded] = await Promise.all([
    plan(manage),
    plan((fw) => {
      manage(fw);
      fw.rules.push(NEW_RULE);
    }),
    plan((fw) => fw.rules.push(NEW_RULE)),
  ]);
}, 120_000);

describe("npm run plan -- --json with firewall.filesManaged", () => {
  it("must show an added rule as a change of the pve-firewall HostConfig's cluster.fw, with nothing of it ignored", () => {
    const b = firewallHostConfig(before);
    const a = firewallHostConfig(after);
    expect(clusterFw(b)).not.toContain("plan-test-smtp-drop");
    expect(clusterFw(a)).toContain("IN DROP -p tcp -dport 25 # plan-test-smtp-drop: added by the plan test\n");
    expect(a.ignoreChanges).toEqual([]);
    expect(a.urn).toBe(b.urn);
  });

  it("must show the commit-confirmed net on it: accessCritical with the confirmation window and the API port", () => {
    const a = firewallHostConfig(after);
    expect(a.inputs.accessCritical).toMatchObject({ confirmSeconds: expect.any(Number), api: { host: expect.any(String), port: expect.any(Number) } });
    expect(a.inputs.onDelete).toBe("keep");
  });

  it("must declare no Proxmox firewall resource beside the files (one owner)", () => {
    expect(after.resources.filter((r) => FW_TYPES.includes(r.type))).toEqual([]);
  });

  it("must, without the switch, keep the rule list read-only (recorded only: every field of bpg's rule list ignored)", () => {
    expect(recorded.resources.some((r) => r.type.endsWith(":HostConfig") && r.inputs.service === "pve-firewall")).toBe(false);
    const rules = recorded.resources.find((r) => r.type === FW_TYPES[0]);
    expect(rules?.ignoreChanges).toContain("rules");
    expect(rules?.protect).toBe(true);
  });
});

describe("one owner for the firewall files", () => {
  const files = loadModelFromFile(FIXTURE_STACK_FILE);
  const managed = { ...files, firewall: { ...files.firewall, filesManaged: true } };
  const declared = [
    { type: FW_TYPES[0], name: "firewall-rules" },
    { type: "pulumi-nodejs:dynamic/neve:HostConfig", name: "host-pve-firewall" },
  ];

  it("must refuse a run that declares bpg's rule list while filesManaged is on, naming the field and the resource", () => {
    expect(firewallOwnerIssues(managed, declared)).toEqual([
      {
        path: "firewall.filesManaged",
        message: expect.stringContaining("the program still declares firewall-rules (proxmoxve:firewall/rulesLegacy:RulesLegacy)"),
      },
    ]);
  });

  it("must accept it while filesManaged is off, and the real program's run with the switch on", () => {
    expect(firewallOwnerIssues(files, declared)).toEqual([]);
    expect(firewallOwnerIssues(managed, after.resources)).toEqual([]);
  });
});

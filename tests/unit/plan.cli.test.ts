// `npm run plan` as a user runs it: a child process, no Pulumi CLI, no Proxmox, no secrets.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../../scripts/lib/stackFile";
import { FIXTURE_STACK_FILE } from "../support/stacks";

// Exact values come from the frozen fixture; the default run (the real stack file) is checked by policy only.
const DEFAULT_STACK_FILE = FIXTURE_STACK_FILE;
const FIXTURE = ["--", "--config", FIXTURE_STACK_FILE];

import { PLACEHOLDER_SECRETS } from "../../scripts/lib/mockRunner";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
/** `npm run plan` on the fixture (no adoption record), run once and shared by the tests that only read its output. */
let defaultPlan: ReturnType<typeof run> | undefined;
const planOnce = () => (defaultPlan ??= run(npm, ["run", "-s", "plan", ...FIXTURE], { cwd: REPO_ROOT }));

describe("npm run plan", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-plan-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("must exit 0 and print every guest, bridge, storage, firewall rule and backup job", async () => {
    const { stdout } = await planOnce();
    for (const [name, vmid] of [
      ["debian12-cloud", 1200],
      ["etoile", 1201],
      ["ubuntu-2404-template", 9000],
      ["cipher", 9100],
      ["atlas", 200],
      ["lune", 201],
    ]) {
      expect(stdout).toMatch(new RegExp(`${name}-(vm|ct)\\s+vmid=${vmid} `));
    }
    for (const s of ["network-vmbr0", "network-vmbr1", "storage-local", "storage-vmdata", "storage-etoile", "backups-nightly-local", "backups-weekly-etoile"]) {
      expect(stdout).toContain(s);
    }
    for (const port of ["22", "8006", "80", "443"]) expect(stdout).toMatch(new RegExp(`in ACCEPT tcp from \\S+ to host:${port} `));
    // The fixture has no adoption record: no guest is imported yet, only the read-only public bridge.
    expect(stdout).toMatch(/cipher-vm\s+vmid=9100 .*\[protect retain ignore=/);
    expect(stdout).toContain("[protect retain import=neve:vmbr0 ");
    expect(stdout).toContain("Outputs:");
    expect(stdout).toContain("cipher.wenzelarifiandi.com");
  });

  it("must say plainly that the stack file is not yet reconciled with the host, and how to reconcile it", async () => {
    const { stdout } = await planOnce();
    expect(stdout).toMatch(/^Adoption: not yet reconciled with the host: neve-infra:adoption\.live is missing/m);
    expect(stdout).toContain("npm run discover -- --check");
    // The notice does not cut the plan short: the table and the outputs follow it.
    expect(stdout.indexOf("Adoption: not yet reconciled")).toBeLessThan(stdout.indexOf("TYPE"));
    expect(stdout).toContain("Outputs:");
  });

  it("must plan the real stack file by default and never print a secret value, even a placeholder", async () => {
    const { stdout, stderr } = await run(npm, ["run", "-s", "plan"], { cwd: REPO_ROOT });
    for (const v of Object.values(PLACEHOLDER_SECRETS)) {
      expect(stdout).not.toContain(v);
      expect(stderr).not.toContain(v);
    }
  });

  it("must exit non-zero with the clear config error for a bad stack file", async () => {
    const doc = parse(fs.readFileSync(DEFAULT_STACK_FILE, "utf8"));
    doc.config["neve-infra:guests"].cipher.ipv4 = "10.10.10.150";
    const file = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(file, stringify(doc));
    const err = await run(npm, ["run", "-s", "plan", "--", "--config", file], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain(
      "guests.cipher.ipv4: 10.10.10.150 lies in the DHCP range 10.10.10.100-10.10.10.200; pick a free address in 10.10.10.91-10.10.10.99 (next free: 10.10.10.93)",
    );
    expect(err?.stdout).not.toContain("TYPE");
  });

  it("must exit 2 naming the file when the stack file is not YAML", async () => {
    const file = path.join(dir, "Pulumi.notyaml.yaml");
    fs.writeFileSync(file, "config:\n  neve-infra:adopt: [true\n");
    const err = await run(npm, ["run", "-s", "plan", "--", "--config", file], { cwd: REPO_ROOT }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/Pulumi\.notyaml\.yaml is not valid YAML \(fix it, or restore it with git checkout\): .*line 3/);
  });

  it("must write every rendered host file with --files for a diff against the live host, but never the tunnel credentials", async () => {
    const out = path.join(dir, "files");
    const { stdout } = await run(npm, ["run", "-s", "plan", ...FIXTURE, "--files", out], { cwd: REPO_ROOT });
    expect(stdout).toContain(`Wrote 11 rendered host files under ${out}`);
    const haproxy = fs.readFileSync(path.join(out, "etc/haproxy/haproxy.cfg"), "utf8");
    expect(haproxy).toContain("req.ssl_sni -i cipher.wenzelarifiandi.com");
    expect(fs.readFileSync(path.join(out, "etc/cloudflared/config.yml"), "utf8")).toContain("464de2f3-7058-4a1f-9f93-ae8425f0ffbe");
    expect(fs.existsSync(path.join(out, "etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json"))).toBe(false);
    const all = fs
      .readdirSync(out, { recursive: true, encoding: "utf8" })
      .map((p) => path.join(out, p))
      .filter((p) => fs.statSync(p).isFile());
    for (const p of all) expect(fs.readFileSync(p, "utf8")).not.toContain("PLACEHOLDER-NOT-A-SECRET");
  });
});

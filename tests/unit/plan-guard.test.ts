// The offline plan shows each host file's adoption guard: what its first push may replace on the host. The
// program sends `neve-infra:adoption.files` as the file's `acceptLive` (the host refuses any other live file).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { FIXTURE_STACK_FILE } from "../support/stacks";

const HAPROXY = "/etc/haproxy/haproxy.cfg";
const ACK = `sha256:${"ab".repeat(32)}`;

describe("plan: the adoption guard per host file", () => {
  it("must send the acknowledged hash as acceptLive of that file only, and show it in the table", async () => {
    const doc = parseDocument(fs.readFileSync(FIXTURE_STACK_FILE, "utf8"));
    doc.setIn(["config", "neve-infra:adoption", "files", HAPROXY], ACK);
    const stackFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-guard-")), "Pulumi.neve.yaml");
    fs.writeFileSync(stackFile, doc.toString());
    const { runProgram } = await import("../../scripts/lib/mockRunner");
    const { renderTable } = await import("../../scripts/lib/planTable");
    const { unwrapSecret } = await import("../../scripts/lib/secretValue");
    const run = await runProgram({ stackFile });
    const files = run.resources
      .filter((r) => r.type === "pulumi-nodejs:dynamic/neve:HostConfig")
      .flatMap((r) => (unwrapSecret(r.inputs.files) as unknown[]).map((f) => unwrapSecret(f) as { path: string; acceptLive: string[] }));
    expect(files.find((f) => f.path === HAPROXY)?.acceptLive).toEqual([ACK]);
    for (const f of files.filter((x) => x.path !== HAPROXY)) expect(f.acceptLive).toEqual([]);
    const table = renderTable(run.resources, Object.values(run.secretValues));
    expect(table).toMatch(new RegExp(`${HAPROXY} .* guard: absent\\|render\\|ack ${ACK.slice(0, 19)}`));
    expect(table).toMatch(/\/etc\/dnsmasq\.d\/neve-vmbr1\.conf .* guard: absent\|render$/m);
  });
});

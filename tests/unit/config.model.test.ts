// The config module's model: typed, readonly, references resolved; the stack file reader.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { loadModelFromFile, readStackConfig } from "../../scripts/lib/stackFile";
import { parseStackConfig, rawConfigFromPulumi, SECRET_KEYS } from "../../stacks/config";
import { FIXTURE_STACK_FILE, type Raw, rawConfig } from "../support/stacks";

const DEFAULT_STACK_FILE = FIXTURE_STACK_FILE;
const realRaw = (): Raw => rawConfig();

describe("config model", () => {
  it("must be frozen, so no component can change the inventory under another's feet", () => {
    const m = loadModelFromFile(FIXTURE_STACK_FILE);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.guests[0])).toBe(true);
    expect(Object.isFrozen(m.network.ipv4.dhcpRange)).toBe(true);
  });

  it("must resolve a guest name in a firewall rule to the guest's address", () => {
    const raw = realRaw();
    raw.firewall.rules.push({ name: "to-cipher", action: "ACCEPT", dest: "cipher", dports: [9100] });
    const rule = parseStackConfig(raw).firewall.rules.at(-1);
    expect(rule?.destAddress).toBe("10.10.10.90");
  });

  it("must resolve routes and the PBS server to guest addresses", () => {
    const m = loadModelFromFile(FIXTURE_STACK_FILE);
    expect(m.routes[0]).toMatchObject({ hostname: "cipher.wenzelarifiandi.com", targetIpv4: "10.10.10.90" });
    expect(m.storage.find((s) => s.id === "etoile")?.serverAddress).toBe("10.10.10.2");
  });

  it("must decode structured config the way the Pulumi engine passes it (JSON text)", () => {
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(readStackConfig(FIXTURE_STACK_FILE))) all[k] = typeof v === "string" ? v : JSON.stringify(v);
    all["neve-infra:proxmoxApiToken"] = "not-parsed";
    all["proxmoxve:endpoint"] = "https://elsewhere:8006";
    const raw = rawConfigFromPulumi(all, SECRET_KEYS);
    expect(raw).not.toHaveProperty("proxmoxApiToken");
    expect(raw.adopt).toBe(true);
    expect(parseStackConfig(raw).proxmox.endpoint).toBe("https://neve:8006");
  });

  it("must ignore values encrypted by `pulumi config set --secret` in the stack file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-secure-"));
    try {
      const doc = parse(fs.readFileSync(DEFAULT_STACK_FILE, "utf8"));
      doc.config["neve-infra:proxmoxApiToken"] = { secure: "v1:AAAAencrypted" };
      const file = path.join(dir, "Pulumi.neve.yaml");
      fs.writeFileSync(file, stringify(doc));
      expect(readStackConfig(file)).not.toHaveProperty("neve-infra:proxmoxApiToken");
      expect(loadModelFromFile(file).guests).toHaveLength(6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The outputs contract built from the model (pure, no Pulumi): every field other stacks rely on.
// Expectations come from the parsed stack file or from values the test itself sets, so an
// operator's ordinary edit of Pulumi.neve.yaml does not turn this red.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackConfig } from "../../scripts/lib/stackFile";
import type { NeveModel } from "../../stacks/config";
import { parseStackConfig, rawConfigFromPulumi, SECRET_KEYS } from "../../stacks/config";
import { ipv4InCidr, ipv4InRange } from "../../stacks/config/ipplan";
import { buildOutputs, HOST_KEY_UNPINNED_REASON } from "../../stacks/neve/buildOutputs";
import { macAddressList } from "../../stacks/neve/liveGuests";
import { NEVE_OUTPUT_NAMES } from "../../stacks/neve/outputs";
import { FIXTURE_STACK_FILE, type Raw, rawConfig } from "../support/stacks";

const realRaw = (): Raw => structuredClone(rawConfigFromPulumi(readStackConfig(), SECRET_KEYS)) as Raw;
const modelOf = (raw: Raw): NeveModel => parseStackConfig(raw);
// Tests that set addresses of their own start from the frozen fixture: on the real file, an operator's
// new clone could sit on the address a test sets (a clone at next-ip's .93 broke the "range full" case).
const fixtureRaw = (): Raw => rawConfig(FIXTURE_STACK_FILE);

describe("outputs built from the real stack file", () => {
  const raw = realRaw();
  const model = modelOf(raw);
  const o = buildOutputs(model);

  it("must carry every output the contract names, and nothing else", () => {
    expect(Object.keys(o).sort()).toEqual([...NEVE_OUTPUT_NAMES].sort());
  });

  it("must give the Proxmox endpoint and node name of the stack file", () => {
    expect(o.proxmox).toEqual({
      endpoint: raw.proxmox.endpoint,
      nodeName: raw.proxmox.nodeName,
      version: raw.proxmox.version ?? null,
      insecure: raw.proxmox.insecure ?? false,
    });
  });

  it("must give the SSH endpoint of the stack file", () => {
    expect(o.ssh).toMatchObject({ host: raw.ssh.host, port: raw.ssh.port ?? 22, user: raw.ssh.user ?? "root" });
  });

  it("must give the tunnel id and its CNAME target <id>.cfargotunnel.com", () => {
    expect(o.tunnel.id).toBe(raw.tunnel.id);
    expect(o.tunnel.cnameTarget).toBe(`${raw.tunnel.id}.cfargotunnel.com`);
    expect(o.tunnel.hostnames).toEqual(raw.tunnel.ingress.map((i: Raw) => i.hostname));
  });

  it("must list every bridge with its addresses", () => {
    expect(Object.keys(o.bridges).sort()).toEqual(Object.keys(raw.network.bridges).sort());
    for (const [name, b] of Object.entries<Raw>(raw.network.bridges)) {
      expect(o.bridges[name]).toMatchObject({ name, ipv4Method: b.ipv4 === "dhcp" ? "dhcp" : "static", ipv6: b.ipv6 ?? null, public: b.public ?? false });
      if (b.ipv4 !== "dhcp") expect(o.bridges[name].ipv4).toBe(b.ipv4);
    }
  });

  it("must give the host's public IPv4 and IPv6 without prefix, for A and AAAA records", () => {
    const [, pub] = Object.entries<Raw>(raw.network.bridges).find(([, b]) => b.public) ?? [];
    expect(o.publicAddresses.ipv4).toBe(raw.network.publicIpv4 ? raw.network.publicIpv4.split("/")[0] : null);
    expect(o.publicAddresses.ipv6).toBe(pub?.ipv6 ? pub.ipv6.split("/")[0] : null);
    for (const a of [o.publicAddresses.ipv4, o.publicAddresses.ipv6]) if (a !== null) expect(a).not.toContain("/");
  });

  it("must give the tailnet range and the host's tailnet address", () => {
    expect(o.tailnet).toEqual({ cidr: raw.network.tailnet.cidr, hostAddress: raw.network.tailnet.hostAddress });
  });

  it("must list as taken the gateway, every unmanaged holder and every non-template guest with a static IPv4", () => {
    const taken = new Map(o.network.taken.map((t) => [t.address, t.holder]));
    expect(taken.get(raw.network.ipv4.gateway)).toBe("gateway");
    for (const u of raw.network.ipv4.unmanaged ?? []) expect(taken.get(u.address)).toBe(u.holder);
    for (const [name, g] of Object.entries<Raw>(raw.guests)) {
      if (g.ipv4 && !g.template) expect(taken.get(g.ipv4)).toBe(name);
    }
    expect(o.network.reserved).toEqual((raw.network.ipv4.reserved ?? []).map((r: Raw) => ({ start: r.start, end: r.end, purpose: r.purpose })));
    expect(o.network.unmanaged).toEqual(raw.network.ipv4.unmanaged ?? []);
  });

  it("must hand out as next clone address one that is free: in the clone range, not taken, not DHCP, not reserved", () => {
    const next = o.network.nextFreeCloneAddress;
    expect(next).not.toBeNull();
    const a = next as string;
    expect(ipv4InRange(a, o.network.cloneRange)).toBe(true);
    expect(ipv4InCidr(a, o.network.cidr)).toBe(true);
    expect(o.network.taken.map((t) => t.address)).not.toContain(a);
    expect(ipv4InRange(a, o.network.dhcpRange)).toBe(false);
    for (const r of o.network.reserved) expect(ipv4InRange(a, r)).toBe(false);
  });

  it("must give the host service ports of the stack file (noVNC, SPICE relay, haproxy stats)", () => {
    const hs = raw.hostServices;
    expect(o.hostPorts.haproxyStats).toEqual({ address: "127.0.0.1", port: hs.haproxy?.statsPort ?? 8404, path: "/stats" });
    expect(o.hostPorts.novnc.map((n) => [n.guest, n.vmid, n.port])).toEqual((hs.novnc ?? []).map((n: Raw) => [n.guest, raw.guests[n.guest].vmid, n.port]));
    expect(o.hostPorts.spiceRelay).toEqual(hs.spiceProxy ? { port: hs.spiceProxy.port, target: hs.spiceProxy.target } : null);
    expect(o.hostPorts).toMatchObject({ ssh: raw.ssh.port ?? 22, proxmoxApi: raw.firewall.apiPort ?? 8006, edge: { http: 80, https: 443 } });
  });

  it("must leave MAC addresses to the provider: null in outputs built from config alone", () => {
    for (const g of Object.values(o.guests)) expect(g.macAddresses).toBeNull();
  });
});

describe("outputs for values the test sets", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "neve-outputs-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("must compute the pinned host key's fingerprint exactly as ssh-keygen -lf prints it", () => {
    const key = path.join(dir, "host_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "root@neve", "-f", key]);
    const [type, blob] = fs.readFileSync(`${key}.pub`, "utf8").trim().split(" ");
    const printed = execFileSync("ssh-keygen", ["-lf", `${key}.pub`])
      .toString()
      .split(" ")[1];
    const raw = fixtureRaw();
    raw.ssh.hostKey = `${type} ${blob}`;
    expect(buildOutputs(modelOf(raw)).ssh).toMatchObject({ hostKeyFingerprint: printed, hostKeyType: "ssh-ed25519", hostKeyUnpinnedReason: null });
    raw.ssh.hostKey = printed;
    expect(buildOutputs(modelOf(raw)).ssh).toMatchObject({ hostKeyFingerprint: printed, hostKeyType: null, hostKeyUnpinnedReason: null });
  });

  it("must say that no host key is pinned, with null rather than a placeholder, while ssh.hostKey is unset", () => {
    const raw = fixtureRaw();
    delete raw.ssh.hostKey;
    expect(buildOutputs(modelOf(raw)).ssh).toMatchObject({ hostKeyFingerprint: null, hostKeyType: null, hostKeyUnpinnedReason: HOST_KEY_UNPINNED_REASON });
  });

  it("must give null as next clone address when the clone range is full, and list the clones as taken", () => {
    const raw = fixtureRaw();
    raw.network.ipv4.cloneRange = { start: "10.10.10.91", end: "10.10.10.92" };
    raw.network.ipv4.unmanaged = [
      { address: "10.10.10.91", holder: "clone-a" },
      { address: "10.10.10.92", holder: "clone-b" },
    ];
    const n = buildOutputs(modelOf(raw)).network;
    expect(n.nextFreeCloneAddress).toBeNull();
    expect(n.taken).toEqual(
      expect.arrayContaining([
        { address: "10.10.10.91", holder: "clone-a" },
        { address: "10.10.10.92", holder: "clone-b" },
      ]),
    );
  });

  it("must list taken addresses lowest first", () => {
    const raw = fixtureRaw();
    raw.network.ipv4.unmanaged = [
      { address: "10.10.10.95", holder: "z" },
      { address: "10.10.10.9", holder: "a" },
    ];
    const addrs = buildOutputs(modelOf(raw)).network.taken.map((t) => Number(t.address.split(".")[3]));
    expect(addrs).toEqual([...addrs].sort((a, b) => a - b));
  });

  it("must take a static public bridge's own address as the public IPv4", () => {
    const raw = fixtureRaw();
    const pub = Object.values<Raw>(raw.network.bridges).find((b) => b.public) as Raw;
    pub.ipv4 = "203.0.113.7/24";
    expect(buildOutputs(modelOf(raw)).publicAddresses.ipv4).toBe("203.0.113.7");
  });

  it("must follow a new tunnel id in the CNAME target", () => {
    const raw = fixtureRaw();
    raw.tunnel.id = "00000000-1111-4222-8333-444444444444";
    expect(buildOutputs(modelOf(raw)).tunnel.cnameTarget).toBe("00000000-1111-4222-8333-444444444444.cfargotunnel.com");
  });
});

describe("macAddressList (what the provider reports per interface)", () => {
  it.each([
    [
      "must list every MAC when every interface is reported",
      [{ macAddress: "BC:24:11:00:00:01" }, { macAddress: "BC:24:11:00:00:02" }],
      ["BC:24:11:00:00:01", "BC:24:11:00:00:02"],
    ],
    ["must give null, not a partial list, when one interface is not reported yet", [{ macAddress: "BC:24:11:00:00:01" }, {}], null],
    ["must give null for an empty MAC", [{ macAddress: "" }], null],
    [
      "must skip a gap in the interface numbering (net0, net2)",
      [{ macAddress: "BC:24:11:00:00:01" }, null, { macAddress: "BC:24:11:00:00:03" }],
      ["BC:24:11:00:00:01", "BC:24:11:00:00:03"],
    ],
    ["must give null for a guest without interfaces", [], null],
    ["must give null when the provider reports nothing", undefined, null],
  ])("%s", (_policy, interfaces, expected) => {
    expect(macAddressList(interfaces)).toEqual(expected);
  });
});

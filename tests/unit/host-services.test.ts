// The host's own configuration as the program declares it: one HostConfig resource per service,
// rendered from the frozen fixture copy of Pulumi.neve.yaml, with validators, activation, health checks, the
// dead-man timer on access-critical services, and secrets only ever as Pulumi secrets.

import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { unpackProvider } from "../../providers/common/packedProvider";
import type { ProgramRun } from "../../scripts/lib/mockRunner";
import { FIXTURE_STACK_FILE } from "../support/stacks";

const HOST_CONFIG = "pulumi-nodejs:dynamic/neve:HostConfig";
// Distinctive fake secrets: any appearance outside a secret wrapper is a leak.
const SECRETS = {
  proxmoxApiToken: "leakcheck@pam!unit=aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb",
  sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nLEAKCHECKsshKEYmaterial0123456789\n-----END OPENSSH PRIVATE KEY-----\n",
  tunnelCredentials: JSON.stringify({
    AccountTag: "leakcheckAccountTag77",
    TunnelSecret: "LEAKCHECKtunnelSECRETbase64==",
    TunnelID: "464de2f3-7058-4a1f-9f93-ae8425f0ffbe",
  }),
  pbsPassword: "leakcheck-pbs-password-9d2e",
};
const SECRET_NEEDLES = [
  SECRETS.proxmoxApiToken,
  "LEAKCHECKsshKEYmaterial0123456789",
  "LEAKCHECKtunnelSECRETbase64==",
  "leakcheckAccountTag77",
  SECRETS.pbsPassword,
];

let run: ProgramRun;
beforeAll(async () => {
  const { runProgram } = await import("../../scripts/lib/mockRunner");
  run = await runProgram({
    stackFile: FIXTURE_STACK_FILE,
    secrets: SECRETS,
    configOverrides: { ssh: { host: "100.94.229.96", port: 22, user: "root", hostKey: "SHA256:uO2YrKm6bWk9h0Oq1oX3b9zVxR2mX0Q1y8m0aVbQ5Ys" } },
  });
});

const hostConfigs = () => run.resources.filter((r) => r.type === HOST_CONFIG);
const byService = (service: string): Record<string, any> => {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const found = hostConfigs().filter((r) => r.inputs.service === service);
  expect(found).toHaveLength(1);
  return found[0].inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const isSecret = (v: unknown): v is { value: unknown } => !!v && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;
const plain = (v: unknown): any => (isSecret(v) ? v.value : v); // eslint-disable-line @typescript-eslint/no-explicit-any
const filesOf = (service: string) => (plain(byService(service).files) as unknown[]).map(plain) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every string in `v` that is not inside a Pulumi secret wrapper, with its path. */
function plainStrings(v: unknown, path = ""): [string, string][] {
  if (isSecret(v)) return [];
  if (typeof v === "string") return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => plainStrings(x, `${path}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => plainStrings(x, path ? `${path}.${k}` : k));
  return [];
}

describe("host services declared from Pulumi.neve.yaml", () => {
  it.each([
    ["sysctl-forwarding", ["/etc/sysctl.d/90-neve-forwarding.conf"]],
    ["nat", ["/etc/nftables.d/neve-nat.nft", "/etc/systemd/system/neve-nat.service"]],
    ["dnsmasq-vmbr1", ["/etc/dnsmasq.d/neve-vmbr1.conf"]],
    ["haproxy", ["/etc/haproxy/haproxy.cfg"]],
    ["cloudflared", ["/etc/cloudflared/config.yml", "/etc/cloudflared/464de2f3-7058-4a1f-9f93-ae8425f0ffbe.json", "/etc/systemd/system/cloudflared.service"]],
    ["novnc-1201", ["/etc/systemd/system/novnc-1201.service"]],
    ["spiceproxy-socat", ["/etc/systemd/system/spiceproxy-socat.service"]],
    ["fix-pve-certs", ["/etc/systemd/system/fix-pve-certs.service", "/etc/systemd/system/fix-pve-certs.timer"]],
  ])("must manage %s with exactly its files", (service, paths) => {
    expect(filesOf(service).map((f) => f.path)).toEqual(paths);
  });

  it("must declare no other host service", () => {
    expect(
      hostConfigs()
        .map((r) => r.inputs.service)
        .sort(),
    ).toEqual(["cloudflared", "dnsmasq-vmbr1", "fix-pve-certs", "haproxy", "nat", "novnc-1201", "spiceproxy-socat", "sysctl-forwarding"]);
  });

  it("must connect to the tailnet address with the pinned host key, as root", () => {
    for (const r of hostConfigs()) {
      const c = plain(r.inputs.connection);
      expect(c).toMatchObject({ host: "100.94.229.96", port: 22, username: "root", hostKey: "SHA256:uO2YrKm6bWk9h0Oq1oX3b9zVxR2mX0Q1y8m0aVbQ5Ys" });
    }
  });

  it("must validate haproxy.cfg with haproxy -c on the staged copy before a graceful reload", () => {
    const h = byService("haproxy");
    expect(h.validate).toEqual(["haproxy -c -f {staged:/etc/haproxy/haproxy.cfg}"]);
    expect(h.activate).toBe("systemctl reload haproxy");
    expect(h.healthCheck).toContain("127.0.0.1/8404");
  });

  it("must route cipher.wenzelarifiandi.com to 10.10.10.90 on 443 by SNI and on 80 by Host", () => {
    const cfg = filesOf("haproxy")[0].content as string;
    expect(cfg).toContain("use_backend tls_cipher_wenzelarifiandi_com if { req.ssl_sni -i cipher.wenzelarifiandi.com }");
    expect(cfg).toContain("server cipher_wenzelarifiandi_com 10.10.10.90:443 check");
    expect(cfg).toContain("server cipher_wenzelarifiandi_com 10.10.10.90:80 check");
    expect(cfg).not.toMatch(/:8006\b/);
  });

  it("must serve DHCP .100-.200 with router 10.10.10.1 on vmbr1 only", () => {
    const conf = filesOf("dnsmasq-vmbr1")[0].content as string;
    expect(conf).toContain("interface=vmbr1");
    expect(conf).toMatch(/dhcp-range=10\.10\.10\.100,10\.10\.10\.200/);
    expect(conf).toMatch(/except-interface=vmbr0/);
  });

  it("must give every validator of a multi-file service an explicit {staged:path}", () => {
    for (const r of hostConfigs()) {
      for (const cmd of r.inputs.validate as string[]) expect(cmd).not.toContain("{staged}");
    }
    expect(byService("nat").validate).toContain("nft -c -f {staged:/etc/nftables.d/neve-nat.nft}");
  });

  it.each(["nat", "sysctl-forwarding", "cloudflared"])(
    "must guard %s, which can cut access, with the dead-man timer confirmed by SSH and the API port of proxmox.endpoint",
    (service) => {
      expect(byService(service).accessCritical).toEqual({ confirmSeconds: 60, api: { host: "neve", port: 8006 } });
    },
  );

  it.each(["haproxy", "dnsmasq-vmbr1", "novnc-1201"])("must not arm the dead-man timer for %s", (service) => {
    expect(byService(service).accessCritical ?? null).toBeNull();
  });

  it("must keep the live files when a service leaves the program, and stash into /root/etc-pve.stash", () => {
    for (const r of hostConfigs()) expect(r.inputs).toMatchObject({ onDelete: "keep", stashDir: "/root/etc-pve.stash", stashKeep: 10 });
  });

  it("must write the tunnel credentials 0600 root:root as secret content", () => {
    const creds = filesOf("cloudflared")[1];
    expect(creds).toMatchObject({ mode: "0600", owner: "root", group: "root", secret: true });
    expect(isSecret(creds.content) || isSecret(byService("cloudflared").files)).toBe(true);
    expect(plain(creds.content)).toBe(SECRETS.tunnelCredentials);
  });

  it("must hand the SSH private key to the provider only inside a secret", () => {
    for (const r of hostConfigs()) {
      expect(isSecret(r.inputs.connection)).toBe(true);
      expect(plain(r.inputs.connection).privateKey).toBe(SECRETS.sshPrivateKey);
    }
  });
});

describe("raw LXC lines of lune", () => {
  it("must write lune's AppArmor and FUSE lines with LxcRawConfig, after the container, keeping them on delete", () => {
    const raw = run.resources.filter((r) => r.type === "pulumi-nodejs:dynamic/neve:LxcRawConfig");
    expect(raw.map((r) => r.name)).toEqual(["host-lxc-201-raw"]);
    expect(raw[0].inputs).toMatchObject({
      vmid: 201,
      rawLines: ["lxc.apparmor.profile: unconfined", "lxc.cgroup2.devices.allow: c 10:229 rwm", "lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file"],
      onDelete: "keep",
      stashDir: "/root/etc-pve.stash",
    });
    expect(isSecret(raw[0].inputs.connection)).toBe(true);
  });
});

describe("secrets of the neve stack", () => {
  it("must appear in no serialized provider (__provider)", () => {
    const dynamic = run.resources.filter((r) => typeof r.inputs.__provider === "string");
    expect(dynamic.length).toBeGreaterThanOrEqual(9);
    for (const r of dynamic) {
      // The packed text and the SDK's text inside it (providers/common/packedProvider.ts).
      const texts = `${r.inputs.__provider}\n${unpackProvider(r.inputs.__provider as string)}`;
      expect(texts).toContain("exports.handler = __f0");
      for (const needle of SECRET_NEEDLES) expect(texts).not.toContain(needle);
    }
  });

  it("must appear in no input outside a Pulumi secret, on any resource", () => {
    const leaks: string[] = [];
    for (const r of run.resources) {
      for (const [path, s] of plainStrings(r.inputs)) {
        for (const needle of SECRET_NEEDLES) if (s.includes(needle)) leaks.push(`${r.type} ${r.name} ${path}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("must appear in no stack output", () => {
    const text = JSON.stringify(run.outputs);
    for (const needle of SECRET_NEEDLES) expect(text).not.toContain(needle);
  });
});

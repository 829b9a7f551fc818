import {
  HOST_SERVICE_KINDS,
  HostServiceKind,
  HostServiceRef,
  ServiceFileRole,
  renderCloudflaredConfig,
  renderCloudflaredUnit,
  renderDnsmasqConfig,
  renderFixPveCertsUnits,
  renderHaproxyConfig,
  renderNatLoaderUnit,
  renderNatNft,
  renderNovncUnit,
  renderSocatForwardUnit,
  renderSysctlForwarding,
  serviceSpec,
} from "../../stacks/render";
import * as neve from "./neve.fixture";
import { netns, scratchDir, which, writeIn } from "./tools";

const refs: Record<HostServiceKind, HostServiceRef> = {
  haproxy: { kind: "haproxy", statsPort: 8404 },
  cloudflared: { kind: "cloudflared", tunnelId: neve.TUNNEL_ID },
  dnsmasq: { kind: "dnsmasq", bridge: "vmbr1", listenAddress: "10.10.10.1" },
  novnc: { kind: "novnc", vmid: 1201, port: 6081 },
  "spiceproxy-socat": { kind: "spiceproxy-socat", port: 61001 },
  "fix-pve-certs": { kind: "fix-pve-certs" },
  "sysctl-forwarding": { kind: "sysctl-forwarding" },
  nat: { kind: "nat" },
  "lxc-raw": { kind: "lxc-raw", vmid: 201 },
};
const specs = HOST_SERVICE_KINDS.map((k) => serviceSpec(refs[k]));
const byKind = (k: HostServiceKind) => specs.find((s) => s.kind === k)!;

describe("services table", () => {
  it("must describe every kind once, under a distinct resource name", () => {
    expect([...HOST_SERVICE_KINDS].sort()).toEqual(Object.keys(refs).sort());
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
  });

  it("must put each file at neve's real path", () => {
    const paths = Object.fromEntries(specs.map((s) => [s.name, s.files.map((f) => `${f.role} ${f.path}`)]));
    expect(paths).toEqual({
      haproxy: ["config /etc/haproxy/haproxy.cfg"],
      cloudflared: [
        "config /etc/cloudflared/config.yml",
        `credentials /etc/cloudflared/${neve.TUNNEL_ID}.json`,
        "unit /etc/systemd/system/cloudflared.service",
      ],
      "dnsmasq-vmbr1": ["config /etc/dnsmasq.d/neve-vmbr1.conf"],
      "novnc-1201": ["unit /etc/systemd/system/novnc-1201.service"],
      "spiceproxy-socat": ["unit /etc/systemd/system/spiceproxy-socat.service"],
      "fix-pve-certs": ["unit /etc/systemd/system/fix-pve-certs.service", "timer /etc/systemd/system/fix-pve-certs.timer"],
      "sysctl-forwarding": ["config /etc/sysctl.d/90-neve-forwarding.conf"],
      nat: ["config /etc/nftables.d/neve-nat.nft", "unit /etc/systemd/system/neve-nat.service"],
      "lxc-201-raw": ["config /etc/pve/lxc/201.conf"],
    });
  });

  it("must keep the tunnel credentials secret, 0600 root:root, and nothing else secret", () => {
    const secret = specs.flatMap((s) => s.files.filter((f) => f.secret).map((f) => ({ ...f, service: s.name })));
    expect(secret).toEqual([
      { service: "cloudflared", role: "credentials", path: `/etc/cloudflared/${neve.TUNNEL_ID}.json`, mode: "0600", owner: "root", group: "root", secret: true, validate: [] },
    ]);
  });

  it("must mark exactly the changes that can cut the operator off as access-critical", () => {
    expect(specs.filter((s) => s.accessCritical).map((s) => s.kind).sort()).toEqual(["cloudflared", "nat", "sysctl-forwarding"]);
  });

  it("must validate haproxy before a graceful reload, and reload dnsmasq/cloudflared by restart", () => {
    expect(byKind("haproxy").files[0].validate).toEqual(["haproxy -c -f {staged}"]);
    expect(byKind("haproxy").activate).toBe("systemctl reload haproxy");
    expect(byKind("dnsmasq").activate).toBe("systemctl restart dnsmasq");
    expect(byKind("cloudflared").activate).toBe("systemctl daemon-reload && systemctl enable cloudflared.service && systemctl restart cloudflared.service");
    expect(byKind("nat").activate).toBe("systemctl daemon-reload && systemctl enable neve-nat.service && nft -f /etc/nftables.d/neve-nat.nft");
    expect(byKind("sysctl-forwarding").activate).toBe("sysctl -p /etc/sysctl.d/90-neve-forwarding.conf");
  });

  it("must reload systemd before (re)starting any unit it changed", () => {
    for (const s of specs.filter((x) => x.files.some((f) => f.path.startsWith("/etc/systemd/system/")))) {
      expect(s.activate).toMatch(/^systemctl daemon-reload && /);
    }
  });

  it("must give every validator the staged copy, never the live file", () => {
    for (const s of specs) {
      for (const f of s.files) {
        for (const v of f.validate) {
          expect(v).toContain("{staged}");
          expect(v).not.toContain(f.path);
        }
      }
    }
  });
});

// Each validator of the table, run for real against the rendered file (and against a broken one),
// inside a throwaway network namespace so nft checks never see this machine's rule set.
describe("services table validators on the rendered files", () => {
  const contents: Record<string, Partial<Record<ServiceFileRole, string>>> = {
    haproxy: { config: renderHaproxyConfig(neve.haproxy) },
    cloudflared: { config: renderCloudflaredConfig(neve.cloudflared), unit: renderCloudflaredUnit({ tunnelId: neve.TUNNEL_ID }) },
    "dnsmasq-vmbr1": { config: renderDnsmasqConfig(neve.dnsmasq) },
    "novnc-1201": { unit: renderNovncUnit(neve.novnc) },
    "spiceproxy-socat": { unit: renderSocatForwardUnit(neve.spiceproxySocat) },
    "fix-pve-certs": { unit: renderFixPveCertsUnits(neve.fixPveCerts).service, timer: renderFixPveCertsUnits(neve.fixPveCerts).timer },
    "sysctl-forwarding": { config: renderSysctlForwarding(neve.sysctl) },
    nat: { config: renderNatNft(neve.nat), unit: renderNatLoaderUnit() },
  };
  const breakers: Record<string, (t: string) => string> = {
    haproxy: (t) => t.replace("mode tcp", "mode tpc"),
    "dnsmasq-vmbr1": (t) => t.replace("dhcp-range=", "dhcp-rnage="),
    "sysctl-forwarding": (t) => `${t}net.ipv4.ip_forward=1; reboot\n`,
    nat: (t) => t.replace("masquerade", "masqerade").replace("ExecStart=/usr/sbin/nft", "ExecStart=/usr/sbin/nft-not-installed"),
    // The host check that matters most for units: the program is not installed.
    "spiceproxy-socat": (t) => t.replace("ExecStart=/usr/bin/socat", "ExecStart=/usr/bin/socat-not-installed"),
  };
  const quote = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;

  const cases = specs.flatMap((s) =>
    s.files.flatMap((f) => f.validate.map((v) => [`${s.name} ${f.role}: ${v.length > 60 ? `${v.slice(0, 57)}...` : v}`, s.name, f.role, v] as const)),
  );

  /** Why this validator cannot run on the test machine, or null. */
  function missingHere(service: string, text: string, command: string): string | null {
    const tool = command.includes("systemd-analyze") ? "systemd-analyze" : command.replace(/^! /, "").split(" ")[0];
    if (which(tool) === null) return `${tool} is not installed on the test machine`;
    if (tool === "systemd-analyze") {
      // On the host the unit is verified against the real system: ExecStart binaries and required units must exist.
      for (const line of text.split("\n")) {
        const bin = line.startsWith("ExecStart=") ? line.slice(10).split(" ")[0] : null;
        if (bin !== null && which(bin.split("/").pop()!) === null) return `${bin} (ExecStart of ${service}) exists only on the Proxmox host`;
        if (line.startsWith("Requires=")) return `${line.slice(9)} (required by ${service}) exists only on the Proxmox host`;
      }
    }
    return null;
  }

  it.each(cases)("%s", (_title, service, role, command) => {
    const text = contents[service]?.[role];
    if (text === undefined) throw new Error(`no rendered content for ${service} ${role}`);
    const why = missingHere(service, text, command);
    if (why !== null) {
      console.info(`skipped validator "${command}" for ${service}: ${why}`);
      return;
    }
    const ns = netns("render-validate");
    const { dir, cleanup } = scratchDir("validate");
    try {
      // A staged-looking name, as the provider writes it: the validators must not depend on the file name.
      const staged = writeIn(dir, `.staged-${service}-${role}.tmp`, text);
      const ok = ns.exec(["sh", "-c", command.split("{staged}").join(quote(staged))]);
      expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      const breaker = breakers[service];
      if (breaker !== undefined) {
        const bad = writeIn(dir, `.staged-${service}-${role}-bad.tmp`, breaker(text));
        const refused = ns.exec(["sh", "-c", command.split("{staged}").join(quote(bad))]);
        expect(refused.status).not.toBe(0);
        // The provider's error carries this output: it must say what is wrong.
        expect((refused.stdout + refused.stderr).trim()).not.toBe("");
      }
    } finally {
      cleanup();
      ns.remove();
    }
  });
});

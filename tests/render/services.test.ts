// The host-service registry (stacks/components/host/registry.ts): one entry per kind, with files,
// validators, activation and health checks; pinned on the frozen fixture stack file.
import * as fs from "node:fs";
import { type DeclaredService, declaredServices, HOST_SERVICE_KINDS, HOST_SERVICES } from "../../stacks/components/host/registry";
import { renderDnsmasqConfig, renderHaproxyConfig, renderNatNft, type ServiceFileRole, TEMPLATE_DIR } from "../../stacks/render";
import { fixtureModel } from "../support/stacks";
import * as neve from "./neve.fixture";
import { netns, scratchDir, which, writeIn } from "./tools";

const declared: DeclaredService[] = declaredServices(fixtureModel());
const specs = declared.map((d) => ({ kind: d.kind, ...d.spec }));
const byKind = (k: string) => specs.find((s) => s.kind === k)!;

describe("host service registry", () => {
  it("must declare every kind of the registry for the fixture stack, under distinct resource names", () => {
    // network-interfaces is opt-in (network.interfacesFile, off in the fixture): tests/render/interfaces.test.ts checks it;
    // pve-firewall likewise (firewall.filesManaged): tests/render/firewall.test.ts.
    const optIn: readonly string[] = ["network-interfaces", "pve-firewall"];
    expect([...new Set(specs.map((s) => s.kind))].sort()).toEqual(HOST_SERVICE_KINDS.filter((k) => !optIn.includes(k)).sort());
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
  });

  it("must use every template in templates/ exactly once across the registry", () => {
    const used = HOST_SERVICE_KINDS.flatMap((k) => HOST_SERVICES[k].templates).sort();
    const present = fs
      .readdirSync(TEMPLATE_DIR)
      .filter((f) => f.endsWith(".hbs"))
      .map((f) => f.replace(/\.hbs$/, ""))
      .sort();
    expect(used).toEqual(present);
  });

  it("must not keep the dead lxc-raw variant (raw lines are LxcRawConfig's, read-modify-write)", () => {
    expect(HOST_SERVICE_KINDS).not.toContain("lxc-raw");
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
    });
  });

  it("must keep the tunnel credentials secret, 0600 root:root, and nothing else secret", () => {
    const secret = specs.flatMap((s) => s.files.filter((f) => f.secret).map((f) => ({ ...f, service: s.name })));
    expect(secret).toEqual([
      {
        service: "cloudflared",
        role: "credentials",
        path: `/etc/cloudflared/${neve.TUNNEL_ID}.json`,
        mode: "0600",
        owner: "root",
        group: "root",
        secret: true,
        validate: [],
      },
    ]);
  });

  it("must mark exactly the changes that can cut the operator off as access-critical", () => {
    expect(
      specs
        .filter((s) => s.accessCritical)
        .map((s) => s.kind)
        .sort(),
    ).toEqual(["cloudflared", "nat", "sysctl-forwarding"]);
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
describe("registry validators on the rendered files", () => {
  const contents: Record<string, Partial<Record<ServiceFileRole, string>>> = Object.fromEntries(
    declared.map((d) => [d.spec.name, Object.fromEntries(d.spec.files.filter((f) => !f.secret).map((f) => [f.role, d.render(f.role)]))]),
  );
  it("must render from the registry what the render fixtures pin", () => {
    expect(contents.haproxy.config).toBe(renderHaproxyConfig(neve.haproxy));
    expect(contents["dnsmasq-vmbr1"].config).toBe(renderDnsmasqConfig({ ...neve.dnsmasq, exceptInterfaces: ["lo", "tailscale0", "vmbr0"] }));
    expect(contents.nat.config).toBe(renderNatNft(neve.nat));
  });
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

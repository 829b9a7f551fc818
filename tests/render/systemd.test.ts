import * as fs from "node:fs";
import * as path from "node:path";
import {
  type NovncUnitModel,
  renderCloudflaredUnit,
  renderFixPveCertsUnits,
  renderNatLoaderUnit,
  renderNovncUnit,
  renderSocatForwardUnit,
  type SocatForwardUnitModel,
} from "../../stacks/render";
import * as neve from "./neve.fixture";
import { run, scratchDir, which, writeIn } from "./tools";

const units: Record<string, string> = {
  "novnc-1201.service": renderNovncUnit(neve.novnc),
  "spiceproxy-socat.service": renderSocatForwardUnit(neve.spiceproxySocat),
  "fix-pve-certs.service": renderFixPveCertsUnits(neve.fixPveCerts).service,
  "fix-pve-certs.timer": renderFixPveCertsUnits(neve.fixPveCerts).timer,
  "cloudflared.service": renderCloudflaredUnit({ tunnelId: neve.TUNNEL_ID }),
  "neve-nat.service": renderNatLoaderUnit(),
};

const execLines = (text: string) => text.split("\n").filter((l) => l.startsWith("ExecStart="));

describe.each(Object.keys(units))("unit %s", (name) => {
  it("is pinned as a whole", () => {
    expect(units[name]).toMatchSnapshot();
  });
});

describe("unit contents", () => {
  it("must run websockify on 6081 towards VM 1201's loopback VNC display, serving noVNC", () => {
    expect(execLines(units["novnc-1201.service"])).toEqual(["ExecStart=/usr/bin/websockify --web /usr/share/novnc 0.0.0.0:6081 127.0.0.1:5981"]);
    expect(units["novnc-1201.service"]).toContain("args: -vnc 127.0.0.1:81");
  });

  it("must relay 61001 to the SPICE proxy on 127.0.0.1:3128 with socat", () => {
    expect(execLines(units["spiceproxy-socat.service"])).toEqual(["ExecStart=/usr/bin/socat TCP-LISTEN:61001,fork,reuseaddr TCP:127.0.0.1:3128"]);
  });

  it("must re-issue the node certificate, then restart pveproxy, as a oneshot on a timer", () => {
    const svc = units["fix-pve-certs.service"];
    expect(svc).toContain("Type=oneshot");
    expect(execLines(svc)).toEqual(["ExecStart=/usr/bin/pvecm updatecerts --force", "ExecStart=/usr/bin/systemctl restart pveproxy.service"]);
    expect(units["fix-pve-certs.timer"]).toContain("OnCalendar=monthly\n");
    expect(units["fix-pve-certs.timer"]).toContain("Persistent=true\n");
  });

  it("must run the tunnel from /etc/cloudflared/config.yml", () => {
    expect(execLines(units["cloudflared.service"])).toEqual(["ExecStart=/usr/bin/cloudflared --no-autoupdate tunnel --config /etc/cloudflared/config.yml run"]);
  });

  it("must load the NAT table at boot, before the network, and remove only that table on stop", () => {
    const unit = units["neve-nat.service"];
    expect(execLines(unit)).toEqual(["ExecStart=/usr/sbin/nft -f /etc/nftables.d/neve-nat.nft"]);
    expect(unit).toContain("ExecStop=/usr/sbin/nft delete table ip neve_nat\n");
    expect(unit).toContain("Before=network-pre.target\n");
    expect(unit).toContain("RemainAfterExit=yes\n");
  });

  it("the timer's calendar expression must be one systemd understands", () => {
    const sa = which("systemd-analyze");
    if (sa === null) {
      console.info("skipped: systemd-analyze is not installed, so OnCalendar cannot be checked by systemd itself");
      return;
    }
    expect(run(sa, ["calendar", neve.fixPveCerts.onCalendar]).status).toBe(0);
    expect(run(sa, ["calendar", "mnthly"]).status).not.toBe(0);
  });
});

// systemd-analyze verify runs here without systemd as PID 1. It loads the units from a throwaway
// root (the system's own unit library bind-mounted in a private mount namespace) and checks that
// every ExecStart binary exists. Binaries are the real ones of this machine, bind-mounted in
// (websockify comes from Debian's websockify package, which CI installs); only the two that exist
// nowhere but on a Proxmox host with Cloudflare's package (pvecm, cloudflared) are empty executable
// stand-ins, named in the test output. Any other missing binary fails the test.
describe("systemd-analyze verify", () => {
  const SA = which("systemd-analyze");
  const PROXMOX_ONLY = new Set(["/usr/bin/pvecm", "/usr/bin/cloudflared"]);

  function verify(files: Record<string, string>): { status: number | null; output: string; standIns: string[]; real: string[] } {
    const { dir, cleanup } = scratchDir("systemd");
    try {
      const root = path.join(dir, "root");
      // Proxmox's own units (pve-cluster.service) are hard dependencies on the host and absent here.
      const standInUnits: string[] = [];
      const standInTexts: string[] = [];
      for (const text of Object.values(files)) {
        for (const line of text.split("\n").filter((l) => l.startsWith("Requires="))) {
          for (const unit of line.slice("Requires=".length).split(" ")) {
            if (!fs.existsSync(path.join("/usr/lib/systemd/system", unit)) && !(unit in files)) {
              const standIn = `[Unit]\nDescription=stand-in for ${unit}, which only exists on a Proxmox host\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n`;
              writeIn(path.join(root, "etc/systemd/system"), unit, standIn);
              standInTexts.push(standIn);
              standInUnits.push(unit);
            }
          }
        }
      }
      fs.mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
      for (const [name, text] of Object.entries(files)) writeIn(path.join(root, "etc/systemd/system"), name, text);
      const binds: string[] = [];
      const standIns: string[] = [...standInUnits];
      const real: string[] = [];
      for (const text of [...Object.values(files), ...standInTexts]) {
        for (const line of execLines(text)) {
          const bin = line.slice("ExecStart=".length).split(" ")[0];
          const target = path.join(root, bin);
          if (fs.existsSync(target)) continue;
          if (fs.existsSync(bin)) {
            writeIn(root, bin, "");
            binds.push(`mount --bind ${bin} ${target}`);
            real.push(bin);
          } else if (!PROXMOX_ONLY.has(bin) && path.isAbsolute(bin)) {
            throw new Error(
              `${bin} is not installed on this machine; the units are verified against real binaries, so install the Debian package that ships it (websockify and novnc for /usr/bin/websockify)`,
            );
          } else {
            writeIn(root, bin, "#!/bin/sh\n# stand-in: not installed on the test machine\nexit 0\n");
            fs.chmodSync(target, 0o755);
            standIns.push(bin);
          }
        }
      }
      const script = [
        "set -e",
        "mount --make-rprivate /",
        `mount --bind /usr/lib/systemd ${root}/usr/lib/systemd`,
        ...binds,
        `exec ${SA} verify --root=${root} ${Object.keys(files).join(" ")}`,
      ].join("\n");
      const r = run("unshare", ["-m", "sh", "-c", script], { timeoutMs: 30000 });
      return { status: r.status, output: (r.stdout + r.stderr).trim(), standIns, real };
    } finally {
      cleanup();
    }
  }

  const cases = [
    ["novnc-1201.service"],
    ["spiceproxy-socat.service"],
    ["fix-pve-certs.service", "fix-pve-certs.timer"],
    ["cloudflared.service"],
    ["neve-nat.service"],
  ];

  it.each(cases)("must accept %s without a complaint", (...names) => {
    if (SA === null) {
      console.info("skipped: systemd-analyze is not installed on this machine, so units cannot be verified");
      return;
    }
    const r = verify(Object.fromEntries(names.map((n) => [n, units[n]])));
    if (r.standIns.length > 0) console.info(`systemd-analyze verify ${names.join(" ")}: stand-ins for ${r.standIns.join(", ")}`);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
    if (names.includes("novnc-1201.service")) expect(r.real).toContain("/usr/bin/websockify");
  });

  it("must be able to fail: a misspelt key and a missing binary are reported", () => {
    if (SA === null) {
      console.info("skipped: systemd-analyze is not installed on this machine");
      return;
    }
    const broken = units["spiceproxy-socat.service"].replace("Restart=on-failure", "Restrat=on-failure");
    const r = verify({ "spiceproxy-socat.service": broken });
    expect(r.output).toContain("Unknown key 'Restrat'");
    const gone = verify({ "x.service": "[Service]\nExecStart=relative/bin\n" });
    expect(gone.output).not.toBe("");
  });
});

describe.each<[string, () => unknown, string]>([
  ["a novnc vmid below 100", () => renderNovncUnit({ ...neve.novnc, vmid: 99 }), "novnc.vmid: must be a Proxmox guest id 100-999999999, got 99"],
  [
    "a novnc listener that is a name",
    () => renderNovncUnit({ ...neve.novnc, listenAddress: "neve" } as NovncUnitModel),
    'novnc.listenAddress: "neve" is not an IPv4 address',
  ],
  ["a public raw VNC display", () => renderNovncUnit({ ...neve.novnc, vncAddress: "0.0.0.0" }), 'novnc.vncAddress: "0.0.0.0" is not loopback'],
  ["a VNC display on the web port", () => renderNovncUnit({ ...neve.novnc, vncDisplay: 181 }), "novnc.listenPort: 6081 is the VNC display's own port"],
  [
    "a vmName with a newline (would inject unit lines)",
    () => renderNovncUnit({ ...neve.novnc, vmName: "etoile\nExecStartPre=/bin/rm" }),
    "novnc.vmName: must be one line of text",
  ],
  [
    "a socat target that is a name",
    () => renderSocatForwardUnit({ ...neve.spiceproxySocat, targetHost: "localhost" } as SocatForwardUnitModel),
    'socat.targetHost: "localhost" is not an IPv4 or IPv6 address',
  ],
  [
    "a socat After= that is not a unit",
    () => renderSocatForwardUnit({ ...neve.spiceproxySocat, after: ["spiceproxy"] }),
    'socat.after[0]: must be a unit name such as "spiceproxy.service", got "spiceproxy"',
  ],
  ["a relative websockify", () => renderNovncUnit({ ...neve.novnc, websockify: "websockify" }), "novnc.websockify: must be an absolute path"],
  [
    "a calendar with a % specifier",
    () => renderFixPveCertsUnits({ onCalendar: "%H" }),
    'fixPveCerts.onCalendar: must be one line of text without control characters, "%" or "\\"',
  ],
  [
    "a NAT loader table with a dash",
    () => renderNatLoaderUnit({ table: "neve-nat" }),
    'natLoader.table: must be a table name of a-z, 0-9 and "_" starting with a letter, got "neve-nat"',
  ],
  ["a cloudflared unit without tunnel id", () => renderCloudflaredUnit({ tunnelId: "" }), 'cloudflaredUnit.tunnelId: must be the tunnel\'s UUID, got ""'],
])("unit model with %s", (_name, render, message) => {
  it("must be refused with an error naming the field", () => {
    expect(render).toThrow(message);
  });
});

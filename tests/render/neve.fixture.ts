// neve's real values (see the inventory), expressed as render models. The lead's components map the
// stack config onto these same shapes; here they pin what the host must get.
import type {
  CloudflaredModel,
  DnsmasqModel,
  FixPveCertsModel,
  HaproxyModel,
  NatModel,
  NovncUnitModel,
  SocatForwardUnitModel,
  SysctlForwardingModel,
} from "../../stacks/render";
import { FUSE_UNCONFINED_RAW_LINES } from "../../stacks/render";

export const TUNNEL_ID = "464de2f3-7058-4a1f-9f93-ae8425f0ffbe";

export const haproxy: HaproxyModel = {
  tlsBinds: [
    { address: "0.0.0.0", port: 443 },
    { address: "::", port: 443 },
  ],
  httpBinds: [
    { address: "0.0.0.0", port: 80 },
    { address: "::", port: 80 },
  ],
  stats: { address: "127.0.0.1", port: 8404, path: "/stats" },
  routes: [{ hostname: "cipher.wenzelarifiandi.com", backendAddress: "10.10.10.90", tlsPort: 443, httpPort: 80 }],
};

export const cloudflared: CloudflaredModel = {
  tunnelId: TUNNEL_ID,
  ingress: [{ hostname: "neve.wenzelarifiandi.com", service: "https://127.0.0.1:8006", noTLSVerify: true }],
};

export const dnsmasq: DnsmasqModel = {
  interface: "vmbr1",
  exceptInterfaces: ["lo", "vmbr0", "tailscale0"],
  subnet: "10.10.10.0/24",
  router: "10.10.10.1",
  dhcpRange: { start: "10.10.10.100", end: "10.10.10.200" },
  leaseTime: "12h",
};

export const novnc: NovncUnitModel = {
  vmid: 1201,
  vmName: "etoile",
  listenAddress: "0.0.0.0",
  listenPort: 6081,
  vncDisplay: 81,
};

export const spiceproxySocat: SocatForwardUnitModel = {
  description: "SPICE proxy relay: 61001 -> 127.0.0.1:3128",
  listenPort: 61001,
  targetHost: "127.0.0.1",
  targetPort: 3128,
  after: ["spiceproxy.service"],
};

export const fixPveCerts: FixPveCertsModel = { onCalendar: "monthly" };

export const sysctl: SysctlForwardingModel = { ipv4Forwarding: true, ipv6Forwarding: true };

export const nat: NatModel = { rules: [{ source: "10.10.10.0/24", outInterface: "vmbr0" }] };

export const luneRawLines = FUSE_UNCONFINED_RAW_LINES;

/** A 201.conf as Proxmox writes it: description, keys, raw lines, a snapshot with its own raw lines. */
export const lune201Conf = `#lune%3A media and FUSE mounts
arch: amd64
cores: 2
features: fuse=1,nesting=1
hostname: lune
memory: 4096
net0: name=eth0,bridge=vmbr1,gw=10.10.10.1,hwaddr=BC:24:11:5A:0C:01,ip=10.10.10.50/24,type=veth
onboot: 1
ostype: ubuntu
parent: before-fuse
rootfs: vmdata:subvol-201-disk-0,size=32G
swap: 512
lxc.apparmor.profile: unconfined
lxc.cgroup2.devices.allow: c 10:229 rwm
lxc.mount.entry: /dev/fuse dev/fuse none bind,create=file 0 0

[before-fuse]
arch: amd64
cores: 2
hostname: lune
memory: 2048
net0: name=eth0,bridge=vmbr1,gw=10.10.10.1,hwaddr=BC:24:11:5A:0C:01,ip=10.10.10.50/24,type=veth
ostype: ubuntu
rootfs: vmdata:subvol-201-disk-0,size=32G
snaptime: 1727000000
swap: 512
lxc.apparmor.profile: generated
`;

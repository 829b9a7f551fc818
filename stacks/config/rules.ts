import * as ipaddr from "ipaddr.js";
import type { StackConfig } from "./stack";
import type { ConfigIssue } from "./errors";
import { isAddressOrCidr } from "./common";
import {
  formatRange,
  ipv4InCidr,
  ipv4InRange,
  ipv4NetworkOf,
  ipv4ToNumber,
  ipv6InCidr,
  lowestFree,
  prefixLength,
  rangesOverlap,
  sameIpv6,
} from "./ipplan";

/**
 * Cross-field rules of the stack config (the schema checks each field alone). Every issue names
 * the field path and the fix. Returns an empty list when the config is consistent.
 */
export function checkRules(c: StackConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const plan = c.network.ipv4;
  const bridges = Object.keys(c.network.bridges);
  const guestNames = Object.keys(c.guests);

  // --- IP plan -------------------------------------------------------------------------------
  const subnetNet = ipv4NetworkOf(plan.subnet);
  if (subnetNet !== plan.subnet) {
    add("network.ipv4.subnet", `${plan.subnet} is not a network address; write ${subnetNet}`);
  }
  const planBridge = c.network.bridges[plan.bridge];
  if (!planBridge) {
    add("network.ipv4.bridge", `unknown bridge "${plan.bridge}"; use one of ${bridges.join(", ")}`);
  } else if (planBridge.ipv4 === "dhcp" || planBridge.ipv4 !== `${plan.gateway}/${prefixLength(plan.subnet)}`) {
    add(
      `network.bridges.${plan.bridge}.ipv4`,
      `is ${planBridge.ipv4} but the IP plan's gateway is ${plan.gateway} in ${plan.subnet}; set it to ${plan.gateway}/${prefixLength(plan.subnet)}`,
    );
  }
  const inSubnet = (a: string) => ipv4InCidr(a, plan.subnet);
  if (!inSubnet(plan.gateway)) add("network.ipv4.gateway", `${plan.gateway} lies outside the subnet ${plan.subnet}; pick an address inside it`);

  const ranges: { path: string; range: { start: string; end: string } }[] = [
    { path: "network.ipv4.dhcpRange", range: plan.dhcpRange },
    { path: "network.ipv4.cloneRange", range: plan.cloneRange },
    ...plan.reserved.map((r, i) => ({ path: `network.ipv4.reserved[${i}]`, range: r })),
  ];
  for (const { path, range } of ranges) {
    if (!inSubnet(range.start) || !inSubnet(range.end)) {
      add(path, `${formatRange(range)} is not inside the subnet ${plan.subnet}; keep both ends inside it`);
    } else if (ipv4ToNumber(range.start) > ipv4ToNumber(range.end)) {
      add(path, `starts after it ends (${formatRange(range)}); swap start and end`);
    }
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (rangesOverlap(ranges[i].range, ranges[j].range)) {
        add(ranges[j].path, `${formatRange(ranges[j].range)} overlaps ${ranges[i].path} ${formatRange(ranges[i].range)}; ranges must be disjoint`);
      }
    }
  }
  if (inSubnet(plan.gateway) && ipv4InRange(plan.gateway, plan.dhcpRange)) {
    add("network.ipv4.gateway", `${plan.gateway} lies in the DHCP range ${formatRange(plan.dhcpRange)}; move the gateway or the range`);
  }
  plan.unmanaged.forEach((u, i) => {
    if (!inSubnet(u.address)) add(`network.ipv4.unmanaged[${i}].address`, `${u.address} lies outside the subnet ${plan.subnet}`);
  });
  const v6 = c.network.ipv6;
  if (v6 && !ipv6InCidr(v6.gateway, v6.prefix)) {
    add("network.ipv6.gateway", `${v6.gateway} lies outside the prefix ${v6.prefix}; pick an address inside it`);
  }
  if (!ipv4InCidr(c.network.tailnet.hostAddress, c.network.tailnet.cidr)) {
    add("network.tailnet.hostAddress", `${c.network.tailnet.hostAddress} lies outside the tailnet ${c.network.tailnet.cidr}`);
  }

  // --- Guests --------------------------------------------------------------------------------
  // Addresses already held, for the duplicate rule: the gateway and the unmanaged holders first.
  const heldV4 = new Map<number, string>([[ipv4ToNumber(plan.gateway), "network.ipv4.gateway"]]);
  plan.unmanaged.forEach((u, i) => {
    const n = ipv4ToNumber(u.address);
    const prev = heldV4.get(n);
    if (prev) add(`network.ipv4.unmanaged[${i}].address`, `${u.address} is already used by ${prev}; an address may be used only once`);
    else heldV4.set(n, `network.ipv4.unmanaged[${i}] (${u.holder})`);
  });
  const heldV6: { addr: string; path: string }[] = v6 ? [{ addr: v6.gateway, path: "network.ipv6.gateway" }] : [];
  const vmids = new Map<number, string>();
  // Suggest the next free clone address in messages: everything statically held counts.
  const staticV4 = [
    plan.gateway,
    ...plan.unmanaged.map((u) => u.address),
    ...Object.values(c.guests).filter((g) => !g.template && g.ipv4).map((g) => g.ipv4 as string),
  ];
  const nextClone = lowestFree(plan.cloneRange, staticV4);
  const cloneHint = nextClone ? `next free: ${nextClone}` : "the range is full";

  for (const [name, g] of Object.entries(c.guests)) {
    const at = `guests.${name}`;
    const prevId = vmids.get(g.vmid);
    if (prevId) add(`${at}.vmid`, `${g.vmid} is already used by guests.${prevId}; every guest needs its own Proxmox id`);
    else vmids.set(g.vmid, name);

    const bridge = c.network.bridges[g.bridge];
    if (!bridge) add(`${at}.bridge`, `unknown bridge "${g.bridge}"; use one of ${bridges.join(", ")}`);

    if (g.kind === "vm" && g.clone) {
      const src = c.guests[g.clone.from];
      if (!src) add(`${at}.clone.from`, `unknown guest "${g.clone.from}"; name a template of guests (${templateNames(c).join(", ") || "none defined"})`);
      else if (src.kind !== "vm" || !src.template) add(`${at}.clone.from`, `"${g.clone.from}" is not a VM template; name one of ${templateNames(c).join(", ") || "(none defined)"}`);
    }
    if (g.template && g.running) add(`${at}.running`, "a template cannot run; set running: false");

    if (g.ipv4) {
      const a = g.ipv4;
      if (g.bridge !== plan.bridge) {
        add(`${at}.ipv4`, `${a} is set but ${g.bridge} has no IPv4 plan (only ${plan.bridge} does); remove ipv4 (the guest uses DHCP) or move the guest to ${plan.bridge}`);
      } else if (!inSubnet(a)) {
        add(`${at}.ipv4`, `${a} lies outside the subnet ${plan.subnet}; pick an address inside it`);
      } else if (a === ipaddr.IPv4.networkAddressFromCIDR(plan.subnet).toString() || a === ipaddr.IPv4.broadcastAddressFromCIDR(plan.subnet).toString()) {
        add(`${at}.ipv4`, `${a} is the network or broadcast address of ${plan.subnet}; pick a host address`);
      } else if (ipv4InRange(a, plan.dhcpRange)) {
        add(
          `${at}.ipv4`,
          `${a} lies in the DHCP range ${formatRange(plan.dhcpRange)}; pick a free address in ${formatRange(plan.cloneRange)} (${cloneHint}) or another static address outside the DHCP range`,
        );
      } else if (g.kind === "vm" && g.clone && !g.clone.outsideCloneRange && !ipv4InRange(a, plan.cloneRange)) {
        add(
          `${at}.ipv4`,
          `${a} is outside the clone range ${formatRange(plan.cloneRange)} though the VM is a clone of ${g.clone.from}; use the next free address there (${cloneHint}) or set ${at}.clone.outsideCloneRange: true for a deliberate exception`,
        );
      } else if (!g.template && !(g.kind === "vm" && g.clone) && ipv4InRange(a, plan.cloneRange)) {
        add(`${at}.ipv4`, `${a} lies in the clone range ${formatRange(plan.cloneRange)}, which is kept for template clones; pick a static address outside it and outside the DHCP range`);
      } else if (!g.template) {
        // Templates only carry a cloud-init placeholder that every clone overrides: not a holder.
        const n = ipv4ToNumber(a);
        const prev = heldV4.get(n);
        if (prev) add(`${at}.ipv4`, `${a} is already used by ${prev}; an address may be used only once (${cloneHint} in the clone range)`);
        else heldV4.set(n, `guests.${name}`);
      }
    }
    if (g.ipv6) {
      if (!v6) add(`${at}.ipv6`, "is set but network.ipv6 is not defined; add network.ipv6.prefix and gateway");
      else if (!ipv6InCidr(g.ipv6, v6.prefix)) add(`${at}.ipv6`, `${g.ipv6} lies outside the prefix ${v6.prefix}; pick an address inside it`);
      else {
        const prev = heldV6.find((h) => sameIpv6(h.addr, g.ipv6 as string));
        if (prev) add(`${at}.ipv6`, `${g.ipv6} is already used by ${prev.path}; an address may be used only once`);
        else heldV6.push({ addr: g.ipv6, path: `guests.${name}` });
      }
    }
    if (g.kind === "vm" && g.cloudInit && !g.ipv4 && !g.template) {
      add(`${at}.ipv4`, `is required with cloudInit: true (ipconfig0 gets a static address); use ${cloneHint}`);
    }
  }

  // --- Storage -------------------------------------------------------------------------------
  for (const [id, s] of Object.entries(c.storage)) {
    if (s.type === "pbs" && !isAddressOrCidr(s.server)) {
      const g = c.guests[s.server];
      if (!g) add(`storage.${id}.server`, `"${s.server}" is neither an IP address nor a known guest; write the PBS address or a guest name (${guestNames.join(", ")})`);
      else if (!g.ipv4) add(`storage.${id}.server`, `guest "${s.server}" has no static IPv4; give it one or write the address`);
    }
  }

  // --- Routes --------------------------------------------------------------------------------
  const hostnames = new Map<string, string>();
  c.routes.forEach((r, i) => {
    const at = `routes[${i}]`;
    const h = r.hostname.toLowerCase();
    if (hostnames.has(h)) add(`${at}.hostname`, `${r.hostname} is already routed by ${hostnames.get(h)}; each public hostname routes to one place`);
    else hostnames.set(h, at);
    const g = c.guests[r.guest];
    if (!g) add(`${at}.guest`, `unknown guest "${r.guest}"; route to one of ${guestNames.join(", ")}`);
    else if (g.template) add(`${at}.guest`, `"${r.guest}" is a template and never runs; route to a running guest`);
    else if (!g.ipv4) add(`${at}.guest`, `"${r.guest}" has no static IPv4 on ${plan.bridge}; the edge proxy needs a fixed address, give the guest an ipv4`);
    if (r.http === undefined && r.https === undefined) add(at, "routes neither http nor https; set http: 80 and/or https: 443 (the guest's ports)");
  });

  // --- Tunnel --------------------------------------------------------------------------------
  const knownAddresses = new Set<string>(["127.0.0.1", "::1", "localhost", plan.gateway, c.network.tailnet.hostAddress]);
  for (const g of Object.values(c.guests)) if (g.ipv4 && !g.template) knownAddresses.add(g.ipv4);
  c.tunnel.ingress.forEach((t, i) => {
    const at = `tunnel.ingress[${i}]`;
    const h = t.hostname.toLowerCase();
    if (hostnames.has(h)) add(`${at}.hostname`, `${t.hostname} is already routed by ${hostnames.get(h)}; each public hostname routes to one place`);
    else hostnames.set(h, at);
    const host = new URL(t.service).hostname.replace(/^\[|\]$/g, "");
    if (!knownAddresses.has(host)) {
      add(`${at}.service`, `${t.service} points at ${host}, which is neither the host (127.0.0.1, ${plan.gateway}) nor a guest's address; fix the address`);
    }
  });

  // --- Firewall ------------------------------------------------------------------------------
  const apiPort = c.firewall.apiPort;
  c.firewall.rules.forEach((r, i) => {
    const at = `firewall.rules[${i}]`;
    for (const field of ["source", "dest"] as const) {
      const v = r[field];
      if (v !== undefined && !isAddressOrCidr(v) && !c.guests[v]) {
        add(`${at}.${field}`, `"${v}" is neither an address/CIDR nor a known guest; write an address or one of ${guestNames.join(", ")}`);
      } else if (v !== undefined && c.guests[v] && !c.guests[v].ipv4) {
        add(`${at}.${field}`, `guest "${v}" has no static IPv4 to match on; write an address instead`);
      }
    }
    if (r.iface !== undefined && !c.network.bridges[r.iface]) {
      add(`${at}.iface`, `unknown interface "${r.iface}"; use one of ${bridges.join(", ")} or omit iface`);
    }
    if (r.action === "ACCEPT" && r.dports.includes(apiPort)) {
      const open = r.source === undefined || r.source === "0.0.0.0/0" || r.source === "::/0";
      const publicIface = r.iface !== undefined && c.network.bridges[r.iface]?.public;
      if (open || publicIface) {
        add(
          at,
          `opens the Proxmox API port ${apiPort} ${publicIface ? `on the public bridge ${r.iface}` : "to any source"}; restrict source to the tailnet (${c.network.tailnet.cidr})`,
        );
      }
    }
  });

  // --- Backups -------------------------------------------------------------------------------
  for (const [id, j] of Object.entries(c.backups)) {
    const at = `backups.${id}`;
    const s = c.storage[j.storage];
    if (!s) add(`${at}.storage`, `unknown storage "${j.storage}"; use one of ${Object.keys(c.storage).join(", ")}`);
    else if (!s.contents.includes("backup")) add(`${at}.storage`, `storage "${j.storage}" does not hold backup content; add "backup" to storage.${j.storage}.contents or pick another storage`);
    const seen = new Set<string>();
    j.guests.forEach((name, k) => {
      if (!c.guests[name]) add(`${at}.guests[${k}]`, `unknown guest "${name}"; use one of ${guestNames.join(", ")}`);
      if (seen.has(name)) add(`${at}.guests[${k}]`, `"${name}" is listed twice; list each guest once`);
      seen.add(name);
    });
  }

  // --- Host services -------------------------------------------------------------------------
  const hs = c.hostServices;
  if (hs.enabled) {
    c.routes.forEach((r, i) => {
      for (const key of ["http", "https"] as const) {
        if (r[key] === undefined) {
          add(`routes[${i}].${key}`, `is required while hostServices.enabled: the haproxy edge proxy routes both ports of a hostname; set the guest's ${key === "http" ? "HTTP port (80)" : "TLS port (443)"}`);
        }
      }
    });
  }
  // Ports the host's own services listen on must not collide with each other or with sshd, the
  // public edge proxy and the Proxmox API.
  const taken = new Map<number, string>([
    [22, "sshd"],
    [80, "the public HTTP frontend"],
    [443, "the public TLS frontend"],
    [apiPort, "the Proxmox API"],
    [3128, "the Proxmox SPICE proxy"],
  ]);
  const claim = (path: string, port: number) => {
    const holder = taken.get(port);
    if (holder) add(path, `port ${port} is already used by ${holder}; pick a free port`);
    else taken.set(port, path);
  };
  claim("hostServices.haproxy.statsPort", hs.haproxy.statsPort);
  hs.novnc.forEach((n, i) => {
    const at = `hostServices.novnc[${i}]`;
    const g = c.guests[n.guest];
    if (!g) add(`${at}.guest`, `unknown guest "${n.guest}"; use one of the VMs: ${guestNames.filter((k) => c.guests[k].kind === "vm").join(", ")}`);
    else if (g.kind !== "vm") add(`${at}.guest`, `"${n.guest}" is a container; noVNC consoles are for QEMU VMs`);
    claim(`${at}.port`, n.port);
  });
  if (hs.spiceProxy) claim("hostServices.spiceProxy.port", hs.spiceProxy.port);

  return issues;
}

function templateNames(c: StackConfig): string[] {
  return Object.entries(c.guests)
    .filter(([, g]) => g.kind === "vm" && g.template)
    .map(([n]) => n);
}

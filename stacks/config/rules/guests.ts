import * as ipaddr from "ipaddr.js";
import { canonicalMac, dhcpReservationProblem } from "../../common/dnsmasqDirectives";
import { formatRange, ipv4InCidr, ipv4InRange, ipv4ToNumber, ipv6InCidr } from "../ipplan";
import { once, type SectionRules, templateNames } from "./types";

/** Guests: unique ids, known bridges and templates, addresses inside the plan and used once. */
export const guestRules: SectionRules = (c, add, { cloneHint, nextClone }) => {
  const plan = c.network.ipv4;
  const v6 = c.network.ipv6;
  const bridges = Object.keys(c.network.bridges);
  const inSubnet = (a: string) => ipv4InCidr(a, plan.subnet);
  // Addresses already held, for the duplicate rule: the gateway and the unmanaged holders first.
  const heldV4 = new Map<number, string>([[ipv4ToNumber(plan.gateway), "network.ipv4.gateway"]]);
  plan.unmanaged.forEach((u, i) => {
    const n = ipv4ToNumber(u.address);
    const prev = heldV4.get(n);
    if (prev) add(`network.ipv4.unmanaged[${i}].address`, `${u.address} is already used by ${prev}; an address may be used only once`);
    else heldV4.set(n, `network.ipv4.unmanaged[${i}] (${u.holder})`);
  });
  // Keyed by the normalized form, so any two notations of one address meet (and a lookup is not a scan).
  const v6Key = (a: string) => ipaddr.IPv6.parse(a).toNormalizedString();
  const heldV6 = new Map<string, string>(v6 ? [[v6Key(v6.gateway), "network.ipv6.gateway"]] : []);
  const templateList = once(() => templateNames(c).join(", "));
  const vmids = new Map<number, string>();
  const macs = new Map<string, string>();

  for (const [name, g] of Object.entries(c.guests)) {
    const at = `guests.${name}`;
    const prevId = vmids.get(g.vmid);
    if (prevId) add(`${at}.vmid`, `${g.vmid} is already used by guests.${prevId}; every guest needs its own Proxmox id`);
    else vmids.set(g.vmid, name);

    if (!c.network.bridges[g.bridge]) add(`${at}.bridge`, `unknown bridge "${g.bridge}"; use one of ${bridges.join(", ")}`);

    if (g.kind === "vm" && g.clone) {
      const src = c.guests[g.clone.from];
      if (!src) add(`${at}.clone.from`, `unknown guest "${g.clone.from}"; name a template of guests (${templateList() || "none defined"})`);
      else if (src.kind !== "vm" || !src.template)
        add(`${at}.clone.from`, `"${g.clone.from}" is not a VM template; name one of ${templateList() || "(none defined)"}`);
    }
    if (g.template && g.running) add(`${at}.running`, "a template cannot run; set running: false");

    if (g.ipv4) {
      const a = g.ipv4;
      if (g.bridge !== plan.bridge) {
        add(
          `${at}.ipv4`,
          `${a} is set but ${g.bridge} has no IPv4 plan (only ${plan.bridge} does); remove ipv4 (the guest uses DHCP) or move the guest to ${plan.bridge}`,
        );
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
        add(
          `${at}.ipv4`,
          `${a} lies in the clone range ${formatRange(plan.cloneRange)}, which is kept for template clones; pick a static address outside it and outside the DHCP range`,
        );
      } else if (!g.template) {
        // Templates only carry a cloud-init placeholder that every clone overrides: not a holder.
        const n = ipv4ToNumber(a);
        const prev = heldV4.get(n);
        if (prev) add(`${at}.ipv4`, `${a} is already used by ${prev}; an address may be used only once (${cloneHint})`);
        else heldV4.set(n, `guests.${name}`);
      }
    }
    if (g.ipv6 && g.ipv6Mode) add(`${at}.ipv6Mode`, `is ${g.ipv6Mode} but ipv6 states the address ${g.ipv6}; state one of them`);
    if (g.ipv6) {
      if (!v6) add(`${at}.ipv6`, "is set but network.ipv6 is not defined; add network.ipv6.prefix and gateway");
      else if (!ipv6InCidr(g.ipv6, v6.prefix)) add(`${at}.ipv6`, `${g.ipv6} lies outside the prefix ${v6.prefix}; pick an address inside it`);
      else {
        const key = v6Key(g.ipv6);
        const prev = heldV6.get(key);
        if (prev) add(`${at}.ipv6`, `${g.ipv6} is already used by ${prev}; an address may be used only once`);
        else heldV6.set(key, `guests.${name}`);
      }
    }
    if (g.mac !== undefined) {
      const prev = macs.get(canonicalMac(g.mac));
      if (prev) add(`${at}.mac`, `${g.mac} is already the MAC of ${prev}; every guest's NIC has its own MAC`);
      else macs.set(canonicalMac(g.mac), `guests.${name}`);
    }
    if (g.dhcpReserved !== undefined) {
      const r = g.dhcpReserved;
      if (g.mac === undefined)
        add(
          `${at}.mac`,
          `is required with dhcpReserved (dnsmasq reserves ${r} for this MAC); copy it from net0 of the guest's config (qm config / pct config ${g.vmid})`,
        );
      if (g.template) add(`${at}.dhcpReserved`, "a template never runs; reserve addresses for its clones instead");
      else if (g.bridge !== plan.bridge)
        add(`${at}.dhcpReserved`, `${r} is reserved, but ${g.bridge} is not served by dnsmasq (only ${plan.bridge} is); move the guest or remove dhcpReserved`);
      else if (g.ipv4 !== undefined && g.ipv4 !== r)
        add(
          `${at}.dhcpReserved`,
          `${r} differs from ipv4 ${g.ipv4}; a guest has one address: make them equal, or remove ipv4 (the guest then takes ${r} by DHCP)`,
        );
      else {
        const p = dhcpReservationProblem(r, { subnet: plan.subnet, router: plan.gateway, dhcpRange: plan.dhcpRange });
        if (p !== null) add(`${at}.dhcpReserved`, p);
        else if (g.ipv4 === undefined) {
          const n = ipv4ToNumber(r);
          const prev = heldV4.get(n);
          if (prev) add(`${at}.dhcpReserved`, `${r} is already used by ${prev}; an address may be used only once (${cloneHint})`);
          else heldV4.set(n, `guests.${name}.dhcpReserved`);
        }
      }
    }
    if (g.kind === "vm" && g.cloudInit && !g.ipv4 && !g.template) {
      const fix = nextClone
        ? `use ${nextClone}, the next free address of the clone range`
        : "the clone range is full: widen network.ipv4.cloneRange or free an address there";
      add(`${at}.ipv4`, `is required with cloudInit: true (ipconfig0 gets a static address); ${fix}`);
    }
  }
};

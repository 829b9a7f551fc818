import * as pulumi from "@pulumi/pulumi";
import type { CtModel, NeveModel, VmModel } from "../../config";
import type { ConfigIssue } from "../../config/errors";
import { guestHostname, rootOnlyFeatures } from "../../config/guests";
import type { CoverageTable } from "./coverage";
import { PROVIDER_BEHAVIOUR } from "./coverage";
import { type ProxmoxContext, proxmoxResourceOptions } from "./options";
import * as proxmoxve from "./sdk";

const ROOT_ONLY = "only the user root@pam itself may change it (pve-container check_ct_modify_config_perm refuses an API token); never sent, so never removed";
const NOT_IN_STACK = "not part of the stack vocabulary: ignored so the first `up` never resets a live value to the provider's default";

/**
 * Container fields the program never changes: creation-only blocks (OS template, root disk, first
 * login), values the provider reads back differently after import (MAC), root@pam-only settings and
 * settings outside the stack vocabulary. Explained in docs/discover.md.
 */
const CT_IGNORE_CHANGES: readonly string[] = [
  "operatingSystem",
  "disk",
  "mountPoints",
  "devicePassthroughs",
  "hookScriptFileId",
  "clone",
  "console",
  "cpu.architecture",
  "cpu.limit",
  "cpu.units",
  "initialization.userAccount",
  "networkInterfaces[0].macAddress",
  "networkInterfaces[0].enabled",
  "networkInterfaces[0].hostManaged",
  "protection",
  "startup",
  "waitForIp",
];

/** ignoreChanges of one container: {@link CT_IGNORE_CHANGES} plus its root@pam-only features. */
export function ctIgnoreChanges(g: CtModel): string[] {
  return [...CT_IGNORE_CHANGES, ...rootOnlyFeatures(g.unprivileged).map((f) => `features.${f === "mount" ? "mounts" : f}`)];
}

/** How {@link ctArgs} covers every defaulted input of `proxmoxve.ContainerLegacy` (see coverage.ts). */
export const CT_INPUT_COVERAGE: CoverageTable = {
  clone: { ignored: "only matters when the container is created" },
  console: { ignored: NOT_IN_STACK },
  "cpu.architecture": { ignored: "set when the container is created from its template" },
  "cpu.cores": { stack: "cores" },
  "cpu.limit": { ignored: NOT_IN_STACK },
  "cpu.units": { ignored: NOT_IN_STACK },
  description: { stack: "description" },
  devicePassthroughs: { ignored: ROOT_ONLY },
  disk: { ignored: "the root disk exists; only matters at creation" },
  "features.fuse": { ignored: ROOT_ONLY },
  "features.keyctl": { ignored: ROOT_ONLY },
  "features.mknod": { ignored: ROOT_ONLY },
  "features.mounts": { ignored: ROOT_ONLY },
  // Unprivileged containers: declared; privileged ones: root-only and ignored (ctIgnoreChanges).
  "features.nesting": { stack: "features.nesting" },
  hookScriptFileId: { ignored: ROOT_ONLY },
  "memory.dedicated": { stack: "memoryMiB" },
  "memory.swap": { stack: "swapMiB" },
  mountPoints: { ignored: "existing volumes; bind mounts are root@pam-only" },
  "networkInterfaces[].bridge": { stack: "bridge" },
  "networkInterfaces[].enabled": { ignored: "deprecated switch of the provider; the interface exists" },
  "networkInterfaces[].firewall": { stack: "firewall" },
  "networkInterfaces[].hostManaged": { ignored: "Proxmox VE 9.1+ only; neve runs 8.3" },
  operatingSystem: {
    ignored:
      "the block needs the creation template (templateFileId), which an adopted container no longer has; ostype is recorded as osType and compared by discover --check",
  },
  protection: { ignored: "Proxmox's protection flag is not part of the stack vocabulary (Pulumi's protect guards running guests)" },
  startOnBoot: { stack: "onBoot" },
  started: { stack: "running" },
  startup: { ignored: NOT_IN_STACK },
  tags: { stack: "tags" },
  template: { stack: "template" },
  timeoutClone: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutCreate: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutDelete: { behaviour: PROVIDER_BEHAVIOUR },
  timeoutUpdate: { behaviour: PROVIDER_BEHAVIOUR },
  unprivileged: { stack: "unprivileged" },
  waitForIp: { ignored: "what the provider waits for after start, not stored on the host" },
};

/** The IPv6 of a guest's first interface: its address with the plan's gateway, or `auto`/`dhcp` (ipv6Mode), or none. */
export function ipv6Config(g: CtModel | VmModel, model: NeveModel): { address: string; gateway?: string } | undefined {
  if (g.ipv6Cidr && model.network.ipv6) return { address: g.ipv6Cidr, gateway: model.network.ipv6.gateway };
  return g.ipv6Mode ? { address: g.ipv6Mode } : undefined;
}

/**
 * A container stated `cores: all` (no `cores` key on the host: every host core) cannot be declared: bpg's
 * container resource has no "unset" for cores. Its schema defaults `cpu.cores` to 1, its read turns an
 * absent key into 1, and its create and every update of the cpu block send `cores` (never a delete)
 * (bpg/terraform-provider-proxmox@d6bd1ffe00c0 proxmoxtf/resource/container/container.go: `dvCPUCores = 1`,
 * `mkCPUCores` `Default: dvCPUCores`, containerRead `cpu[mkCPUCores] = 1` when CPUCores is nil,
 * containerUpdate `updateBody.CPUCores = &cpuCores`). So the first change would cap the container at 1
 * core: refused before any resource is declared (exit 2), one issue per such container. Pure.
 */
export function ctCoresIssues(model: NeveModel): ConfigIssue[] {
  return model.guests
    .filter((g): g is CtModel => g.kind === "ct" && g.cores === "all")
    .map((g) => ({
      path: `guests.${g.name}.cores`,
      message:
        "is all (every host core, as the container has no cores key), which the provider cannot keep: it sends cores 1 when unset and never deletes the key; " +
        `state a number of cores (to keep today's share, the host's core count: pct set ${g.vmid} --cores N, then npm run discover -- --write), ` +
        "or leave the guest out of guests (adoption.unmanaged.guests)",
    }));
}

/** The inputs of one container; unstated fields are not sent (the provider's default applies). Pure. */
export function ctArgs(g: CtModel, model: NeveModel, nodeName: string): proxmoxve.ContainerLegacyArgs {
  const plan = model.network.ipv4;
  const f = g.features;
  const hasFeatures = Object.values(f).some((v) => v !== undefined);
  return {
    nodeName,
    vmId: g.vmid,
    description: g.description,
    template: g.template,
    started: g.template ? false : g.running,
    startOnBoot: g.onBoot ?? g.running,
    unprivileged: g.unprivileged,
    memory: { dedicated: g.memoryMiB, swap: g.swapMiB },
    // `all` never reaches here: the program refuses it first (ctCoresIssues).
    cpu: typeof g.cores === "number" ? { cores: g.cores } : undefined,
    tags: g.tags.length ? [...g.tags] : undefined,
    features: hasFeatures ? { nesting: f.nesting, keyctl: f.keyctl, fuse: f.fuse, mknod: f.mknod, mounts: f.mount ? [...f.mount] : undefined } : undefined,
    networkInterfaces: [{ name: "eth0", bridge: g.bridge, firewall: g.firewall }],
    operatingSystem: g.osTemplate ? { templateFileId: g.osTemplate, type: g.osType } : undefined,
    initialization: {
      hostname: guestHostname(g),
      // Unstated: none (bpg's update then removes a live nameserver/searchdomain; discover --check counts it).
      dns: g.nameserver?.length || g.searchdomain ? { servers: g.nameserver?.length ? [...g.nameserver] : undefined, domain: g.searchdomain } : undefined,
      ipConfigs: [
        {
          ipv4: g.ipv4Cidr ? { address: g.ipv4Cidr, gateway: plan.gateway } : { address: "dhcp" },
          ipv6: ipv6Config(g, model),
        },
      ],
    },
  };
}

/** Arguments of {@link LxcGuest}. */
export interface LxcGuestArgs {
  /** The container. */
  readonly guest: CtModel;
  /** The whole model (IP plan gateway). */
  readonly model: NeveModel;
  /** Provider, node and live objects. */
  readonly ctx: ProxmoxContext;
}

/**
 * One LXC container (`proxmoxve.ContainerLegacy`, the provider's only container resource). Child: `${name}-ct`.
 * Raw `lxc.*` lines (rawLxc) are not API settings; the host-config resources push them over SSH.
 */
export class LxcGuest extends pulumi.ComponentResource {
  /** The container resource. */
  public readonly container: proxmoxve.ContainerLegacy;

  constructor(name: string, args: LxcGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("neve:guests:Container", name, {}, opts);
    const { guest: g, model, ctx } = args;
    this.container = new proxmoxve.ContainerLegacy(
      `${name}-ct`,
      ctArgs(g, model, ctx.nodeName),
      proxmoxResourceOptions(this, ctx, {
        importId: `${ctx.nodeName}/${g.vmid}`,
        object: { kind: "guest", vmid: g.vmid },
        protect: g.protect,
        ignoreChanges: ctIgnoreChanges(g),
        guest: { kind: "ct", restartOnUpdate: g.restartOnUpdate, template: g.template },
      }),
    );
    this.registerOutputs({ vmId: this.container.vmId });
  }
}

/**
 * Host files that `discover --write` reads into the stack file: for each managed file with a reader
 * (haproxy.cfg, the dnsmasq drop-in, the noVNC units, the certificate fix-up unit and timer, /etc/network/interfaces, cluster.fw and host.fw), what the live file states in the
 * stack's vocabulary ({@link stateHostFiles}); then, against the render of the written stack file, every
 * live directive that still could not be stated ({@link unstatedHostFiles}), so nothing is dropped silently.
 */
import { declaredServices, type HostServiceKind } from "../../components/host/registry";
import type { NeveModel } from "../../config/model";
import type { HostFileFacts } from "../facts";
import { dnsmasqMeaningDiff, stateDnsmasq } from "./dnsmasq";
import { firewallMeaningDiff } from "./firewall";
import { haproxyMeaningDiff, type Statement, stateHaproxy } from "./haproxy";
import { interfacesMeaningDiff } from "./interfaces";
import { fixPveCertsMeaningDiff, novncMeaningDiff, stateFixPveCerts, stateNovnc } from "./units";

export type { Statement } from "./haproxy";

/** A reader of one service file role: what it states, and what still differs in meaning after. */
interface Reader {
  /** Statements for the live text; `at` is the instance's stack section (e.g. `hostServices.novnc[0]`). */
  state(live: string, model: NeveModel, at: string): Statement[];
  /** Differences in meaning, live vs rendered, one line each. */
  diff(live: string, rendered: string): string[];
}

const READERS: Partial<Record<HostServiceKind, Partial<Record<string, Reader>>>> = {
  haproxy: { config: { state: (t, m) => stateHaproxy(t, m), diff: haproxyMeaningDiff } },
  dnsmasq: { config: { state: (t, m) => stateDnsmasq(t, m), diff: dnsmasqMeaningDiff } },
  // The bridges are stated by discover's read of the network files (network.bridges); the diff closes the world.
  "network-interfaces": { config: { state: () => [], diff: interfacesMeaningDiff } },
  // The firewall is stated by discover's firewall read (neve-infra:firewall); the diff compares both files by meaning.
  "pve-firewall": { config: { state: () => [], diff: firewallMeaningDiff }, hostRules: { state: () => [], diff: firewallMeaningDiff } },
  novnc: { unit: { state: stateNovnc, diff: novncMeaningDiff } },
  "fix-pve-certs": {
    unit: { state: (t, m) => stateFixPveCerts(t, m, "service"), diff: (a, b) => fixPveCertsMeaningDiff(a, b, "service") },
    timer: { state: (t, m) => stateFixPveCerts(t, m, "timer"), diff: (a, b) => fixPveCertsMeaningDiff(a, b, "timer") },
  },
};

interface ReadFile {
  readonly path: string;
  readonly at: string;
  readonly reader: Reader;
  readonly render: () => string;
}

function readFiles(model: NeveModel): ReadFile[] {
  if (!model.hostServices.enabled) return [];
  const out: ReadFile[] = [];
  for (const s of declaredServices(model)) {
    for (const f of s.spec.files) {
      const reader = READERS[s.kind]?.[f.role];
      if (reader && !f.secret) out.push({ path: f.path, at: s.instance.at, reader, render: () => s.render(f.role) });
    }
  }
  return out;
}

/** Paths discover --write reads (non-secret managed files with a reader). */
export function hostFilePaths(model: NeveModel): string[] {
  return readFiles(model).map((f) => f.path);
}

/** What the live files state, for the stack file; files absent or unread state nothing. */
export function stateHostFiles(model: NeveModel, files: Readonly<Record<string, HostFileFacts>>): Statement[] {
  return readFiles(model).flatMap((f) => {
    const live = files[f.path];
    return live?.kind === "file" && live.content !== undefined ? f.reader.state(live.content, model, f.at) : [];
  });
}

/** For each read file, the live directives the render of `model` would still drop or change: `path: line`. */
export function unstatedHostFiles(model: NeveModel, files: Readonly<Record<string, HostFileFacts>>): string[] {
  return readFiles(model).flatMap((f) => {
    const live = files[f.path];
    if (live?.kind !== "file" || live.content === undefined) return [];
    let rendered: string;
    try {
      rendered = f.render();
    } catch (e) {
      return [`${f.path}: the written stack file does not render it: ${(e as Error).message}`];
    }
    return f.reader.diff(live.content, rendered).map((l) => `${f.path}: ${l}`);
  });
}

/**
 * For `--check`: the difference in meaning between a live managed file and its declared content, by the
 * reader of that path (undefined for a path no reader knows: it is compared by content alone).
 */
export function meaningDiffOf(model: NeveModel): (path: string, live: string, declared: string) => readonly string[] | undefined {
  const byPath = new Map(readFiles(model).map((f) => [f.path, f.reader]));
  return (path, live, declared) => byPath.get(path)?.diff(live, declared);
}

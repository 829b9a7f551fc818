// Stack configs with an adoption record, as `npm run discover -- --write` would leave them.
import { adoptionFingerprint, adoptionScopeOf, parseStackConfig } from "../../../stacks/config";
import { FIXTURE_STACK_FILE, type Raw, rawConfig } from "../../support/stacks";

/** The objects of docs/neve.md that exist on neve (what discover would record as `adoption.live`). */
export const NEVE_LIVE = {
  guests: [1200, 1201, 9000, 9100, 200, 201],
  storage: ["local", "vmdata", "etoile"],
  bridges: ["vmbr0", "vmbr1"],
  jobs: [] as string[],
  firewall: true,
};

/**
 * A stack file's `neve-infra:` sections (keys without namespace), deep-copied. Defaults to the frozen
 * fixture, which has no adoption record (as the real file has none until discover --write ran).
 */
export function stackSections(file: string = FIXTURE_STACK_FILE): Raw {
  return rawConfig(file);
}

/** `sections` with `adoption` set to `live` and the fingerprint that matches these sections. */
export function reconciled(sections: Raw, live: Raw = NEVE_LIVE, acknowledge: string[] = []): Raw {
  const out = structuredClone(sections);
  out.adoption = { live, acknowledge };
  out.adoption.reconciled = adoptionFingerprint(adoptionScopeOf(parseStackConfig(out)));
  return out;
}

/** A clone of template 9000 added today (not on the host yet): the `import=neve/9107` case. */
export const NEW_CLONE = {
  vmid: 9107,
  kind: "vm",
  running: true,
  os: "ubuntu",
  memoryMiB: 2048,
  bridge: "vmbr1",
  ipv4: "10.10.10.93",
  cloudInit: true,
  clone: { from: "ubuntu-2404-template" },
};

import { preflightHostServices } from "../../stacks/components/host/preflight";
import type { NeveModel } from "../../stacks/config/model";
import { loadModelFromFile } from "./stackFile";

/**
 * Everything `npm run plan` checks before the mock run, the way the program does: the stack file
 * (schema, rules, no plain-text secrets), then the host resources' renderers, the invariants across
 * them and each dynamic provider's own `check`. Throws ConfigError naming stack-file fields.
 */
export function checkStackFile(file: string): NeveModel {
  const model = loadModelFromFile(file);
  preflightHostServices(model);
  return model;
}

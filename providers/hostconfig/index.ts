export { HostConfig } from "./resource";
export type { HostConfigArgs, HostConfigConnectionArgs, HostConfigFileArgs } from "./resource";
export type { FileState, OnDelete, AccessCritical, ConnectionInputs, HostConfigInputs, HostConfigOutputs } from "./types";
export { DEFAULTS as HOST_CONFIG_DEFAULTS } from "./check";

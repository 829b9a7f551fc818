export { DEFAULTS as HOST_CONFIG_DEFAULTS } from "./check";
export type { HostConfigArgs, HostConfigConnectionArgs, HostConfigFileArgs } from "./resource";
export { HostConfig } from "./resource";
export type { AccessCritical, ConnectionInputs, FileState, HostConfigInputs, HostConfigOutputs, OnDelete } from "./types";

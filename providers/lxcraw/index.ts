export { LXC_RAW_DEFAULTS, rawLineProblem } from "./check";
export type { LxcRawConfigArgs } from "./resource";
export { LxcRawConfig } from "./resource";
export type { LxcRawConfigInputs, LxcRawConfigOutputs, LxcRawOnDelete } from "./types";

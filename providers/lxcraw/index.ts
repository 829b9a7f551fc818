export { LxcRawConfig } from "./resource";
export type { LxcRawConfigArgs } from "./resource";
export type { LxcRawConfigInputs, LxcRawConfigOutputs, LxcRawOnDelete } from "./types";
export { LXC_RAW_DEFAULTS, rawLineProblem } from "./check";

export { shellQuote, shellJoin } from "./quote";
export { parseHostKeyPin, fingerprintOf, keyTypeOf } from "./hostkey";
export type { HostKeyPin } from "./hostkey";
export { connect, exec, run, close, describeTarget, describeConnectError } from "./client";
export type { SshTarget, SshSession, ExecResult, ExecOptions, ExecAnswer } from "./client";
export { withConnection, withFreshConnection, poolKey, poolStats, closePool } from "./pool";
export type { PoolStats } from "./pool";

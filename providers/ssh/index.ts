export { shellQuote, shellJoin } from "./quote";
export { parseHostKeyPin, fingerprintOf, keyTypeOf } from "./hostkey";
export type { HostKeyPin } from "./hostkey";
export { connect, exec, close, describeTarget, describeConnectError, partialStdoutOf } from "./client";
export type { SshTarget, SshSession, ExecResult, ExecOptions, ExecAnswer } from "./client";
export { withConnection, withFreshConnection, poolKey, MAX_CHANNELS } from "./pool";
export { SSH_TIMEOUT_DEFAULTS, timeoutsOf } from "./timeouts";
export type { SshTimeouts } from "./timeouts";

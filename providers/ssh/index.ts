export type { ExecAnswer, ExecOptions, ExecResult, SshSession, SshTarget } from "./client";
export { close, connect, describeConnectError, describeTarget, EXEC_STDOUT_LIMIT, exec, formatBytes, isOutputLimitError, partialStdoutOf } from "./client";
export type { HostKeyPin } from "./hostkey";
export { fingerprintOf, keyTypeOf, parseHostKeyPin } from "./hostkey";
export { MAX_CHANNELS, poolKey, withConnection, withFreshConnection } from "./pool";
export { shellJoin, shellQuote } from "./quote";
export { openSshSocket, SSH_SOCKET, startSsh } from "./socket";
export type { SshTimeouts } from "./timeouts";
export { SSH_TIMEOUT_DEFAULTS, timeoutsOf } from "./timeouts";

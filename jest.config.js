/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests", "<rootDir>/stacks", "<rootDir>/providers"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking runs once in `npm run typecheck`; jest only transpiles, with the same transpile
    // as `npm run plan` and `pulumi up` (scripts/lib/transpile.js), so `__provider` is the same text.
    "^.+\\.ts$": "<rootDir>/scripts/lib/jestTransform.js",
  },
  // Coverage instrumentation would be copied into every serialized dynamic provider (__provider).
  collectCoverage: false,
  // A bound for a hang, never a condition: every test waits for the event it needs. Generous, because the suite
  // must pass beside a second full run of itself on a loaded 2-core machine (a host test's pushes then take seconds).
  testTimeout: 180000,
  // One worker, recycled once it holds more than this after a test file: one process running every suite
  // in band grows to about 13 GB (each file's module registry stays), and two full runs side by side then
  // exhaust a 24 GiB machine. jest runs in a worker even at --maxWorkers=1 when this is set
  // (@jest/core testSchedulerHelper shouldRunInBand, 29.7.0).
  workerIdleMemoryLimit: "2GB",
};

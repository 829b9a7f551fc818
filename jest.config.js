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
  testTimeout: 60000,
};

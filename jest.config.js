/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests", "<rootDir>/stacks", "<rootDir>/providers"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking runs once in `npm run typecheck`; jest only transpiles.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  // Coverage instrumentation would be copied into every serialized dynamic provider (__provider).
  collectCoverage: false,
  testTimeout: 60000,
};

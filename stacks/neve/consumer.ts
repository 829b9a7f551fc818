// The package's public entry for consumer stacks: `import { neveOutputs } from "neve-infra/outputs"`.
// package.json maps the subpath "./outputs" (its `exports`) to this module compiled to JavaScript with its
// declarations (`npm run build:consumer`, into dist/consumer/, the only directory the package ships): a
// consumer gets the outputs contract as .d.ts and the one helper as .js, never this repository's sources.
export * from "./outputs";
export * from "./reference";

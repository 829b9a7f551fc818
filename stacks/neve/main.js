// @ts-check
/**
 * The entry point `pulumi preview`/`up` runs (Pulumi.yaml `main`, with `typescript: false`): it
 * installs this project's TypeScript loader (scripts/register.js: a cached ts.transpileModule with
 * tsconfig.json, the same JavaScript that ts-node --transpile-only produces, plus Node's compile
 * cache) and then loads the program, whose exports are the stack outputs. The Node language host
 * starts `@pulumi/pulumi/cmd/run` with this file in this directory; tests/unit/cmd-run.test.ts
 * does the same with a resource monitor of its own.
 */
require("../../scripts/register.js");
module.exports = require("./index.ts");

// @ts-check
/**
 * The entry point `pulumi preview`/`up` runs (Pulumi.yaml `main`, with `typescript: false`): it
 * installs this project's TypeScript loader (scripts/register.js: a cached ts.transpileModule with
 * tsconfig.json, the same JavaScript that ts-node --transpile-only produces, plus Node's compile
 * cache), checks the Pulumi CLI's version (./requirements.ts: older engines can delete an adopted
 * guest) and only then loads the program, whose exports are the stack outputs. The Node language
 * host starts `@pulumi/pulumi/cmd/run` with this file in this directory; cmd/run calls the exported
 * function and awaits it. tests/unit/cmd-run.test.ts does the same with a resource monitor of its own.
 */
require("../../scripts/register.js");
const { requirePulumiCli } = require("./requirements.ts");
const { enforceDeploymentRules } = require("../guards/deployment.ts");

module.exports = async () => {
  await requirePulumiCli();
  // The procedure's rules a real run enforces before it declares anything (docs/adopting.md §13).
  await enforceDeploymentRules();
  return require("./index.ts");
};

// @ts-check
/**
 * The program a `pulumi up` of the bench's push would evaluate: the four HostConfig resources of bench/set.ts
 * against the target in NEVE_BENCH_TARGET (JSON of a BenchTarget; the key is the test host's throwaway client key,
 * wrapped as a Pulumi secret). Entry of `@pulumi/pulumi/cmd/run` in bench/push.ts's whole-run figures, loaded the
 * way stacks/neve/main.js loads the real program (scripts/register.js, then TypeScript).
 */
require("../scripts/register.js");

module.exports = async () => {
  const pulumi = require("@pulumi/pulumi");
  const { HostConfig } = require("../providers/hostconfig");
  const { benchSet, hostConfigArgs } = require("./set.ts");
  const target = JSON.parse(process.env.NEVE_BENCH_TARGET ?? "");
  for (const r of benchSet(target.address, 0)) new HostConfig(r.name, hostConfigArgs(target, r, pulumi.secret));
};

// @ts-check
/**
 * `node --require tests/unit/support/inspectorProbe.js ...`: counts the inspector sessions that
 * enabled V8's debugger, which Pulumi's closure serializer does before it serializes anything
 * (@pulumi/pulumi runtime/closure/v8Hooks.js), and prints `inspector-probe: debugger-enabled=<n>`
 * on stderr at exit. Nothing else in the program uses the inspector, so 0 means no closure was
 * serialized in that process.
 */
const inspector = require("node:inspector");

let enabled = 0;
const post = inspector.Session.prototype.post;
/** @type {any} */ (inspector.Session.prototype).post = function (/** @type {any[]} */ ...args) {
  if (args[0] === "Debugger.enable") enabled++;
  return /** @type {any} */ (post).apply(this, args);
};
process.on("exit", () => process.stderr.write(`inspector-probe: debugger-enabled=${enabled}\n`));

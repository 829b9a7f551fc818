// @ts-check
/**
 * `node --require ./scripts/register.js program.ts`: runs this project's TypeScript the fast way.
 * Used by every npm script that runs TypeScript, and by `pulumi preview`/`up` through
 * stacks/neve/main.js. It
 * - transpiles `.ts` files with scripts/lib/transpile.js (ts.transpileModule with tsconfig.json,
 *   cached on disk: the same JavaScript as ts-node --transpile-only, without its start-up cost);
 * - turns on Node's module compile cache (V8 code cache on disk, Node >= 22.1), which makes the
 *   second and later loads of @pulumi/pulumi, TypeScript and the provider SDK cheaper.
 *
 * Every module carries its source map inline. Under `@pulumi/pulumi/cmd/run` (pulumi preview/up),
 * which installs source-map-support, stack traces therefore name the .ts lines, as they did with
 * Pulumi's ts-node. `npm run plan` leaves mapping off (`node --enable-source-maps` turns it on):
 * @pulumi/pulumi captures a stack trace for every promise it makes (runtime/debuggable.js), and
 * mapping them costs about 0.3 s per plan.
 */
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { transpile, withInlineMap, REPO_ROOT } = require("./lib/transpile");

// Node >= 22.1; `NODE_COMPILE_CACHE` (if set) wins. https://nodejs.org/api/module.html#moduleenablecompilecachedirectory
if (typeof Module.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  Module.enableCompileCache(path.join(REPO_ROOT, "node_modules", ".cache", "node-compile-cache"));
}

/** @type {any} */
const extensions = Module._extensions;
extensions[".ts"] = function loadTypeScript(/** @type {any} */ module, /** @type {string} */ filename) {
  const result = transpile(fs.readFileSync(filename, "utf8"), filename);
  module._compile(withInlineMap(result), filename);
};

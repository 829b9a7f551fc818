// @ts-check
/**
 * `node --require ./scripts/register.js program.ts`: runs this project's TypeScript the fast way.
 * Used by every npm script that runs TypeScript and by `pulumi up`/`preview` (Pulumi.yaml
 * `nodeargs`). It
 * - transpiles `.ts` files with scripts/lib/transpile.js (ts.transpileModule with tsconfig.json,
 *   cached on disk: the same JavaScript as ts-node --transpile-only, without its start-up cost);
 * - turns on Node's module compile cache (V8 code cache on disk, Node >= 22.1), which makes the
 *   second and later loads of @pulumi/pulumi, TypeScript and the provider SDK cheaper;
 * Each module carries its source map inline, but Node's source-map support stays off unless asked for
 * (`NODE_OPTIONS=--enable-source-maps`): @pulumi/pulumi formats a stack trace for every promise it
 * makes (runtime/debuggable.js), and mapping those costs about 0.3 s per run of this program.
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
  const source = fs.readFileSync(filename, "utf8");
  module._compile(withInlineMap(transpile(source, filename)), filename);
};

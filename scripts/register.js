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
const { cacheDirTrust, reportBypass } = require("../providers/common/cacheTrust");
const { transpile, withInlineMap, REPO_ROOT } = require("./lib/transpile");

// Node >= 22.1; `NODE_COMPILE_CACHE` (if set) wins. https://nodejs.org/api/module.html#moduleenablecompilecachedirectory
// Its directory is held to the rule of the other caches (providers/common/cacheTrust.js); Node checks
// its entries against the source itself.
if (typeof Module.enableCompileCache === "function" && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  const dir = path.join(REPO_ROOT, "node_modules", ".cache", "node-compile-cache");
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // A read-only tree: Node's own attempt fails quietly too.
  }
  const t = cacheDirTrust(dir);
  if (t.ok) Module.enableCompileCache(dir);
  else reportBypass("compile cache", dir, t.absent ? "cannot be created" : t.why, "compiling afresh (NODE_DISABLE_COMPILE_CACHE=1 turns it off)");
}

/** @type {any} */
const extensions = Module._extensions;
extensions[".ts"] = function loadTypeScript(/** @type {any} */ module, /** @type {string} */ filename) {
  const result = transpile(fs.readFileSync(filename, "utf8"), filename);
  module._compile(withInlineMap(result), filename);
};

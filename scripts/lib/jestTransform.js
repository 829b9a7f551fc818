// @ts-check
/**
 * Jest's TypeScript transform: scripts/lib/transpile.js, the same transpile as `npm run plan` and
 * `pulumi up` (scripts/register.js), so the tests see the same JavaScript, and the same serialized
 * dynamic providers (`__provider`), as the real runs. Jest keeps its own cache; the key covers the
 * source, the file, tsconfig.json and the TypeScript version.
 */
const { transpileUncached, cacheKey } = require("./transpile");

module.exports = {
  /** @param {string} source @param {string} filename */
  process(source, filename) {
    const { code, map } = transpileUncached(source, filename);
    return { code, map };
  },
  /** @param {string} source @param {string} filename */
  getCacheKey(source, filename) {
    return cacheKey(source, filename);
  },
};

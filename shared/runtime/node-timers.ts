/**
 * What the bundles get for `node:timers` (serverless.yml `custom.esbuild.alias`): Node's timer
 * functions are the globals, so this module hands out the same functions without loading the
 * built-in module at every cold start (@middy/core imports `setTimeout` from it; about 0.5 ms of
 * each import, `npm run bench -- bundles`). A name not exported here fails the build, never a
 * call. Only the bundles use it; tests and the local engine load the real module.
 */
export const { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate } =
  globalThis;

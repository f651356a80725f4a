/**
 * Node built-ins a module needs only in some calls, loaded on first use rather than at import.
 *
 * esbuild hoists every static `import ... from 'node:x'` to the top of a function's ESM bundle,
 * even from a module that is itself imported lazily, so Node loads the built-in before any of the
 * function's code runs: `node:crypto` alone costs several milliseconds of each cold start (about
 * as much as an empty handler's whole import), `node:net` a few. `process.getBuiltinModule` loads
 * the same module synchronously when first called (Node 20.16+/22.3+; nodejs22.x on Lambda), and
 * after that costs a property lookup. `npm run bench -- bundles` lists the built-ins each function
 * still loads at import.
 */
export const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

export const nodeNet = (): typeof import('node:net') => process.getBuiltinModule('node:net');

// index.cjs — the CommonJS entry of the npm package. The implementation is
// the ES module beside it (js/runtime/index.mjs); since load() is async anyway, it is
// imported on first use, so `require('wasync')` works in Node 18+ without
// require(esm).
//
//   const { load } = require('wasync');
//   const app = await load((await import('./app.mjs')).default);
'use strict';

let impl;
function implementation() {
  if (!impl) impl = import('./index.mjs');
  return impl;
}

/**
 * Instantiates a module built by `wasync build` (its default export, the
 * factory) and resolves with the app: main(), cwrap(), ccall(), tasks().
 * @param {(opts: object) => Promise<object>} factory
 * @param {object} [opts]
 */
async function load(factory, opts) {
  return (await implementation()).load(factory, opts);
}

module.exports = { load, default: load };

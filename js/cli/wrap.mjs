// wrap.mjs — turns Emscripten's MODULARIZE (CommonJS-style) output into one
// ES module that works in Node (ESM) and browsers, the same way for every
// supported release (3.1.6 … 6.0). EXPORT_ES6 is not used: in 3.1.6 it
// references __dirname under Node and dies in an ES module.
//
// The generated module:
//  - default-exports an async factory (the one load() takes). In Node it reads
//    the .wasm beside it and passes wasmBinary (3.1.6's loader would call
//    fetch() on a file path and fail); in browsers it locates the .wasm
//    relative to the module's URL, which bundlers understand.
//  - under Node, gives the C program the process's environment (getenv sees
//    process.env; wasm/host/js/env.js).
//  - run directly (`node app.mjs args`, also through a symlink), runs the
//    program's entry (main or wa_main)
//    with argv[0] the module's path as node got it (or the name `wasync run`
//    passes in WASYNC_ARGV0) and exits with its status.
//  - built with a backend whose async imports are WebAssembly.Suspending
//    (its manifest, wasm/backend/<name>.json: JSPI's): fails at once where
//    the engine lacks JSPI, and wraps those imports in
//    WebAssembly.Suspending, by their JS function names, which survive the
//    minified import names of release builds (the backend's suspending
//    table and the host's async imports: suspendingPattern).
//  - built with --backend=auto: holds one Emscripten glue per backend, each
//    with its own .wasm, and picks JSPI where the engine runs it (a probe:
//    a two-function module suspends once), else Asyncify; a backend asked
//    for (load(f, { backend }), which passes options.wasyncBackend, or
//    WASYNC_BACKEND for a program run directly) is used or refused with one
//    sentence. The chosen one is options.wasyncBackend on the module.
//  - built with `--threads` (one backend): fails at once without
//    SharedArrayBuffer (a page that is not cross-origin isolated), sizes the
//    pool (Module.wasyncThreads: load()'s threads option, else --threads=N,
//    else the machine's parallelism) and points Emscripten's pthread Workers
//    at <name>.worker.cjs, the glue as a classic script (js/cli/build.mjs,
//    threadWorkerScript).

import { asyncImports } from './crossings.mjs';

/**
 * The JS function names of the imports a JSPI build wraps in
 * WebAssembly.Suspending, as a regular expression's source: library
 * functions (`_name`) and WA_ASYNC_JS's (`wa__ajs__<name>`).
 */
export function suspendingPattern(backend) {
  const alts = asyncImports({ backend }).map((n) => (n.endsWith('*') ? `${n.slice(0, -1)}.*` : `_${n}`));
  return `^(${alts.join('|')})$`;
}

/** The engines that have JSPI, for the sentences below. */
const JSPI_ENGINES = 'engines with it are Node.js 24 and later, Chrome and Chromium 137 and later, Firefox 153 and later ' +
  '(Debian\'s firefox-esr too), Safari 27 and WebKitGTK 2.54 and later, not Node.js 20 or WebKitGTK 2.50';

/** What a JSPI build says where the engine cannot run it. */
export const jspiMissing = (backend) => `wasync: this module was built with --backend=${backend} and needs WebAssembly ` +
  `JavaScript Promise Integration (WebAssembly.Suspending), which this engine lacks: ${JSPI_ENGINES}; or rebuild with the default backend (Asyncify).`;
export const JSPI_MISSING = jspiMissing('jspi');

/** What a --backend=auto module says when the JSPI backend is asked for where the engine lacks JSPI. */
export const JSPI_FORCED_MISSING = 'wasync: the jspi backend was asked for (load(f, { backend: \'jspi\' }) or WASYNC_BACKEND=jspi), ' +
  `but this engine lacks WebAssembly JavaScript Promise Integration (WebAssembly.Suspending): ${JSPI_ENGINES}; ` +
  'leave the backend out and this module runs on Asyncify here.';

/** What a module says when asked for a backend it was not built with (`built`: the ones it has). */
export const backendNotBuilt = (asked, built) => `wasync: the ${asked} backend was asked for, but this module was built with ` +
  `--backend=${built.join(' ')} only; build it with --backend=auto to have both, or leave the backend out.`;

/** What a module says when asked for a backend that does not exist. */
export const backendUnknown = (asked) => `wasync: unknown backend ${JSON.stringify(asked)}: ask for 'asyncify', 'jspi' or 'auto' ` +
  '(the default: JSPI where the engine has it, else Asyncify)';

/**
 * The bytes of a module that imports one function and exports one calling
 * it: (module (import "m" "f" (func (result i32))) (func (export "g")
 * (result i32) call 0)). The JSPI probe wraps the import in Suspending.
 */
const PROBE_WASM = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 2, 7, 1, 1, 109, 1, 102, 0, 0,
  3, 2, 1, 0, 7, 5, 1, 1, 103, 0, 1, 10, 6, 1, 4, 0, 16, 0, 11];

/** What a `--threads` module says where it cannot run. */
export const THREADS_MISSING = 'wasync: this module was built with --threads and needs SharedArrayBuffer, which ' +
  'this page or engine does not offer: serve the page cross-origin isolated (the headers ' +
  '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"), or rebuild without --threads.';

/**
 * A --threads build's glue, made to name its pool Workers' script: under
 * Node the glue takes it from __filename (the factory's parameter); in a
 * page, releases after 3.1.x take it from the document's current script,
 * which an ES module does not have, so that one reading becomes
 * __wasyncScript. (3.1.x asks locateFile for its own worker script.)
 */
export function threadsGlue(glue) {
  return glue.replace(/var _scriptName\s*=\s*(?:globalThis\.document\?\.currentScript\?\.src|typeof document\s*!==?\s*["']undefined["']\s*\?\s*document\.currentScript\?\.src\s*:\s*undefined)\s*;/,
    'var _scriptName = __wasyncScript;');
}

/**
 * The module text of a built module: an Emscripten glue per backend
 * (variants: [{ backend, glue, wasmName, suspending }], the default backend
 * first) under one default-exported factory. threads: `--threads`'s value
 * (0: off), workerName: the pool Workers' script (one variant then).
 * @param {{backend: string, glue: string, wasmName: string, suspending?: boolean}[]} variants
 * @param {{exportName: string, threads?: number|string, workerName?: string|null}} o
 */
export function wrapModule(variants, { exportName, threads = 0, workerName = null }) {
  const table = variants.map((v) => `  ${JSON.stringify(v.backend)}: {
    wasmName: ${JSON.stringify(v.wasmName)},
    stackLimitsExport: ${JSON.stringify(stackLimitsExport(v.glue))},
    jspi: ${!!v.suspending},
    suspending: new RegExp(${JSON.stringify(v.suspending ? suspendingPattern(v.backend) : '^$')}),
    missing: ${JSON.stringify(v.suspending ? jspiMissing(v.backend) : null)},
    url: () => new URL(${JSON.stringify(`./${v.wasmName}`)}, import.meta.url).href,
    factory: ${factoryName(v.backend)},
  },`).join('\n');
  return `// Generated by wasync build. Do not edit.
// The backends this module was built for, the default first, each with:
// its .wasm; the wasm export of __set_stack_limits (minified in release
// builds); whether it runs on JSPI, and then the JS functions behind the
// imports that suspend a task and what it says where the engine lacks
// JSPI; the .wasm's URL, a literal new URL('<name>.wasm',
// import.meta.url), which bundlers (Vite, webpack, Rollup) recognise and
// emit as an asset; its Emscripten glue.
const BUILT = {
${table}
};
const JSPI_FORCED_MISSING = ${JSON.stringify(JSPI_FORCED_MISSING)};
const IS_NODE = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';
// --threads: 0 (a plain build), 'auto' or the pool's size; the pool Workers' script.
const THREADS = ${JSON.stringify(threads || 0)};
const THREADS_MISSING = ${JSON.stringify(THREADS_MISSING)};
const WORKER_NAME = ${JSON.stringify(workerName)};
// The worker script Emscripten 3.1.x asks locateFile for (its own name for it).
const EMSCRIPTEN_WORKER = ${JSON.stringify(variants[0].wasmName.replace(/\.wasm$/, '.worker.js'))};
${variants.map((v) => `
function ${factoryName(v.backend)}(require, __dirname, __filename, __wasyncScript) {
${threads ? threadsGlue(v.glue) : v.glue}
return ${exportName};
}
`).join('')}
// The pool's size where neither load() nor --threads=N said: the machine's parallelism.
async function machineThreads() {
  if (IS_NODE) {
    const os = (await nodeRequire())('os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
  }
  return (typeof navigator === 'object' && navigator.hardwareConcurrency) || 1;
}

// --threads: the checks and options the pool needs (see the top of wrap.mjs).
async function threadOptions(opts) {
  if (!THREADS) return;
  if (typeof SharedArrayBuffer !== 'function') throw wasyncError(Error, THREADS_MISSING);
  if (!(Number.isInteger(opts.wasyncThreads) && opts.wasyncThreads >= 1)) {
    opts.wasyncThreads = THREADS === 'auto' ? await machineThreads() : THREADS;
  }
  const locate = opts.locateFile;
  opts.locateFile = (name, prefix) => locate(name === EMSCRIPTEN_WORKER ? WORKER_NAME : name, prefix);
  // 3.1.x's worker script loads this (a no-op in ours, threadWorkerScript)
  // and fails on anything but a string or a Blob: in a page, without it,
  // it would get the document's current script, which a module lacks.
  if (!opts.mainScriptUrlOrBlob) opts.mainScriptUrlOrBlob = opts.locateFile(WORKER_NAME, '');
}

// Errors for the user are made here, not inside the Emscripten glue: Node
// prints the source line of an uncaught error's first frame, and the
// optimized Emscripten output is one very long line.
function wasyncError(Type, message) {
  return new Type(message);
}

async function nodeRequire() {
  const specifier = 'node:module';
  const { createRequire } = await import(/* @vite-ignore */ specifier);
  return createRequire(import.meta.url);
}

// We instantiate the wasm ourselves (instantiateWasm, which every release
// reads; 6.0.2 stopped reading wasmBinary by default): it keeps the
// instance's raw exports (3.1.6 wraps every export in JS for its own
// Asyncify runtime; the runtime puts __set_stack_limits in the table and
// must not get a wrapper) and it avoids 3.1.6's fetch() of a file path
// under Node.
// Emscripten's invoke_* trampolines (setjmp and C++ exceptions lowered
// through JS) call back into wasm: they become Suspending calls of
// wasm/backend/jspi.js's wasyncJspi.invoke, which runs the callee on a stack of its
// own, so that a task may await below them.
function suspendingImports(imports, opts, variant) {
  const out = {};
  const invoke = (sig) => function () { return opts.wasyncJspi.invoke.apply(null, [sig, ...arguments]); };
  for (const [mod, fns] of Object.entries(imports)) {
    out[mod] = Object.assign({}, fns);
    for (const [k, f] of Object.entries(fns)) {
      if (typeof f !== 'function') continue;
      if (variant.suspending.test(f.name)) out[mod][k] = new WebAssembly.Suspending(f);
      else if (/^invoke_[a-z]+$/.test(f.name)) out[mod][k] = new WebAssembly.Suspending(invoke(f.name.slice(7)));
    }
  }
  return out;
}

function instantiateWith(opts, source, variant) {
  opts.instantiateWasm = (imports, receiveInstance) => {
    if (variant.jspi) imports = suspendingImports(imports, opts, variant);
    // Streaming needs the server to send application/wasm; a server that
    // does not (a TypeError) still gets the module, compiled from bytes.
    // Emscripten 3.1.x ASan builds name C frames from the module's bytes
    // (wasm/host/js/debug.js): they are instantiated from bytes, kept.
    let bytes = typeof source === 'string' ? null : source;
    const fromBytes = () => fetch(source).then((r) => {
      if (!r.ok) throw new Error(\`HTTP \${r.status} for \${source}\`);
      return r.arrayBuffer();
    }).then((b) => WebAssembly.instantiate(bytes = new Uint8Array(b), imports));
    const ready = typeof source === 'string'
      ? (WebAssembly.instantiateStreaming && !opts.wasyncOffsetConverter
        ? WebAssembly.instantiateStreaming(fetch(source), imports).catch((e) => {
          if (e instanceof TypeError) return fromBytes();
          throw e;
        })
        : fromBytes())
      : WebAssembly.instantiate(source, imports);
    ready.then(({ instance, module }) => {
      if (opts.wasyncOffsetConverter && bytes) opts.wasyncOffsetConverter(bytes, module);
      opts.wasyncRawExports = instance.exports;
      opts.wasyncStackLimitsExport = variant.stackLimitsExport;
      receiveInstance(instance, module);
    }, (e) => {
      const err = opts.printErr || console.error;
      err(\`wasync: cannot instantiate \${variant.wasmName}: \${e && e.message || e}\`);
      if (opts.onAbort) opts.onAbort(e);
    });
    return {};
  };
}

// Whether this engine runs JSPI: WebAssembly.Suspending and promising
// exist and a tiny module really suspends through them (an engine with a
// partial or flagged implementation, or a stand-in, fails the probe).
// Settles once per realm.
let jspiProbe = null;
function engineHasJspi() {
  if (jspiProbe) return jspiProbe;
  jspiProbe = (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.Suspending !== 'function' ||
      typeof WebAssembly.promising !== 'function') return false;
    const bytes = new Uint8Array(${JSON.stringify(PROBE_WASM)});
    const f = new WebAssembly.Suspending(() => Promise.resolve(42));
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { f } });
    const p = WebAssembly.promising(exports.g)();
    // (A promise of this realm or another: jest runs modules in a vm context.)
    return !!p && typeof p.then === 'function' && (await p) === 42;
  })().catch(() => false);
  return jspiProbe;
}

// The backend to run: the one asked for (options.wasyncBackend), else JSPI
// where the engine has it and the module was built for it, else the
// default (the first built). Throws one sentence when the one asked for
// cannot run.
async function chooseBackend(asked) {
  const built = Object.keys(BUILT);
  if (asked === undefined || asked === null || asked === '' || asked === 'auto') {
    if (built.length === 1) {
      if (BUILT[built[0]].jspi && !(await engineHasJspi())) throw wasyncError(Error, BUILT[built[0]].missing);
      return built[0];
    }
    const jspi = built.find((b) => BUILT[b].jspi);
    return jspi && (await engineHasJspi()) ? jspi : built[0];
  }
  if (asked !== 'asyncify' && asked !== 'jspi') throw wasyncError(TypeError, ${JSON.stringify(backendUnknown('@@'))}.replace('"@@"', JSON.stringify(String(asked))));
  if (!BUILT[asked]) throw wasyncError(Error, ${JSON.stringify(backendNotBuilt('@@', variants.map((v) => v.backend)))}.replace('@@', asked));
  if (BUILT[asked].jspi && !(await engineHasJspi())) throw wasyncError(Error, built.length > 1 ? JSPI_FORCED_MISSING : BUILT[asked].missing);
  return asked;
}

// options.wasmBinary for the chosen backend: bytes (a module built for one
// backend, or one forced to a backend), or { asyncify, jspi } with bytes
// for each. Throws where the bytes' backend cannot be known.
function wasmBinaryFor(options, backend) {
  const given = options.wasmBinary;
  if (!given) return null;
  if (given instanceof ArrayBuffer || ArrayBuffer.isView(given)) {
    if (Object.keys(BUILT).length > 1 && (!options.wasyncBackend || options.wasyncBackend === 'auto')) {
      throw wasyncError(TypeError, 'wasync: this module was built with --backend=auto and has a .wasm per backend: ' +
        'pass wasmBinary as { asyncify: bytes, jspi: bytes }, or ask for the backend the bytes are for ' +
        '(load(f, { backend }))');
    }
    return given;
  }
  if (!given[backend]) throw wasyncError(TypeError, \`wasync: wasmBinary has no bytes for the \${backend} backend\`);
  return given[backend];
}

/** Instantiates the module. Options are Emscripten's Module options. */
export default async function createModule(options = {}) {
  const backend = await chooseBackend(options.wasyncBackend);
  const variant = BUILT[backend];
  const opts = Object.assign({}, options);
  opts.wasyncBackend = backend;
  const binary = wasmBinaryFor(options, backend);
  if (binary) opts.wasmBinary = binary;
  if (!opts.wasyncError) opts.wasyncError = wasyncError;
  if (IS_NODE) {
    const require = await nodeRequire();
    const path = require('path');
    const file = require('url').fileURLToPath(import.meta.url);
    if (!('wasyncEnv' in opts)) opts.wasyncEnv = Object.assign({}, process.env);
    // Files beside the module (--preload-file's .data) are found beside it, not in the cwd.
    if (!opts.locateFile) opts.locateFile = (name) => path.join(path.dirname(file), name);
    await threadOptions(opts);
    instantiateWith(opts, binary || require('fs').readFileSync(path.join(path.dirname(file), variant.wasmName)), variant);
    // --threads: the glue names its pool Workers' script after __filename.
    const script = THREADS ? path.join(path.dirname(file), WORKER_NAME) : file;
    return variant.factory(require, path.dirname(file), script, script)(opts);
  }
  instantiateWith(opts, binary || (opts.locateFile ? opts.locateFile(variant.wasmName, '') : variant.url()), variant);
  if (!opts.locateFile) opts.locateFile = (name) => new URL(name, import.meta.url).href;
  await threadOptions(opts);
  return variant.factory(undefined, undefined, undefined, THREADS ? opts.locateFile(WORKER_NAME, '') : undefined)(opts);
}

// A program's stdout and stderr (run directly): each line is written at
// once to fd 1 or 2, as console.log does for pipes and files. Once the
// reader is gone (EPIPE) output is dropped and the write ends the program
// with status 141 and no message, as SIGPIPE ends a native one: the thrown
// ExitStatus stops the C code (wasm/host/stdio.c, where the file system
// turns it into a failed write).
function programOutput(fs, fd, state) {
  return (line) => {
    if (state.closed) return;
    const bytes = Buffer.from(line + '\\n');
    for (let off = 0; off < bytes.length;) {
      try {
        off += fs.writeSync(fd, bytes, off, bytes.length - off);
      } catch (e) {
        if (e.code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        if (e.code !== 'EPIPE') throw e;
        state.closed = true;
        const exit = new Error('the output of the program was closed');
        exit.name = 'ExitStatus';
        exit.status = 141;
        throw exit;
      }
    }
  };
}

// Node runs a module given through a symlink under its real path
// (import.meta.url) while argv[1] keeps the link: compare real paths.
async function isMainModule() {
  if (!IS_NODE || !process.argv[1]) return false;
  try {
    const require = await nodeRequire();
    const fs = require('fs');
    const self = require('url').fileURLToPath(import.meta.url);
    return fs.realpathSync(self) === fs.realpathSync(process.argv[1]);
  } catch (e) {
    return false;
  }
}

isMainModule().then(async (main) => {
  if (!main) return;
  const args = process.argv.slice(2);
  const name = process.env.WASYNC_ARGV0 || process.argv[1];
  delete process.env.WASYNC_ARGV0;
  const fs = (await nodeRequire())('fs');
  const output = { closed: false };
  createModule({ thisProgram: name, wasyncBackend: process.env.WASYNC_BACKEND, wasyncOutput: output, print: programOutput(fs, 1, output),
    printErr: programOutput(fs, 2, output) }).then((m) => m.wasync.runProgram(args), (e) => {
    console.error(e && e.message || String(e));
    process.exit(1);
  });
});
`;
}

/** The name of a backend's Emscripten glue function in the generated module. */
const factoryName = (backend) => `emscriptenFactory_${backend.replace(/\W/g, '_')}`;

/**
 * The wasm export name of STACK_OVERFLOW_CHECK=2's __set_stack_limits.
 * Optimized links minify export names, and only the glue knows the minified
 * one: it binds `___set_stack_limits` to `Module["asm"]["X"]` (3.1.x) or
 * `wasmExports["X"]` (later releases). The unminified name when the glue
 * has no such binding.
 */
export function stackLimitsExport(glue) {
  const m = /___set_stack_limits\s*=\s*Module\[["']___set_stack_limits["']\]\s*=[^;]*?(?:Module\[["']asm["']\]|wasmExports|asm)\[["']([\w$]+)["']\]/.exec(glue);
  return m ? m[1] : '__set_stack_limits';
}

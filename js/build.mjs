// build.mjs — compiles C against the wasync runtime with emcc. The one place
// that knows the emcc flags: used by the CLI (`wasync build`, `wasync run`)
// and by the Makefile (through the CLI).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emccEnv, emccVersion, releaseLinkFlags } from './toolchain.mjs';
import { wrapModule } from './wrap.mjs';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SRC = path.join(ROOT, 'src');

export class BuildError extends Error {}

/** The stack-switching backends (src/backend/): Asyncify is the default. */
export const BACKENDS = ['asyncify', 'jspi'];

export function checkBackend(backend) {
  if (!BACKENDS.includes(backend)) {
    throw new BuildError(`wasync: unknown backend ${JSON.stringify(backend)} (choose ${BACKENDS.join(' or ')})`);
  }
  return backend;
}

/** Runtime sources (the core plus the backend and its stack-pointer helpers). */
export function runtimeSources({ backend = 'asyncify' } = {}) {
  const core = fs.readdirSync(SRC)
    .filter((f) => f.endsWith('.c') && f !== 'host_native.c')
    .map((f) => path.join(SRC, f));
  return [...core.sort(), path.join(SRC, 'backend', `${checkBackend(backend)}.c`), path.join(SRC, 'backend', 'asyncify_sp.S')];
}

function jsonList(file) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'wasm', file), 'utf8'));
}

/**
 * Flags for compiling C to wasm objects. Release objects are LLVM bitcode
 * (-flto), so that small runtime entry points such as wa_chan_send inline
 * into user code at link time. Debug builds compile user code at
 * -O1 -g: at -O0 every C temporary becomes a wasm local, and once Asyncify
 * has instrumented the function the JS engine gives each one a stack slot,
 * so recursion runs out of the engine's call stack a few hundred levels
 * deep. The runtime stays -O2 (with -g): the stack switch must not have
 * shadow-stack frames of its own, or the per-function stack checks would
 * see the scheduler's stack pointer against a task's limits.
 */
export function compileFlags({ debug = false, runtime = false } = {}) {
  return [
    // -Werror is for compiling the runtime only: passed to a link it would
    // turn the toolchain's own deprecation warnings into failed builds.
    ...(runtime ? ['-std=c11', '-Wall', '-Wextra', '-Werror'] : []),
    debug && !runtime ? '-O1' : '-O2', ...(debug ? ['-g', '-DWA_DEBUG=1'] : ['-flto']),
    '-I', SRC,
  ];
}

/**
 * Link flags. Asyncify with no async imports but the bridge's (switching is
 * done inside wasm) and a modularized CommonJS factory that wrap.mjs turns
 * into an ES module.
 *  - Release: LTO and -O3 at link time, so small await points (wa_yield,
 *    wa_chan_send) inline into their callers before Asyncify instruments
 *    them: one instrumented frame fewer per switch. Binaryen then runs -O3
 *    once more after Asyncify, which inlines its small start/stop helpers
 *    into the scheduler and the suspend primitive (about 10% off a switch).
 *    Stack overflow is caught by canaries when a task suspends or ends
 *    (src/backend/asyncify.c).
 *  - Debug (--debug): user code compiled at -O1 -g (see compileFlags), -g
 *    and -O2 at link time, and STACK_OVERFLOW_CHECK=2, which checks every
 *    function entry against the running task's stack. The link is
 *    optimized because Asyncify's output is only compact after Binaryen's
 *    optimizer has run: unoptimized, every instrumented frame is so large
 *    for the JS engine that recursion stops a few thousand levels deep.
 *    ASSERTIONS stay off: with them Binaryen's asyncify asserts trap when
 *    the in-wasm scheduler sees a task unwind (DESIGN.md).
 */
//  - JSPI (--backend=jspi): no Asyncify, so no instrumentation and no
//    extra Binaryen pass; the engine switches stacks (src/backend/jspi.c)
//    and wrap.mjs wraps the suspending imports. Works with every supported
//    Emscripten: none of its own JSPI support is used.
export function linkFlags({ debug = false, exportName = 'createWasyncModule', backend = 'asyncify' } = {}) {
  const jspi = checkBackend(backend) === 'jspi';
  const exported = [...jsonList('exports.json'), ...(jspi ? JSPI_EXPORTS : [])];
  return [
    ...(debug ? ['-O2', '-g', '-sSTACK_OVERFLOW_CHECK=2']
      : ['-O3', '-flto', '-sSTACK_OVERFLOW_CHECK=0', ...(jspi ? [] : ['-sBINARYEN_EXTRA_PASSES=-O3'])]),
    ...(jspi ? [] : ['-sASYNCIFY=1', `-sASYNCIFY_IMPORTS=${JSON.stringify(jsonList('async-imports.json'))}`]),
    '-sASSERTIONS=0',
    '-sALLOW_MEMORY_GROWTH=1',
    '-sALLOW_TABLE_GROWTH=1',
    '-sMODULARIZE=1',
    `-sEXPORT_NAME=${exportName}`,
    '-sINVOKE_RUN=0',
    // The runtime is C: Emscripten 4+ links as C++ by default, and an LTO
    // link then pulls in the C++ exceptions library and fails on one of its
    // symbols (Debian sid's emcc 6). C++ programs are linked by em++.
    '-sDEFAULT_TO_CXX=0',
    // No process-wide uncaughtException/unhandledRejection handlers, in the
    // releases that have them (toolchain.mjs).
    ...releaseLinkFlags({ debug }),
    '-sENVIRONMENT=web,worker,node',
    `-sEXPORTED_FUNCTIONS=${JSON.stringify(exported)}`,
    `-sEXPORTED_RUNTIME_METHODS=${JSON.stringify(jsonList('runtime-methods.json'))}`,
    ...jsLibraries({ backend }).flatMap((lib) => ['--js-library', lib]),
  ];
}

const JSPI_EXPORTS = ['_wa__jspi_task_entry', '_wa__jspi_defer_next', '_wa__jspi_resumed', '_wa__jspi_trapped'];

/** The --js-library files, in link order. */
export function jsLibraries({ backend = 'asyncify' } = {}) {
  return ['library_wasync.js', 'library_wasync_bridge.js', 'library_wasync_fetch.js',
    ...(backend === 'jspi' ? ['library_wasync_jspi.js'] : [])].map((f) => path.join(ROOT, 'wasm', f));
}

function run(cmd, args, { log } = {}) {
  if (log) log(`${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: emccEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      if (err.code === 'ENOENT') {
        reject(new BuildError(`wasync: ${cmd} was not found. Install Emscripten first: ` +
          `"sudo apt-get install emscripten binaryen" on Debian/Ubuntu, or the emsdk ` +
          `(https://emscripten.org/docs/getting_started/downloads.html).`));
      } else reject(err);
    });
    child.on('exit', (code) => (code === 0 ? resolve()
      : reject(new BuildError(`wasync: ${cmd} failed (exit code ${code})`))));
  });
}

/** How long a stage runs before progress() hears of it, in ms. */
export const PROGRESS_AFTER_MS = 1000;

/**
 * Runs fn(); if it is still running after PROGRESS_AFTER_MS, tells
 * progress (a function taking one line, or undefined for quiet) what it is
 * doing: one line per slow stage, nothing for fast (cached) ones.
 */
async function stage(progress, what, fn) {
  const timer = progress ? setTimeout(() => progress(`wasync: ${what}...`), PROGRESS_AFTER_MS) : null;
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
  }
}

function libPath({ debug, backend = 'asyncify' }) {
  const name = ['libwasync', ...(backend === 'asyncify' ? [] : [backend]), ...(debug ? ['debug'] : [])].join('-');
  return path.join(ROOT, 'build', 'wasm', `${name}.a`);
}

function newestMtime(files) {
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

/** Builds the runtime library if it is missing or older than its sources. */
export async function buildLib({ debug = false, backend = 'asyncify', log, progress } = {}) {
  const lib = libPath({ debug, backend: checkBackend(backend) });
  // The flags live in this file: a change to it rebuilds the library too.
  const deps = [...runtimeSources({ backend }), fileURLToPath(import.meta.url),
    ...fs.readdirSync(SRC).filter((f) => f.endsWith('.h')).map((f) => path.join(SRC, f))];
  // The lib is current if it is newer than its inputs, or if its stamp holds
  // their digest: npm install does not keep mtimes, and the package ships
  // the prebuilt lib with its stamp. Release objects are LLVM bitcode, which
  // an older LLVM cannot read, so the digest covers the emcc version too: a
  // user whose emcc differs from the packer's rebuilds from the sources.
  const stamp = `${lib}.sources`;
  const digest = () => {
    const h = createHash('sha256');
    h.update(emccVersion());
    for (const f of deps) h.update(path.basename(f)).update(fs.readFileSync(f));
    return h.digest('hex');
  };
  if (!process.env.WASYNC_FORCE_REBUILD && fs.existsSync(lib)) {
    const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
    if (fs.statSync(lib).mtimeMs >= newestMtime(deps)) {
      const d = digest();
      if (have !== d) fs.writeFileSync(stamp, d);
      return lib;
    }
    if (have === digest()) return lib;
  }
  // Built in a private folder and renamed into place, so builds running at
  // the same time (make -j, two terminals) never see a half-written lib.
  fs.mkdirSync(path.dirname(lib), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(lib), `.obj-${backend}${debug ? '-debug' : ''}-`));
  try {
    const objs = [];
    const tmpLib = path.join(work, path.basename(lib));
    await stage(progress, `compiling the runtime (${debug ? 'debug' : 'release'}, once per emcc version)`, async () => {
      for (const src of runtimeSources({ backend })) {
        const obj = path.join(work, path.basename(src).replace(/\.[cS]$/, '') + '.o');
        // Assembly takes neither a C standard nor LTO (it is already wasm).
        const flags = src.endsWith('.S') ? ['-c', '-I', SRC] : [...compileFlags({ debug, runtime: true }), '-c'];
        await run('emcc', [...flags, src, '-o', obj], { log });
        objs.push(obj);
      }
      await run('emar', ['rcs', tmpLib, ...objs], { log });
    });
    fs.writeFileSync(`${tmpLib}.sources`, digest());
    fs.renameSync(tmpLib, lib); /* then the stamp: never a new stamp on an old lib */
    fs.renameSync(`${tmpLib}.sources`, stamp);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return lib;
}

/** The TypeScript declaration of a built module (its factory's type). */
const DECLARATION = `// Generated by wasync build. Do not edit.
// The module's factory, the argument of load() from 'wasync'.
import type { ModuleFactory } from 'wasync';
declare const createModule: ModuleFactory;
export default createModule;
`;

/** Where the declaration of `out` goes: app.mjs → app.d.mts, app.js → app.d.ts. */
export function declarationPath(out) {
  return /\.mjs$/.test(out) ? out.replace(/\.mjs$/, '.d.mts') : out.replace(/\.js$/, '') + '.d.ts';
}

/**
 * Compiles user C sources into `out` (an ES module, app.mjs or app.js) plus
 * its .wasm and its TypeScript declaration (app.d.mts or app.d.ts) beside
 * it. Run directly with node, the module runs wa_main and exits with its
 * status; imported, it default-exports the factory load() takes.
 */
export async function buildProgram({ sources, out, debug = false, cflags = [], backend = 'asyncify', log, progress }) {
  if (!sources || sources.length === 0) throw new BuildError('wasync: no C sources given');
  for (const s of sources) {
    if (!fs.existsSync(s)) throw new BuildError(`wasync: ${s}: no such file`);
  }
  const lib = await buildLib({ debug, backend, log, progress });
  const outAbs = path.resolve(out);
  const base = path.basename(outAbs).replace(/\.(mjs|js)$/, '');
  const outDir = path.dirname(outAbs);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-build-'));
  try {
    const core = path.join(tmp, `${base}.cjs`);
    await stage(progress, `compiling and linking ${sources.map((f) => path.basename(f)).join(' ')}`, () =>
      run('emcc', [...compileFlags({ debug }), ...cflags, ...sources, lib, ...linkFlags({ debug, backend }), '-o', core], { log }));
    const wasmName = `${base}.wasm`;
    fs.copyFileSync(path.join(tmp, `${base}.wasm`), path.join(outDir, wasmName));
    fs.writeFileSync(outAbs, wrapModule(fs.readFileSync(core, 'utf8'), { wasmName, exportName: 'createWasyncModule', backend }));
    fs.writeFileSync(declarationPath(outAbs), DECLARATION);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return outAbs;
}

/** Where `wasync run` caches the build of a set of sources. */
export function cachedOutput(sources, { debug = false, cflags = [], backend = 'asyncify' } = {}) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ debug, backend, flags: linkFlags({ debug, backend }) }));
  for (const s of [...sources].map((x) => path.resolve(x))) {
    h.update(s);
    h.update(fs.readFileSync(s));
  }
  h.update(JSON.stringify(cflags));
  for (const f of [...runtimeSources({ backend }), ...jsLibraries({ backend })]) h.update(fs.readFileSync(f));
  const dir = path.join(os.tmpdir(), `wasync-cache-${os.userInfo().uid}`);
  return path.join(dir, `${h.digest('hex').slice(0, 16)}`, 'app.mjs');
}

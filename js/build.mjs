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

/** Runtime sources (the core plus the Asyncify backend and its stack-pointer helpers). */
export function runtimeSources() {
  const core = fs.readdirSync(SRC)
    .filter((f) => f.endsWith('.c') && f !== 'host_native.c')
    .map((f) => path.join(SRC, f));
  return [...core.sort(), path.join(SRC, 'backend', 'asyncify.c'), path.join(SRC, 'backend', 'asyncify_sp.S')];
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
 *    Stack overflow is exact, as in debug builds: STACK_OVERFLOW_CHECK=2
 *    checks every function that moves the stack pointer against the
 *    running task's stack (src/backend/asyncify.c). stackCheck: false
 *    (`--no-stack-check`) leaves it out for a measured hot path; overflow
 *    is then caught by canaries when a task suspends or ends, which can
 *    miss an overflow or end a task whose stack was big enough.
 *  - Debug (--debug): user code compiled at -O1 -g (see compileFlags), -g
 *    and -O2 at link time, and STACK_OVERFLOW_CHECK=2, which checks every
 *    function entry against the running task's stack. The link is
 *    optimized because Asyncify's output is only compact after Binaryen's
 *    optimizer has run: unoptimized, every instrumented frame is so large
 *    for the JS engine that recursion stops a few thousand levels deep.
 *    ASSERTIONS stay off: with them Binaryen's asyncify asserts trap when
 *    the in-wasm scheduler sees a task unwind (DESIGN.md).
 */
export function linkFlags({ debug = false, stackCheck = true, exportName = 'createWasyncModule' } = {}) {
  const exported = [...jsonList('exports.json')];
  const check = `-sSTACK_OVERFLOW_CHECK=${debug || stackCheck ? 2 : 0}`;
  return [
    ...(debug ? ['-O2', '-g', check] : ['-O3', '-flto', check, '-sBINARYEN_EXTRA_PASSES=-O3']),
    '-sASYNCIFY=1',
    `-sASYNCIFY_IMPORTS=${JSON.stringify(jsonList('async-imports.json'))}`,
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
    ...jsLibraries().flatMap((lib) => ['--js-library', lib]),
  ];
}

/** The --js-library files, in link order. */
export function jsLibraries() {
  return ['library_wasync.js', 'library_wasync_bridge.js', 'library_wasync_fetch.js'].map((f) => path.join(ROOT, 'wasm', f));
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

function libPath({ debug }) {
  return path.join(ROOT, 'build', 'wasm', debug ? 'libwasync-debug.a' : 'libwasync.a');
}

function newestMtime(files) {
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

/** Builds the runtime library if it is missing or older than its sources. */
export async function buildLib({ debug = false, log, progress } = {}) {
  const lib = libPath({ debug });
  // The flags live in this file: a change to it rebuilds the library too.
  const deps = [...runtimeSources(), fileURLToPath(import.meta.url),
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
  const work = fs.mkdtempSync(path.join(path.dirname(lib), debug ? '.obj-debug-' : '.obj-'));
  try {
    const objs = [];
    const tmpLib = path.join(work, path.basename(lib));
    await stage(progress, `compiling the runtime (${debug ? 'debug' : 'release'}, once per emcc version)`, async () => {
      for (const src of runtimeSources()) {
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

/** Bounds of `--stack-size` (WA_STACK_MIN in wasync.h; a quarter of wasm32). */
const STACK_SIZE_MIN = 2 * 1024;
const STACK_SIZE_MAX = 1024 * 1024 * 1024;

/**
 * Parses `--stack-size`'s value: bytes, with an optional k/K (KiB) or m/M
 * (MiB) suffix. Throws a BuildError for anything else, or for a size
 * outside [2 KiB, 1 GiB].
 */
export function parseStackSize(text) {
  const m = /^([0-9]+)([kKmM]?)$/.exec(String(text));
  if (!m) {
    throw new BuildError(`wasync: --stack-size=${text}: not a size (bytes, optionally with a k or m suffix, e.g. 65536 or 64k)`);
  }
  const n = Number(m[1]) * ({ k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()] || 1);
  if (!(n >= STACK_SIZE_MIN && n <= STACK_SIZE_MAX)) {
    throw new BuildError(`wasync: --stack-size=${text}: must be between ${STACK_SIZE_MIN} bytes (WA_STACK_MIN) and 1g`);
  }
  return n;
}

/**
 * A C file defining the program's default stack size (wa__stack_default,
 * weak in the runtime), in dir; [] when stackSize is not set.
 */
function stackSizeSource(dir, stackSize) {
  if (!stackSize) return [];
  const file = path.join(dir, 'wasync-stack-size.c');
  fs.writeFileSync(file, `#include <stddef.h>\nsize_t wa__stack_default = ${stackSize};\n`);
  return [file];
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
export async function buildProgram({ sources, out, debug = false, cflags = [], stackSize = 0, stackCheck = true, log, progress }) {
  if (!sources || sources.length === 0) throw new BuildError('wasync: no C sources given');
  for (const s of sources) {
    if (!fs.existsSync(s)) throw new BuildError(`wasync: ${s}: no such file`);
  }
  const lib = await buildLib({ debug, log, progress });
  const outAbs = path.resolve(out);
  const base = path.basename(outAbs).replace(/\.(mjs|js)$/, '');
  const outDir = path.dirname(outAbs);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-build-'));
  try {
    const core = path.join(tmp, `${base}.cjs`);
    const all = [...sources, ...stackSizeSource(tmp, stackSize)];
    await stage(progress, `compiling and linking ${sources.map((f) => path.basename(f)).join(' ')}`, () =>
      run('emcc', [...compileFlags({ debug }), ...cflags, ...all, lib, ...linkFlags({ debug, stackCheck }), '-o', core], { log }));
    const wasmName = `${base}.wasm`;
    fs.copyFileSync(path.join(tmp, `${base}.wasm`), path.join(outDir, wasmName));
    fs.writeFileSync(outAbs, wrapModule(fs.readFileSync(core, 'utf8'), { wasmName, exportName: 'createWasyncModule' }));
    fs.writeFileSync(declarationPath(outAbs), DECLARATION);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return outAbs;
}

/** Where `wasync run` caches the build of a set of sources. */
export function cachedOutput(sources, { debug = false, cflags = [], stackSize = 0, stackCheck = true } = {}) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ debug, stackSize, flags: linkFlags({ debug, stackCheck }) }));
  for (const s of [...sources].map((x) => path.resolve(x))) {
    h.update(s);
    h.update(fs.readFileSync(s));
  }
  h.update(JSON.stringify(cflags));
  for (const f of [...runtimeSources(), ...jsLibraries()]) h.update(fs.readFileSync(f));
  const dir = path.join(os.tmpdir(), `wasync-cache-${os.userInfo().uid}`);
  return path.join(dir, `${h.digest('hex').slice(0, 16)}`, 'app.mjs');
}

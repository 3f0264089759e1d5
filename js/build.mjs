// build.mjs — compiles C against the wasync runtime with emcc. The one place
// that knows the emcc flags: used by the CLI (`wasync build`, `wasync run`)
// and by the Makefile (through the CLI).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, publishDir } from './cache.mjs';
import { asyncImports, backends, defaultBackend, errorLibraryFile, exportedFunctions } from './crossings.mjs';
import { flagsFor, splitArgs } from './flags.mjs';
import { emccEnv, emccVersion, releaseLinkFlags } from './toolchain.mjs';
import { wrapModule } from './wrap.mjs';

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SRC = path.join(ROOT, 'src');

export class BuildError extends Error {}

/**
 * The stack-switching backends, one manifest each (src/backend/<name>.json,
 * js/crossings.mjs): adding a backend adds its files there and touches
 * neither the core nor the hosts. The default is the one marked default.
 */
const MANIFESTS = backends();
export const BACKENDS = Object.keys(MANIFESTS);
export const DEFAULT_BACKEND = defaultBackend();

export function checkBackend(backend) {
  if (!BACKENDS.includes(backend)) {
    throw new BuildError(`wasync: unknown backend ${JSON.stringify(backend)} (choose ${BACKENDS.join(' or ')})`);
  }
  return backend;
}

/** The manifest of a backend (src/backend/<name>.json). */
export const backendManifest = (backend) => MANIFESTS[checkBackend(backend)];

/** Runtime sources: the core (src/*.c) plus the backend's own. */
export function runtimeSources({ backend = DEFAULT_BACKEND } = {}) {
  const core = fs.readdirSync(SRC)
    .filter((f) => f.endsWith('.c'))
    .map((f) => path.join(SRC, f));
  return [...core.sort(), ...backendManifest(backend).sources.map((f) => path.join(SRC, 'backend', f))];
}

function jsonList(file) {
  return JSON.parse(fs.readFileSync(path.join(SRC, file), 'utf8'));
}

/**
 * Flags for compiling the runtime's own sources: C11, every warning an
 * error. Release objects are LLVM bitcode (-flto), so that small runtime
 * entry points such as wa_chan_send inline into user code at link time.
 * The runtime stays -O2 in debug builds too (with -g): the stack switch
 * must not have shadow-stack frames of its own, or the per-function stack
 * checks would see the scheduler's stack pointer against a task's limits.
 * Never used for user code (see userCompileFlags).
 */
export function runtimeCompileFlags({ debug = false } = {}) {
  return ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2',
    ...(debug ? ['-g', '-DWA_DEBUG=1'] : ['-flto']), '-I', SRC];
}

/**
 * wasync's defaults for compiling user code, put BEFORE the user's own
 * flags so that the user's -O, -g, -f... win (the last one counts): no
 * warning flags, no -Werror, no -std. Release: -O2 -flto (bitcode, so the
 * runtime inlines into user code at the LTO link; -fno-lto opts out).
 * Debug: -O1 -g, because at -O0 every C temporary becomes a wasm local, and
 * once Asyncify has instrumented the function the JS engine gives each one
 * a stack slot, so recursion runs out of the engine's call stack a few
 * hundred levels deep (a user's -O0 still wins). wasync's include folder
 * goes after the user's flags (see userCompileCommand), so the user's -I come first.
 */
export function userCompileFlags({ debug = false } = {}) {
  return debug ? ['-O1', '-g', '-DWA_DEBUG=1'] : ['-O2', '-flto'];
}

/** The compile command's flags for user code: defaults, the user's flags, wasync.h's folder. */
export function userCompileCommand(flags, { debug = false } = {}) {
  return [...userCompileFlags({ debug }), ...flags, '-I', SRC];
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
 *  - Debug (--debug): user code compiled at -O1 -g (see userCompileFlags), -g
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
//    Emscripten: none of its own JSPI support is used. The stack check is
//    the same (jspi.c switches its limits with each task).
export function linkFlags({ debug = false, stackCheck = true, cxx = false, exportName = 'createWasyncModule', backend = DEFAULT_BACKEND } = {}) {
  const m = backendManifest(backend);
  const exported = exportedFunctions({ backend });
  // An Emscripten setting that lists the async imports (Asyncify's), or
  // none: the engine's WebAssembly.Suspending, applied by wrap.mjs.
  const importsSetting = /^[A-Z_]+$/.test(m.asyncImports) ? [`-s${m.asyncImports}=${JSON.stringify(asyncImports({ backend }))}`] : [];
  const check = `-sSTACK_OVERFLOW_CHECK=${debug || stackCheck ? 2 : 0}`;
  return [
    // C++ links without -flto: with it emcc links the LTO build of libc++,
    // which fails on sid's emcc 6 (undefined __cxa_increment_exception_refcount).
    // The objects are bitcode all the same, so wasm-ld still optimizes the
    // runtime and user code together; only the system libraries are not.
    ...(debug ? ['-O2', '-g', check]
      : ['-O3', ...(cxx ? [] : ['-flto']), check, ...m.releaseLink]),
    ...m.link, ...importsSetting,
    '-sASSERTIONS=0',
    '-sALLOW_MEMORY_GROWTH=1',
    '-sALLOW_TABLE_GROWTH=1',
    '-sMODULARIZE=1',
    `-sEXPORT_NAME=${exportName}`,
    '-sINVOKE_RUN=0',
    // The runtime is C: Emscripten 4+ links as C++ by default, and an LTO
    // link then pulls in the C++ exceptions library and fails on one of its
    // symbols (Debian sid's emcc 6). C++ programs are linked by em++, which
    // links the C++ runtime whatever this setting says.
    '-sDEFAULT_TO_CXX=0',
    // No process-wide uncaughtException/unhandledRejection handlers, in the
    // releases that have them (toolchain.mjs).
    ...releaseLinkFlags({ debug }),
    '-sENVIRONMENT=web,worker,node',
    `-sEXPORTED_FUNCTIONS=${JSON.stringify(exported)}`,
    `-sEXPORTED_RUNTIME_METHODS=${JSON.stringify(jsonList('host/js/runtime-methods.json'))}`,
    ...jsLibraries({ backend }).flatMap((lib) => ['--js-library', lib]),
  ];
}

/**
 * The --js-library files, in link order: the error constants generated from
 * the C tables (js/crossings.mjs), the JS host (src/host/js/), then the
 * backend's JS half (src/backend/<backend>.js, with stack.js, which both
 * wasm backends share).
 */
export function jsLibraries({ backend = DEFAULT_BACKEND } = {}) {
  return [errorLibraryFile(), ...['host/js/host.js', 'host/js/js.js', 'host/js/fetch.js', 'host/js/env.js',
    ...backendManifest(backend).js.map((f) => `backend/${f}`)].map((f) => path.join(SRC, f))];
}

/** Runs a tool; rejects with a BuildError carrying the tool's exit code. */
export function run(cmd, args, { log, stdin = 'ignore' } = {}) {
  if (log) log(`${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: emccEnv(), stdio: [stdin, 'inherit', 'inherit'] });
    child.on('error', (err) => {
      if (err.code === 'ENOENT') {
        reject(new BuildError(`wasync: ${cmd} was not found. Install Emscripten first: ` +
          `"sudo apt-get install emscripten binaryen" on Debian/Ubuntu, or the emsdk ` +
          `(https://emscripten.org/docs/getting_started/downloads.html).`));
      } else reject(err);
    });
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      const e = new BuildError(`wasync: ${cmd} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`);
      e.exitCode = code || 1;
      reject(e);
    });
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

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const libName = ({ debug, backend = DEFAULT_BACKEND }) =>
  ['libwasync', ...(backend === DEFAULT_BACKEND ? [] : [backend]), ...(debug ? ['debug'] : [])].join('-');

/**
 * What the runtime library is built from: the emcc version (release
 * objects are LLVM bitcode, which an older LLVM cannot read), the flags and
 * every runtime source and header. Equal digests mean an equal library.
 */
function libDigest({ debug, backend = DEFAULT_BACKEND }) {
  const headers = [SRC, path.join(SRC, 'backend'), path.join(SRC, 'host')]
    .flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.h')).map((f) => path.join(d, f)));
  const files = [...runtimeSources({ backend }), ...headers, path.join(SRC, 'backend', `${backend}.json`)];
  const flags = runtimeCompileFlags({ debug }).filter((f) => f !== SRC);
  return sha256(emccVersion(), JSON.stringify(flags),
    ...files.flatMap((f) => [path.basename(f), fs.readFileSync(f)]));
}

/** The library the npm package ships (build/wasm/), only ever read. */
function shippedLib({ debug, backend }) {
  return path.join(ROOT, 'build', 'wasm', `${libName({ debug, backend })}.a`);
}

/**
 * The runtime library for this emcc: the package's prebuilt one if its
 * stamp (`<lib>.sources`) holds the current digest, else one in the
 * per-user cache, built there on first use. Never writes into the package.
 */
export async function buildLib({ debug = false, backend = DEFAULT_BACKEND, log, progress } = {}) {
  checkBackend(backend);
  const digest = libDigest({ debug, backend });
  const force = !!process.env.WASYNC_FORCE_REBUILD;
  const shipped = shippedLib({ debug, backend });
  if (!force && fs.existsSync(shipped)) {
    try {
      if (fs.readFileSync(`${shipped}.sources`, 'utf8') === digest) return shipped;
    } catch (e) { /* no stamp: not usable */ }
  }
  const entry = path.join(cacheDir('lib'), `${libName({ debug, backend })}-${digest.slice(0, 24)}`);
  const lib = path.join(entry, `${libName({ debug, backend })}.a`);
  if (!force && fs.existsSync(lib)) return lib;
  await stage(progress, `compiling the runtime (${debug ? 'debug' : 'release'}, once per emcc version)`, () => publishDir(entry, async (work) => {
    const objs = [];
    for (const src of runtimeSources({ backend })) {
      const obj = path.join(work, path.basename(src).replace(/\.[cS]$/, '') + '.o');
      // Assembly takes neither a C standard nor LTO (it is already wasm).
      const flags = src.endsWith('.S') ? ['-c', '-I', SRC] : [...runtimeCompileFlags({ debug }), '-c'];
      await run('emcc', [...flags, src, '-o', obj], { log });
      objs.push(obj);
    }
    await run('emar', ['rcs', path.join(work, path.basename(lib)), ...objs], { log });
    for (const o of objs) fs.rmSync(o);
    fs.writeFileSync(path.join(work, `${path.basename(lib)}.sources`), digest);
  }));
  return lib;
}

/**
 * Copies the current library into build/wasm/ with its stamp, for the npm
 * package to ship (`npm pack` runs this; a checkout that packs is writable).
 */
export async function shipLib({ debug = false, backend = DEFAULT_BACKEND, log, progress } = {}) {
  const lib = await buildLib({ debug, backend, log, progress });
  const shipped = shippedLib({ debug, backend });
  if (lib === shipped) return shipped;
  fs.mkdirSync(path.dirname(shipped), { recursive: true });
  fs.copyFileSync(lib, `${shipped}.tmp`);
  fs.renameSync(`${shipped}.tmp`, shipped); /* then the stamp: never a new stamp on an old lib */
  fs.writeFileSync(`${shipped}.sources`, libDigest({ debug, backend }));
  return shipped;
}

/**
 * The files a make-style dependency file (emcc -MD -MF) names. clang
 * escapes a space or # with a backslash and writes $ as make's $$; no
 * other backslash is an escape.
 */
export function parseDepFile(text) {
  const words = text.replace(/\\\r?\n/g, ' ').match(/(?:\\[ #]|[^\s])+/g) || [];
  return words.filter((w) => !w.endsWith(':')).map((w) => w.replace(/\\([ #])|\$\$/g, (m, c) => c || '$'));
}

/** Settings whose value is a list: a user's list is added to wasync's, not put in its place. */
const LIST_SETTINGS = ['EXPORTED_FUNCTIONS', 'EXPORTED_RUNTIME_METHODS', 'ASYNCIFY_IMPORTS'];

function settingList(value) {
  const v = value.trim();
  if (v.startsWith('[')) {
    try { return JSON.parse(v); } catch (e) { /* emcc also takes [a,b] unquoted */ }
    return v.slice(1, -1).split(',').map((x) => x.trim().replace(/^['"]|['"]$/g, '')).filter(Boolean);
  }
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}

/**
 * The link command's flags: wasync's, then the user's in their order (so a
 * user's -s setting wins), except that the user's -O stays off the link
 * (Asyncify's output needs wasync's optimized link; the user's level
 * governs compiling user code) and list settings are merged into wasync's.
 */
function linkCommandFlags(ours, userLink) {
  const merged = ours.slice();
  const user = [];
  for (let i = 0; i < userLink.length; i++) {
    let w = userLink[i];
    if (/^-O/.test(w)) continue;
    if (w === '-s' && i + 1 < userLink.length) w = `-s${userLink[++i]}`;
    const m = /^-s([A-Z_]+)=(.*)$/s.exec(w);
    if (m && LIST_SETTINGS.includes(m[1])) {
      const at = merged.findIndex((f) => f.startsWith(`-s${m[1]}=`));
      const have = at >= 0 ? JSON.parse(merged[at].slice(m[1].length + 3)) : [];
      const all = JSON.stringify([...new Set([...have, ...settingList(m[2])])]);
      if (at >= 0) merged[at] = `-s${m[1]}=${all}`; else merged.push(`-s${m[1]}=${all}`);
      continue;
    }
    user.push(w);
  }
  return [...merged, ...user];
}

/** Bounds of `--stack-size` (WA_STACK_MIN and WA_STACK_MAX in wasync.h). */
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
 * A C input defining the program's default stack size (wa__stack_default,
 * weak in the runtime), written into dir; [] when stackSize is not set.
 */
function stackSizeInput(dir, stackSize) {
  if (!stackSize) return [];
  const file = path.join(dir, 'wasync-stack-size.c');
  fs.writeFileSync(file, `#include <stddef.h>\nsize_t wa__stack_default = ${stackSize};\n`);
  return [{ file, kind: 'c' }];
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
 * Compiles user sources (C with emcc, C++ with em++) and links them with
 * the runtime into `out` (an ES module, app.mjs or app.js) plus its .wasm
 * and its TypeScript declaration (app.d.mts or app.d.ts) beside it. Run
 * directly with node, the module runs wa_main and exits with its status;
 * imported, it default-exports the factory load() takes.
 *  - sources: C and C++ files, objects (.o) and archives (.a), in link order.
 *  - cflags: every other flag, in the user's order; each reaches the steps
 *    it belongs to (flags.mjs): compile flags after wasync's defaults, link
 *    flags after wasync's link flags.
 *  - cxx: link with em++ (the C++ runtime); implied by a C++ source.
 *  - deps: if given, an array that receives every file the build read
 *    (sources, their headers, objects), for a cache to check later.
 *  - stackSize: the program's default task stack (`--stack-size`; 0 keeps
 *    WA_STACK_DEFAULT); stackCheck: false is `--no-stack-check`.
 */
export async function buildProgram({ sources, out, debug = false, cflags = [], cxx = false, stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, log, progress, deps }) {
  if (!sources || sources.length === 0) throw new BuildError('wasync: no C or C++ sources given');
  let inputs;
  let flags;
  try {
    ({ inputs, flags } = splitArgs([...sources, ...cflags]));
  } catch (e) {
    throw new BuildError(e.message);
  }
  for (const { file } of inputs) {
    if (!fs.existsSync(file)) throw new BuildError(`wasync: ${file}: no such file`);
  }
  const linkCxx = cxx || inputs.some((i) => i.kind === 'c++');
  const lib = await buildLib({ debug, backend, log, progress });
  const outAbs = path.resolve(out);
  const base = path.basename(outAbs).replace(/\.(mjs|js)$/, '');
  const outDir = path.dirname(outAbs);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-build-'));
  try {
    const compile = flagsFor(flags, 'compile');
    const names = inputs.map((i) => path.basename(i.file)).join(' ');
    const all = [...inputs, ...stackSizeInput(tmp, stackSize)];
    const objects = await stage(progress, `compiling ${names}`, () => Promise.all(all.map(async ({ file, kind }, n) => {
      if (kind === 'obj') {
        if (deps) deps.push(path.resolve(file));
        return file;
      }
      const obj = path.join(tmp, `${n}-${path.basename(file)}.o`);
      const depFile = deps ? ['-MD', '-MF', `${obj}.d`] : [];
      await run(kind === 'c++' ? 'em++' : 'emcc', [...userCompileCommand(compile, { debug }), ...depFile, '-c', file, '-o', obj], { log });
      // (The generated stack-size file lives in tmp: its value is in the cache key.)
      if (deps) deps.push(...parseDepFile(fs.readFileSync(`${obj}.d`, 'utf8')).map((f) => path.resolve(f)).filter((f) => !f.startsWith(tmp)));
      return obj;
    })));
    const core = path.join(tmp, `${base}.cjs`);
    const link = linkCommandFlags(linkFlags({ debug, stackCheck, cxx: linkCxx, backend }), flagsFor(flags, 'link'));
    await stage(progress, `linking ${names}`, () => run(linkCxx ? 'em++' : 'emcc', [...objects, lib, ...link, '-o', core], { log }));
    const wasmName = `${base}.wasm`;
    fs.copyFileSync(path.join(tmp, `${base}.wasm`), path.join(outDir, wasmName));
    // --preload-file's package, loaded beside the module (wrap.mjs's locateFile).
    if (fs.existsSync(path.join(tmp, `${base}.data`))) fs.copyFileSync(path.join(tmp, `${base}.data`), path.join(outDir, `${base}.data`));
    fs.writeFileSync(outAbs, wrapModule(fs.readFileSync(core, 'utf8'), { wasmName, exportName: 'createWasyncModule', suspending: backendManifest(backend).asyncImports === 'WebAssembly.Suspending', backend }));
    fs.writeFileSync(declarationPath(outAbs), DECLARATION);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return outAbs;
}

/** Flags whose value is a file (or, for the first two, a folder) the link reads. */
const LINK_FILE_FLAGS = ['--embed-file', '--preload-file', '--js-library', '--pre-js', '--post-js',
  '--extern-pre-js', '--extern-post-js', '--shell-file'];

/** The words of an emcc response file (@file): whitespace-separated, quotes and backslashes as gcc reads them. */
function responseWords(text) {
  const words = [];
  const re = /(?:"((?:\\.|[^"\\])*)"|'([^']*)'|\\(.)|([^\s"'\\]+))|(\s+)/gs;
  let cur = null;
  for (let m; (m = re.exec(text));) {
    if (m[5] !== undefined) {
      if (cur !== null) words.push(cur);
      cur = null;
      continue;
    }
    cur = (cur || '') + (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3] !== undefined ? m[3] : m[4]);
  }
  if (cur !== null) words.push(cur);
  return words;
}

/**
 * The files a link with these user flags reads besides the objects: files
 * and folders for the virtual file system (--embed-file, --preload-file,
 * src@dst), JS libraries and pre/post JS, archives -lname finds in the
 * user's -L folders, and @response files with what their flags name.
 * Absolute paths; files that do not exist are left to emcc to report.
 */
export function linkInputFiles(cflags, cwd = process.cwd(), seen = new Set()) {
  const files = [];
  const libDirs = [];
  const libs = [];
  const abs = (f) => path.resolve(cwd, f);
  for (let i = 0; i < cflags.length; i++) {
    const a = cflags[i];
    if (a.startsWith('@')) {
      const f = abs(a.slice(1));
      if (seen.has(f) || !fs.existsSync(f)) continue;
      seen.add(f);
      files.push(f, ...linkInputFiles(responseWords(fs.readFileSync(f, 'utf8')), cwd, seen));
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    let value = null;
    if (LINK_FILE_FLAGS.includes(name) || name === '-L' || name === '-l') {
      value = name !== a ? a.slice(eq + 1) : cflags[++i];
    } else if (/^-[lL]./.test(a)) {
      value = a.slice(2);
    }
    if (value === null || value === undefined) continue;
    const flag = name.startsWith('--') ? name : a.slice(0, 2);
    if (flag === '-L') libDirs.push(abs(value));
    else if (flag === '-l') libs.push(value);
    else if (flag === '--embed-file' || flag === '--preload-file') {
      // src@dst: the first @ not doubled ends src; @@ is a literal @.
      const at = value.search(/(?<!@)@(?!@)/);
      files.push(abs((at >= 0 ? value.slice(0, at) : value).replace(/@@/g, '@')));
    } else files.push(abs(value));
  }
  for (const lib of libs) {
    for (const dir of libDirs) {
      const hit = [`lib${lib}.a`, `lib${lib}.so`, `${lib}.a`].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
      if (hit) {
        files.push(hit);
        break;
      }
    }
  }
  return files;
}

/** The content hash of an input: a file's bytes, or a folder's names and files, recursively. */
function inputHash(f) {
  if (!fs.statSync(f).isDirectory()) return sha256(fs.readFileSync(f));
  const names = fs.readdirSync(f).sort();
  return sha256(JSON.stringify(names.map((n) => [n, inputHash(path.join(f, n))])));
}

/**
 * `wasync run`'s build of a program, in the per-user cache: built on the
 * first run and again whenever any file it read changed in content:
 * sources, included headers, objects, and what the link reads
 * (linkInputFiles). Each file is hashed before the build where it is known
 * then (sources, link inputs, every file the last build of this entry
 * read), so that a file saved during the build makes the next run build
 * again; a file first seen in this build that changed after the build
 * began is recorded as changed. Returns the module's path.
 */
export async function cachedBuild({ sources, debug = false, cflags = [], stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, log, progress }) {
  const key = sha256(JSON.stringify({
    debug, backend, cflags, stackSize, cwd: process.cwd(), sources: sources.map((s) => path.resolve(s)),
    lib: libDigest({ debug, backend }), link: linkFlags({ debug, stackCheck, backend }),
  }), ...[...jsLibraries({ backend }), fileURLToPath(import.meta.url), path.join(ROOT, 'js', 'wrap.mjs'),
    path.join(ROOT, 'js', 'flags.mjs'), path.join(ROOT, 'js', 'crossings.mjs')].map((f) => fs.readFileSync(f)));
  const entry = path.join(cacheDir('run'), key.slice(0, 32));
  const out = path.join(entry, 'app.mjs');
  const manifest = path.join(entry, 'inputs.json');
  let recorded = [];
  try {
    recorded = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch (e) { /* no entry yet */ }
  const current = () => {
    try {
      return recorded.length > 0 && fs.existsSync(out) && recorded.every(([f, h]) => inputHash(f) === h);
    } catch (e) {
      return false;
    }
  };
  if (current()) return out;
  const linkFiles = linkInputFiles(cflags);
  const before = new Map();
  for (const f of new Set([...sources.map((s) => path.resolve(s)), ...linkFiles, ...recorded.map(([f]) => f)])) {
    try {
      before.set(f, inputHash(f));
    } catch (e) { /* gone: the build says so if it needs it */ }
  }
  const started = Date.now();
  await publishDir(entry, async (work) => {
    const deps = [];
    await buildProgram({ sources, out: path.join(work, 'app.mjs'), debug, cflags, stackSize, stackCheck, backend, log, progress, deps });
    const files = [...new Set([...deps, ...linkFiles])].filter((f) => before.has(f) || fs.existsSync(f)).map((f) => {
      if (before.has(f)) return [f, before.get(f)];
      // A file's mtime is the kernel's coarse clock (a few ms behind the
      // real time of the write): a margin. (Where timestamps are whole
      // seconds, a save in the build's first second can be missed here
      // once; the next build hashes the file before it starts.)
      return [f, fs.statSync(f).mtimeMs >= started - 20 ? 'changed during the build' : inputHash(f)];
    });
    fs.writeFileSync(path.join(work, 'inputs.json'), JSON.stringify(files));
  });
  return out;
}

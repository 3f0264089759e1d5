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
import { asyncImports, backends, constantsLibraryFile, defaultBackend, exportedFunctions, stackSizes } from './crossings.mjs';
import { checkEhFlags, ehCompileFlags, ehLinkFlags, ehMode, oneObjectForAll } from './eh.mjs';
import { flagsFor, splitArgs } from './flags.mjs';
import { binaryenWithoutAsyncifyAsserts, emccEnv, emccVersion, releaseLinkFlags } from './toolchain.mjs';
import { wrapModule } from './wrap.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(ROOT, 'src');
const WASM = path.join(ROOT, 'wasm');

export class BuildError extends Error {}

/**
 * The stack-switching backends, one manifest each (wasm/backend/<name>.json,
 * js/cli/crossings.mjs): adding a backend adds its files there and touches
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

/**
 * `--backend=auto`: one build linked once per backend (one .mjs, one .wasm
 * each), the backend chosen when the module loads (wrap.mjs).
 */
export const AUTO = 'auto';

/** A backend a build may name: one of BACKENDS, or AUTO. */
export function checkBuildBackend(backend) {
  if (backend === AUTO) return backend;
  if (!BACKENDS.includes(backend)) {
    throw new BuildError(`wasync: unknown backend ${JSON.stringify(backend)} (choose ${BACKENDS.join(' or ')}); ` +
      `--backend=${AUTO} builds for both and picks one at load time`);
  }
  return backend;
}

/** The backends a build links, the default first: every one for AUTO, else the one named. */
export function linkedBackends(backend) {
  if (backend !== AUTO) return [checkBackend(backend)];
  return [DEFAULT_BACKEND, ...BACKENDS.filter((b) => b !== DEFAULT_BACKEND)];
}

/**
 * The .wasm files a build of `out` writes beside it, by backend: app.wasm
 * for one backend; app.<backend>.wasm each for AUTO.
 */
export function wasmFiles(out, backend) {
  const base = path.basename(out).replace(/\.(mjs|js)$/, '');
  const names = linkedBackends(backend);
  return Object.fromEntries(names.map((b) => [b, names.length > 1 ? `${base}.${b}.wasm` : `${base}.wasm`]));
}

/** The manifest of a backend (wasm/backend/<name>.json). */
export const backendManifest = (backend) => MANIFESTS[checkBackend(backend)];

/** The wasm host's C sources (wasm/host/), which every backend links (cxx.c
 * is pulled from the archive only by C++ links: see linkFlags). */
const HOST_SOURCES = ['libc_sleep.c', 'stdio.c', 'pthread.c', 'c11threads.c', 'thread.c', 'cxx.c'];

/** Runtime sources: the core (src/*.c), the wasm host's C and the backend's own. */
export function runtimeSources({ backend = DEFAULT_BACKEND } = {}) {
  const core = fs.readdirSync(SRC)
    .filter((f) => f.endsWith('.c'))
    .map((f) => path.join(SRC, f));
  return [...core.sort(), ...HOST_SOURCES.map((f) => path.join(WASM, 'host', f)),
    ...backendManifest(backend).sources.map((f) => path.join(WASM, 'backend', f))];
}

/**
 * The libc functions the link wraps (wasm-ld --wrap): every reference, in
 * user code and inside the libc, reaches __wrap_<name> in wasm/host/:
 *  - the sleeps (libc_sleep.c): an await point inside a task and the libc's
 *    own function anywhere else;
 *  - the WASI reads and writes every stdio call ends in (stdio.c): a read of
 *    stdin that would block is an await in a task, and a write to a closed
 *    stdout ends the program as SIGPIPE does.
 */
export const LIBC_WRAPS = ['sleep', 'usleep', 'nanosleep', 'clock_nanosleep', 'emscripten_sleep', 'poll', 'select',
  '__wasi_fd_read', '__wasi_fd_write'];

/**
 * The pthread calls the link wraps (wasm/host/pthread.c): without -pthread
 * Emscripten's libc has stubs for them (pthread_create fails, a mutex does
 * nothing); wrapped, a thread is a task and every blocking call an await
 * of that task only. Outside a task the blocking ones stay the stubs.
 */
export const PTHREAD_WRAPS = [
  'pthread_create', 'pthread_join', 'pthread_detach', 'pthread_exit', 'pthread_self', 'pthread_equal',
  'pthread_cancel', 'pthread_testcancel', 'pthread_setcancelstate', 'pthread_setcanceltype',
  '_pthread_cleanup_push', '_pthread_cleanup_pop', 'pthread_setname_np', 'pthread_getname_np',
  'pthread_attr_init', 'pthread_attr_destroy', 'pthread_attr_setstacksize', 'pthread_attr_getstacksize',
  'pthread_attr_setdetachstate', 'pthread_attr_getdetachstate',
  'pthread_once', 'pthread_key_create', 'pthread_key_delete', 'pthread_getspecific', 'pthread_setspecific',
  'pthread_mutexattr_init', 'pthread_mutexattr_destroy', 'pthread_mutexattr_settype', 'pthread_mutexattr_gettype',
  'pthread_mutex_init', 'pthread_mutex_destroy', 'pthread_mutex_lock', 'pthread_mutex_trylock',
  'pthread_mutex_timedlock', 'pthread_mutex_unlock',
  'pthread_condattr_init', 'pthread_condattr_destroy', 'pthread_condattr_setclock', 'pthread_condattr_getclock',
  'pthread_cond_init', 'pthread_cond_destroy', 'pthread_cond_wait', 'pthread_cond_timedwait',
  'pthread_cond_signal', 'pthread_cond_broadcast',
  'pthread_rwlock_init', 'pthread_rwlock_destroy', 'pthread_rwlock_rdlock', 'pthread_rwlock_wrlock',
  'pthread_rwlock_tryrdlock', 'pthread_rwlock_trywrlock', 'pthread_rwlock_timedrdlock',
  'pthread_rwlock_timedwrlock', 'pthread_rwlock_unlock',
  'pthread_barrier_init', 'pthread_barrier_destroy', 'pthread_barrier_wait',
  'sem_init', 'sem_destroy', 'sem_getvalue', 'sem_post', 'sem_wait', 'sem_trywait', 'sem_timedwait',
  // C11 <threads.h> (wasm/host/c11threads.c): musl builds it on internal
  // pthread names the wraps above do not reach.
  'thrd_join', 'thrd_detach', 'thrd_exit', 'thrd_current', 'thrd_yield', 'thrd_sleep',
  'mtx_init', 'mtx_destroy', 'mtx_lock', 'mtx_trylock', 'mtx_timedlock', 'mtx_unlock',
  'cnd_init', 'cnd_destroy', 'cnd_wait', 'cnd_timedwait', 'cnd_signal', 'cnd_broadcast',
  'call_once', 'tss_create', 'tss_delete', 'tss_get', 'tss_set'];

/**
 * Emscripten's functions that suspend the whole module (Asyncify's own
 * unwind, which wasync's scheduler cannot run through, or a stub that
 * aborts without it), each with the sentence a link that uses one fails
 * with: what to use instead inside a wasync program.
 */
export const REFUSED_ASYNC = {
  emscripten_wget: 'use wa_fetch (and write the body to a file) instead',
  emscripten_wget_data: 'use wa_fetch and wa_response_body instead',
  emscripten_idb_load: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_store: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_delete: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_exists: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_clear: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_load_blob: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_store_blob: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_scan_registers: 'wasync tasks need no register scan; remove the call',
  emscripten_lazy_load_code: 'it is not supported in a wasync program',
  emscripten_fiber_swap: 'use wa_spawn (a wasync task is a fiber with its own stack) instead',
  emscripten_promise_await: 'use wa_js_await instead',
  emscripten_promise_await_unchecked: 'use wa_js_await instead',
  SDL_Delay: 'use sleep, usleep or wa_sleep (awaits inside a task) instead',
  _emval_await: 'await the promise with WA_ASYNC_JS or wa_js_await instead',
};

/**
 * The refused functions (REFUSED_ASYNC) that the linked module's JS glue
 * defines, i.e. that the program calls: Emscripten emits a JS library
 * function only when the wasm imports it. Names stay whole in the glue at
 * every optimization level wasync links with (no Closure).
 */
export function refusedImports(glue) {
  return Object.keys(REFUSED_ASYNC).filter((name) => new RegExp(`(?:function\\s+|var\\s+|[,;{}]\\s*)_${name}\\s*[=(]`).test(glue));
}

function jsonList(file) {
  return JSON.parse(fs.readFileSync(path.join(WASM, file), 'utf8'));
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
export function runtimeCompileFlags({ debug = false, threads = false } = {}) {
  return ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2',
    ...(debug ? ['-g', '-DWA_DEBUG=1'] : ['-flto']), ...(threads ? ['-pthread'] : []), '-I', SRC];
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
export function userCompileFlags({ debug = false, threads = false } = {}) {
  return [...(debug ? ['-O1', '-g', '-DWA_DEBUG=1'] : ['-O2', '-flto']), ...SETJMP_NAMES, ...(threads ? ['-pthread'] : [])];
}

/**
 * POSIX's `_setjmp`/`_longjmp` (Lua's LUA_USE_POSIX uses them) compiled as
 * `setjmp`/`longjmp`: Emscripten 3.1.x's LLVM lowers only those two names,
 * and emcc adds what the lowering needs (malloc, free, saveSetjmp,
 * setThrew) only when an object names `setjmp`. Without this, a -fno-lto
 * link fails on undefined `_setjmp`/`_longjmp`, an LTO link on `free`, and
 * a non-LTO link of bitcode on a missing `setThrew` at run time. The
 * prototypes in <setjmp.h> become repeats of setjmp's and longjmp's.
 * Newer releases handle both names; the aliases change nothing there.
 */
const SETJMP_NAMES = ['-D_setjmp=setjmp', '-D_longjmp=longjmp'];

/**
 * The compile command's flags for user code: defaults, the user's flags,
 * wasync.h's folder. `eh`: how setjmp and exceptions are lowered (eh.mjs's
 * ehMode), null when the backend is unknown (`wasync cc -c` without
 * --backend). `cxx`: the source is C++.
 */
export function userCompileCommand(flags, { debug = false, eh = null, cxx = false, threads = false } = {}) {
  const e = ehCompileFlags(flags, { debug, mode: eh, cxx });
  return [...userCompileFlags({ debug, threads }), ...e.ours, ...e.user, '-I', SRC];
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
 *    running task's stack (wasm/backend/asyncify.c). stackCheck: false
 *    (`--no-stack-check`) leaves it out for a measured hot path; overflow
 *    is then caught by canaries when a task suspends or ends, which can
 *    miss an overflow or end a task whose stack was big enough.
 *  - Debug (--debug): user code compiled at -O1 -g (see userCompileFlags), -g
 *    and -O2 at link time, and STACK_OVERFLOW_CHECK=2, which checks every
 *    function entry against the running task's stack. The link is
 *    optimized because Asyncify's output is only compact after Binaryen's
 *    optimizer has run: unoptimized, every instrumented frame is so large
 *    for the JS engine that recursion stops a few thousand levels deep.
 *    ASSERTIONS are off by default; a user's -sASSERTIONS links with a
 *    wasm-opt that leaves out only Binaryen's asyncify asserts, which trap
 *    when the in-wasm scheduler sees a task unwind (DESIGN.md; linkEnv).
 *  - C++ (cxx): __cxa_throw is wrapped so that an uncaught exception is
 *    named with its type and what() (wasm/host/cxx.c).
 */
//  - JSPI (--backend=jspi): no Asyncify, so no instrumentation and no
//    extra Binaryen pass; the engine switches stacks (wasm/backend/jspi.c)
//    and wrap.mjs wraps the suspending imports. Works with every supported
//    Emscripten: none of its own JSPI support is used. The stack check is
//    the same (jspi.c switches its limits with each task).
export function linkFlags({ debug = false, stackCheck = true, cxx = false, exportName = 'createWasyncModule', backend = DEFAULT_BACKEND, threads = 0 } = {}) {
  const m = backendManifest(backend);
  // C++ programs: uncaught exceptions are named (wasm/host/cxx.c, pulled
  // from the library by the wrap; a C program has no __cxa_throw to wrap).
  const exported = [...exportedFunctions({ backend, threads: !!threads }), ...(cxx ? ['_wa__cxx_describe'] : [])];
  // An Emscripten setting that lists the async imports (Asyncify's), or
  // none: the engine's WebAssembly.Suspending, applied by wrap.mjs.
  const importsSetting = /^[A-Z_]+$/.test(m.asyncImports) ? [`-s${m.asyncImports}=${JSON.stringify(asyncImports({ backend }))}`] : [];
  const check = `-sSTACK_OVERFLOW_CHECK=${debug || stackCheck ? 2 : 0}`;
  return [
    // No -flto on the link: with it emcc links the LTO builds of the system
    // libraries, and then (emcc 6, LLVM 21) LTO optimizes user code against
    // the libc's own definitions of the functions the link wraps (LIBC_WRAPS):
    // a call to select() then ignores what __wrap_select wrote into *tv,
    // because the libc's select never writes it. (C++ also needs it off: the
    // LTO build of libc++ fails on sid's emcc 6, undefined
    // __cxa_increment_exception_refcount.) The objects are bitcode all the
    // same, so wasm-ld still optimizes the runtime and user code together;
    // only the system libraries are not.
    ...(debug ? ['-O2', '-g', check]
      : ['-O3', check, ...m.releaseLink]),
    ...m.link, ...importsSetting,
    // --threads: the pthread calls stay Emscripten's real ones (wasync.h,
    // "POSIX threads"): with shared memory the libc locks pthread mutexes
    // from every thread itself.
    `-Wl,${[...LIBC_WRAPS, ...(threads ? [] : PTHREAD_WRAPS), ...(cxx ? ['__cxa_throw'] : [])].map((f) => `--wrap=${f}`).join(',')}`,
    ...(threads ? threadLinkFlags() : []),
    '-sASSERTIONS=0',
    '-sALLOW_MEMORY_GROWTH=1',
    '-sALLOW_TABLE_GROWTH=1',
    '-sMODULARIZE=1',
    `-sEXPORT_NAME=${exportName}`,
    '-sINVOKE_RUN=0',
    // libc's real atexit(): with EXIT_RUNTIME=0 Emscripten links a dummy
    // that drops the handlers. The runtime itself never exits (the host
    // keeps it alive: wasm/host/js/host.js); exit() and a return from the
    // program's entry run the handlers and flush stdio, as natively.
    '-sEXIT_RUNTIME=1',
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
 * `--threads`'s link flags: shared memory and Emscripten's pthreads, for
 * wa_to_thread's pool (wasm/host/thread.c). The pool's Workers are made and
 * loaded with the module, as many as Module.wasyncThreads (set by the
 * generated module: js/cli/wrap.mjs), so that starting a pool thread is a
 * message rather than a Worker's start-up; a program's own pthread_create
 * beyond them gets a Worker made on demand (no warning: _STRICT=0). A
 * growable shared memory makes JS re-check its heap views on every access:
 * the cost Emscripten warns about is known, and JS here only crosses.
 */
export function threadLinkFlags() {
  return ['-pthread', '-sPTHREAD_POOL_SIZE=Module.wasyncThreads', '-sPTHREAD_POOL_SIZE_STRICT=0',
    '-Wno-pthreads-mem-growth'];
}

/** `--threads[=N]`'s value: 'auto' (the machine's parallelism) or N in 1..256. */
export function parseThreads(text) {
  if (text === null || text === undefined || text === '' || text === 'auto') return 'auto';
  if (!/^[0-9]+$/.test(String(text)) || Number(text) < 1 || Number(text) > 256) {
    throw new BuildError(`wasync: --threads=${text}: the pool's size must be a whole number from 1 to 256 (or --threads alone: the machine's parallelism)`);
  }
  return Number(text);
}

/**
 * The --js-library files, in link order: the error constants generated from
 * the C tables (js/cli/crossings.mjs), the JS host (wasm/host/js/), then the
 * backend's JS half (wasm/backend/<backend>.js, with stack.js, which both
 * wasm backends share).
 */
export function jsLibraries({ backend = DEFAULT_BACKEND } = {}) {
  return [constantsLibraryFile(), ...['host/js/host.js', 'host/js/debug.js', 'host/js/js.js', 'host/js/fetch.js', 'host/js/env.js', 'host/js/stdio.js', 'host/js/fdcalls.js', 'host/js/thread.js',
    ...backendManifest(backend).js.map((f) => `backend/${f}`)].map((f) => path.join(WASM, f))];
}

/** Lines the tools have written to our stderr so far (stage() reads it). */
let toolLines = 0;

/**
 * The line emcc prints after a failed step: the whole command of the step
 * (clang's or wasm-ld's, often a thousand characters), after the tool's
 * own message. Only `-v` shows it (the command is printed first there).
 */
const FAILED_STEP = /^\S+: error: '.+' failed \((returned -?\d+|received \w+)\)$/;

/** Calls each(line) for every whole line written to stream, newline kept. */
function eachLine(stream, each) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split(/(?<=\n)/);
    rest = lines[lines.length - 1].endsWith('\n') ? '' : lines.pop();
    lines.forEach(each);
  });
  stream.on('end', () => { if (rest) each(rest); });
}

/**
 * Runs a tool; rejects with a BuildError carrying the tool's exit code.
 * Its stderr reaches ours line by line, without emcc's failed-step command
 * line unless verbose (default: when log is given, i.e. -v); the error is
 * `quiet` when the tool printed why it failed, so the CLI adds nothing
 * after the tool's own last word. onStdout(line), if given, receives the
 * tool's stdout instead of our stdout; a stderr line for which
 * filter(line) is false is not shown.
 */
export function run(cmd, args, { log, stdin = 'ignore', env = {}, verbose = !!log, onStdout, filter } = {}) {
  if (log) log(`${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...emccEnv(), ...env }, stdio: [stdin, onStdout ? 'pipe' : 'inherit', 'pipe'] });
    let said = false;
    let open = onStdout ? 2 : 1;
    let exit = null;
    const settle = () => {
      if (open > 0 || !exit) return;
      const [code, signal] = exit;
      if (code === 0) return resolve();
      const e = new BuildError(`wasync: ${cmd} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`);
      e.exitCode = code || 1;
      e.quiet = said;
      reject(e);
    };
    eachLine(child.stderr, (line) => {
      if (!verbose && FAILED_STEP.test(line.trimEnd())) return;
      if (filter && !filter(line)) return;
      said = true;
      toolLines++;
      process.stderr.write(line);
    });
    child.stderr.on('close', () => { open--; settle(); });
    if (onStdout) {
      eachLine(child.stdout, onStdout);
      child.stdout.on('close', () => { open--; settle(); });
    }
    child.on('error', (err) => {
      if (err.code === 'ENOENT') {
        reject(new BuildError(`wasync: ${cmd} was not found. Install Emscripten first: ` +
          `"sudo apt-get install emscripten binaryen" on Debian/Ubuntu, or the emsdk ` +
          `(https://emscripten.org/docs/getting_started/downloads.html).`));
      } else reject(err);
    });
    child.on('exit', (code, signal) => { exit = [code, signal]; settle(); });
  });
}


/** How long a stage runs before progress() hears of it, in ms. */
export const PROGRESS_AFTER_MS = 1000;

/**
 * Runs fn(); if it is still running after PROGRESS_AFTER_MS, tells
 * progress (a function taking one line, or undefined for quiet) what it is
 * doing: one line per slow stage, nothing for fast (cached) ones, nor for
 * one whose tools have spoken meanwhile (a compile error's last line stays
 * the compiler's).
 */
async function stage(progress, what, fn) {
  const said = toolLines;
  const timer = progress ? setTimeout(() => { if (toolLines === said) progress(`wasync: ${what}...`); }, PROGRESS_AFTER_MS) : null;
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

const libName = ({ debug, backend = DEFAULT_BACKEND, threads = false }) =>
  ['libwasync', ...(backend === DEFAULT_BACKEND ? [] : [backend]), ...(threads ? ['threads'] : []), ...(debug ? ['debug'] : [])].join('-');

/**
 * What the runtime library is built from: the emcc version (release
 * objects are LLVM bitcode, which an older LLVM cannot read), the flags and
 * every runtime source and header. Equal digests mean an equal library.
 */
function libDigest({ debug, backend = DEFAULT_BACKEND, threads = false }) {
  const headers = [SRC, path.join(WASM, 'backend'), path.join(WASM, 'host')]
    .flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.h')).map((f) => path.join(d, f)));
  const files = [...runtimeSources({ backend }), ...headers, path.join(WASM, 'backend', `${backend}.json`)];
  const flags = runtimeCompileFlags({ debug, threads }).filter((f) => f !== SRC);
  return sha256(emccVersion(), JSON.stringify(flags),
    ...files.flatMap((f) => [path.basename(f), fs.readFileSync(f)]));
}

/** The library the npm package ships (build/wasm/), only ever read. */
function shippedLib({ debug, backend, threads = false }) {
  return path.join(ROOT, 'build', 'wasm', `${libName({ debug, backend, threads })}.a`);
}

/**
 * The runtime library for this emcc: the package's prebuilt one if its
 * stamp (`<lib>.sources`) holds the current digest, else one in the
 * per-user cache, built there on first use. Never writes into the package.
 */
export async function buildLib({ debug = false, backend = DEFAULT_BACKEND, threads = false, log, progress } = {}) {
  checkBackend(backend);
  const digest = libDigest({ debug, backend, threads });
  const force = !!process.env.WASYNC_FORCE_REBUILD;
  const shipped = shippedLib({ debug, backend, threads });
  if (!force && fs.existsSync(shipped)) {
    try {
      if (fs.readFileSync(`${shipped}.sources`, 'utf8') === digest) return shipped;
    } catch (e) { /* no stamp: not usable */ }
  }
  const entry = path.join(cacheDir('lib'), `${libName({ debug, backend, threads })}-${digest.slice(0, 24)}`);
  const lib = path.join(entry, `${libName({ debug, backend, threads })}.a`);
  if (!force && fs.existsSync(lib)) return lib;
  await stage(progress, `compiling the runtime (${debug ? 'debug' : 'release'}${threads ? ', threads' : ''}, once per emcc version)`, () => publishDir(entry, async (work) => {
    const objs = [];
    for (const src of runtimeSources({ backend })) {
      const obj = path.join(work, path.basename(src).replace(/\.[cS]$/, '') + '.o');
      // Assembly takes neither a C standard nor LTO (it is already wasm).
      const flags = src.endsWith('.S') ? ['-c', '-I', SRC, ...(threads ? ['-pthread'] : [])] : [...runtimeCompileFlags({ debug, threads }), '-c'];
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
 * `eh`: the lowering of setjmp and exceptions (eh.mjs).
 */
function linkCommandFlags(ours, userWords, { eh }) {
  const lowered = ehLinkFlags(userWords, { mode: eh });
  const userLink = lowered.user;
  const merged = [...ours, ...lowered.ours];
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

/** The value of the last `-sNAME=value` in flags, or undefined. */
function settingValue(flags, name) {
  let v;
  for (const f of flags) {
    const m = /^-s([A-Z_]+)(?:=(.*))?$/s.exec(f);
    if (m && m[1] === name) v = m[2] === undefined ? '1' : m[2];
  }
  return v;
}

/**
 * The environment a link needs beyond emcc's own: with ASSERTIONS on
 * (`-sASSERTIONS`, `-sASSERTIONS=2`) and Binaryen's Asyncify, a Binaryen
 * whose wasm-opt leaves out Asyncify's own asserts, which trap on every
 * switch of wasync's in-wasm scheduler (js/cli/toolchain.mjs,
 * binaryenWithoutAsyncifyAsserts); the user's assertions stay on.
 */
function linkEnv(link, backend) {
  const assertions = settingValue(link, 'ASSERTIONS');
  if (!assertions || assertions === '0' || !backendManifest(backend).link.includes('-sASYNCIFY=1')) return {};
  return binaryenWithoutAsyncifyAsserts(cacheDir('binaryen'));
}

/**
 * Parses `--stack-size`'s value: bytes, with an optional k/K (KiB) or m/M
 * (MiB) suffix. Throws a BuildError for anything else, or for a size
 * outside [WA_STACK_MIN, WA_STACK_MAX] (wasync.h: 2 KiB, 1 GiB).
 */
export function parseStackSize(text) {
  const { min, max } = stackSizes();
  const m = /^([0-9]+)([kKmM]?)$/.exec(String(text));
  if (!m) {
    throw new BuildError(`wasync: --stack-size=${text}: not a size (bytes, optionally with a k or m suffix, e.g. 65536 or 64k)`);
  }
  const n = Number(m[1]) * ({ k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()] || 1);
  if (!(n >= min && n <= max)) {
    throw new BuildError(`wasync: --stack-size=${text}: must be between ${min} bytes (WA_STACK_MIN) and ${max / (1024 * 1024)}m (WA_STACK_MAX)`);
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

/**
 * A program has one entry: wa_main or a C main() (src/entry.c). The link
 * asks wasm-ld to trace where the entry symbols are defined (clang names a
 * C main() `main` or `__main_argc_argv` on wasm: wasm/backend/cmain.c),
 * which sees exactly the objects and archive members that are linked, LTO
 * or not; check() refuses a program that defines both. Every other line of
 * the link's stdout passes through.
 */
class EntryCheck {
  static SYMBOLS = ['wa_main', 'main', '__main_argc_argv'];
  /** 3.1.x warns that main may be dead code unless exported: wasync calls it (cmain.c). */
  static NOISE = /main\(\) is in the input files, but "_main" is not in EXPORTED_FUNCTIONS/;

  flags = [`-Wl,${EntryCheck.SYMBOLS.map((n) => `--trace-symbol=${n}`).join(',')}`];
  defined = new Map();
  mismatch = 0;     // lines of wasm-ld's signature warning still to hide
  badMain = false;

  /** names: the link's inputs (objects wasync compiled) -> the user's names for them. */
  constructor(names) {
    this.names = names;
  }

  line(text) {
    const m = /^(.*): (?:lazy )?(?:definition of|reference to) (?:undefined_\w+:)?(\S+)\n?$/.exec(text);
    if (!m || !EntryCheck.SYMBOLS.includes(m[2])) return process.stdout.write(text);
    if (/: definition of \S+\n?$/.test(text) && m[1] !== '<internal>' && !this.defined.has(m[2])) this.defined.set(m[2], m[1]);
    return undefined;
  }

  /**
   * Link stderr: false hides a line. Hidden: 3.1.x's warning that main may
   * be dead code unless exported (wasync calls it), and wasm-ld's warning
   * that main's type is not cmain.c's (int, char **): a
   * main(int, char **, char **), which check() refuses. (Under LTO there
   * is no such warning: main then gets a null envp.)
   */
  stderr(text) {
    if (EntryCheck.NOISE.test(text)) return false;
    if (/warning: function signature mismatch: main\n?$/.test(text)) {
      this.mismatch = 2;
      this.badMain = true;
      return false;
    }
    if (this.mismatch && /^>>> defined as /.test(text)) {
      this.mismatch--;
      return false;
    }
    this.mismatch = 0;
    return true;
  }

  check() {
    if (this.badMain) {
      throw new BuildError('wasync: main has a type wasync cannot call: it takes main(void) or ' +
        'main(int argc, char **argv) (for the environment, use getenv() or environ)');
    }
    const main = this.defined.get('__main_argc_argv') || this.defined.get('main');
    const wa = this.defined.get('wa_main');
    if (main && wa) {
      const where = (file) => this.names.get(file) || file;
      throw new BuildError(`wasync: both wa_main (${where(wa)}) and main (${where(main)}) are defined: ` +
        'a program has one entry, so keep one of them (main(void) or main(int argc, char **argv) ' +
        'runs as the main task just as wa_main does)');
    }
  }
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

/** How many links may run at once: both of an AUTO build where the machine has the cores. */
const linkJobs = () => ((os.availableParallelism ? os.availableParallelism() : os.cpus().length) > 1 ? Infinity : 1);

/** Runs the jobs (functions returning promises), at most n at a time; rejects with the first failure once all have settled. */
async function runJobs(jobs, n) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]().then((value) => ({ value }), (error) => ({ error }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  const failed = results.find((r) => 'error' in r);
  if (failed) throw failed.error;
  return results.map((r) => r.value);
}

/**
 * Compiles user sources (C with emcc, C++ with em++) and links them with
 * the runtime into `out` (an ES module, app.mjs or app.js) plus its .wasm
 * and its TypeScript declaration (app.d.mts or app.d.ts) beside it. Run
 * directly with node, the module runs its entry (wa_main or a C main(),
 * never both: EntryCheck) and exits with its status;
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
 *  - backend: one of BACKENDS, or AUTO: then the program is linked once per
 *    backend (in parallel where the machine has two cores), into
 *    app.<backend>.wasm each (wasmFiles), and the one module picks one when
 *    it loads (wrap.mjs). A source is compiled once for both links where
 *    one object serves both (eh.mjs, oneObjectForAll: C as LTO bitcode,
 *    setjmp lowered at each link), else once per backend (C++ with
 *    exceptions, debug and -fno-lto objects, whose lowering is fixed when
 *    they are compiled).
 *  - threads: `--threads[=N]` (0: off; 'auto' or N, parseThreads): shared
 *    memory and wa_to_thread's pool. The pool's Workers load
 *    <out>.worker.cjs, written beside the module (threadWorkerScript).
 */
export async function buildProgram({ sources, out, debug = false, cflags = [], cxx = false, stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, threads = 0, log, progress, deps }) {
  if (!sources || sources.length === 0) throw new BuildError('wasync: no C or C++ sources given');
  const targets = linkedBackends(checkBuildBackend(backend));
  if (threads && targets.length > 1) {
    throw new BuildError('wasync: --threads builds one backend at a time: choose --backend=asyncify or --backend=jspi (each pool Worker runs one backend\'s glue)');
  }
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
  const allFlags = flags.flatMap((f) => f.words);
  const eh = {};
  try {
    for (const b of targets) {
      checkEhFlags(allFlags, b);
      eh[b] = ehMode(b, allFlags, inputs.filter((i) => i.kind === 'obj').map((i) => i.file), { cxx: linkCxx, debug });
    }
  } catch (e) {
    throw new BuildError(e.message);
  }
  const libs = await Promise.all(targets.map((b) => buildLib({ debug, backend: b, threads: !!threads, log, progress })));
  const outAbs = path.resolve(out);
  const base = path.basename(outAbs).replace(/\.(mjs|js)$/, '');
  const outDir = path.dirname(outAbs);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-build-'));
  try {
    const compile = flagsFor(flags, 'compile');
    const names = inputs.map((i) => path.basename(i.file)).join(' ');
    const all = [...inputs, ...stackSizeInput(tmp, stackSize)];
    // Each input's compile commands, one per link (targets), and the
    // distinct ones among them: an AUTO build compiles a source twice only
    // where the backends need different objects.
    const shared = (kind) => targets.length > 1 && kind === 'c' && oneObjectForAll(compile, { debug });
    const jobs = [];
    const objectOf = all.map(({ file, kind }, n) => {
      if (kind === 'obj') {
        if (deps) deps.push(path.resolve(file));
        return targets.map(() => file);
      }
      const commands = targets.map((b) => userCompileCommand(compile, { debug, eh: shared(kind) ? null : eh[b], cxx: kind === 'c++', threads: !!threads }));
      const distinct = [...new Set(commands.map((c) => JSON.stringify(c)))];
      const objs = distinct.map((c, k) => {
        const obj = path.join(tmp, `${n}${distinct.length > 1 ? `-${targets[commands.findIndex((x) => JSON.stringify(x) === c)]}` : ''}-${path.basename(file)}.o`);
        jobs.push(async () => {
          const depFile = deps ? ['-MD', '-MF', `${obj}.d`] : [];
          await run(kind === 'c++' ? 'em++' : 'emcc', [...JSON.parse(c), ...depFile, '-c', file, '-o', obj], { log });
          // (The generated stack-size file lives in tmp: its value is in the cache key.)
          if (deps && k === 0) deps.push(...parseDepFile(fs.readFileSync(`${obj}.d`, 'utf8')).map((f) => path.resolve(f)).filter((f) => !f.startsWith(tmp)));
        });
        return obj;
      });
      return commands.map((c) => objs[distinct.indexOf(JSON.stringify(c))]);
    });
    await stage(progress, `compiling ${names}`, () => runJobs(jobs, Infinity));
    const linked = targets.map((b, i) => {
      const dir = targets.length > 1 ? path.join(tmp, b) : tmp;
      fs.mkdirSync(dir, { recursive: true });
      const objects = objectOf.map((objs) => objs[i]);
      return { backend: b, dir, core: path.join(dir, `${base}.cjs`), objects, entries: new EntryCheck(new Map(objects.map((o, n) => [o, all[n].file]))) };
    });
    const linkJob = ({ backend: b, core, objects, entries }, i) => () => {
      const link = linkCommandFlags(linkFlags({ debug, stackCheck, cxx: linkCxx, backend: b, threads }), flagsFor(flags, 'link'), { eh: eh[b] });
      return run(linkCxx ? 'em++' : 'emcc', [...objects, libs[i], ...link, ...entries.flags, '-o', core],
        { log, env: linkEnv(link, b), onStdout: (line) => entries.line(line), filter: (line) => entries.stderr(line) });
    };
    await stage(progress, `linking ${names}${targets.length > 1 ? ` (${targets.join(' and ')})` : ''}`, () => runJobs(linked.map(linkJob), linkJobs()));
    for (const l of linked) l.entries.check();
    const refused = [...new Set(linked.flatMap((l) => refusedImports(fs.readFileSync(l.core, 'utf8'))))];
    if (refused.length) {
      throw new BuildError(refused.map((f) => `wasync: ${f} suspends the whole module and cannot run in a wasync program: ${REFUSED_ASYNC[f]}.`).join('\n'));
    }
    const wasmNames = wasmFiles(outAbs, backend);
    for (const l of linked) fs.copyFileSync(path.join(l.dir, `${base}.wasm`), path.join(outDir, wasmNames[l.backend]));
    // --preload-file's package, loaded beside the module (wrap.mjs's
    // locateFile): the same file system for every backend, one .data file.
    const data = linked.map((l) => path.join(l.dir, `${base}.data`)).filter((f) => fs.existsSync(f));
    if (data.length) {
      if (data.some((f) => !fs.readFileSync(f).equals(fs.readFileSync(data[0])))) {
        throw new BuildError(`wasync: the links for ${targets.join(' and ')} packaged different files into ${base}.data`);
      }
      fs.copyFileSync(data[0], path.join(outDir, `${base}.data`));
    }
    // --threads: the pool's Workers run the glue as a classic script
    // (threadWorkerScript); one backend only (checked above).
    const workerName = threads ? `${base}.worker.cjs` : null;
    if (threads) {
      fs.writeFileSync(path.join(outDir, workerName),
        threadWorkerScript(fs.readFileSync(linked[0].core, 'utf8'), path.join(linked[0].dir, `${base}.worker.js`)));
    }
    fs.writeFileSync(outAbs, wrapModule(linked.map((l) => ({
      backend: l.backend, glue: fs.readFileSync(l.core, 'utf8'), wasmName: wasmNames[l.backend],
      suspending: backendManifest(l.backend).asyncImports === 'WebAssembly.Suspending',
    })), { exportName: 'createWasyncModule', threads, workerName }));
    fs.writeFileSync(declarationPath(outAbs), DECLARATION);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return outAbs;
}

/**
 * The script each pool Worker of a `--threads` module runs (<out>.worker.cjs):
 * the link's glue as a classic script, which Emscripten's own pthread start-up
 * expects (the .mjs is an ES module). Releases up to 3.1.x write a separate
 * worker script (<name>.worker.js, here `emscriptenWorker`) that loads the
 * glue with importScripts from Module.mainScriptUrlOrBlob; both go into one
 * file, and its importScripts becomes a no-op, the glue being there already.
 * Later releases start the glue itself in the Worker (it knows it is a
 * pthread from the Worker's name or workerData). `.cjs`: Node reads it as
 * CommonJS even under a package.json that says "type": "module".
 */
function threadWorkerScript(glue, emscriptenWorker) {
  if (!fs.existsSync(emscriptenWorker)) return glue;
  return `${glue}\n${fs.readFileSync(emscriptenWorker, 'utf8')}\n` +
    '// wasync: the glue is above; the worker script above must not load it again.\n' +
    '(typeof self === "object" ? self : globalThis).importScripts = function () {};\n';
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
 * began is recorded as changed. An AUTO build is keyed by both backends'
 * libraries, link flags and JS halves, and is current only while its
 * module and both .wasm files are there. Returns the module's path.
 */
export async function cachedBuild({ sources, debug = false, cflags = [], stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, threads = 0, log, progress }) {
  const targets = linkedBackends(checkBuildBackend(backend));
  const key = sha256(JSON.stringify({
    debug, backend, cflags, stackSize, threads, cwd: process.cwd(), sources: sources.map((s) => path.resolve(s)),
    lib: targets.map((b) => libDigest({ debug, backend: b, threads: !!threads })), link: targets.map((b) => linkFlags({ debug, stackCheck, backend: b, threads })),
  }), ...[...new Set(targets.flatMap((b) => jsLibraries({ backend: b }))), fileURLToPath(import.meta.url), path.join(ROOT, 'js', 'cli', 'wrap.mjs'),
    path.join(ROOT, 'js', 'cli', 'flags.mjs'), path.join(ROOT, 'js', 'cli', 'crossings.mjs'), path.join(ROOT, 'js', 'cli', 'eh.mjs')].map((f) => fs.readFileSync(f)));
  const entry = path.join(cacheDir('run'), key.slice(0, 32));
  const out = path.join(entry, 'app.mjs');
  const outputs = [out, ...Object.values(wasmFiles(out, backend)).map((f) => path.join(entry, f))];
  const manifest = path.join(entry, 'inputs.json');
  let recorded = [];
  try {
    recorded = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch (e) { /* no entry yet */ }
  const current = () => {
    try {
      return recorded.length > 0 && outputs.every((f) => fs.existsSync(f)) && recorded.every(([f, h]) => inputHash(f) === h);
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
    await buildProgram({ sources, out: path.join(work, 'app.mjs'), debug, cflags, stackSize, stackCheck, backend, threads, log, progress, deps });
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

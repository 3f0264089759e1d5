// plan.mjs — the command lines of a wasync build, planned and not run: the
// backends and their manifests, the runtime's sources, the compile flags of
// the runtime and of user code, the link line (wasync's settings merged with
// the user's), the --js-library files, and the values of wasync's own flags.
// Functions of their arguments and of the files in src/ and wasm/; nothing
// here spawns a tool (exec.mjs runs the lines, build.mjs puts a build
// together, lib.mjs and cache.mjs keep what was built). The one file it may
// write is the error library generated from the C tables (crossings.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncImports, backends, constantsLibraryFile, defaultBackend, exportedFunctions, stackSizes } from './crossings.mjs';
import { ehCompileFlags, ehLinkFlags } from './eh.mjs';
import { releaseLinkFlags } from './toolchain.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SRC = path.join(ROOT, 'src');
export const WASM = path.join(ROOT, 'wasm');

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
export function linkCommandFlags(ours, userWords, { eh }) {
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
export function settingValue(flags, name) {
  let v;
  for (const f of flags) {
    const m = /^-s([A-Z_]+)(?:=(.*))?$/s.exec(f);
    if (m && m[1] === name) v = m[2] === undefined ? '1' : m[2];
  }
  return v;
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

/** The TypeScript declaration of a built module (its factory's type). */
export const DECLARATION = `// Generated by wasync build. Do not edit.
// The module's factory, the argument of load() from 'wasync'.
import type { ModuleFactory } from 'wasync';
declare const createModule: ModuleFactory;
export default createModule;
`;

/** Where the declaration of `out` goes: app.mjs → app.d.mts, app.js → app.d.ts. */
export function declarationPath(out) {
  return /\.mjs$/.test(out) ? out.replace(/\.mjs$/, '.d.mts') : out.replace(/\.js$/, '') + '.d.ts';
}


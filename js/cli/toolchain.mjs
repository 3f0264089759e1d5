// toolchain.mjs — what differs between the Emscripten releases wasync
// supports (Debian's 3.1.6 and 3.1.69, emsdk 4.x, Debian sid's 6.0.x),
// detected once, here, from `emcc --version`. Everything else in wasync uses
// what every one of them documents.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The environment emcc runs in. Debian's emcc needs acorn from the system's
 * node modules at -O1 and up (3.1.6's package does not depend on it). */
export function emccEnv(base = process.env) {
  const env = { ...base };
  if (fs.existsSync('/usr/share/nodejs')) {
    env.NODE_PATH = env.NODE_PATH ? `${env.NODE_PATH}:/usr/share/nodejs` : '/usr/share/nodejs';
  }
  return env;
}

let versionLine;
/** `emcc --version`'s first line ('' without emcc), asked once per process. */
export function emccVersion() {
  if (versionLine === undefined) {
    const r = spawnSync('emcc', ['--version'], { encoding: 'utf8', env: emccEnv() });
    versionLine = r.status === 0 ? r.stdout.split('\n')[0] : '';
  }
  return versionLine;
}

/**
 * Which emcc builds: the emcc on the PATH (its real path) and its release,
 * read from emscripten-version.txt beside it (Debian's, emsdk's and a
 * source checkout's emcc all have one) without starting emcc; where there
 * is none, `emcc --version` (emccVersion). For build digests (cache.mjs),
 * which a test run computes many times.
 */
export function emccIdentity() {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    let real;
    try {
      real = fs.realpathSync(path.join(dir || '.', 'emcc'));
    } catch (e) {
      continue;
    }
    try {
      return `${real} ${fs.readFileSync(path.join(path.dirname(real), 'emscripten-version.txt'), 'utf8').trim()}`;
    } catch (e) {
      break;
    }
  }
  return emccVersion();
}

/** [major, minor, patch] of the emcc on the PATH ([0, 0, 0] if unknown). */
export function emccRelease() {
  const m = /\b(\d+)\.(\d+)\.(\d+)/.exec(emccVersion());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** True if the emcc on the PATH is release `v` ("3.1.44") or later. */
export function emccAtLeast(v) {
  const want = v.split('.').map(Number);
  const have = emccRelease();
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

/** Emscripten's own stack (what runs outside tasks: static constructors,
 * the scheduler): 64 KiB, the default since 3.1.27 (STACK_SIZE), given to
 * older releases too (3.1.6 names it TOTAL_STACK, default 5 MiB), so that
 * a program behaves alike on every release. WA_STACK_DEFAULT is the same. */
export function stackSizeFlags() {
  return [`-s${emccAtLeast('3.1.27') ? 'STACK_SIZE' : 'TOTAL_STACK'}=65536`];
}

/**
 * Link flags that only some releases take:
 *  - NODEJS_CATCH_EXIT / NODEJS_CATCH_REJECTION: in 3.1.x their default (1)
 *    made the generated module install process-wide uncaughtException /
 *    unhandledRejection handlers in Node, so an imported module took over
 *    its host's error handling. 5.0.2 removed both settings (its ChangeLog:
 *    "problematic as it injects a global process.on handler"); passing them
 *    there is a legacy-setting warning.
 *  - $getTempRet0: without WASM_BIGINT (the default before 4.0) an i64
 *    result reaches JS as its low half, and cwrap's 'i64'/'u64' read the
 *    high half with getTempRet0. Since 3.1.20 that is a JS library helper
 *    that is only linked when something asks for it (3.1.6 always has it).
 */
export function releaseLinkFlags({ debug = false } = {}) {
  return [
    ...stackSizeFlags(),
    ...(emccAtLeast('5.0.2') ? [] : ['-sNODEJS_CATCH_EXIT=0', '-sNODEJS_CATCH_REJECTION=0']),
    ...(emccAtLeast('3.1.20') ? ['-sDEFAULT_LIBRARY_FUNCS_TO_INCLUDE=$getTempRet0'] : []),
    // Debug builds link with -g (DWARF, so a debugger can show the C
    // source) and at -O2 (Asyncify's output is only compact once Binaryen
    // has optimized it). Since 3.1.8 emcc warns on every such link that
    // DWARF limits Binaryen's optimizations: that is the known price of
    // --debug, not something the user can act on. 3.1.6 has no such
    // warning and its clang would warn about the unknown option.
    ...(debug && emccAtLeast('3.1.8') ? ['-Wno-limited-postlink-optimizations'] : []),
  ];
}

let binaryenRoot;
/** Emscripten's BINARYEN_ROOT (`em-config BINARYEN_ROOT`), asked once; '' if unknown. */
export function binaryenRootDir() {
  if (binaryenRoot === undefined) {
    const r = spawnSync('em-config', ['BINARYEN_ROOT'], { encoding: 'utf8', env: emccEnv() });
    binaryenRoot = r.status === 0 ? r.stdout.trim() : '';
  }
  return binaryenRoot;
}

/** The wasm-opt wrapper: Binaryen's own, minus one argument. */
const WASM_OPT_SHIM = (real) => `#!/bin/sh
# Written by wasync (js/cli/toolchain.mjs): Binaryen's wasm-opt without
# --pass-arg=asyncify-asserts, which emcc adds whenever ASSERTIONS is on.
for a do shift; [ "$a" = --pass-arg=asyncify-asserts ] || set -- "$@" "$a"; done
exec ${JSON.stringify(real)} "$@"
`;

/**
 * A Binaryen root for a link with Emscripten's ASSERTIONS on the Asyncify
 * backend, made once in `dir`: its bin/ holds the real Binaryen's tools
 * (symlinks) except wasm-opt, a wrapper that drops
 * --pass-arg=asyncify-asserts. Every Emscripten release passes that
 * argument when ASSERTIONS is on (3.1.6 emcc.py, 6.0 tools/link.py), and
 * Binaryen then checks, after every call in every uninstrumented function,
 * that the Asyncify state is what it was when the function began. wasync's
 * scheduler (wasm/backend/asyncify.c) is uninstrumented and changes that
 * state on purpose (start_rewind, then the task unwinds into it), so the
 * check traps on the first switch. Everything else ASSERTIONS does (the JS
 * glue's checks, the stack cookie, the runtime's) stays on. Emscripten reads
 * the root from EM_BINARYEN_ROOT; its sanity stamp does not include it, so
 * the system library cache stays valid. Debian's 3.1.6 runs `wasm-opt`
 * from the PATH instead, which therefore gets the wrapper first. Returns the env to add, or {} when
 * Binaryen cannot be found (the link then traps as before).
 */
export function binaryenWithoutAsyncifyAsserts(dir) {
  const root = binaryenRootDir();
  const realBin = root && path.join(root, 'bin');
  if (!realBin || !fs.existsSync(path.join(realBin, 'wasm-opt'))) return {};
  const bin = path.join(dir, 'bin');
  const shim = path.join(bin, 'wasm-opt');
  const text = WASM_OPT_SHIM(path.join(realBin, 'wasm-opt'));
  let current = false;
  try { current = fs.readFileSync(shim, 'utf8') === text; } catch (e) { /* not made yet */ }
  if (!current) {
    const tmp = fs.mkdtempSync(path.join(dir, '.tmp-'));
    try {
      fs.mkdirSync(path.join(tmp, 'bin'));
      for (const f of fs.readdirSync(realBin)) {
        if (/^(wasm|binaryen)/.test(f) && f !== 'wasm-opt') fs.symlinkSync(path.join(realBin, f), path.join(tmp, 'bin', f));
      }
      fs.writeFileSync(path.join(tmp, 'bin', 'wasm-opt'), text, { mode: 0o755 });
      fs.rmSync(bin, { recursive: true, force: true });
      try {
        fs.renameSync(path.join(tmp, 'bin'), bin);
      } catch (e) {
        if (fs.readFileSync(shim, 'utf8') !== text) throw e; /* another build made it meanwhile */
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  // Emscripten runs BINARYEN_ROOT/bin/wasm-opt; Debian's 3.1.6 runs
  // `wasm-opt` from the PATH instead.
  return { EM_BINARYEN_ROOT: dir, PATH: `${bin}${path.delimiter}${process.env.PATH || ''}` };
}

// toolchain.mjs — what differs between the Emscripten releases wasync
// supports (Debian's 3.1.6 and 3.1.69, emsdk 4.x, Debian sid's 6.0.x),
// detected once, here, from `emcc --version`. Everything else in wasync uses
// what every one of them documents.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

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

// eh.mjs — setjmp/longjmp and C++ exceptions on each backend: the flags
// that choose how Emscripten lowers them, and the combinations refused.
//
// Emscripten lowers both in one of two ways:
//  - through JS ('emscripten': -fexceptions, SUPPORT_LONGJMP=emscripten):
//    every call that may throw or longjmp becomes an `invoke_*` import, a JS
//    function that calls back into wasm inside a JS try. Binaryen's Asyncify
//    unwinds through those (the JS frame is gone when the task suspends), but
//    JSPI cannot suspend a stack with a JS frame on it: an await under a
//    setjmp or inside a C++ try would be fatal.
//  - with wasm exception handling ('wasm': -fwasm-exceptions,
//    SUPPORT_LONGJMP=wasm): no JS frame, so JSPI suspends through it, but
//    Binaryen's Asyncify cannot instrument try/catch and aborts.
// So the same sources and flags are lowered per backend:
//  - setjmp: LLVM lowers it when it generates code, which for release
//    objects (LTO bitcode) happens at the link. Release compiles of C therefore
//    enable the exception-handling target feature (-mexception-handling; no
//    instruction uses it unless the link picks the wasm lowering), and a
//    JSPI link picks SUPPORT_LONGJMP=wasm. Debug and -fno-lto objects are
//    code already: -fno-lto ones compiled with --backend=jspi (wasync build
//    always knows the backend) are lowered the wasm way; the others, and
//    debug builds of C, through JS, whose invoke_* imports a JSPI module
//    makes Suspending (wasm/backend/jspi.js, wasyncJspi.invoke): slow but correct.
//  - C++ exceptions differ in the frontend already (landing pads or
//    funclets): with --backend=jspi a user's -fexceptions becomes
//    -fwasm-exceptions, in the compile and the link. C++ objects compiled
//    with -fexceptions for another backend are refused for JSPI (ehMode).
// Code that never calls setjmp nor throws is the same either way.

import fs from 'node:fs';

/** Flags that only the wasm lowering takes, and the ones that ask for JS trampolines. */
const WASM_ONLY = [/^-fwasm-exceptions$/, /^-sSUPPORT_LONGJMP=wasm$/, /^-sWASM_LEGACY_EXCEPTIONS=/];
const JS_ONLY = [/^-sSUPPORT_LONGJMP=(emscripten|1)$/, /^-sDISABLE_EXCEPTION_CATCHING=0$/, /^-sEXCEPTION_CATCHING_ALLOWED=/];

/** `-s X=Y` as one word, so that the patterns above see it. */
function joined(words) {
  const out = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-s' && i + 1 < words.length) out.push(`-s${words[++i]}`);
    else out.push(words[i]);
  }
  return out;
}

const find = (words, patterns) => joined(words).find((w) => patterns.some((re) => re.test(w)));

/**
 * What an object or archive holds that was lowered for JS trampolines
 * already: 'c++' for C++ compiled with -fexceptions without --backend=jspi
 * (landing pads with the JS personality, even as bitcode), 'setjmp' for
 * setjmp lowered through JS (compiled with --debug or -fno-lto without
 * --backend=jspi: it imports Emscripten's trampolines), else null. C bitcode
 * is lowered at the link and never matches.
 */
export function jsLowered(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch (e) {
    return null;
  }
  if (/__gxx_personality_v0|__cxa_find_matching_catch/.test(text)) return 'c++';
  if (/emscripten_longjmp|(?:^|[^\w$])invoke_[vijfdep]+(?![\w$])/.test(text)) return 'setjmp';
  return null;
}

const CXX_EH = (w) => w === '-fexceptions' || w === '-fwasm-exceptions';

/**
 * How a build lowers setjmp and exceptions, or throws an Error with one
 * sentence. Asyncify: 'emscripten' (JS trampolines). JSPI: 'wasm', except
 * that setjmp goes through JS trampolines (each a Suspending import that
 * runs its callee on a nested stack: wasm/backend/jspi.js, wasyncJspi.invoke;
 * correct, but a promise round trip per call) when an object was lowered
 * that way already (one lowering per module), when the user asks for it
 * (-sSUPPORT_LONGJMP=emscripten), in --debug builds without C++ exceptions
 * (Binaryen 131 aborts on DWARF of wasm-lowered setjmp) and for C++
 * built without -fexceptions (the wasm lowering of setjmp would take away
 * Emscripten's default, a throw that ends the program). C++ exceptions
 * through JS trampolines cannot work on JSPI (Emscripten's JS
 * exception runtime calls C from JS frames): refused.
 */
export function ehMode(backend, words = [], objects = [], { cxx = false, debug = false } = {}) {
  if (backend !== 'jspi') return 'emscripten';
  const refuse = (what) => new Error(`wasync: ${what} lowers C++ exceptions to JS invoke_* trampolines, which ` +
    '--backend=jspi cannot suspend through; compile the C++ with --backend=jspi -fexceptions (wasync lowers it with ' +
    'wasm exception handling there) or build with --backend=asyncify.');
  const flag = find(words, JS_ONLY);
  if (flag && !/SUPPORT_LONGJMP/.test(flag)) throw refuse(flag);
  const lowered = objects.map((f) => [f, jsLowered(f)]);
  const cxxObject = lowered.find(([, k]) => k === 'c++');
  if (cxxObject) throw refuse(cxxObject[0]);
  const wantsCxxEh = words.some(CXX_EH);
  const jsSjlj = flag || lowered.some(([, k]) => k === 'setjmp');
  if (jsSjlj && wantsCxxEh) {
    throw new Error(`wasync: ${flag || lowered.find(([, k]) => k === 'setjmp')[0]} has setjmp lowered to JS ` +
      'trampolines, which cannot be linked with C++ exceptions for --backend=jspi; compile it with --backend=jspi.');
  }
  if (jsSjlj || (cxx && !wantsCxxEh) || (debug && !wantsCxxEh)) return 'emscripten';
  return 'wasm';
}

/**
 * Throws an Error with one sentence if the flags ask for a lowering the
 * backend cannot run; `backend` null (a compile for no backend yet) accepts
 * everything.
 */
export function checkEhFlags(words, backend) {
  if (!backend) return;
  const wasm = find(words, WASM_ONLY);
  if (backend !== 'jspi' && wasm) {
    throw new Error(`wasync: ${wasm} cannot be used with --backend=${backend}: Binaryen's Asyncify cannot instrument ` +
      'wasm exception handling; use -fexceptions (setjmp needs no flag), which wasync lowers the way each backend needs.');
  }
  const js = find(words, JS_ONLY);
  if (wasm && js) {
    throw new Error(`wasync: ${wasm} and ${js} ask for two lowerings of exceptions and setjmp; leave both out ` +
      '(wasync picks the one each backend needs).');
  }
}

/**
 * Whether one compile of a C source serves the links of every backend
 * (`--backend=auto` then compiles it once and links the object twice):
 * release C is LTO bitcode, its setjmp lowered by each link, and compiled
 * with the exception-handling feature for no backend (ehCompileFlags, mode
 * null) it links as the JSPI link's wasm lowering needs. Not so for debug
 * and -fno-lto objects (code already, lowered when compiled) nor with
 * -fexceptions (mapped to -fwasm-exceptions for JSPI): those are compiled
 * once per backend. `words`: the user's compile flags.
 */
export function oneObjectForAll(words, { debug = false } = {}) {
  if (debug || words.some(CXX_EH)) return false;
  return joined(words).filter((w) => /^-f(no-)?lto(=.*)?$/.test(w)).pop() !== '-fno-lto';
}

/** The user's flags for the lowering: -fexceptions becomes -fwasm-exceptions for the wasm one. */
function mapUserFlags(words, mode) {
  if (mode !== 'wasm') return words;
  return words.map((w) => (w === '-fexceptions' ? '-fwasm-exceptions' : w));
}

/**
 * A compile's flags: wasync's (put before the user's) and the user's,
 * mapped. `mode` (ehMode) null when the backend is unknown (`wasync cc -c`
 * without --backend): release objects of C leave the lowering to the link,
 * debug objects and C++ use JS trampolines.
 */
export function ehCompileFlags(userWords, { debug = false, mode = null, cxx = false } = {}) {
  if (mode === 'wasm') return { ours: ['-sSUPPORT_LONGJMP=wasm'], user: mapUserFlags(userWords, mode) };
  // emcc adds -mexception-handling to LTO compiles only with
  // SUPPORT_LONGJMP=wasm. Only C gets it: clang 14 (emcc 3.1.6) crashes on
  // C++ built with it and -fexceptions, so C++ objects that call setjmp are
  // lowered for the link's backend only when compiled with --backend.
  return { ours: debug || cxx ? [] : ['-mexception-handling'], user: userWords };
}

/** A link's flags: wasync's (put before the user's) and the user's, mapped. */
export function ehLinkFlags(userWords, { mode }) {
  if (mode !== 'wasm') return { ours: [], user: userWords };
  return { ours: ['-sSUPPORT_LONGJMP=wasm'], user: mapUserFlags(userWords, mode) };
}

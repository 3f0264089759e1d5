/**
 * debug.js — what the debugging tools users bring need from the JS host:
 * names for C frames and for uncaught C++ exceptions. An Emscripten
 * --js-library, linked into every build (host.js depends on $wasyncDebug); it
 * costs nothing until a fault is described.
 */
mergeInto(LibraryManager.library, {
  // Emscripten 3.1.x's ASan builds (USE_OFFSET_CONVERTER) name C frames in
  // their reports through a WasmOffsetConverter that the glue builds while
  // it instantiates the .wasm. wasync instantiates the module itself
  // (js/cli/wrap.mjs), so the glue never builds it and every ASan report died
  // in it ("Cannot read properties of undefined"). wrap.mjs calls this hook
  // with the module's bytes instead. Later releases have no converter.
  $wasyncDebug__postset: 'Module["wasyncOffsetConverter"] = typeof WasmOffsetConverter == "function" ? ' +
    'function (bytes, module) { wasmOffsetConverter = new WasmOffsetConverter(bytes, module); } : null;',
  $wasyncDebug: {
    // "uncaught C++ exception <type>: <what()>" if e is a C++ exception
    // nothing caught, else null. e is what reached the host: the thrown
    // object's address (3.1.x; a string starting with it under
    // ASSERTIONS), an object with excPtr (later releases, with exception
    // catching), or the abort() of a throw built without exception catching
    // (later releases). wasm/host/cxx.c, linked into C++ programs only,
    // knows the last throw.
    // The C frames of e's stack, innermost first, one "    at name" line
    // each, or null when no frame has a name (release builds strip the
    // name section unless they keep function names).
    // With all: the same, but null unless every C frame has a name (a
    // release build names only the functions it exports).
    cStack: function (e, all) {
      var lines = String(e && e.stack || '').split('\n');
      var frames = [];
      var named = false;
      var unnamed = false;
      lines.forEach(function (l) {
        // V8: "at name (wasm://wasm/<hash>:wasm-function[N]:0x…)" or, unnamed,
        // "at wasm://wasm/<hash>:wasm-function[N]:0x…" (under a custom
        // prepareStackTrace, as Jest's: "at null.<anonymous> (wasm://…)");
        // Firefox: "name@…wasm-function[N]…".
        var m = /^\s*at (.+?) \((?:wasm:\/\/|.*wasm-function\[)/.exec(l) || /^(.+?)@.*wasm-function\[/.exec(l);
        if (m) {
          var anon = /^(\$?func\d+|wasm-function\[\d+\]|(null\.)?<anonymous>)$/.test(m[1]);
          named = named || !anon;
          unnamed = unnamed || anon;
          frames.push('    at ' + m[1].replace(/^.*\.wasm\./, ''));
        } else if (/wasm-function\[\d+\]|^\s*at wasm:\/\//.test(l)) {
          unnamed = true;
          frames.push('    at ' + l.trim().replace(/^at /, ''));
        }
      });
      return named && !(all && unnamed) ? frames.join('\n') : null;
    },

    describeException: function (e) {
      var describe = wasyncHost.option('_wa__cxx_describe');
      if (typeof describe !== 'function') return null;
      var ptr = 0;
      var m;
      if (typeof e === 'number') ptr = e;
      else if (typeof e === 'string' && (m = /^(\d+)( - Exception catching is disabled|$)/.exec(e))) ptr = Number(m[1]);
      else if (e && typeof e.excPtr === 'number') ptr = e.excPtr;
      else if (!/^Aborted\((undefined|.*exception catching is not enabled.*)\)(\. Build with -s ?ASSERTIONS.*)?$/i.test(String(e && e.message || e))) return null;
      var p;
      try {
        p = describe(ptr);
      } catch (x) {
        return null; // memory unreadable
      }
      return p ? 'uncaught C++ exception ' + UTF8ToString(p) : null;
    },
  },
});

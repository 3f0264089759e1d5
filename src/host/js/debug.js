/**
 * debug.js — what the debugging tools users bring need from the JS host:
 * names for C frames and for uncaught C++ exceptions. An Emscripten
 * --js-library, linked into every build (host.js depends on $WAD); it
 * costs nothing until a fault is described.
 */
mergeInto(LibraryManager.library, {
  // Emscripten 3.1.x's ASan builds (USE_OFFSET_CONVERTER) name C frames in
  // their reports through a WasmOffsetConverter that the glue builds while
  // it instantiates the .wasm. wasync instantiates the module itself
  // (js/wrap.mjs), so the glue never builds it and every ASan report died
  // in it ("Cannot read properties of undefined"). wrap.mjs calls this hook
  // with the module's bytes instead. Later releases have no converter.
  $WAD__postset: 'Module["wasyncOffsetConverter"] = typeof WasmOffsetConverter == "function" ? ' +
    'function (bytes, module) { wasmOffsetConverter = new WasmOffsetConverter(bytes, module); } : null;',
  $WAD: {},
});

// wasm_funcs.mjs — just enough of the wasm binary format to find an
// exported function's body: used by rows/kernel_tax.mjs and rows/jspi.mjs
// to show that Asyncify left the compute kernel alone (same bytes in the plain and the wasync build).

function reader(buf, pos = 0) {
  return {
    get pos() { return pos; },
    set pos(p) { pos = p; },
    u8() { return buf[pos++]; },
    uleb() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = buf[pos++];
        result += (b & 0x7f) * 2 ** shift;
        if (!(b & 0x80)) return result;
        shift += 7;
      }
    },
    name() { const n = this.uleb(); const s = buf.subarray(pos, pos + n).toString('utf8'); pos += n; return s; },
  };
}

/**
 * Sections of a wasm module (Buffer): { codeBytes, functions, exportIndex(name), exportBody(name) }.
 * exportBody returns the body bytes (locals + code) of an exported function.
 */
export function parseWasm(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const r = reader(buf, 8);
  let importedFuncs = 0;
  const exports = new Map();
  let bodies = [];
  let codeBytes = 0;
  while (r.pos < buf.length) {
    const id = r.u8();
    const size = r.uleb();
    const end = r.pos + size;
    if (id === 2) { // imports: count functions
      for (let n = r.uleb(); n > 0; n--) {
        r.name(); r.name();
        const kind = r.u8();
        if (kind === 0) { r.uleb(); importedFuncs++; }
        else if (kind === 1) { r.u8(); const f = r.u8(); r.uleb(); if (f & 1) r.uleb(); }
        else if (kind === 2) { const f = r.u8(); r.uleb(); if (f & 1) r.uleb(); }
        else if (kind === 3) { r.u8(); r.u8(); }
        else if (kind === 4) { r.u8(); r.uleb(); }
      }
    } else if (id === 7) { // exports
      for (let n = r.uleb(); n > 0; n--) {
        const name = r.name();
        const kind = r.u8();
        const index = r.uleb();
        if (kind === 0) exports.set(name, index);
      }
    } else if (id === 10) { // code
      codeBytes = size;
      for (let n = r.uleb(); n > 0; n--) {
        const len = r.uleb();
        bodies.push(buf.subarray(r.pos, r.pos + len));
        r.pos += len;
      }
    }
    r.pos = end;
  }
  return {
    codeBytes,
    functions: bodies.length,
    /** Index of an exported function in the function index space (as wasm-opt --print numbers it). */
    exportIndex(name) {
      const index = exports.get(name);
      if (index === undefined) throw new Error(`no exported function ${name}`);
      return index;
    },
    exportBody(name) {
      const index = exports.get(name);
      if (index === undefined) throw new Error(`no exported function ${name}`);
      return bodies[index - importedFuncs];
    },
  };
}

/**
 * The wasm export name of C function `name` (Emscripten minifies export
 * names at -O2 and up; the JS glue maps `_name` to it). The glue says it in
 * one of these ways, depending on the release:
 *   3.1.x:  Module["_name"]=Module["asm"]["xy"]   (inside a lazy wrapper)
 *   4.x+:   _name=Module["_name"]=wasmExports["xy"]
 *   6.x:    Module["_name"]=_name=wasmExports["xy"]
 */
export function exportNameInGlue(glue, name) {
  const lhs = `(?:Module\\["_${name}"\\]|\\b_${name})`;
  const re = new RegExp(`${lhs}\\s*=\\s*(?:${lhs}\\s*=\\s*)?(?:Module\\["asm"\\]|wasmExports|asm)\\["([\\w$]+)"\\]`);
  const m = re.exec(glue);
  return m ? m[1] : `${name}`;
}

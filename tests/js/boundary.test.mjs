// The host boundary (issue 13): every crossing between wasm and JS is in
// src/host.h's tables, and only those cross; no shipped JS holds an
// error number; the core's C files never name the toolchain or a backend.
import fs from 'node:fs';
import path from 'node:path';
import { backends, crossingTables, errorCodes, exportNames, importNames } from '../../js/cli/crossings.mjs';
import { ROOT, buildFixture } from './helpers.mjs';

const OWN = /^wa_/;                 // what wasync's own names look like
const AJS = /^wa__ajs__/;           // WA_ASYNC_JS imports (the table's prefix)

function wasmOf(mjs) {
  const m = new WebAssembly.Module(fs.readFileSync(mjs.replace(/\.mjs$/, '.wasm')));
  const imports = WebAssembly.Module.imports(m).filter((i) => i.kind === 'function').map((i) => i.name);
  const exports = WebAssembly.Module.exports(m).filter((e) => e.kind === 'function').map((e) => e.name);
  return { imports, exports };
}

// Debug builds keep the import and export names (release links minify them).
describe.each(Object.keys(backends()))('the %s backend\'s module', (backend) => {
  let mod;
  beforeAll(() => {
    mod = wasmOf(buildFixture('boundary', ['--debug', `--backend=${backend}`], { tag: backend }));
  }, 300000);

  test('exports every export of the table, and no other wasync function', () => {
    const table = exportNames({ backend });
    expect(table.filter((n) => !mod.exports.includes(n))).toEqual([]);
    const own = mod.exports.filter((n) => OWN.test(n));
    expect(own.filter((n) => !table.includes(n))).toEqual([]);
  });

  test('imports every import of the table, and no other wasync function', () => {
    const table = importNames({ backend });
    expect(table.filter((n) => !mod.imports.includes(n))).toEqual([]);
    const own = mod.imports.filter((n) => OWN.test(n) && !AJS.test(n));
    expect(own.filter((n) => !table.includes(n))).toEqual([]);
    expect(mod.imports.some((n) => AJS.test(n))).toBe(true);
  });
});

// ---- no error numbers in JS ----------------------------------------------------

/** The JS the package ships: the host and backend libraries and js/. */
function shippedJs() {
  const dirs = ['wasm/host/js', 'wasm/backend', 'js/cli', 'js/runtime'];
  return dirs.flatMap((d) => fs.readdirSync(path.join(ROOT, d)).filter((f) => /\.(m|c)?js$/.test(f))
    .map((f) => path.join(d, f)));
}

/**
 * Splits JS source into code (comments removed, string and regex literals
 * replaced by "") and the texts of its string literals. Template literals'
 * ${…} parts are code. Enough for our own sources, not a full tokenizer.
 */
function scan(src) {
  let code = '';
  const strings = [];
  let i = 0;
  const regexMayStart = () => {
    const t = code.replace(/\s+$/, '');
    return t === '' || /[(,=:[!&|?{};+\-*%<>~^]$/.test(t) || /\b(return|typeof|case|in|of)$/.test(t);
  };
  const template = () => {               // at the opening backtick
    let text = '';
    i++;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') { text += src.slice(i, i + 2); i += 2; continue; }
      if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        code += '"" + (';
        let depth = 1;
        while (i < src.length && depth > 0) {
          if (src[i] === '{') depth++;
          else if (src[i] === '}' && --depth === 0) break;
          if (!step()) code += src[i++];
        }
        code += ') + ';
        i++;
        continue;
      }
      text += src[i++];
    }
    i++;
    strings.push(text);
    code += '""';
  };
  // Consumes one comment or literal at i, if there is one there.
  const step = () => {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') { i = src.indexOf('\n', i); if (i < 0) i = src.length; return true; }
    if (c === '/' && src[i + 1] === '*') { i = src.indexOf('*/', i + 2) + 2; return true; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') { text += src.slice(j, j + 2); j += 2; } else text += src[j++];
      }
      strings.push(text);
      code += '""';
      i = j + 1;
      return true;
    }
    if (c === '`') { template(); return true; }
    if (c === '/' && regexMayStart()) {
      let j = i + 1;
      let cls = false;
      while (j < src.length && (cls || src[j] !== '/')) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        j++;
      }
      i = j + 1;
      while (/[a-z]/.test(src[i] || '')) i++;
      code += '""';
      return true;
    }
    return false;
  };
  while (i < src.length) if (!step()) code += src[i++];
  return { code, strings };
}

/** Unary minus before an integer: an error number (a slice() index is not; a - 1 is not unary). */
function negativeLiterals(code) {
  const text = code.replace(/\.slice\([^()]*\)/g, '');
  const out = [];
  for (const m of text.matchAll(/-\s*(\d+)(?![\w.])/g)) {
    const before = text.slice(0, m.index).replace(/\s+$/, '');
    if (/[\w$)\]]$/.test(before) && !/\b(return|case|typeof)$/.test(before)) continue; // binary minus
    out.push(m[0].replace(/\s+/g, ''));
  }
  return out;
}

describe('error codes in JS', () => {
  const codes = errorCodes();
  const names = new Set(codes.map((c) => `WA_${c.name}`));

  test('the scanner finds what the check looks for (it can fail)', () => {
    const bad = scan("if (rc === -4) return 'WA_ECANCELED'; // -9\nvar s = '-12'; var r = /-1/; f(`${-3}`);");
    expect(negativeLiterals(bad.code)).toEqual(['-4', '-3']);
    expect(negativeLiterals('n = a - 1; m = f(x) -2; return -7;')).toEqual(['-7']);
    expect(bad.strings).toContain('WA_ECANCELED');
  });

  test.each(shippedJs())('%s holds no error number or code name as a literal', (file) => {
    const { code, strings } = scan(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    expect([file, negativeLiterals(code)]).toEqual([file, []]);
    expect([file, strings.filter((s) => names.has(s))]).toEqual([file, []]);
  });

  test('every code of both C tables is a generated constant, none twice', () => {
    const values = codes.map((c) => c.value);
    expect(new Set(values).size).toBe(values.length);
    for (const n of ['ECANCELED', 'ENOTSUP', 'EDEADLK', 'EXIT', 'EABORT', 'FETCH_PARK']) {
      expect([n, codes.some((c) => c.name === n)]).toEqual([n, true]);
    }
  });
});

// ---- the core is backend- and host-blind ------------------------------------------

test('no C file of the core (src/*.c) names Emscripten, Asyncify or JSPI', () => {
  const core = fs.readdirSync(path.join(ROOT, 'src')).filter((f) => f.endsWith('.c'));
  expect(core.length).toBeGreaterThan(10);
  const hits = core.flatMap((f) => fs.readFileSync(path.join(ROOT, 'src', f), 'utf8').split('\n')
    .map((line, n) => `${f}:${n + 1}: ${line}`)
    .filter((l) => /emscripten|asyncify|jspi|EM_JS|EM_ASM/i.test(l.replace(/^[^:]+:\d+: /, ''))));
  expect(hits).toEqual([]);
});

// ---- a backend is its own files ---------------------------------------------------

test('every backend is described by its manifest, and the host header names none of them', () => {
  const all = backends();
  expect(Object.keys(all).sort()).toEqual(['asyncify', 'jspi']);
  expect(Object.values(all).filter((m) => m.default)).toHaveLength(1);
  // The header's code (its comments may give a backend as an example).
  const hostH = fs.readFileSync(path.join(ROOT, 'src', 'host.h'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  for (const [name, m] of Object.entries(all)) {
    for (const f of [...m.sources, ...m.js, m.tables]) expect(fs.existsSync(path.join(ROOT, 'wasm', 'backend', f))).toBe(true);
    // Its crossings with its JS half are in its own header, which the tables reader finds.
    const own = Object.keys(crossingTables().tables).filter((t) => t.startsWith(`WA_${name.toUpperCase()}_`));
    expect(own.length).toBeGreaterThan(0);
    const header = fs.readFileSync(path.join(ROOT, 'wasm', 'backend', m.tables), 'utf8');
    for (const t of own) {
      expect(header).toContain(`#define ${t}(X)`);
      expect(hostH).not.toContain(t);
    }
    expect(hostH).not.toMatch(new RegExp(name, 'i'));
  }
});

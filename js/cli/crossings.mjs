// crossings.mjs — what crosses between wasm and JS, read from the C tables
// that declare it once: src/host.h (the X-macro tables of imports and
// exports of the host and of every wasm backend, and WA_HOST_CODE_MAP), each
// backend's own header (wasm/backend/<name>.h, named by its manifest
// wasm/backend/<name>.json) and src/wasync.h (WA_ERRNO_MAP). The link's EXPORTED_FUNCTIONS and ASYNCIFY_IMPORTS, the
// JSPI Suspending imports, the JS error constants ($wasyncErrors) and the stack
// sizes the JS checks and reports ($wasyncLimits, from wasync.h and
// internal.h) are made from them at build time; nothing here is kept by
// hand.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, sha256 } from './cache.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = path.join(ROOT, 'src');
const BACKENDS = path.join(ROOT, 'wasm', 'backend');
export const HOST_H = path.join(SRC, 'host.h');
export const WASYNC_H = path.join(SRC, 'wasync.h');
const INTERNAL_H = path.join(SRC, 'internal.h');

/** The bodies of `#define NAME(X) ...` tables in a C header, comments removed. */
function macroTables(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const out = new Map();
  const re = /^#define\s+(WA_[A-Z0-9_]+)\(X\)((?:.*\\\n)*.*)$/gm;
  for (let m; (m = re.exec(text));) out.set(m[1], m[2].replace(/\\\n/g, ' '));
  return out;
}

/** The entries X(...) of a table body, each split at its top-level commas (not inside strings). */
function entries(body) {
  const list = [];
  for (let i = body.indexOf('X('); i >= 0; i = body.indexOf('X(', i)) {
    let depth = 0;
    let j = i + 1;
    const parts = [];
    let start = j + 1;
    for (; j < body.length; j++) {
      const c = body[j];
      if (c === '"') {
        j = body.indexOf('"', j + 1); // a string (no escaped quotes in these tables)
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
      else if (c === ',' && depth === 1) {
        parts.push(body.slice(start, j).trim());
        start = j + 1;
      }
    }
    parts.push(body.slice(start, j).trim());
    list.push(parts);
    i = j;
  }
  return list;
}

let cached = null;
let manifests = null;

/**
 * The stack-switching backends: every wasm/backend/<name>.json, as
 * { name: manifest }, read once. A manifest names the backend's runtime sources, its
 * JS half (--js-library files, in order), its header of crossings, its link
 * flags and how its async imports are declared (asyncImports: an Emscripten
 * setting such as "ASYNCIFY_IMPORTS", or "WebAssembly.Suspending": wrap.mjs
 * wraps them); default: true for the one `wasync build` uses.
 */
export function backends() {
  if (manifests) return manifests;
  const dir = BACKENDS;
  manifests = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    manifests[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  }
  return manifests;
}

/**
 * Every table of host.h and of the backends' headers as
 * { TABLE_NAME: [name, ...] } (function tables: the second field;
 * name-only tables: the only one), plus the async import prefix. Throws if
 * host.h has no WA_HOST_EXPORTS (a broken tree).
 */
export function crossingTables() {
  if (cached) return cached;
  const tables = {};
  const headers = [HOST_H, ...Object.values(backends()).filter((b) => b.tables).map((b) => path.join(BACKENDS, b.tables))];
  for (const file of headers) {
    for (const [name, body] of macroTables(file)) {
      if (name.endsWith('_CODE_MAP')) continue;
      tables[name] = entries(body).map((p) => (p.length >= 3 ? p[1] : p[0]));
    }
  }
  if (!tables.WA_HOST_EXPORTS) throw new Error(`wasync: ${HOST_H} declares no WA_HOST_EXPORTS table`);
  const prefix = /#define\s+WA_HOST_ASYNC_IMPORT_PREFIX\s+"([^"]+)"/.exec(fs.readFileSync(HOST_H, 'utf8'));
  cached = { tables, asyncImportPrefix: prefix ? prefix[1] : null };
  return cached;
}

const table = (name) => crossingTables().tables[name] || [];
/** The backend whose manifest says default: true. */
export const defaultBackend = () => Object.entries(backends()).find(([, m]) => m.default)[0];
const B = (backend) => `WA_${backend.toUpperCase()}`;

/** C functions the host calls, i.e. EXPORTED_FUNCTIONS (with Emscripten's
 * leading _); threads: a `--threads` build (host.h's thread tables too). */
export function exportedFunctions({ backend = defaultBackend(), threads = false } = {}) {
  return [...table('WA_HOST_EXPORTS'), ...table('WA_HOST_LIBC_EXPORTS'), ...table('WA_WASM_BACKEND_EXPORTS'),
    ...table('WA_WASM_BACKEND_TOOLCHAIN_EXPORTS'), ...table(`${B(backend)}_EXPORTS`),
    ...(threads ? table('WA_HOST_THREAD_EXPORTS') : [])].map((n) => `_${n}`);
}

/** Names a built module exports to its JS (unprefixed), by table. */
export function exportNames({ backend = defaultBackend(), threads = false } = {}) {
  return exportedFunctions({ backend, threads }).map((n) => n.slice(1));
}

/** Imports a task may suspend in: the host's async imports, the backend's suspending ones, and the WA_ASYNC_JS prefix + '*'. */
export function asyncImports({ backend = defaultBackend() } = {}) {
  const { asyncImportPrefix } = crossingTables();
  return [...table('WA_HOST_ASYNC_IMPORTS'), ...table(`${B(backend)}_SUSPENDING_IMPORTS`),
    ...(asyncImportPrefix ? [`${asyncImportPrefix}*`] : [])];
}

/** Every import the core and the backend may make of the host's JS (what a module may import by these names). */
export function importNames({ backend = defaultBackend(), threads = false } = {}) {
  return [...table('WA_HOST_IMPORTS'), ...table('WA_HOST_ASYNC_IMPORTS'), ...table(`${B(backend)}_IMPORTS`),
    ...table(`${B(backend)}_SUSPENDING_IMPORTS`), ...(threads ? table('WA_HOST_THREAD_IMPORTS') : [])];
}

/**
 * The error codes: WA_ERRNO_MAP (api: true, the C API's) then
 * WA_HOST_CODE_MAP (api: false: the JS API's own codes and protocol
 * values), each { name: 'ECANCELED', value: -1, text }.
 */
export function errorCodes() {
  const codes = [];
  const read = (file, macro, api) => {
    const body = macroTables(file).get(macro);
    if (!body) throw new Error(`wasync: ${file} has no ${macro}`);
    for (const [name, value, text] of entries(body)) codes.push({ name, value: Number(value), text: JSON.parse(text), api });
  };
  read(WASYNC_H, 'WA_ERRNO_MAP', true);
  read(HOST_H, 'WA_HOST_CODE_MAP', false);
  return codes;
}

/**
 * The value of `#define name <expression>` in a C header, for the integer
 * expressions these headers use (`((size_t)2 * 1024)`, `((size_t)1 << 30)`,
 * `((size_t)WA__MAIN_STACK_KIB * 1024)`): casts to size_t dropped, names
 * of other macros of the same header replaced by their values, then
 * nothing but numbers, parentheses, `*` and `<<`. Throws if the header
 * does not define name so.
 */
export function headerValue(file, name) {
  const m = new RegExp(`^#define\\s+${name}\\s+(.+)$`, 'm').exec(fs.readFileSync(file, 'utf8'));
  const expr = m && m[1].replace(/\/\*.*?\*\//g, '').replace(/\(size_t\)/g, '')
    .replace(/\b[A-Z_][A-Z0-9_]*\b/g, (id) => String(headerValue(file, id))).trim();
  if (!expr || !/^[0-9\s()*<]+$/.test(expr)) throw new Error(`wasync: ${file} has no #define ${name} with a plain integer value`);
  return Function(`"use strict"; return (${expr});`)();
}

/**
 * The task stack sizes the C headers define, in bytes: min and max, the
 * bounds of every stack_size (WA_STACK_MIN, WA_STACK_MAX in wasync.h), and
 * main, the main task's stack (WA__MAIN_STACK in internal.h).
 */
export function stackSizes() {
  return { min: headerValue(WASYNC_H, 'WA_STACK_MIN'), max: headerValue(WASYNC_H, 'WA_STACK_MAX'),
    main: headerValue(INTERNAL_H, 'WA__MAIN_STACK') };
}

/**
 * The generated --js-library: $wasyncErrors, every code as wasyncErrors.<name>, and
 * wasyncErrors.name(code) / wasyncErrors.text(code); $wasyncLimits, the stack sizes
 * (stackSizes) as stackMin, stackMax and mainStack.
 */
export function constantsLibrarySource() {
  const codes = errorCodes();
  const stack = stackSizes();
  const byName = codes.map((c) => `    ${c.name}: ${c.value},`).join('\n');
  const names = codes.map((c) => `      '${c.value}': ${JSON.stringify(`WA_${c.name}`)},`).join('\n');
  const texts = codes.map((c) => `      '${c.value}': ${JSON.stringify(c.text)},`).join('\n');
  return `// Generated by wasync (js/cli/crossings.mjs) from WA_ERRNO_MAP (src/wasync.h),
// WA_HOST_CODE_MAP (src/host.h) and the stack sizes of src/wasync.h and src/internal.h. Do not edit.
mergeInto(LibraryManager.library, {
  $wasyncLimits: {
    stackMin: ${stack.min},
    stackMax: ${stack.max},
    mainStack: ${stack.main},
  },
  $wasyncErrors: {
${byName}
    names: {
${names}
    },
    texts: {
${texts}
    },
    // 'WA_ECANCELED' for -1; WA_OK for 0 and WA_EUNKNOWN for any other number, as wa_err_name.
    name: function (code) { return wasyncErrors.names[code] || (code ? 'WA_EUNKNOWN' : 'WA_OK'); },
    text: function (code) { return wasyncErrors.texts[code] || (code ? 'unknown error' : 'success'); },
  },
});
`;
}

/**
 * The generated library as a file for --js-library, in the per-user cache
 * (the package folder may be read-only), named by its content.
 */
export function constantsLibraryFile() {
  const text = constantsLibrarySource();
  const file = path.join(cacheDir('gen'), `wasync-constants-${sha256(text).slice(0, 16)}.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  }
  return file;
}

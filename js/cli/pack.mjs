// pack.mjs — `wasync pack`: a C library as an npm package folder that
// `npm publish` accepts. The package's users install it and call the C
// functions as async JS functions; they need no Emscripten.
//
// What it writes into DIR:
//   package.json   name, version, exports (import, require, browser, types),
//                  files, sideEffects, and the runtime `wasync` at the
//                  version of the wasync that packed it
//   index.mjs      ESM entry: each WA_EXPORT function as a named async
//                  function under its C name, `load()` (the App) and `ready`
//   index.cjs      CommonJS entry: the same names (it imports index.mjs)
//   index.d.ts / index.d.cts   the functions with their C types
//   module.mjs, module.wasm    `wasync build`'s output (module.data too if
//                  the build preloads files); with --backend=auto,
//                  module.asyncify.wasm and module.jspi.wasm, and the
//                  package's users run JSPI where their engine has it;
//                  with --threads, module.worker.cjs too (the script of
//                  wa_to_thread's pool Workers, js/cli/build.mjs)
//   README.md      install and import lines, the functions and their C types
//
// The WA_EXPORT functions and their types come from clang's AST of each C/C++
// source (emcc -Xclang -ast-dump=json -fsyntax-only, with the build's own
// compile flags): the attribute WA_EXPORT expands to (used, visibility
// "default") is found on the declaration whatever macros, typedefs or
// line breaks the source uses, and every type arrives spelled by the
// compiler, typedefs resolved. Objects and archives have no types: their
// functions are packed only if a header given with --header declares them
// WA_EXPORT.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildError, DEFAULT_BACKEND, ROOT, buildProgram, userCompileCommand, wasmFiles } from './build.mjs';
import { flagsFor, splitArgs } from './flags.mjs';
import { emccEnv } from './toolchain.mjs';

/** The runtime package's name and version (this checkout's package.json). */
export function runtimePackage() {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return { name, version };
}

const NUMBER = { cwrap: 'number', ts: 'number', tsReturn: 'number' };
const SCALARS = {
  'char': NUMBER, 'signed char': NUMBER, 'unsigned char': NUMBER, 'short': NUMBER, 'unsigned short': NUMBER,
  'int': NUMBER, 'long': NUMBER, 'float': NUMBER, 'double': NUMBER,
  'unsigned int': { cwrap: 'u32', ts: 'number', tsReturn: 'number' },
  'unsigned long': { cwrap: 'u32', ts: 'number', tsReturn: 'number' },
  'long long': { cwrap: 'i64', ts: 'bigint | number', tsReturn: 'bigint' },
  'unsigned long long': { cwrap: 'u64', ts: 'bigint | number', tsReturn: 'bigint' },
  '_Bool': { cwrap: 'boolean', ts: 'boolean', tsReturn: 'boolean' },
  'bool': { cwrap: 'boolean', ts: 'boolean', tsReturn: 'boolean' },
  'void': { cwrap: 'void', ts: 'void', tsReturn: 'undefined' },
};

/**
 * How a C type (as clang spells it, typedefs resolved) crosses to JS:
 * { cwrap, ts, tsReturn }, or null where it is not mapped (structs and
 * unions by value, long double, __int128, vectors). `const char *` is a
 * string (UTF-8, copied; a returned one is string | null); every other
 * pointer is its address, a number.
 */
export function mapType(cType) {
  const t = cType.replace(/\s+/g, ' ').trim();
  if (/^(const char|char const) \*( ?const)?$/.test(t)) return { cwrap: 'string', ts: 'string', tsReturn: 'string | null' };
  if (/\*( ?(const|volatile|restrict))*$/.test(t) || /\(\*/.test(t)) return NUMBER; // a pointer or a function pointer
  const base = t.replace(/\b(const|volatile) /g, '').trim();
  if (/^enum /.test(base)) return NUMBER;
  // clang spells integers canonically: 'unsigned int', 'long long', 'unsigned long'.
  return SCALARS[base] || null;
}

/** A parameter name TypeScript accepts (reserved words get a trailing _). */
const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false finally for ' +
  'function if import in instanceof new null return super switch this throw true try typeof var void while with implements interface ' +
  'let package private protected public static yield await arguments eval').split(' '));
const tsName = (n) => (RESERVED.has(n) ? `${n}_` : n);

/** The return type part of a function type `R (args)`, as clang writes it. */
function returnType(fnType) {
  let depth = 0;
  for (let i = fnType.length - 1; i >= 0; i--) {
    if (fnType[i] === ')') depth++;
    else if (fnType[i] === '(') { depth--; if (depth === 0) return fnType.slice(0, i).trim(); }
  }
  return fnType;
}

/** The exported functions one AST declares: [{ name, ret, params: [{ name, type }], variadic, mangled }]. */
function exportsOfAst(ast) {
  const found = [];
  const walk = (nodes) => {
    for (const n of nodes || []) {
      if (n.kind === 'LinkageSpecDecl') walk(n.inner);
      if (n.kind !== 'FunctionDecl') continue;
      const attrs = (n.inner || []).map((i) => i.kind);
      if (!attrs.includes('UsedAttr') || !attrs.includes('VisibilityAttr')) continue;
      const fnType = n.type.desugaredQualType || n.type.qualType;
      const params = (n.inner || []).filter((i) => i.kind === 'ParmVarDecl')
        .map((p, k) => ({ name: p.name || `arg${k}`, type: p.type.desugaredQualType || p.type.qualType, spelled: p.type.qualType }));
      found.push({
        name: n.name, ret: returnType(fnType), spelledRet: returnType(n.type.qualType), params,
        variadic: !!n.variadic || /\.\.\.\)$/.test(fnType), mangled: n.mangledName && n.mangledName !== n.name,
      });
    }
  };
  walk(ast.inner);
  return found;
}

/** Runs clang's JSON AST dump of one file with the build's compile flags. */
function astOf(file, { cxx, compile, debug }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-pack-ast-'));
  try {
    const out = path.join(tmp, 'ast.json');
    const fd = fs.openSync(out, 'w');
    let r;
    try {
      const lang = /\.h$/.test(file) ? ['-x', cxx ? 'c++-header' : 'c-header'] : [];
      r = spawnSync(cxx ? 'em++' : 'emcc', [...userCompileCommand(compile, { debug }), '-Xclang', '-ast-dump=json', '-fsyntax-only', ...lang, file],
        { env: emccEnv(), stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    } finally {
      fs.closeSync(fd);
    }
    if (r.error) throw new BuildError(`wasync: ${cxx ? 'em++' : 'emcc'} could not run: ${r.error.message}`);
    if (r.status !== 0) throw new BuildError(`wasync: ${file}: could not parse its WA_EXPORT functions:\n${r.stderr}`);
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The WA_EXPORT functions of the sources (C, C++) and headers, each with its
 * crossing: [{ name, params, ret, cwrap: { ret, args }, ts: {...}, c }],
 * and the ones left out with the reason: [{ name, c, why }].
 */
export function findExports({ sources, headers = [], cflags = [], debug = false }) {
  const { inputs, flags } = splitArgs([...sources, ...cflags]);
  const compile = flagsFor(flags, 'compile');
  const files = [...inputs.filter((i) => i.kind === 'c' || i.kind === 'c++'), ...headers.map((h) => ({ file: h, kind: 'h' }))];
  const anyCxx = inputs.some((i) => i.kind === 'c++');
  const byName = new Map();
  for (const { file, kind } of files) {
    if (!fs.existsSync(file)) throw new BuildError(`wasync: ${file}: no such file`);
    const ast = astOf(file, { cxx: kind === 'c++' || (kind === 'h' && anyCxx), compile, debug });
    for (const f of exportsOfAst(ast)) if (!byName.has(f.name)) byName.set(f.name, f);
  }
  const functions = [];
  const skipped = [];
  for (const f of byName.values()) {
    const decl = (type, name) => (/\(\*\)/.test(type) ? type.replace('(*)', `(*${name})`) : `${type}${type.endsWith('*') ? '' : ' '}${name}`);
    const c = `${decl(f.spelledRet, f.name)}(${f.params.map((p) => decl(p.spelled, p.name)).join(', ') || 'void'})`;
    const ret = mapType(f.ret);
    const args = f.params.map((p) => mapType(p.type));
    let why = null;
    if (f.mangled) why = 'a C++ function without extern "C" (its symbol is mangled)';
    else if (f.variadic) why = 'variadic';
    else if (['load', 'ready', 'default'].includes(f.name)) why = `its name is the package's own export \`${f.name}\``;
    else if (!ret) why = `its return type ${f.ret} is not mapped`;
    else {
      const bad = f.params.find((p, k) => !args[k] || args[k].cwrap === 'void');
      if (bad) why = `its parameter ${bad.name}'s type ${bad.type} is not mapped`;
    }
    if (why) { skipped.push({ name: f.name, c, why }); continue; }
    functions.push({ name: f.name, c, params: f.params.map((p, k) => ({ name: tsName(p.name), ...args[k] })), ret });
  }
  return { functions, skipped };
}

function esmEntry(functions) {
  return `// Generated by wasync pack. Each WA_EXPORT function of the C library is an
// async function here: the first call (or load(), or \`await ready\`) loads
// the module.
import { load as loadModule } from 'wasync';
import createModule from './module.mjs';

let app = null;
/** The loaded module (wasync's App: ccall, cwrap, tasks(), ...); loads it once. */
export function load() {
  if (!app) app = loadModule(createModule);
  return app;
}
/** Awaiting it loads the module and gives the App; importing does not load it. */
export const ready = { then: (resolve, reject) => load().then(resolve, reject) };

const call = (name, ret, types, args) => load().then((a) => a.ccall(name, ret, types, args));
${functions.map((f) => `const $${f.name} = (${f.params.map((p) => p.name).join(', ')}) => call(${JSON.stringify(f.name)}, ${JSON.stringify(f.ret.cwrap)}, ${JSON.stringify(f.params.map((p) => p.cwrap))}, [${f.params.map((p) => p.name).join(', ')}]);`).join('\n')}
export { ${functions.map((f) => `$${f.name} as ${f.name}`).join(', ')} };
`;
}

function cjsEntry(functions) {
  return `// Generated by wasync pack: the CommonJS side of index.mjs (one module
// instance: both load the same index.mjs).
'use strict';
let entry = null;
const esm = () => entry || (entry = import('./index.mjs'));
exports.load = () => esm().then((m) => m.load());
exports.ready = { then: (resolve, reject) => exports.load().then(resolve, reject) };
${functions.map((f) => `exports[${JSON.stringify(f.name)}] = (...args) => esm().then((m) => m[${JSON.stringify(f.name)}](...args));`).join('\n')}
`;
}

function declarations(functions) {
  return `// Generated by wasync pack: the WA_EXPORT functions with their C types.
import type { App } from 'wasync';
export type { App } from 'wasync';

/** The loaded module (wasync's App); the first call loads it, later ones return the same. */
export declare function load(): Promise<App>;
/** Awaiting it loads the module (if not yet) and gives the App. */
export declare const ready: PromiseLike<App>;
${functions.map((f) => `/** C: \`${f.c}\` */
declare function $${f.name}(${f.params.map((p) => `${p.name}: ${p.ts}`).join(', ')}): Promise<${f.ret.tsReturn}>;`).join('\n')}
export { ${functions.map((f) => `$${f.name} as ${f.name}`).join(', ')} };
`;
}

function readme({ name, functions, skipped }) {
  const first = functions[0];
  return `# ${name}

A C library compiled to WebAssembly by \`wasync pack\` (the runtime, \`wasync\`,
comes with it as a dependency). Its functions are async JavaScript functions; installing it
needs no compiler.

## Install

\`\`\`sh
npm install ${name}
\`\`\`

## Use

\`\`\`js
import { ${functions.map((f) => f.name).slice(0, 3).join(', ')} } from '${name}';   // CommonJS: require('${name}')
${first ? `console.log(await ${first.name}(${first.params.map((p) => (p.cwrap === 'string' ? "'text'" : p.cwrap === 'boolean' ? 'true' : p.ts === 'bigint | number' ? '1n' : '1')).join(', ')}));` : ''}
\`\`\`

The module loads on the first call; \`await ready\` loads it ahead, and
\`await load()\` gives wasync's App (\`ccall\` with \`cancel()\`, \`tasks()\`).

## Functions

${functions.map((f) => `- \`${f.c}\``).join('\n') || '(none)'}
${skipped.length ? `\nNot exported to JS (call them through \`(await load()).ccall\` if at all):\n\n${skipped.map((s) => `- \`${s.c}\`: ${s.why}`).join('\n')}\n` : ''}`;
}

const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z-.]+)?(\+[0-9A-Za-z-.]+)?$/;

/**
 * Packs C/C++ sources (or objects with --header) into an npm package
 * folder `outDir` (created; files it writes are replaced, others left).
 * Returns { dir, functions, skipped }.
 */
export async function pack({ sources, headers = [], cflags = [], name, version, outDir, debug = false, backend = DEFAULT_BACKEND, stackSize = 0, stackCheck = true, threads = 0, log, progress }) {
  if (!name || !NPM_NAME.test(name) || name.length > 214) throw new BuildError(`wasync: pack needs --name NAME, a valid npm package name (got ${JSON.stringify(name || '')})`);
  if (!version || !SEMVER.test(version)) throw new BuildError(`wasync: pack needs --version X.Y.Z (got ${JSON.stringify(version || '')})`);
  if (!outDir) throw new BuildError('wasync: pack needs -o DIR');
  const { functions, skipped } = findExports({ sources, headers, cflags, debug });
  if (!functions.length) throw new BuildError(`wasync: pack found no WA_EXPORT function to export${skipped.length ? ` (left out: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')})` : ''}`);
  for (const s of skipped) console.error(`wasync: pack: ${s.name} is not exported: ${s.why}`);
  const dir = path.resolve(outDir);
  fs.mkdirSync(dir, { recursive: true });
  await buildProgram({ sources, out: path.join(dir, 'module.mjs'), debug, cflags, backend, stackSize, stackCheck, threads, log, progress });
  fs.rmSync(path.join(dir, 'module.d.mts'), { force: true });
  const runtime = runtimePackage();
  const files = ['index.mjs', 'index.cjs', 'index.d.ts', 'index.d.cts', 'module.mjs', ...Object.values(wasmFiles('module.mjs', backend)),
    ...(fs.existsSync(path.join(dir, 'module.data')) ? ['module.data'] : []), ...(threads ? ['module.worker.cjs'] : [])];
  const pkg = {
    name,
    version,
    description: `${name}: a C library as async JavaScript functions (WebAssembly, built by wasync pack)`,
    type: 'module',
    main: './index.cjs',
    module: './index.mjs',
    types: './index.d.ts',
    exports: {
      '.': {
        browser: { types: './index.d.ts', default: './index.mjs' },
        import: { types: './index.d.ts', default: './index.mjs' },
        require: { types: './index.d.cts', default: './index.cjs' },
        default: './index.mjs',
      },
      './package.json': './package.json',
    },
    files,
    sideEffects: false,
    dependencies: { [runtime.name]: runtime.version },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'index.mjs'), esmEntry(functions));
  fs.writeFileSync(path.join(dir, 'index.cjs'), cjsEntry(functions));
  fs.writeFileSync(path.join(dir, 'index.d.ts'), declarations(functions));
  fs.writeFileSync(path.join(dir, 'index.d.cts'), declarations(functions));
  fs.writeFileSync(path.join(dir, 'README.md'), readme({ name, functions, skipped }));
  return { dir, functions, skipped };
}

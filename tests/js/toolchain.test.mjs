// What differs between the Emscripten releases wasync supports (3.1.6 …
// 6.0.x) and the Node releases (20 … 26): these tests run on each toolchain
// of the matrix (make test, make test-matrix) and pin down what broke there.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, FIXTURES, OUT, runProgram } from './helpers.mjs';

/** Builds hello.c fresh (release or debug) and returns { out, stderr }. */
function buildHello(debug) {
  const out = path.join(OUT, 'toolchain', debug ? 'hello-debug.mjs' : 'hello.mjs');
  fs.rmSync(out, { force: true });
  const r = cli(['build', ...(debug ? ['--debug'] : []), path.join(FIXTURES, 'hello.c'), '-o', out]);
  if (r.status !== 0) throw new Error(`build failed:\n${r.stderr}`);
  return { out, stderr: r.stderr };
}

/**
 * The names of the JS functions a built module imports, found by watching
 * WebAssembly.instantiate hand the import object over (export and import
 * names are minified in release builds; the JS functions keep their names).
 */
async function importedJsFunctions(out) {
  const seen = [];
  const real = WebAssembly.instantiate;
  WebAssembly.instantiate = function (source, imports) {
    const mod = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
    for (const imp of WebAssembly.Module.imports(mod)) {
      const f = imports[imp.module] && imports[imp.module][imp.name];
      if (typeof f === 'function') seen.push(f.name || `${imp.module}.${imp.name}`);
    }
    return real.call(this, source, imports);
  };
  try {
    const { default: createModule } = await import(`${pathToFileURL(out).href}?t=${Date.now()}`);
    await createModule({ print: () => {}, printErr: () => {} });
  } finally {
    WebAssembly.instantiate = real;
  }
  return seen;
}

const STACK_FUNCTION = /stackSave|stackRestore|stackAlloc|emscripten_stack_(restore|get_current|alloc)/i;

describe.each([['release', false], ['debug', true]])('a %s build', (kind, debug) => {
  let built;
  beforeAll(() => { built = buildHello(debug); });

  test('prints no warning from the toolchain', () => {
    const warnings = built.stderr.split('\n').filter((l) => /warning|deprecat/i.test(l));
    expect(warnings).toEqual([]);
  });

  // Since about 3.1.44 C externs of stackSave/stackRestore bind to JS
  // aliases (a JS call per switch, and stackRestore aliased to stackSave:
  // every program died at its first task switch). The switch is pure wasm.
  test('imports no stack function from JavaScript', async () => {
    const names = await importedJsFunctions(built.out);
    expect(names.length).toBeGreaterThan(0); // the watch saw the instantiation
    expect(names.filter((n) => STACK_FUNCTION.test(n))).toEqual([]);
  });

  test('switches tasks and exits with wa_main\'s status', () => {
    const r = runProgram(built.out, ['a', 'b', 'c']);
    expect(r.stdout).toBe('hello from wasync a b c\n');
    expect(r.status).toBe(3);
  });

  // 4.0.7 stopped exporting the HEAP views by default; index.d.ts promises them.
  test('exports the HEAP views on the module', async () => {
    const { load } = await import('../../js/runtime/index.mjs');
    const { default: createModule } = await import(`${pathToFileURL(built.out).href}?heap=${Date.now()}`);
    const app = await load(createModule, { print: () => {} });
    for (const v of ['HEAP8', 'HEAPU8', 'HEAP16', 'HEAPU16', 'HEAP32', 'HEAPU32', 'HEAPF32', 'HEAPF64']) {
      expect(ArrayBuffer.isView(app.module[v])).toBe(true);
    }
    expect(app.module.HEAPU8.buffer).toBe(app.module.HEAP32.buffer);
  });
});

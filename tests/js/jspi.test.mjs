// The JSPI backend (wasync build --backend=jspi): what holds on every
// engine. Where the engine lacks JSPI (Node 20), load() and a program run
// fail at once with one sentence; where it has it (Node 24+), the module
// runs, switching tasks without Asyncify's instrumentation. The other
// suites run on this backend too: WASYNC_TEST_BACKEND=jspi (helpers.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from '../../js/runtime/index.mjs';
import { JSPI_MISSING } from '../../js/cli/wrap.mjs';
import { buildOnce, cli, FIXTURES, OUT, runProgram } from './helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function';

function build(name) {
  return buildOnce(['--backend=jspi', path.join(FIXTURES, `${name}.c`)], path.join(OUT, 'jspi', `${name}.mjs`));
}

let hello;
beforeAll(() => { hello = build('hello'); }, 180000);

test('a JSPI build is not instrumented: no Asyncify exports or imports in its .wasm', () => {
  const mod = new WebAssembly.Module(fs.readFileSync(hello.replace(/\.mjs$/, '.wasm')));
  const names = [...WebAssembly.Module.exports(mod), ...WebAssembly.Module.imports(mod)].map((e) => e.name);
  expect(names.filter((n) => /asyncify/.test(n))).toEqual([]);
  // Some releases (3.1.69) minify a release build's export names, so the
  // check above alone could pass on an instrumented build. Instrumentation
  // is code around every call that may suspend: the same program built for
  // Asyncify is much larger (about 1.27x on 3.1.6 and 3.1.69).
  const asyncifyBuild = path.join(OUT, 'jspi', 'hello-asyncify.mjs');
  const r = cli(['build', path.join(FIXTURES, 'hello.c'), '-o', asyncifyBuild]);
  expect(r.status).toBe(0);
  const size = (f) => fs.statSync(f.replace(/\.mjs$/, '.wasm')).size;
  expect(size(hello)).toBeLessThan(0.9 * size(asyncifyBuild));
}, 180000);

test('an unknown backend is refused by name', () => {
  const r = cli(['build', '--backend=fibers', path.join(FIXTURES, 'hello.c'), '-o', path.join(OUT, 'jspi', 'x.mjs')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('unknown backend "fibers" (choose asyncify or jspi)');
});

if (!HAS_JSPI) {
  test(`without JSPI (Node ${process.version}) load() rejects at once with one sentence`, async () => {
    const { default: factory } = await import(pathToFileURL(hello).href);
    await expect(load(factory)).rejects.toThrow(JSPI_MISSING);
    expect(JSPI_MISSING).toMatch(/Node\.js 24 and later, Chrome and Chromium 137 and later, Firefox 153 and later/);
    expect(JSPI_MISSING).toMatch(new RegExp(`not Node\\.js ${process.versions.node.split('.')[0]}\\b`));
    expect(JSPI_MISSING.split(/\.\s/).length).toBe(1);
  });

  test('without JSPI a program run prints that sentence and exits 1', () => {
    const r = runProgram(hello);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(JSPI_MISSING);
  });
} else {
  test(`with JSPI (Node ${process.version}) the program runs and exits with its status`, () => {
    const r = runProgram(hello, ['a', 'b']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from wasync a b\n');
    expect(r.status).toBe(2);
  });
}

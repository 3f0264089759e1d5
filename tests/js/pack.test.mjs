// The npm package as users get it: `npm pack`, install the tarball into an
// empty folder (offline: the package has no dependencies), then build and
// run a hello program with `npx wasync run` and import the API from ESM and
// CommonJS there, with no path back into the source tree.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listing, ROOT } from './helpers.mjs';

const NPM = 'npm';
let tmp; // the temp folder holding the tarball and the app folder
let dir; // the app folder, an empty project the tarball is installed into
let tarball;

// npm's own warnings (about the machine's npm config) and notices (npm 11+
// tells of a newer npm through npx) are not the program's.
const stderrOf = (r) => r.stderr.split('\n').filter((l) => l && !/^npm (warn|notice) /i.test(l)).join('\n');

function npm(args, cwd) {
  return execFileSync(NPM, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-pack-'));
  npm(['pack', '--pack-destination', tmp], ROOT);
  const tgz = fs.readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  if (tgz.length !== 1) throw new Error(`npm pack should write one tarball, got ${tgz.join(', ')}`);
  tarball = path.join(tmp, tgz[0]);
  dir = path.join(tmp, 'app');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  npm(['install', '--offline', '--no-audit', '--no-fund', tarball], dir);
}, 180000);

afterAll(() => {
  if (tmp && path.basename(tmp).startsWith('wasync-pack-')) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the tarball ships the runtime sources, the prebuilt library, types and both entries', () => {
  const pkg = path.join(dir, 'node_modules', 'wasync');
  for (const f of ['package.json', 'LICENSE', 'README.md', 'js/runtime/index.d.ts', 'js/runtime/index.d.cts', 'js/runtime/index.mjs', 'js/runtime/index.cjs', 'js/cli/cli.mjs', 'src/wasync.h',
    'src/introspect.c', 'wasm/host/js/host.js', 'wasm/host/js/env.js', 'src/host.h', 'wasm/backend/asyncify.js', 'wasm/backend/asyncify.json', 'wasm/backend/sp.S', 'wasm/host/pthread.c', 'js/cli/crossings.mjs',
    'js/cli/toolchain.mjs', 'js/cli/flags.mjs', 'js/cli/argv.mjs', 'js/cli/plan.mjs', 'js/cli/exec.mjs', 'js/cli/lib.mjs', 'js/cli/link-checks.mjs', 'js/cli/cache.mjs', 'js/cli/pack.mjs', 'js/cli/wasync-cc.mjs', 'js/cli/wasync-c++.mjs', 'build/wasm/libwasync.a',
    'build/wasm/libwasync-debug.a']) {
    expect([f, fs.existsSync(path.join(pkg, f))]).toEqual([f, true]);
  }
  expect(fs.existsSync(path.join(pkg, 'tests'))).toBe(false);
  expect(fs.existsSync(path.join(pkg, 'web'))).toBe(false);
  expect(fs.readFileSync(path.join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the wasync authors\n/);
});

test("every image the README links is shipped beside it in the tarball", () => {
  const pkg = path.join(dir, 'node_modules', 'wasync');
  const images = [...fs.readFileSync(path.join(pkg, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]);
  expect(images.length).toBeGreaterThan(0);
  for (const img of images) expect([img, fs.existsSync(path.join(pkg, img))]).toEqual([img, true]);
});

test('npx wasync run builds and runs a C program in the installed package', () => {
  fs.writeFileSync(path.join(dir, 'hello.c'), `#include <stdio.h>
#include "wasync.h"
int wa_main(int argc, char **argv) {
  (void)argv;
  if (wa_sleep(5) != 0) return 9;
  printf("hello from the package %d\\n", argc);
  return 3;
}
`);
  const lib = path.join(dir, 'node_modules', 'wasync', 'build', 'wasm', 'libwasync.a');
  const shipped = fs.statSync(lib);
  const before = listing(path.join(dir, 'node_modules', 'wasync'));
  const r = spawnSync('npx', ['--offline', '--no-install', 'wasync', 'run', 'hello.c', '--', 'x'],
    { cwd: dir, encoding: 'utf8', timeout: 120000 });
  // The build's progress line (the link takes seconds), then the program's silence.
  expect(stderrOf(r)).toMatch(/^(wasync: compiling hello\.c\.\.\.\n)?wasync: linking hello\.c\.\.\.$/);
  expect(r.stdout).toBe('hello from the package 2\n');
  expect(r.status).toBe(3);
  // The prebuilt library was used as shipped (same emcc), not rebuilt:
  // a rebuild renames a new file into place.
  const after = fs.statSync(lib);
  expect([after.ino, after.mtimeMs]).toEqual([shipped.ino, shipped.mtimeMs]);
  // Nothing at all is written into the installed package.
  expect(listing(path.join(dir, 'node_modules', 'wasync'))).toEqual(before);
});

test('the API imports from ESM and CommonJS and runs a built module', () => {
  fs.writeFileSync(path.join(dir, 'sq.c'), `#include "wasync.h"
WA_EXPORT int sq(int x) { return wa_sleep(1) ? -1 : x * x; }
int wa_main(int argc, char **argv) { (void)argc; (void)argv; return 0; }
`);
  const b = spawnSync('npx', ['--offline', '--no-install', 'wasync', 'build', '-q', 'sq.c', '-o', 'sq.mjs'], { cwd: dir, encoding: 'utf8' });
  expect(stderrOf(b)).toBe('');
  expect(b.status).toBe(0);
  fs.writeFileSync(path.join(dir, 'esm.mjs'), `import { load } from 'wasync';
import createModule from './sq.mjs';
const app = await load(createModule);
const sq = app.cwrap('sq', 'number', ['number']);
console.log('esm', (await Promise.all([sq(2), sq(3)])).join(' '), app.tasks().length);
`);
  fs.writeFileSync(path.join(dir, 'cjs.cjs'), `const { load } = require('wasync');
(async () => {
  const app = await load((await import('./sq.mjs')).default);
  console.log('cjs', await app.ccall('sq', 'number', ['number'], [7]), typeof require('wasync/package.json').version);
})();
`);
  const esm = spawnSync(process.execPath, ['esm.mjs'], { cwd: dir, encoding: 'utf8' });
  expect(esm.stderr).toBe('');
  expect(esm.stdout).toBe('esm 4 9 0\n');
  const cjs = spawnSync(process.execPath, ['cjs.cjs'], { cwd: dir, encoding: 'utf8' });
  expect(cjs.stderr).toBe('');
  expect(cjs.stdout).toBe('cjs 49 string\n');
});

test('a library without wa_main, built by npx wasync build, is called from ESM, CommonJS and strict TypeScript', () => {
  fs.copyFileSync(path.join(ROOT, 'tests', 'js', 'fixtures', 'library.c'), path.join(dir, 'lib.c'));
  const b = spawnSync('npx', ['--offline', '--no-install', 'wasync', 'build', '-q', 'lib.c', '-o', 'lib.mjs'], { cwd: dir, encoding: 'utf8' });
  expect(stderrOf(b)).toBe('');
  expect(b.status).toBe(0);
  expect(fs.readFileSync(path.join(dir, 'lib.d.mts'), 'utf8')).toMatch(/import type \{ ModuleFactory \} from 'wasync';/);
  fs.writeFileSync(path.join(dir, 'lib-esm.mjs'), `import { load } from 'wasync';
import createModule from './lib.mjs';
const app = await load(createModule);
console.log('esm', await app.ccall('slow_square', 'number', ['number'], [5]), await app.ccall('slow_add', 'number', ['number', 'number'], [5, 6]));
`);
  fs.writeFileSync(path.join(dir, 'lib-cjs.cjs'), `const { load } = require('wasync');
import('./lib.mjs').then((m) => load(m.default)).then(async (app) => {
  console.log('cjs', await app.cwrap('slow_add', 'number', ['number', 'number'])(1, 2));
});
`);
  const esm = spawnSync(process.execPath, ['lib-esm.mjs'], { cwd: dir, encoding: 'utf8' });
  expect([esm.stderr, esm.stdout]).toEqual(['', 'esm 25 11\n']);
  const cjs = spawnSync(process.execPath, ['lib-cjs.cjs'], { cwd: dir, encoding: 'utf8' });
  expect([cjs.stderr, cjs.stdout]).toEqual(['', 'cjs 3\n']);

  // TypeScript --strict, ESM and CJS consumers, no declarations but the
  // package's and lib.d.mts; the type errors it must report are marked
  // @ts-expect-error in the sources (an unused one fails the compile).
  const consumer = path.join(ROOT, 'tests', 'js', 'fixtures', 'ts-consumer');
  for (const f of fs.readdirSync(consumer)) fs.copyFileSync(path.join(consumer, f), path.join(dir, f));
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: dir, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
  const tsEsm = spawnSync(process.execPath, ['use.mjs'], { cwd: dir, encoding: 'utf8' });
  expect([tsEsm.stderr, tsEsm.stdout]).toEqual(['', 'esm 49 5 WA_ECANCELED undefined WA_ENOTSUP\n']);
  const tsCjs = spawnSync(process.execPath, ['use.cjs'], { cwd: dir, encoding: 'utf8' });
  expect([tsCjs.stderr, tsCjs.stdout]).toEqual(['', 'cjs 81 3\n']);
}, 180000);

// `wasync pack`: a C library (fixtures/packlib.c) packed into an npm package,
// `npm pack`ed, and installed with the wasync tarball above (offline, file:
// paths) into an ES module project, a CommonJS one, strict TypeScript and
// a Vite app opened in Chromium, all run on a PATH without emcc.
describe('wasync pack', () => {
  let pkgDir; // the folder wasync pack writes
  let bin; // the PATH of the consumers: node and npm only
  let env;
  const consumer = path.join(ROOT, 'tests', 'js', 'fixtures', 'pack-consumer');
  const project = (name, type, lib = { packlib: `file:${path.join(tmp, 'packlib-1.2.3.tgz')}` }) => {
    const d = path.join(tmp, name);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({
      name, private: true, ...(type ? { type } : {}),
      dependencies: { wasync: `file:${tarball}`, ...lib },
    }));
    const r = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund'], { cwd: d, encoding: 'utf8', env });
    expect([r.status, stderrOf(r)]).toEqual([0, '']);
    return d;
  };
  const node = (args, cwd) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env, timeout: 120000 });

  beforeAll(() => {
    pkgDir = path.join(tmp, 'packlib');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'js', 'cli', 'cli.mjs'), 'pack', path.join(ROOT, 'tests', 'js', 'fixtures', 'packlib.c'),
      '--name', 'packlib', '--version', '1.2.3', '-o', pkgDir], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/^wasync: pack: norm is not exported: its parameter p's type point is not mapped\n/);
    expect(r.status).toBe(0);
    npm(['pack', pkgDir, '--pack-destination', tmp], tmp);
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const npmCli = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    fs.symlinkSync(npmCli, path.join(bin, 'npm'));
    env = { ...process.env, PATH: bin, npm_config_loglevel: 'error' };
    delete env.EMSDK;
    delete env.EM_CONFIG;
  }, 240000);

  test('the package folder is what npm publishes: entries, types, wasm, README, the runtime at this version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'packlib', version: '1.2.3', type: 'module', sideEffects: false, dependencies: { wasync: version } });
    expect(pkg.exports['.']).toMatchObject({
      import: { types: './index.d.ts', default: './index.mjs' }, require: { types: './index.d.cts', default: './index.cjs' },
      browser: { default: './index.mjs' },
    });
    for (const f of pkg.files) expect([f, fs.existsSync(path.join(pkgDir, f))]).toEqual([f, true]);
    expect(pkg.files).toEqual(expect.arrayContaining(['module.wasm', 'module.mjs', 'index.d.ts']));
    const readme = fs.readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
    expect(readme).toContain('npm install packlib');
    expect(readme).toContain("import { slow_square, greet, half } from 'packlib';");
    expect(readme).toContain('- `int norm(point p)`: its parameter p\'s type point is not mapped');
    const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');
    expect(dts).toContain('/** C: `long long big_add(long long a, count_t b)` */\ndeclare function $big_add(a: bigint | number, b: number): Promise<bigint>;');
    // No emcc on the consumers' PATH.
    expect(spawnSync('/bin/sh', ['-c', 'command -v emcc || echo none'], { env, encoding: 'utf8' }).stdout).toBe('none\n');
  });

  test('a Node ES module project and a CommonJS one call the C functions by name', () => {
    const esm = project('esm', 'module');
    fs.copyFileSync(path.join(consumer, 'esm.mjs'), path.join(esm, 'esm.mjs'));
    const e = node(['esm.mjs'], esm);
    expect([e.stderr, e.stdout]).toEqual(['', 'esm 4 9 16 25 true hello wasm 1.25 1103511627776n undefined true 0\n']);
    const cjs = project('cjs', null);
    fs.copyFileSync(path.join(consumer, 'cjs.js'), path.join(cjs, 'cjs.js'));
    const c = node(['cjs.js'], cjs);
    expect([c.stderr, c.stdout]).toEqual(['', `cjs 49 hello cjs function ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`]);
  }, 120000);

  test('a --threads library ships its pool Workers\' script: an ES module project calls a function that runs through wa_to_thread', () => {
    const src = path.join(tmp, 'threadlib.c');
    fs.writeFileSync(src, `#include "wasync.h"
static int sum_to(void *arg) {
  long long *n = arg, s = 0;
  for (long long i = 1; i <= *n; i++) s += i;
  *n = s;
  return 7;
}
WA_EXPORT long long sum_on_thread(int n) {
  long long v = n;
  int rc = wa_to_thread(sum_to, &v);
  return rc < 0 ? rc : v * 10 + rc;
}
`);
    const out = path.join(tmp, 'threadlib');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'js', 'cli', 'cli.mjs'), 'pack', src, '--threads=2', '-q', '--name', 'threadlib', '--version', '1.0.0',
      '-o', out], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const { files } = JSON.parse(fs.readFileSync(path.join(out, 'package.json'), 'utf8'));
    expect(files).toContain('module.worker.cjs');
    npm(['pack', out, '--pack-destination', tmp], tmp);
    const d = project('threads', 'module', { threadlib: `file:${path.join(tmp, 'threadlib-1.0.0.tgz')}` });
    fs.writeFileSync(path.join(d, 'use.mjs'), "import { sum_on_thread } from 'threadlib';\n" +
      "console.log('threads', String(await sum_on_thread(1000)), String(await sum_on_thread(100000)));\n");
    // sum * 10 + fn's status 7 (a plain build would give WA_ENOTSUP, -12)
    const e = node(['use.mjs'], d);
    expect([e.stderr, e.stdout, e.status]).toEqual(['', 'threads 5005007 50000500007\n', 0]);
  }, 240000);

  test('strict TypeScript sees each function with its C types (ESM and CommonJS), and the Vite bundle runs in Chromium', () => {
    const ts = project('ts', 'module');
    for (const f of ['tsconfig.json', 'use.mts', 'use.cts']) fs.copyFileSync(path.join(consumer, f), path.join(ts, f));
    const tsc = node([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], ts);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const m = node(['use.mjs'], ts);
    expect([m.stderr, m.stdout]).toEqual(['', 'ts 36 hello ts 1.5 3n undefined 0\n']);
    const c = node(['use.cjs'], ts);
    expect([c.stderr, c.stdout]).toEqual(['', 'cts 81 hello cts\n']);

    for (const f of ['index.html', 'main.js']) fs.copyFileSync(path.join(consumer, f), path.join(ts, f));
    const v = node([path.join(consumer, 'vite-check.mjs'), ROOT], ts);
    expect([v.stderr, v.stdout]).toEqual(['', 'vite: 9 16 hello vite\n']);
  }, 180000);
});

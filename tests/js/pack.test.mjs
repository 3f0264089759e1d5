// The npm package as users get it: `npm pack`, install the tarball into an
// empty folder (offline: the package has no dependencies), then build and
// run a hello program with `npx wasync run` and import the API from ESM and
// CommonJS there, with no path back into the source tree.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

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
  for (const f of ['package.json', 'index.d.ts', 'js/index.mjs', 'js/index.cjs', 'js/cli.mjs', 'src/wasync.h',
    'src/introspect.c', 'wasm/library_wasync.js', 'wasm/exports.json', 'build/wasm/libwasync.a',
    'build/wasm/libwasync-debug.a']) {
    expect([f, fs.existsSync(path.join(pkg, f))]).toEqual([f, true]);
  }
  expect(fs.existsSync(path.join(pkg, 'tests'))).toBe(false);
  expect(fs.existsSync(path.join(pkg, 'web'))).toBe(false);
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
  const r = spawnSync('npx', ['--offline', '--no-install', 'wasync', 'run', 'hello.c', '--', 'x'],
    { cwd: dir, encoding: 'utf8', timeout: 120000 });
  expect(stderrOf(r)).toBe('');
  expect(r.stdout).toBe('hello from the package 2\n');
  expect(r.status).toBe(3);
  // The prebuilt library was used as shipped (same emcc), not rebuilt:
  // a rebuild renames a new file into place.
  const after = fs.statSync(lib);
  expect([after.ino, after.mtimeMs]).toEqual([shipped.ino, shipped.mtimeMs]);
});

test('the API imports from ESM and CommonJS and runs a built module', () => {
  fs.writeFileSync(path.join(dir, 'sq.c'), `#include <emscripten.h>
#include "wasync.h"
EMSCRIPTEN_KEEPALIVE int sq(int x) { return wa_sleep(1) ? -1 : x * x; }
int wa_main(int argc, char **argv) { (void)argc; (void)argv; return 0; }
`);
  const b = spawnSync('npx', ['--offline', '--no-install', 'wasync', 'build', 'sq.c', '-o', 'sq.mjs'], { cwd: dir, encoding: 'utf8' });
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

// The build cache: a read-only checkout builds (the runtime library goes to
// the per-user cache, never into the package), the cache is private (0700,
// refused when another user owns it or others can write to it), and
// `wasync run` rebuilds when a header its program includes changes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, FIXTURES, listing, ROOT } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-cache-test-'));
afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', tmp]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function wasync(args, { cache, cwd, cli = CLI } = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd, encoding: 'utf8', timeout: 300000, env: { ...process.env, XDG_CACHE_HOME: cache },
  });
}

test('a read-only checkout builds: the library goes to the per-user cache, made 0700', () => {
  const copy = path.join(tmp, 'checkout');
  for (const d of ['js', 'src', 'wasm']) fs.cpSync(path.join(ROOT, d), path.join(copy, d), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
  spawnSync('chmod', ['-R', 'a-w', copy]);
  const before = listing(copy);
  const cache = path.join(tmp, 'xdg-ro');
  const out = path.join(tmp, 'ro-out', 'hello.mjs');
  const r = wasync(['build', '-q', path.join(FIXTURES, 'hello.c'), '-o', out], { cache, cli: path.join(copy, 'js', 'cli', 'cli.mjs') });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // root ignores the missing write permission: the listing is what shows
  // that nothing was written into the checkout.
  expect(listing(copy)).toEqual(before);
  const root = path.join(cache, 'wasync');
  expect((fs.statSync(root).mode & 0o777).toString(8)).toBe('700');
  const libs = fs.readdirSync(path.join(root, 'lib')).filter((f) => f.startsWith('libwasync-'));
  expect(libs.length).toBe(1);
  expect(fs.existsSync(path.join(root, 'lib', libs[0], 'libwasync.a'))).toBe(true);
  const run = spawnSync(process.execPath, [out, 'a'], { encoding: 'utf8' });
  expect(run.stdout).toBe('hello from wasync a\n');
}, 300000);

test('a cache folder others can write to is refused with a clear message', () => {
  const cache = path.join(tmp, 'xdg-open');
  fs.mkdirSync(path.join(cache, 'wasync'), { recursive: true });
  fs.chmodSync(path.join(cache, 'wasync'), 0o777);
  const r = wasync(['run', path.join(FIXTURES, 'hello.c')], { cache });
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`wasync: the cache ${path.join(cache, 'wasync')} is writable by other users (mode 777); ` +
    `wasync will not run code from it. Run: chmod 700 ${path.join(cache, 'wasync')}\n`);
});

test('a cache folder owned by another user is refused', () => {
  const cache = path.join(tmp, 'xdg-other');
  const dir = path.join(cache, 'wasync');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const other = process.getuid() === 0 ? 65534 : null;
  if (other === null) {
    // Not root: cannot give a folder away; a symlink to someone else's folder is the attack instead.
    fs.rmdirSync(dir);
    fs.symlinkSync('/', dir);
  } else {
    fs.chownSync(dir, other, other);
  }
  const r = wasync(['run', path.join(FIXTURES, 'hello.c')], { cache });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(other === null ? /is not a folder \(a symlink or a file\)/
    : new RegExp(`belongs to user id ${other}, not to you \\(0\\); wasync will not run code from it`));
});

test('a symlink in place of the cache folder is refused', () => {
  const cache = path.join(tmp, 'xdg-link');
  fs.mkdirSync(cache);
  fs.mkdirSync(path.join(tmp, 'elsewhere'), { mode: 0o700 });
  fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(cache, 'wasync'));
  const r = wasync(['run', path.join(FIXTURES, 'hello.c')], { cache });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/the cache .*wasync is not a folder \(a symlink or a file\); remove it/);
});

test('wasync run rebuilds when an included header changes, and only then', () => {
  const cache = path.join(tmp, 'xdg-run');
  const dir = path.join(tmp, 'hdr');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'msg.h'), '#define MSG "one"\n');
  fs.writeFileSync(path.join(dir, 'app.c'), '#include <stdio.h>\n#include "wasync.h"\n#include "msg.h"\n' +
    'int wa_main(int argc, char **argv) { (void)argc; (void)argv; puts(MSG); return 0; }\n');
  let r = wasync(['run', 'app.c', '-v'], { cache, cwd: dir });
  expect(r.stdout).toBe('one\n');
  expect(r.stderr).toMatch(/^emcc .* -c app\.c /m);
  r = wasync(['run', 'app.c', '-v'], { cache, cwd: dir });
  expect(r.stdout).toBe('one\n');
  expect(r.stderr).not.toMatch(/^emcc /m);
  fs.writeFileSync(path.join(dir, 'msg.h'), '#define MSG "two"\n');
  r = wasync(['run', 'app.c', '-v'], { cache, cwd: dir });
  expect(r.stdout).toBe('two\n');
  expect(r.stderr).toMatch(/^emcc .* -c app\.c /m);
  const entries = fs.readdirSync(path.join(cache, 'wasync', 'run'));
  expect(entries.filter((e) => !e.startsWith('.')).length).toBe(1);
  expect((fs.statSync(path.join(cache, 'wasync', 'run')).mode & 0o777).toString(8)).toBe('700');
}, 300000);

// Issue 21 #7: a source saved while its build runs (here: as the link
// starts, after the compiler read it) is built again by the next run.
test('wasync run builds again after a source was saved during its build', async () => {
  const { cachedBuild } = await import('../../js/cli/build.mjs');
  const dir = path.join(tmp, 'mid-build');
  fs.mkdirSync(dir);
  const src = path.join(dir, 'app.c');
  const program = (msg) => '#include <stdio.h>\n#include "wasync.h"\n' +
    `int wa_main(int argc, char **argv) { (void)argc; (void)argv; puts("${msg}"); return 0; }\n`;
  fs.writeFileSync(src, program('old'));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = path.join(tmp, 'xdg-mid');
  try {
    const commands = [];
    let saves = 0;
    const log = (line) => {
      commands.push(line);
      if (/^emcc .* -o \S+\.cjs/.test(line) && saves++ === 0) fs.writeFileSync(src, program('new'));
    };
    let out = await cachedBuild({ sources: [src], log });
    expect(spawnSync(process.execPath, [out], { encoding: 'utf8' }).stdout).toBe('old\n');
    const first = commands.length;
    out = await cachedBuild({ sources: [src], log });
    expect(commands.length).toBeGreaterThan(first); // built again
    expect(spawnSync(process.execPath, [out], { encoding: 'utf8' }).stdout).toBe('new\n');
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
}, 300000);

// Issue 21 #8 and #9: a path with $ in it (make writes $$ in dependency
// files), and files only the link reads: --embed-file, --js-library,
// --pre-js inside an @response file, and an archive found with -L/-l.
test('wasync run in a folder named with $ tracks the files the link reads', () => {
  const cache = path.join(tmp, 'xdg-link-inputs');
  const dir = path.join(tmp, 'cost$dir');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'data.txt'), 'one');
  fs.writeFileSync(path.join(dir, 'lib.js'), 'mergeInto(LibraryManager.library, { extra_js: function () { return 7; } });\n');
  fs.writeFileSync(path.join(dir, 'pre.js'), '// pre 1\n');
  fs.writeFileSync(path.join(dir, 'flags.rsp'), '--pre-js pre.js\n');
  fs.writeFileSync(path.join(dir, 'extra.c'), 'int extra_c(void) { return 5; }\n');
  let r = spawnSync('emcc', ['-c', 'extra.c', '-o', 'extra.o'], { cwd: dir, encoding: 'utf8' });
  expect(r.status).toBe(0);
  r = spawnSync('emar', ['rcs', 'libextra.a', 'extra.o'], { cwd: dir, encoding: 'utf8' });
  expect(r.status).toBe(0);
  fs.writeFileSync(path.join(dir, 'app.c'), '#include <stdio.h>\n#include "wasync.h"\n' +
    'int extra_js(void);\nint extra_c(void);\n' +
    'int wa_main(int argc, char **argv) {\n  char buf[16] = {0};\n  FILE *f = fopen("/data.txt", "r");\n' +
    '  (void)argc; (void)argv;\n  if (!f || !fgets(buf, sizeof buf, f)) return 1;\n' +
    '  printf("%s %d %d\\n", buf, extra_js(), extra_c());\n  return 0;\n}\n');
  // The source by its absolute path: the dependency file then names it with $$.
  const args = ['run', path.join(dir, 'app.c'), '-v', '--embed-file', 'data.txt@/data.txt', '--js-library', 'lib.js',
    '@flags.rsp', '-L.', '-lextra'];
  r = wasync(args, { cache, cwd: dir });
  expect(r.stderr).toMatch(/^emcc .* -c \S*cost\$dir\/app\.c /m);
  expect(r.stdout).toBe('one 7 5\n');
  const entries = fs.readdirSync(path.join(cache, 'wasync', 'run')).filter((e) => !e.startsWith('.'));
  const inputs = JSON.parse(fs.readFileSync(path.join(cache, 'wasync', 'run', entries[0], 'inputs.json'), 'utf8'));
  expect(inputs.map(([f]) => path.relative(dir, f)).filter((f) => !f.startsWith('..')).sort())
    .toEqual(['app.c', 'data.txt', 'flags.rsp', 'lib.js', 'libextra.a', 'pre.js']);
  r = wasync(args, { cache, cwd: dir });
  expect(r.stderr).not.toMatch(/^emcc /m);
  fs.writeFileSync(path.join(dir, 'data.txt'), 'two');
  r = wasync(args, { cache, cwd: dir });
  expect(r.stdout).toBe('two 7 5\n');
  fs.writeFileSync(path.join(dir, 'pre.js'), '// pre 2\n');
  r = wasync(args, { cache, cwd: dir });
  expect(r.stderr).toMatch(/^emcc /m);
  expect(r.status).toBe(0);
}, 600000);

// Issue 25 #5: one list of what a build is made of (runtimeInputs) and one
// digest (buildDigest) decide every rebuild: `wasync run`'s, the test
// fixtures' (helpers.mjs, buildOnce), the web demos' and the benchmarks'.
test('a build digest changes with the content of an input, a file it includes or a flag, never with files\' times', async () => {
  const { buildDigest, localIncludes, runtimeInputs } = await import('../../js/cli/cache.mjs');
  const rel = runtimeInputs().map((f) => path.relative(ROOT, f));
  for (const f of ['src/wasync.h', 'src/sched.c', 'wasm/host/js/host.js', 'wasm/backend/asyncify.json', 'js/cli/cache.mjs', 'js/cli/plan.mjs']) {
    expect(rel).toContain(f);
  }
  // Not part of a wasm build: the page runtime (loaded, not linked), the native platform, the READMEs.
  expect(rel.filter((f) => /^(js\/runtime|src\/native)\/|README/.test(f))).toEqual([]);
  const dir = path.join(tmp, 'digest');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'inc'));
  const write = (f, text) => fs.writeFileSync(path.join(dir, f), text);
  write('app.c', '#include "sub/a.h"\n #  include "c.h"\n#include <stdio.h>\nint x;\n');
  write('sub/a.h', '#include "b.h" /* beside a.h */\n');
  write('sub/b.h', '#define B 1\n');
  write('inc/c.h', '#define C 1\n');
  const args = [path.join(dir, 'app.c'), '-I', path.join(dir, 'inc'), '-o', path.join(dir, 'app.mjs')];
  expect(localIncludes([path.join(dir, 'app.c')], args).map((f) => path.relative(dir, f))).toEqual(['sub/a.h', 'sub/b.h', 'inc/c.h']);
  const d0 = buildDigest(args);
  const later = new Date(Date.now() + 3600e3);
  for (const f of ['app.c', 'sub/a.h', 'sub/b.h', 'inc/c.h']) fs.utimesSync(path.join(dir, f), later, later);
  expect(buildDigest(args)).toBe(d0);
  write('sub/b.h', '#define B 2\n');
  const d1 = buildDigest(args);
  expect(d1).not.toBe(d0);
  write('sub/b.h', '#define B 1\n');
  expect(buildDigest(args)).toBe(d0);
  write('inc/c.h', '#define C 2\n');
  expect(buildDigest(args)).not.toBe(d0);
  expect(buildDigest(args)).not.toBe(d1);
  expect(buildDigest(['--debug', ...args])).not.toBe(buildDigest(args));
});

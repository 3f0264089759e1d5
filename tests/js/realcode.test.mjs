// Real C and C++ programs build and run unchanged: no warning flags or -std
// forced on user code, every emcc flag passed through in order, C++ with
// em++, objects and archives, and programs that behave like programs
// (environment, argv[0], signals, symlinks).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFixture, cli, FIXTURES, OUT, runProgram } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-realcode-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function emcc(args) {
  const r = spawnSync('emcc', args, { encoding: 'utf8', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
  if (r.status !== 0) throw new Error(`emcc ${args.join(' ')} failed:\n${r.stderr}`);
}

test('GNU C with unused parameters, statement expressions, typeof, designated initializers builds and runs', () => {
  const r = runProgram(buildFixture('gnu'));
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('box area 1102 max 40 green 255\n');
  expect(r.status).toBe(0);
});

test('user code gets no -Werror, warning flags or -std from wasync', () => {
  // An unused variable and an implicit conversion: warnings at most, and
  // only if the user asks for them.
  const src = path.join(tmp, 'warny.c');
  fs.writeFileSync(src, '#include "wasync.h"\nint wa_main(int argc, char **argv) { int unused; long x = 1.5; return (int)x - 1; }\n');
  const r = cli(['build', src, '-o', path.join(tmp, 'warny.mjs'), '-v']);
  expect(r.stderr).not.toMatch(/error:/);
  expect(r.status).toBe(0);
  const compile = r.stderr.split('\n').find((l) => l.includes(' -c ') && l.includes('warny.c'));
  expect(compile).toBeDefined();
  expect(compile).not.toMatch(/-Werror|-Wall|-Wextra|-std=/);
  expect(runProgram(path.join(tmp, 'warny.mjs')).status).toBe(0);
});

test('a user -Werror and -W flags reach the compile of user code, not the runtime', () => {
  const src = path.join(tmp, 'werror.c');
  fs.writeFileSync(src, '#include "wasync.h"\nint wa_main(int argc, char **argv) { return 0; }\n');
  const r = cli(['build', src, '-Wall', '-Wextra', '-Werror', '-o', path.join(tmp, 'werror.mjs')]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/unused parameter 'argc'/);
});

test('-lm -sINITIAL_MEMORY=33554432 -std=gnu17 reach emcc', () => {
  const r = runProgram(buildFixture('flags', ['-lm', '-sINITIAL_MEMORY=33554432', '-std=gnu17'], { tag: 'gnu17' }));
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('std 201710 cbrt 3.000 memory 33554432\n');
  expect(r.status).toBe(0);
});

test('-s SETTING=V with a space and -std=gnu99 reach emcc too', () => {
  const r = runProgram(buildFixture('flags', ['-std=gnu99', '-s', 'INITIAL_MEMORY=50331648'], { tag: 'gnu99' }));
  expect(r.stdout).toBe('std 199901 cbrt 3.000 memory 50331648\n');
  expect(r.status).toBe(0);
});

for (const flag of ['--embed-file', '--preload-file']) {
  test(`${flag} with its argument reaches the link, and the program reads the file from any cwd`, () => {
    const data = path.join(tmp, 'data.txt');
    fs.writeFileSync(data, 'payload line\n');
    const out = path.join(tmp, flag.slice(2), 'readfile.mjs');
    const b = cli(['build', '-q', path.join(FIXTURES, 'readfile.c'), flag, `${data}@/data.txt`, '-o', out]);
    expect(b.stderr).toBe('');
    expect(b.status).toBe(0);
    const r = runProgram(out, [], { cwd: os.tmpdir() });
    expect(r.stdout).toBe('read: payload line\n');
    expect(r.status).toBe(0);
  });
}

test("the user's -O level wins for user code: -O0 is not optimized, the default is", () => {
  expect(runProgram(buildFixture('program.c', ['-O0'], { tag: 'O0' })).stdout).toMatch(/^not optimized$/m);
  expect(runProgram(buildFixture('program.c')).stdout).toMatch(/^optimized$/m);
});

test('C++ with std::string and std::vector in tasks and WA_ASYNC_JS builds with em++ and runs', () => {
  const out = buildFixture('cxx_tasks.cpp');
  const r = runProgram(out);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('a done: 0 2 4\nb done: 0 2 4\n');
  expect(r.status).toBe(0);
});

test('objects and archives link, and a user library setting adds to the runtime exports', () => {
  const obj = path.join(tmp, 'helper.o');
  const src = path.join(tmp, 'helper.c');
  fs.writeFileSync(src, 'int helper_twice(int x) { return 2 * x; }\n');
  emcc(['-c', src, '-o', obj]);
  const ar = path.join(tmp, 'libthree.a');
  const src3 = path.join(tmp, 'three.c');
  fs.writeFileSync(src3, 'int three(void) { return 3; }\n');
  emcc(['-c', src3, '-o', path.join(tmp, 'three.o')]);
  const rAr = spawnSync('emar', ['rcs', ar, path.join(tmp, 'three.o')], { encoding: 'utf8' });
  expect(rAr.status).toBe(0);
  const main = path.join(tmp, 'objmain.c');
  fs.writeFileSync(main, '#include <stdio.h>\n#include "wasync.h"\nint helper_twice(int); int three(void);\n' +
    'int exported_one(void) { return 1; }\n' +
    'int wa_main(int argc, char **argv) { printf("%d\\n", helper_twice(three())); return 0; }\n');
  const out = path.join(tmp, 'objmain.mjs');
  const r = cli(['build', '-q', main, obj, ar, '-sEXPORTED_FUNCTIONS=_exported_one', '-o', out]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(runProgram(out).stdout).toBe('6\n');
  expect(fs.readFileSync(out, 'utf8')).toMatch(/_exported_one/);
});

test('an argument that is neither a flag nor a source is a clear error', () => {
  const r = cli(['build', path.join(FIXTURES, 'hello.c'), 'notes.txt', '-o', path.join(tmp, 'x.mjs')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^wasync: notes\.txt: not a source or object file \(C: \.c; C\+\+: \.cc \.cpp \.cxx \.C; objects: \.o \.a\)/);
});

describe('programs behave like programs', () => {
  test('getenv() sees process.env under Node', () => {
    const r = runProgram(buildFixture('program.c'), [], { env: { ...process.env, WASYNC_TEST_VAR: 'from node' } });
    expect(r.stdout).toMatch(/^env=from node$/m);
    const unset = { ...process.env };
    delete unset.WASYNC_TEST_VAR;
    expect(runProgram(buildFixture('program.c'), [], { env: unset }).stdout).toMatch(/^env=\(unset\)$/m);
  });

  test("argv[0] is the module's path for node app.mjs, the program's name for wasync run", () => {
    const out = buildFixture('program.c');
    expect(runProgram(out).stdout).toMatch(new RegExp(`^argv0=${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    const r = cli(['run', path.join(FIXTURES, 'program.c')], { env: { ...process.env, WASYNC_TEST_VAR: 'x' } });
    expect(r.stdout).toMatch(/^argv0=program$/m);
    expect(r.stdout).toMatch(/^env=x$/m);
    expect(r.stdout).not.toMatch(/WASYNC_ARGV0/);
  });

  test('a module run through a symlinked path runs', () => {
    const link = path.join(tmp, 'linked.mjs');
    fs.symlinkSync(buildFixture('hello'), link);
    const r = runProgram(link, ['y', 'z']);
    expect(r.stdout).toBe('hello from wasync y z\n');
    expect(r.status).toBe(2);
  });

  for (const [signal, number] of [['SIGKILL', 9], ['SIGTERM', 15]]) {
    test(`a program killed by ${signal} makes wasync run exit 128+${number}`, async () => {
      const child = spawn(process.execPath, [path.join(OUT, '..', '..', 'js', 'cli', 'cli.mjs'), 'run',
        path.join(FIXTURES, 'program.c'), '--', 'hang'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the program did not start: ${out}`)), 90000);
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('hanging')) { clearTimeout(t); resolve(); }
        });
      });
      // The program is the run's only child process.
      const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
      expect(kids.length).toBe(1);
      process.kill(Number(kids[0]), signal);
      const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(128 + number);
    }, 120000);
  }
});

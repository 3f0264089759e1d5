// A C or C++ main() with no wa_main is the program's entry: it runs as the
// main task with everything wa_main has (issue 20, item 1). Runs on both
// backends (WASYNC_TEST_BACKEND), release and debug.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/runtime/index.mjs';
import { BACKEND_ARGS, buildFixture, cli, FIXTURES, fixtureOut, runProgram } from './helpers.mjs';

for (const [mode, extra] of [['release', []], ['debug', ['--debug']]]) {
  describe(`main(int argc, char **argv), ${mode} build`, () => {
    let out;
    beforeAll(() => { out = buildFixture('cmain', extra); }, 300000);

    test('gets argv, and its return value is the exit status; its last line is flushed', () => {
      const r = runProgram(out, ['a', 'b c']);
      expect([r.stdout, r.stderr, r.status]).toEqual(['main argv0 a b c\n', '', 3]);
    });

    test('exit(3) in another task ends the program with 3, quietly, after the atexit handlers', () => {
      const r = runProgram(out, ['exit']);
      expect([r.stdout, r.stderr, r.status]).toEqual(['main argv0 exit task exits atexit ran\n', '', 3]);
    });

    test('a main blocked for good gets the deadlock report and exit status 2', () => {
      const r = runProgram(out, ['deadlock']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^wasync: deadlock: 1 task blocked$/m);
      expect(r.stderr).toMatch(/task 1 "main" waiting on event/);
    });

    test('main has the 256 KiB main stack, and its overflow names --stack-size', () => {
      const r = runProgram(out, ['deep']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/task 1 "main" overflowed its C stack \(262144-byte stack[^)]*\); build with --stack-size=N \(the main task gets 256 KiB or N, whichever is larger\)/);
    });

    test('app.main(args) runs main from JS and resolves with its status', async () => {
      const lines = [];
      const app = await load((await import(out)).default, { print: (s) => lines.push(s) });
      await expect(app.main(['x'])).resolves.toBe(2);
    });
  });
}

test('int main(void) in C runs as the main task (debug build)', () => {
  const out = buildFixture('cmain', ['--debug', '-DMAIN_VOID'], { tag: 'void-debug' });
  const r = runProgram(out);
  expect([r.stdout, r.stderr, r.status]).toEqual(['main(void)\n', '', 4]);
}, 300000);

test('int main() in C++ runs as the main task; constructors get Emscripten\'s 64 KiB stack', () => {
  const out = buildFixture('cmain.cpp', [], { tag: 'cxx' });
  const r = runProgram(out);
  expect([r.stdout, r.stderr, r.status]).toEqual(['c++ main, constructors ran on a 65536-byte stack\n', '', 6]);
}, 300000);

test('defining both wa_main and main is a link error that names both', () => {
  const out = fixtureOut('cmain-both');
  fs.rmSync(out, { force: true });
  const r = cli(['build', '-q', path.join(FIXTURES, 'cmain.c'), path.join(FIXTURES, 'hello.c'), ...BACKEND_ARGS, '-o', out]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`wasync: both wa_main (${path.join(FIXTURES, 'hello.c')}) and main (${path.join(FIXTURES, 'cmain.c')}) ` +
    'are defined: a program has one entry, so keep one of them (main(void) or main(int argc, char **argv) ' +
    'runs as the main task just as wa_main does)\n');
  expect(fs.existsSync(out)).toBe(false);
}, 300000);

test('a module with neither is still a library', () => {
  const out = buildFixture('library');
  const r = runProgram(out);
  expect([r.stderr, r.status]).toEqual([`wasync: ${out} is a library: it defines no wa_main; ` +
    'import it and call its exported functions with cwrap()\n', 1]);
}, 300000);

// setjmp/longjmp and C++ exceptions across awaits, from the same sources and
// flags on each backend (WASYNC_TEST_BACKEND; js/cli/eh.mjs picks the lowering):
// release (LTO bitcode, lowered at the link) and --debug builds, and on JSPI
// setjmp lowered through JS (Suspending invoke_*: debug builds, objects).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKEND, BACKEND_ARGS, buildFixture, cli, FIXTURES, runProgram } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-sjlj-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SJLJ_OUT = [1, 2, 3].map((i) => `task ${i}: depth 3 caught ${40 + i} nested 7\n`).join('') + 'status 0\n';
const EH_OUT = [1, 2, 3].map((i) => `task ${i}: deep ${i} caught int ${i} rethrown\n`).join('') + 'live 0 status 0\n';

function expectRun(file, stdout) {
  const r = runProgram(file);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(stdout);
  expect(r.status).toBe(0);
}

describe.each([['release', []], ['debug', ['--debug']]])('%s build', (kind, extra) => {
  test('a longjmp after awaits jumps back over frames that awaited; awaits under a setjmp, nested setjmps, three tasks', () => {
    expectRun(buildFixture('sjlj', extra), SJLJ_OUT);
  }, 240000);

  test('a C++ throw after an await inside try, an await inside catch, a throw through awaiting frames (-fexceptions)', () => {
    expectRun(buildFixture('cxx_eh.cpp', ['-fexceptions', ...extra], { tag: kind }), EH_OUT);
  }, 240000);
});

test('a flag the backend cannot lower is refused at build time with one sentence', () => {
  const flag = BACKEND === 'jspi' ? ['-fwasm-exceptions', '-sDISABLE_EXCEPTION_CATCHING=0'] : ['-fwasm-exceptions'];
  const r = cli(['build', path.join(FIXTURES, 'cxx_eh.cpp'), ...BACKEND_ARGS, ...flag, '-o', path.join(tmp, 'x.mjs')]);
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(BACKEND === 'jspi' ? /ask for two lowerings/ : /cannot be used with --backend=asyncify: Binaryen's Asyncify/);
});

// JSPI only (this file runs on both backends: tests/run-all.mjs's jest-jspi list).
if (BACKEND === 'jspi') describe('JSPI', () => {
  test('release C objects compiled for no backend (as make builds Lua) get the wasm lowering at the link: no invoke_* imports', () => {
    const c = path.join(tmp, 'sjlj-release.o');
    expect(cli(['cc', '-c', path.join(FIXTURES, 'sjlj.c'), '-o', c]).status).toBe(0);
    const out = path.join(tmp, 'sjlj-release.mjs');
    expect(cli(['build', '--backend=jspi', c, '-o', out]).status).toBe(0);
    expectRun(out, SJLJ_OUT);
    expect(fs.readFileSync(out, 'utf8')).not.toMatch(/function invoke_/);
  }, 300000);

  test('C objects with setjmp lowered through JS (debug, compiled for no backend) link and await through Suspending invoke_*', () => {
    const c = path.join(tmp, 'sjlj.o');
    expect(cli(['cc', '--debug', '-c', path.join(FIXTURES, 'sjlj.c'), '-o', c]).status).toBe(0);
    const r = cli(['build', '--debug', '--backend=jspi', c, '-o', path.join(tmp, 'sjlj.mjs')]);
    expect(r.stderr).not.toMatch(/error/);
    expectRun(path.join(tmp, 'sjlj.mjs'), SJLJ_OUT);
  }, 300000);

  test('C++ objects compiled with -fexceptions for no backend are refused with one sentence', () => {
    const cxx = path.join(tmp, 'cxx_eh.o');
    expect(cli(['c++', '-fexceptions', '-c', path.join(FIXTURES, 'cxx_eh.cpp'), '-o', cxx]).status).toBe(0);
    const r = cli(['c++', '--backend=jspi', '-fexceptions', cxx, '-o', path.join(tmp, 'cxx_eh.mjs')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cxx_eh\.o lowers C\+\+ exceptions to JS invoke_\* trampolines, which --backend=jspi cannot suspend through; compile the C\+\+ with --backend=jspi -fexceptions/);
  }, 300000);

  test('an await below another JS frame is fatal with the task and the cause named', () => {
    const r = runProgram(buildFixture('sjlj'), ['jsframe']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/in task 1 "main": the task awaited below a JS frame, which JSPI cannot suspend/);
    expect(r.stderr).not.toMatch(/no task/);
  }, 240000);
});

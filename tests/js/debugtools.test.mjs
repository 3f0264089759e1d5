// The debugging tools users bring (issue 20, item 5): one fixture
// (fixtures/debugtools.cpp: tasks that sleep and meet on a channel, then a
// fault chosen by argv[1]), built once per flag, on the backend
// WASYNC_TEST_BACKEND names (run again on JSPI by tests/run-all.mjs).
//  - -fsanitize=address, -fsanitize=undefined, -sSAFE_HEAP=1 and
//    -sASSERTIONS=2 build and run the program, and each still reports the
//    fault it exists for (in a task, after an await);
//  - --debug catches a write through NULL and prints a fault's C frames;
//  - an uncaught C++ exception names its type and what().
import { buildFixture, runProgram } from './helpers.mjs';

const FIXTURE = 'debugtools.cpp';
const builds = {};
/** The fixture built with `flags` (once per test run, per backend). */
function built(tag, flags) {
  if (!builds[tag]) builds[tag] = buildFixture(FIXTURE, flags, { tag });
  return builds[tag];
}

const OK = 'sum 30 status 0 0\n';
/** Runs the fixture in `mode`; stdout, stderr and status. */
const run = (tag, flags, mode) => runProgram(built(tag, flags), [mode]);

/** Expects the plain run (tasks, sleeps, a channel) to work, with nothing on stderr. */
function expectClean(r) {
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: OK, stderr: '' });
}

describe('-fsanitize=address', () => {
  const flags = ['-fsanitize=address'];
  test('tasks run clean: no report, no warning about stacks it does not know', () => {
    expectClean(run('asan', flags, 'run'));
  }, 300000);
  test('a heap overflow in a task, after an await, is reported', () => {
    const r = run('asan', flags, 'overflow');
    expect(r.stderr).toMatch(/ERROR: AddressSanitizer: heap-buffer-overflow/);
    expect(r.stdout).not.toMatch(/wrote past/);
    expect(r.status).not.toBe(0);
  });
  test('a C++ throw in a task is not taken for a jump off the stack', () => {
    const r = run('asan', flags, 'throw');
    expect(r.stderr).not.toMatch(/handle_no_return|False positive/);
    expect(r.stderr).toMatch(/uncaught C\+\+ exception std::runtime_error: "boom in a task" in task \d+ "task"/);
  });
});

describe('-fsanitize=undefined', () => {
  const flags = ['-fsanitize=undefined'];
  test('tasks run clean', () => {
    expectClean(run('ubsan', flags, 'run'));
  }, 300000);
  test('a signed overflow in a task, after an await, is reported', () => {
    const r = run('ubsan', flags, 'ubsan');
    expect(r.stderr).toMatch(/debugtools\.cpp:\d+:\d+: runtime error: signed integer overflow/);
  });
});

describe('-sSAFE_HEAP=1', () => {
  const flags = ['-sSAFE_HEAP=1'];
  test('tasks run clean', () => {
    expectClean(run('safeheap', flags, 'run'));
  }, 300000);
  test('a write through NULL in a task stops the program at the write', () => {
    const r = run('safeheap', flags, 'null');
    expect(r.stderr).toMatch(/segmentation fault.* in task \d+ "task"/);
    expect(r.stdout).not.toMatch(/wrote through NULL/);
    expect(r.status).toBe(1);
  });
});

describe('-sASSERTIONS=2', () => {
  const flags = ['-sASSERTIONS=2'];
  test('tasks run clean: Asyncify\'s own asserts do not trap on a switch', () => {
    expectClean(run('assertions', flags, 'run'));
  }, 300000);
  test('an exception out of wa_main is named', () => {
    const r = run('assertions', flags, 'throw-main');
    expect(r.stderr).toMatch(/uncaught C\+\+ exception std::logic_error: "boom in wa_main" in task 1 "main"/);
    expect(r.status).toBe(1);
  });
});

describe('--debug', () => {
  const flags = ['--debug'];
  test('a write through NULL ends the program, naming the task that wrote', () => {
    const r = run('debug', flags, 'null');
    expect(r.stderr).toMatch(/wasync: fatal: task \d+ "task" wrote through a NULL pointer \(to address 0\)/);
    expect(r.status).toBe(70);
  }, 300000);
  test('a trap prints the task\'s C frames by name, without WASYNC_TRACE', () => {
    const r = run('debug', flags, 'trap');
    expect(r.stderr).toMatch(/in task \d+ "task": a call through a bad function pointer/);
    expect(r.stderr).toMatch(/\n {4}at faulty\(void\*\)\n/);
    expect(r.status).toBe(1);
  });
  test('tasks run clean', () => {
    expectClean(run('debug', flags, 'run'));
  });
});

describe('uncaught C++ exceptions (release build)', () => {
  test('out of a task\'s function: type and what()', () => {
    const r = run('', [], 'throw');
    expect(r.stderr).toMatch(/wasync: fatal: uncaught C\+\+ exception std::runtime_error: "boom in a task" in task \d+ "task"/);
    expect(r.status).toBe(1);
  }, 300000);
  test('out of wa_main: type and what()', () => {
    const r = run('', [], 'throw-main');
    expect(r.stderr).toMatch(/wasync: fatal: uncaught C\+\+ exception std::logic_error: "boom in wa_main" in task 1 "main"/);
  });
});

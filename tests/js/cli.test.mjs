// The CLI: build, run, errors, exit codes, deadlock report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildFixture, cli, FIXTURES, runProgram } from './helpers.mjs';

test('build writes an ES module and its .wasm, and running it runs wa_main', () => {
  const out = buildFixture('hello');
  expect(fs.existsSync(out.replace(/\.mjs$/, '.wasm'))).toBe(true);
  const r = runProgram(out, ['a', 'b']);
  expect(r.stdout).toBe('hello from wasync a b\n');
  expect(r.status).toBe(2);
});

test('run builds, runs and passes the exit status through', () => {
  const r = cli(['run', path.join(FIXTURES, 'hello.c'), '--', 'x']);
  expect(r.stdout).toContain('hello from wasync x');
  expect(r.status).toBe(1);
});

// emcc 3.1.x prints the whole failed command after clang's message (emcc 6
// does not): only -v shows it, with the commands wasync ran.
test('a compile error ends with clang\'s message; -v adds the commands', () => {
  const out = path.join(os.tmpdir(), `wasync-broken-${process.pid}.mjs`);
  const src = path.join(FIXTURES, 'broken.c');
  for (const args of [['build', src, '-o', out], ['cc', src, '-o', out], ['cc', '-c', src, '-o', `${out}.o`]]) {
    const r = cli(args);
    expect({ args, status: r.status }).toEqual({ args, status: 1 });
    expect(r.stderr).toMatch(/broken\.c:2:\d+: error: use of undeclared identifier 'undefined_symbol_here'/);
    expect({ args, end: r.stderr.slice(-20) }).toEqual({ args, end: '\n1 error generated.\n' });
    expect(r.stderr).not.toMatch(/failed \(returned/);
  }
  const v = cli(['build', '-v', src, '-o', out]);
  expect(v.stderr).toMatch(/^emcc .* -c \S*broken\.c -o /m);
  expect(v.stderr).toMatch(/undefined_symbol_here/);
  expect(fs.existsSync(out)).toBe(false);
});

test('a missing emcc is one clear sentence on how to install it', () => {
  const out = path.join(os.tmpdir(), `wasync-noemcc-${process.pid}.mjs`);
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-path-'));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  // A changed source forces a rebuild of the library, which needs emcc.
  const r = cli(['build', path.join(FIXTURES, 'hello.c'), '-o', out], {
    env: { ...process.env, PATH: bin, WASYNC_FORCE_REBUILD: '1' },
  });
  fs.rmSync(bin, { recursive: true, force: true });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/emcc was not found\. Install Emscripten first: "sudo apt-get install emscripten binaryen"/);
});

test('build without -o and a missing source are usage errors; an unknown flag reaches emcc', () => {
  expect(cli(['build', path.join(FIXTURES, 'hello.c')]).stderr).toMatch(/build needs -o/);
  expect(cli(['build', 'nope.c', '-o', '/tmp/x.mjs']).stderr).toMatch(/nope\.c: no such file/);
  const r = cli(['build', path.join(FIXTURES, 'hello.c'), '--frobnicate', '-o', path.join(os.tmpdir(), `wasync-frob-${process.pid}.mjs`)]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/(unsupported option|unknown argument:) '--frobnicate'/);
});

test('a deadlocked program prints the report with one line per task and exits 2', () => {
  const out = buildFixture('deadlock');
  const r = runProgram(out);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^wasync: deadlock: 2 tasks blocked$/m);
  expect(r.stderr).toMatch(/task 1 "main" waiting on join \(task 2\) for \d+ ms/);
  expect(r.stderr).toMatch(/task 2 "stuck" waiting on event \(0x[0-9a-f]+\) for \d+ ms/);
});

test('the built module can be imported: it default-exports the factory', async () => {
  const out = buildFixture('hello');
  const mod = await import(out);
  const m = await mod.default({ print: () => {} });
  expect(typeof m.wasync.runMain).toBe('function');
  expect(await m.wasync.runMain(['1', '2', '3'])).toBe(3);
});

test('a build that takes over a second says so in one line per stage on stderr; -q keeps it quiet', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-progress-'));
  try {
    // The release link (LTO, Asyncify, -O3 twice) takes seconds on any machine.
    const loud = cli(['build', path.join(FIXTURES, 'hello.c'), '-o', path.join(dir, 'loud.mjs')]);
    expect(loud.status).toBe(0);
    // Compiling one small file may take under a second; the link never does.
    expect(loud.stderr).toMatch(/^(wasync: compiling hello\.c\.\.\.\n)?wasync: linking hello\.c\.\.\.\n$/);
    const quiet = cli(['build', '-q', path.join(FIXTURES, 'hello.c'), '-o', path.join(dir, 'quiet.mjs')]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(fs.readdirSync(dir).sort()).toEqual(['loud.d.mts', 'loud.mjs', 'loud.wasm', 'quiet.d.mts', 'quiet.mjs', 'quiet.wasm']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Node's process.exit() tears the V8 platform down without disposing the
// isolate, and Node 24 then sometimes waits forever for a wasm compile job
// (about one exit in 600 on Debian sid hung after the program's last line).
// A program therefore ends as Node ends by itself, and nothing of it runs on.
describe('a program that ends while other tasks still run', () => {
  const preload = path.join(FIXTURES, 'ending-preload.mjs');
  const nodeArgs = ['--import', preload];
  // Tasks woken in the tick in which the program ended may still finish
  // their step (the chatter prints at most once per wake); none runs later.
  const endsWith = (stdout, last) => {
    const lines = stdout.trim().split('\n');
    const at = lines.lastIndexOf(last);
    expect(at).toBeGreaterThan(0); // the chatter ran before
    expect(lines.slice(at + 1).filter((l) => l === 'tick').length).toBeLessThanOrEqual(1);
    expect(lines.length - at - 1).toBeLessThanOrEqual(1);
  };

  test('ends when wa_main returns, with its status, without process.exit, and no task runs on', () => {
    const r = spawnSync(process.execPath, [...nodeArgs, buildFixture('ending')], { encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(3);
    endsWith(r.stdout, 'main returns');
    expect(r.stderr).not.toMatch(/process\.exit/);
  });

  test('ends on exit() in a task, with its status, and no task runs on', () => {
    const r = spawnSync(process.execPath, [...nodeArgs, buildFixture('ending'), 'exit', '4'], { encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(4);
    endsWith(r.stdout, 'exit() is called');
    expect(r.stderr).not.toMatch(/process\.exit/);
  });

  test('still ends at once when the embedder keeps the event loop alive', () => {
    const start = Date.now();
    const r = spawnSync(process.execPath, [...nodeArgs, buildFixture('ending')], {
      encoding: 'utf8', timeout: 60000, env: { ...process.env, WASYNC_TEST_KEEP_ALIVE: '1' },
    });
    expect(r.status).toBe(3);
    endsWith(r.stdout, 'main returns');
    expect(r.stderr).toMatch(/process\.exit\(3\) called/); // the forced end, on the next turn of the loop
    expect(Date.now() - start).toBeLessThan(30000); // not the interval's or the sleeper's hour
  });
});

// One reading of the command line (js/cli/argv.mjs) for build, run, pack,
// lib and the cc/c++ drivers: what each command takes, and its words for
// every mistake.
describe('the command line', () => {
  let parseCommandLine;
  beforeAll(async () => { ({ parseCommandLine } = await import('../../js/cli/argv.mjs')); });
  const message = (f) => { try { f(); } catch (e) { return e.message; } return null; };

  test('run: inputs, emcc flags with their values, and the program\'s arguments', () => {
    const o = parseCommandLine('run', ['app.c', '-I', 'inc', '-DX=1', '--debug', 'x', '-s', 'ASSERTIONS=1', '@no-such.rsp', 'lib.a', '--', '-y']);
    expect([o.sources, o.cflags, o.args, o.debug]).toEqual([['app.c', 'lib.a'], ['-I', 'inc', '-DX=1', '-s', 'ASSERTIONS=1'], ['x', '@no-such.rsp', '-y'], true]);
    expect(o.flags.map((f) => f.step)).toEqual(['compile', 'compile', 'link']);
  });

  test('build and pack: wasync\'s own flags out, every mistake named', () => {
    const o = parseCommandLine('build', ['a.c', '-o', 'a.mjs', '--backend=auto', '--stack-size=128k', '--threads', '-q', '-O3']);
    expect([o.out, o.backend, o.backendGiven, o.stackSize, o.threads, o.quiet, o.cflags]).toEqual(['a.mjs', 'auto', true, 131072, 'auto', true, ['-O3']]);
    expect(message(() => parseCommandLine('build', ['a.c', 'notes.txt'])))
      .toBe('wasync: notes.txt: not a source or object file (C: .c; C++: .cc .cpp .cxx .C; objects: .o .a)');
    expect(message(() => parseCommandLine('build', ['a.c', '-o']))).toBe('wasync: -o needs a value (-o=...)');
    expect(message(() => parseCommandLine('build', ['a.c', '--backend', 'jspi']))).toBe('wasync: --backend needs a value (--backend=...)');
    expect(message(() => parseCommandLine('build', ['a.c', '--stack-size=1']))).toMatch(/^wasync: --stack-size=1: must be between 2048 bytes/);
    const p = parseCommandLine('pack', ['a.c', '--name', 'n', '--version=1.2.3', '--header', 'a.h', '--header=b.h', '-o', 'dir']);
    expect([p.name, p.version, p.headers, p.out, p.sources]).toEqual(['n', '1.2.3', ['a.h', 'b.h'], 'dir', ['a.c']]);
    expect(message(() => parseCommandLine('pack', ['a.c', '--name']))).toBe('wasync: --name needs a value');
    // --name is pack's: build passes it on to emcc.
    expect(parseCommandLine('build', ['a.c', '--name=x']).cflags).toEqual(['--name=x']);
  });

  test('lib takes --ship; cc leaves -o, -v and -q to the compiler and finds the inputs among the values', () => {
    expect(parseCommandLine('lib', ['--ship', '--debug'])).toMatchObject({ ship: true, debug: true, rest: [] });
    expect(parseCommandLine('lib', ['--ship', 'x.c']).rest).toEqual(['x.c']);
    const o = parseCommandLine('cc', ['--debug', '-MT', 'dep.o', '-c', 'a.c', 'b.s', '-v', '-o', 'a.o', '--backend=jspi']);
    expect([o.rest, o.out, o.inputs, o.debug, o.backend]).toEqual([['-MT', 'dep.o', '-c', 'a.c', 'b.s', '-v', '-o', 'a.o'], 'a.o', [{ file: 'a.c', kind: 'c' }], true, 'jspi']);
    expect(parseCommandLine('cc', ['x.o', '-o', 'prog.mjs', '-o', 'app.mjs', '-lm']).out).toBe('app.mjs');
  });

  test('a flag missing its value at the end: build\'s usage error comes first, then the flag is named', () => {
    const src = path.join(FIXTURES, 'hello.c');
    let r = cli(['build', src, '-I']);
    expect([r.status, r.stderr.split('\n')[0]]).toEqual([1, 'wasync: build needs -o <out.mjs>']);
    r = cli(['build', src, '-o', path.join(os.tmpdir(), `wasync-novalue-${process.pid}.mjs`), '-I']);
    expect([r.status, r.stderr]).toEqual([1, 'wasync: -I needs a value\n']);
  });
});

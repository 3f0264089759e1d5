// Task stacks: the 64 KiB default, `wasync build --stack-size=N`, and
// overflow reported as WA_EOVERFLOW by name.
import path from 'node:path';
import { load } from '../../js/runtime/index.mjs';
import { cli, FIXTURES, OUT, runProgram } from './helpers.mjs';

const SRC = path.join(FIXTURES, 'stack.c');

/** Builds fixtures/stack.c with extra flags into build/jest/stack-<tag>.mjs. */
function buildStack(tag, extra) {
  const out = path.join(OUT, `stack-${tag}.mjs`);
  const r = cli(['build', SRC, ...extra, '-o', out]);
  if (r.status !== 0) throw new Error(`building stack.c ${extra.join(' ')} failed:\n${r.stderr}`);
  return out;
}

let big;
beforeAll(() => { big = buildStack('128k', ['--stack-size=128k']); }, 300000);

test('the default stack (64 KiB) holds 48 KiB of locals across an await', () => {
  const out = buildStack('default', []);
  const r = runProgram(out, ['48']);
  expect(r.stdout).toBe(`ok ${(48 * 1024 - 1) & 0x7f}\n`);
  expect(r.status).toBe(0);
}, 300000);

test('--stack-size=128k sets the default stack of every task of the program', () => {
  const r = runProgram(big, ['100']);
  expect(r.stdout).toBe(`ok ${(100 * 1024 - 1) & 0x7f}\n`);
  expect(r.status).toBe(0);
});

test('--stack-size takes bytes or a k/m suffix and rejects anything else by name', () => {
  for (const bad of ['--stack-size=12q', '--stack-size=-4k', '--stack-size=', '--stack-size=1k', '--stack-size=2g', '--stack-size=0x100']) {
    const r = cli(['build', SRC, bad, '-o', path.join(OUT, 'stack-bad.mjs')]);
    expect({ bad, status: r.status }).toEqual({ bad, status: 1 });
    expect(r.stderr).toMatch(/^wasync: --stack-size=\S*: (not a size|must be between 2048 bytes)/);
  }
});

async function loadStack(out) {
  const errors = [];
  const app = await load((await import(out)).default, { print: () => {}, printErr: (s) => errors.push(s) });
  return { app, errors };
}

// Release builds used to resolve an overflowing call with its (garbage)
// result; with and without the per-function stack check it rejects, and the
// module keeps serving calls.
for (const [tag, extra] of [['release', []], ['no-stack-check', ['--no-stack-check']]]) {
  test(`an overflowing cwrap call rejects with code WA_EOVERFLOW (${tag} build)`, async () => {
    const { app, errors } = await loadStack(buildStack(tag, extra));
    const call = app.cwrap('deep_call', 'number', ['number', 'number'], { stackSize: 16 * 1024 });
    await expect(call(12 * 1024, 0)).resolves.toBe((12 * 1024 - 1) & 0x7f);
    // 15.25 KiB never awaits: the canaries see it only once it returned.
    const err = await call(15616, -1).then((v) => `resolved ${v}`, (e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('WA_EOVERFLOW');
    expect(errors.join('\n')).toMatch(/task \d+ "deep_call" overflowed its C stack \(16384-byte stack/);
    await expect(call(4096, 0)).resolves.toBe(4095 & 0x7f);
  }, 300000);
}

test('app.tasks() reports each task\'s stack high-water mark and size', async () => {
  const { app } = await loadStack(path.join(OUT, 'stack-release.mjs'));
  const call = app.cwrap('deep_call', 'number', ['number', 'number']);
  const p = call(20 * 1024, 200);
  await new Promise((r) => setTimeout(r, 50)); // it is asleep holding 20 KiB
  const row = app.tasks().find((t) => t.name === 'deep_call');
  expect(row).toMatchObject({ state: 'waiting', stackSize: 64 * 1024 });
  expect(row.stackUsed).toBeGreaterThanOrEqual(20 * 1024);
  expect(row.stackUsed).toBeLessThan(24 * 1024);
  await expect(p).resolves.toBe((20 * 1024 - 1) & 0x7f);
});

// Issue 10 item 7: without stack checks, a deep overflow from a block low
// in memory ran the stack pointer below 0 and trapped as "memory access out
// of bounds" (wasync: fatal: ..., exit 1). It is that task's overflow, named;
// memory below its block was overwritten, so the program exits 70.
test('an out-of-bounds trap from a task\'s runaway stack is reported as its overflow', () => {
  const r = runProgram(buildStack('no-stack-check', ['--no-stack-check']), ['wild']);
  expect(r.stderr).toMatch(/task 2 "wild" overflowed its C stack/);
  expect(r.stderr).not.toMatch(/memory access out of bounds/);
  expect(r.status).toBe(70);
  const checked = runProgram(path.join(OUT, 'stack-release.mjs'), ['wild']);
  expect(checked.stdout).toBe('WA_EOVERFLOW\n'); /* exact checks stop it before any byte is written */
  expect(checked.stderr).toMatch(/task 2 "wild" overflowed its C stack \(65536-byte stack, needed at least \d+\)/);
  expect(checked.status).toBe(0);
}, 300000);

// Task stacks: the 64 KiB default, `wasync build --stack-size=N`, and
// overflow reported as WA_EOVERFLOW by name.
import path from 'node:path';
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

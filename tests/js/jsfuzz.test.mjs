// The JS-side fuzzer (tests/js/jsfuzz.mjs), bounded for `make test`: the
// saved regression rounds, then a fixed-seed run of up to 40 s. Each runs in
// a process of its own, so that nothing thrown outside a promise can hide in
// Jest's own handlers. `make fuzz` runs it longer with a random seed.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildFixture, ROOT } from './helpers.mjs';

const FUZZ = path.join(ROOT, 'tests', 'js', 'jsfuzz.mjs');
let file;

beforeAll(() => { file = buildFixture('misuse'); }, 300000);

function run(args) {
  const r = spawnSync(process.execPath, [FUZZ, '--module', file, ...args], { encoding: 'utf8', timeout: 90000 });
  const last = r.stdout.trim().split('\n').pop() || '{}';
  let summary;
  try { summary = JSON.parse(last); } catch (e) { summary = { ok: false, error: `${last}\n${r.stderr}` }; }
  return { status: r.status, summary, stderr: r.stderr };
}

const saved = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'js', 'jsfuzz-seeds.json'), 'utf8')).seeds;

test.each(saved.map((s) => [s.seed, s.found]))('saved round %i (%s)', (seed) => {
  const { status, summary } = run(['--seed', String(seed), '--rounds', '1']);
  expect(summary.error).toBeUndefined();
  expect(summary).toMatchObject({ ok: true, rounds: 1, uncaught: 0 });
  expect(status).toBe(0);
});

test('fixed-seed run: every table back at its level after each round, nothing thrown outside a promise', () => {
  const { status, summary, stderr } = run(['--seed', '20261201', '--rounds', '600', '--seconds', '40']);
  expect(summary.error).toBeUndefined();
  expect(summary.ok).toBe(true);
  expect(summary.uncaught).toBe(0);
  // It did something: rounds with calls, rejections, handles and dead modules.
  expect(summary.rounds).toBeGreaterThanOrEqual(20);
  expect(summary.calls).toBeGreaterThan(500);
  expect(summary.rejections).toBeGreaterThan(50);
  expect(summary.handles).toBeGreaterThan(20);
  expect(summary.deaths).toBeGreaterThan(2);
  expect(stderr).not.toMatch(/MaxListenersExceeded/);
  expect(status).toBe(0);
  console.log(`jsfuzz: ${JSON.stringify(summary)}`);
}, 120000);

#!/usr/bin/env node
// run.mjs — `make bench`: builds and runs the benchmarks side by side, prints
// a table and writes bench/RESULTS.md.
//
// Each entry of BENCHMARKS is { id, title, build?(ctx), run(ctx) }. run()
// returns named results: { key: { value, unit, note? } } (value: the median
// of the repetitions). SUMMARY turns the collected results into the printed
// lines and the markdown table; add a benchmark by appending to BENCHMARKS
// (and, if it has a bar, a row to SUMMARY).
//
// Knobs (environment): BENCH_SWITCHES (2000000), BENCH_REPS (7),
// BENCH_SLEEPERS (100000), BENCH_SLEEPER_RUNS (3).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitPingPong, batonPingPong } from './js_await.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const OUT = path.join(ROOT, 'build', 'bench');
const NODE = process.execPath;

const SWITCHES = Number(process.env.BENCH_SWITCHES || 2_000_000);
const REPS = Number(process.env.BENCH_REPS || 7);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS || 100_000);
const SLEEPER_RUNS = Number(process.env.BENCH_SLEEPER_RUNS || 3);

// ---- helpers -----------------------------------------------------------------

const t0 = performance.now();
const progress = (msg) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

function emccEnv() {
  const env = { ...process.env };
  if (fs.existsSync('/usr/share/nodejs')) { // Debian's emcc needs acorn at -O1+
    env.NODE_PATH = env.NODE_PATH ? `${env.NODE_PATH}:/usr/share/nodejs` : '/usr/share/nodejs';
  }
  return env;
}

/** Runs cmd; resolves with its stdout, rejects (with stderr) on failure. */
function exec(cmd, args, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal || `exit ${code}`})\n${err}${out}`));
    });
  });
}

/** The JSON of every "BENCH {...}" line a program printed. */
function benchLines(stdout) {
  return stdout.split('\n').filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)));
}

function median(xs) {
  if (xs.length === 0) throw new Error('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const spread = (xs) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;

function stackDefault() {
  const h = fs.readFileSync(path.join(ROOT, 'src', 'wasync.h'), 'utf8');
  const m = /#define\s+WA_STACK_DEFAULT\s+(.*)/.exec(h);
  return m ? m[1].trim() : '?';
}

// ---- benchmarks ------------------------------------------------------------------

const WASYNC_MJS = path.join(OUT, 'wasync_bench.mjs');
const FIBER_DIR = path.join(OUT, 'fiber');
const FIBER_CJS = path.join(FIBER_DIR, 'fiber_bench.cjs');
const FIBER_WASM = path.join(FIBER_DIR, 'fiber_bench.wasm');

const BENCHMARKS = [
  {
    id: 'wasync-switch',
    title: `wasync: two tasks ping-pong with wa_yield (${SWITCHES} switches x ${REPS})`,
    async build() {
      await exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', path.join(BENCH, 'wasync_bench.c'), '-o', WASYNC_MJS]);
    },
    async run() {
      const reps = benchLines(await exec(NODE, [WASYNC_MJS, 'switch', String(SWITCHES), String(REPS)]));
      const ns = reps.map((r) => r.ns_per_switch);
      return { wasync_ns: { value: median(ns), unit: 'ns/switch', note: `reps ${spread(ns)}` } };
    },
  },
  {
    id: 'js-await',
    title: `JS: two async functions alternately awaiting a resolved promise (${SWITCHES} hand-offs x ${REPS}, in this process)`,
    async run() {
      await awaitPingPong(SWITCHES); // warm-up
      const ns = [];
      for (let r = 0; r < REPS; r++) ns.push(await awaitPingPong(SWITCHES));
      await batonPingPong(SWITCHES); // warm-up
      const baton = [];
      for (let r = 0; r < REPS; r++) baton.push(await batonPingPong(SWITCHES));
      return {
        js_await_ns: { value: median(ns), unit: 'ns/hand-off', note: `reps ${spread(ns)}` },
        js_baton_ns: { value: median(baton), unit: 'ns/hand-off', note: `new Promise + resolve per hand-off; reps ${spread(baton)}` },
      };
    },
  },
  {
    id: 'fiber-switch',
    title: `emscripten_fiber_swap ping-pong, emcc -O2 -sASYNCIFY (${SWITCHES} switches x ${REPS})`,
    async build() {
      fs.mkdirSync(FIBER_DIR, { recursive: true });
      const js = path.join(FIBER_DIR, 'fiber_bench.js');
      await exec('emcc', ['-O2', '-sASYNCIFY', '-sMODULARIZE=1', '-sEXPORT_NAME=createFiberBench',
        '-sINVOKE_RUN=0', '-sEXPORTED_RUNTIME_METHODS=["callMain"]', '-sENVIRONMENT=node',
        path.join(BENCH, 'fiber_bench.c'), '-o', js], { env: emccEnv() });
      fs.renameSync(js, FIBER_CJS); // CommonJS; the repository's package.json says "type": "module"
    },
    async run() {
      const out = await exec(NODE, [path.join(BENCH, 'fiber_host.mjs'), FIBER_CJS, FIBER_WASM, String(SWITCHES), String(REPS)]);
      const ns = benchLines(out).map((r) => r.ns_per_switch);
      return { fiber_ns: { value: median(ns), unit: 'ns/switch', note: `reps ${spread(ns)}` } };
    },
  },
  {
    id: 'wasync-sleepers',
    title: `wasync: ${SLEEPERS} tasks asleep at once, default stack (WA_STACK_DEFAULT ${stackDefault()}), x ${SLEEPER_RUNS}`,
    // built by wasync-switch (same program)
    async run() {
      const runs = [];
      for (let r = 0; r < SLEEPER_RUNS; r++) {
        const [res] = benchLines(await exec(NODE, [WASYNC_MJS, 'sleepers', String(SLEEPERS), '600000']));
        runs.push(res);
      }
      const med = (k) => median(runs.map((x) => x[k]));
      return {
        sleepers: { value: SLEEPERS, unit: 'tasks' },
        sleeper_sbrk: { value: med('sbrk_per_task'), unit: 'bytes/task', note: 'sbrk(0) growth' },
        sleeper_malloc: { value: med('malloc_per_task'), unit: 'bytes/task', note: 'mallinfo().uordblks growth' },
        sleeper_mem: { value: med('mem_per_task'), unit: 'bytes/task', note: 'wasm memory.size growth (incl. growth slack)' },
        sleeper_spawn_ms: { value: med('spawn_ms'), unit: 'ms', note: 'spawning all' },
        sleeper_start_ms: { value: med('start_ms'), unit: 'ms', note: 'until all are asleep' },
        sleeper_cancel_ms: { value: med('cancel_join_ms'), unit: 'ms', note: 'cancel + join all' },
      };
    },
  },
];

// ---- summary -----------------------------------------------------------------------

const fmt = (v, d = 0) => (v === undefined ? 'n/a' : v.toFixed(d));
const val = (r, k) => r[k]?.value;
const ratio = (r, a, b) => (val(r, a) !== undefined && val(r, b) ? val(r, a) / val(r, b) : undefined);
const verdict = (v, bar) => (v === undefined ? 'n/a' : v <= bar ? 'PASS' : 'FAIL');

/** Rows of the summary: [metric, value, bar, verdict]. */
function summaryRows(r) {
  const rVsJs = ratio(r, 'wasync_ns', 'js_await_ns');
  const rVsFiber = ratio(r, 'wasync_ns', 'fiber_ns');
  const perTask = val(r, 'sleeper_sbrk');
  return [
    ['switch: wasync wa_yield ping-pong', `${fmt(val(r, 'wasync_ns'), 1)} ns`, '', ''],
    ['switch: JS await (resolved promise)', `${fmt(val(r, 'js_await_ns'), 1)} ns`, '', ''],
    ['switch: JS baton (new Promise + resolve)', `${fmt(val(r, 'js_baton_ns'), 1)} ns`, '', 'info'],
    ['switch: emscripten_fiber_swap', `${fmt(val(r, 'fiber_ns'), 1)} ns`, '', ''],
    ['ratio wasync / JS await', fmt(rVsJs, 2), '<= 0.6', verdict(rVsJs, 0.6)],
    ['ratio wasync / fiber', fmt(rVsFiber, 2), '<= 0.3', verdict(rVsFiber, 0.3)],
    [`sleepers: ${fmt(val(r, 'sleepers'))} tasks, heap (sbrk) per task`, `${fmt(perTask)} B`, '<= 8192', verdict(perTask, 8192)],
    ['sleepers: malloc in-use per task', `${fmt(val(r, 'sleeper_malloc'))} B`, '', 'info'],
    ['sleepers: wasm memory growth per task', `${fmt(val(r, 'sleeper_mem'))} B`, '', 'info'],
    ['sleepers: spawn / all asleep / cancel+join', `${fmt(val(r, 'sleeper_spawn_ms'))} / ${fmt(val(r, 'sleeper_start_ms'))} / ${fmt(val(r, 'sleeper_cancel_ms'))} ms`, '', 'info'],
  ];
}

function printSummary(r) {
  const rVsJs = ratio(r, 'wasync_ns', 'js_await_ns');
  const rVsFiber = ratio(r, 'wasync_ns', 'fiber_ns');
  console.log('');
  console.log(`switch: wasync ${fmt(val(r, 'wasync_ns'))} ns | JS await ${fmt(val(r, 'js_await_ns'))} ns | ` +
    `fiber ${fmt(val(r, 'fiber_ns'))} ns | ratio vs JS ${fmt(rVsJs, 2)} (bar 0.6, ${verdict(rVsJs, 0.6)}) | ` +
    `ratio vs fiber ${fmt(rVsFiber, 2)} (bar 0.3, ${verdict(rVsFiber, 0.3)})`);
  console.log(`        (JS baton, new Promise + resolve per hand-off: ${fmt(val(r, 'js_baton_ns'))} ns)`);
  const perTask = val(r, 'sleeper_sbrk');
  console.log(`sleepers: ${fmt(val(r, 'sleepers'))} tasks, ${fmt(perTask)} bytes/task (bar 8192, ${verdict(perTask, 8192)}) ` +
    `[malloc in use ${fmt(val(r, 'sleeper_malloc'))}, wasm memory ${fmt(val(r, 'sleeper_mem'))} bytes/task; ` +
    `WA_STACK_DEFAULT ${stackDefault()}]`);
  console.log('');
  const rows = summaryRows(r);
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(`  ${row.map((c, i) => c.padEnd(w[i])).join('  ')}`);
}

function markdown(r, errors) {
  const lines = [
    '# wasync benchmark results',
    '',
    `Written by \`make bench\` (bench/run.mjs) on ${new Date().toISOString()}.`,
    `Node ${process.version}, ${process.platform}/${process.arch}; medians of ${REPS} repetitions ` +
      `(${SWITCHES} switches each) after a warm-up; sleepers: median of ${SLEEPER_RUNS} runs.`,
    '',
    '| Metric | Value | Bar | Verdict |',
    '| --- | --- | --- | --- |',
    ...summaryRows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
    '## All results',
    '',
    '| Benchmark | Result | Value | Unit | Note |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const b of BENCHMARKS) {
    for (const [k, x] of Object.entries(r.byBench[b.id] || {})) {
      lines.push(`| ${b.id} | ${k} | ${fmt(x.value, Number.isInteger(x.value) ? 0 : 1)} | ${x.unit} | ${x.note || ''} |`);
    }
  }
  if (errors.length) lines.push('', '## Errors', '', ...errors.map((e) => `- ${e}`));
  return `${lines.join('\n')}\n`;
}

// ---- main ----------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const results = { byBench: {} };
  const errors = [];
  for (const b of BENCHMARKS) {
    if (!b.build) continue;
    progress(`building ${b.id}`);
    try { await b.build(); } catch (e) { errors.push(`${b.id} build: ${e.message}`); b.broken = true; }
  }
  for (const b of BENCHMARKS) {
    if (b.broken || (b.id === 'wasync-sleepers' && BENCHMARKS[0].broken)) continue;
    progress(`running ${b.title}`);
    try {
      const res = await b.run();
      results.byBench[b.id] = res;
      Object.assign(results, res);
      for (const [k, x] of Object.entries(res)) {
        progress(`  ${k} = ${fmt(x.value, Number.isInteger(x.value) ? 0 : 1)} ${x.unit}${x.note ? ` (${x.note})` : ''}`);
      }
    } catch (e) {
      errors.push(`${b.id}: ${e.message}`);
    }
  }
  printSummary(results);
  fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), markdown(results, errors));
  progress(`wrote ${path.relative(ROOT, path.join(BENCH, 'RESULTS.md'))}`);
  if (errors.length) {
    for (const e of errors) console.error(`bench error: ${e}`);
    process.exitCode = 1;
  }
}

await main();

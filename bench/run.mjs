#!/usr/bin/env node
// run.mjs — `make bench`: builds and runs the benchmark suite, wasync and
// its peer side by side in the same run, prints a table, writes
// bench/RESULTS.md and draws bench/results.svg (ratios on a log scale).
//
// Each entry of BENCHMARKS is { id, title, build?(), run(), rows?(r) }.
//  - build() builds what the entry needs (shared builds go through once()).
//  - run() returns named results: { key: { value, unit, note? } } (value: the
//    median of the repetitions). Results of every entry are merged into one
//    object r (keys must be unique across entries).
//  - rows(r), optional, returns the entry's summary rows:
//      { row, wasync, peer, ratio?, bar?, check? }
//    wasync and peer are display strings; ratio is a number (wasync / peer,
//    lower is better for wasync) drawn in the chart; bar is the largest
//    ratio that passes (the verdict is PASS/FAIL against it, "info" when
//    there is no bar); check, a boolean, overrides the verdict for rows that
//    are not ratios (e.g. "not instrumented").
// Add a benchmark by appending to BENCHMARKS. Every program runs in its own
// process (the wasm side with node, the JS peers with bench/js_peers.mjs).
//
// Knobs (environment): BENCH_REPS (7: repetitions per measurement, after a
// warm-up), BENCH_PROCS (3: processes per side for the switch and channel
// rows, whose repetitions are pooled), BENCH_SWITCHES (2000000 at depth 0;
// depth 16 runs 1/2, depth 64 1/5 of it), BENCH_RING_PASSES (1000000),
// BENCH_TREE_LEAVES (1000000, a power of 10), BENCH_TREE_REPS (5),
// BENCH_CHAN_MESSAGES (1000000), BENCH_SLEEPERS (100000), BENCH_SLEEPER_RUNS
// (3), BENCH_KERNEL_ITERS (30000000), BENCH_ONLY (comma-separated ids to run),
// BENCH_JSPI_NODE (a Node with JSPI for the h) rows, the JSPI backend beside
// Asyncify; default: this Node if it has JSPI, else those rows are not run),
// BENCH_WASYNC_FLAGS (extra `wasync build` flags for the wasync side, e.g.
// --no-stack-check; the printed table does not name them: say so when quoting it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportNameInGlue, parseWasm } from './wasm_funcs.mjs';
import { emccEnv } from '../js/toolchain.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const OUT = path.join(ROOT, 'build', 'bench');
const NODE = process.execPath;

const num = (name, dflt) => Number(process.env[name] || dflt);
const REPS = num('BENCH_REPS', 7);
const PROCS = num('BENCH_PROCS', 3);
const SWITCHES = num('BENCH_SWITCHES', 2_000_000);
const DEPTHS = [0, 16, 64];
const switchesAt = (depth) => Math.round(SWITCHES / (depth === 0 ? 1 : depth <= 16 ? 2 : 5) / 2) * 2;
const RING_TASKS = 10_000;
const RING_PASSES = num('BENCH_RING_PASSES', 1_000_000);
const TREE_LEAVES = num('BENCH_TREE_LEAVES', 1_000_000);
const TREE_REPS = num('BENCH_TREE_REPS', 5);
const CHAN_MESSAGES = num('BENCH_CHAN_MESSAGES', 1_000_000);
const SLEEPERS = num('BENCH_SLEEPERS', 100_000);
const SLEEPER_RUNS = num('BENCH_SLEEPER_RUNS', 3);
// 100 000 tasks choose small stacks explicitly (64 KiB each would be 6.4 GB
// of wasm32 address space); the default-stack row runs fewer tasks.
const SLEEPER_STACK = 6 * 1024;
const BIG_SLEEPERS = num('BENCH_BIG_SLEEPERS', 20_000);
// Lateness: sleeper i sleeps LATE_BASE + i % LATE_SPREAD ms. The base is
// larger than the time it takes to create 100 000 JS timers (up to ~1.4 s
// seen here), so no deadline passes while the sleepers are still being set up.
const LATE_BASE = 2000;
const LATE_SPREAD = 1000;
const KERNEL_ITERS = num('BENCH_KERNEL_ITERS', 30_000_000);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;

// ---- helpers -----------------------------------------------------------------

const t0 = performance.now();
const progress = (msg) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

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

/** { value: median, unit, note: "reps min-max" } of samples. */
const med = (xs, unit, note) => ({ value: median(xs), unit, note: `${note ? `${note}; ` : ''}${xs.length} reps ${spread(xs)}` });

/** WA_STACK_DEFAULT in bytes, read from wasync.h. */
function stackDefault() {
  const h = fs.readFileSync(path.join(ROOT, 'src', 'wasync.h'), 'utf8');
  const m = /#define\s+WA_STACK_DEFAULT\s+\(\(size_t\)(\d+)\s*\*\s*(\d+)\)/.exec(h);
  return m ? Number(m[1]) * Number(m[2]) : NaN;
}

/** f, run at most once (its promise is shared). */
function once(f) {
  let p = null;
  return () => (p ||= f());
}

// ---- builds ----------------------------------------------------------------------

const WASYNC_MJS = path.join(OUT, 'wasync_bench.mjs');
const FIBER_DIR = path.join(OUT, 'fiber');
const FIBER_CJS = path.join(FIBER_DIR, 'fiber_bench.cjs');
const FIBER_WASM = path.join(FIBER_DIR, 'fiber_bench.wasm');
const FIBER_HOST = path.join(BENCH, 'fiber_host.mjs');
const JS_PEERS = path.join(BENCH, 'js_peers.mjs');
const KERNEL_DIR = path.join(OUT, 'kernel');
const KERNEL_PLAIN = path.join(KERNEL_DIR, 'kernel_plain.cjs');
const KERNEL_PLAIN_WASM = path.join(KERNEL_DIR, 'kernel_plain.wasm');
const KERNEL_WASYNC = path.join(KERNEL_DIR, 'kernel_wasync.mjs');
const KERNEL_WASYNC_WASM = path.join(KERNEL_DIR, 'kernel_wasync.wasm');

const buildWasync = once(() => exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', path.join(BENCH, 'wasync_bench.c'), ...(process.env.BENCH_WASYNC_FLAGS ? process.env.BENCH_WASYNC_FLAGS.split(' ') : []), '-o', WASYNC_MJS]));

/** emcc … -o <dir>/<base>.js, renamed to .cjs (the repository's package.json says "type": "module"). */
async function emccModularized(flags, src, dir, base, exportName) {
  fs.mkdirSync(dir, { recursive: true });
  const js = path.join(dir, `${base}.js`);
  await exec('emcc', [...flags, '-sMODULARIZE=1', `-sEXPORT_NAME=${exportName}`, '-sINVOKE_RUN=0',
    '-sEXPORTED_RUNTIME_METHODS=["callMain"]', '-sENVIRONMENT=node', src, '-o', js], { env: emccEnv() });
  fs.renameSync(js, path.join(dir, `${base}.cjs`));
}

const buildFiber = once(() => emccModularized(['-O2', '-sASYNCIFY'], path.join(BENCH, 'fiber_bench.c'),
  FIBER_DIR, 'fiber_bench', 'createFiberBench'));

/**
 * Runs every measure PROCS times, in turns (a, b, a, b, ...), and returns
 * each one's results pooled. V8 places a module's machine code anew in
 * every process, and in about one process in five a hot loop runs some 20%
 * slower (on either side): the median of several processes is not at the
 * mercy of one draw, and taking turns spreads the machine's drift evenly.
 */
async function pooled(...measures) {
  const out = measures.map(() => []);
  for (let i = 0; i < PROCS; i++) {
    for (let k = 0; k < measures.length; k++) out[k].push(...(await measures[k]()));
  }
  return out;
}

const wasync = async (...args) => benchLines(await exec(NODE, [WASYNC_MJS, ...args.map(String)]));
const jsPeer = async (...args) => benchLines(await exec(NODE, ['--expose-gc', JS_PEERS, ...args.map(String)]));
const fiber = async (...args) => benchLines(await exec(NODE, [FIBER_HOST, FIBER_CJS, FIBER_WASM, ...args.map(String)]));

// The JSPI backend side by side with Asyncify (h rows): both builds run
// under the same Node, one with JSPI.
const JSPI_NODE = process.env.BENCH_JSPI_NODE || (typeof WebAssembly.Suspending === 'function' ? NODE : null);
const WASYNC_JSPI_MJS = path.join(OUT, 'wasync_bench_jspi.mjs');
const buildWasyncJspi = once(() => exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', '-q', '--backend=jspi',
  path.join(BENCH, 'wasync_bench.c'), '-o', WASYNC_JSPI_MJS]));
function needJspi() {
  if (!JSPI_NODE) throw new Error(`not run: Node ${process.version} has no JSPI (set BENCH_JSPI_NODE to a Node 24+)`);
}
const onJspiNode = async (mjs, ...args) => benchLines(await exec(JSPI_NODE, [mjs, ...args.map(String)]));

// ---- display helpers for rows ----------------------------------------------------------

const fmt = (v, d = 0) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(d));
const val = (r, k) => r[k]?.value;
const ratio = (r, a, b) => (val(r, a) !== undefined && val(r, b) ? val(r, a) / val(r, b) : undefined);
const ns = (r, k) => `${fmt(val(r, k), 1)} ns`;
const ms = (r, k, d = 0) => `${fmt(val(r, k), d)} ms`;

// ---- benchmarks ------------------------------------------------------------------

const BENCHMARKS = [
  // a) switch ping-pong at several stack depths
  ...DEPTHS.map((depth) => ({
    id: `switch-d${depth}`,
    title: `switch ping-pong, yield ${depth} frames deep: wasync wa_yield vs JS await vs emscripten_fiber_swap (${switchesAt(depth)} switches x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildWasync(), buildFiber()]),
    async run() {
      const n = switchesAt(depth);
      const [wl, js, fl] = await pooled(() => wasync('switch', n, REPS, depth), () => jsPeer('switch', n, REPS, depth),
        () => fiber(n, REPS, depth));
      const w = wl.map((x) => x.ns_per_switch);
      const handoff = js.filter((x) => x.kind === 'handoff').map((x) => x.ns_per_switch);
      const resolved = js.filter((x) => x.kind === 'resolved').map((x) => x.ns_per_switch);
      const f = fl.map((x) => x.ns_per_switch);
      return {
        [`wasync_switch_d${depth}`]: med(w, 'ns/switch'),
        [`js_handoff_d${depth}`]: med(handoff, 'ns/hand-off', 'A resolves B\'s promise, then awaits its own'),
        [`js_resolved_d${depth}`]: med(resolved, 'ns/hand-off', 'both await an already-resolved promise'),
        [`fiber_switch_d${depth}`]: med(f, 'ns/switch', 'emcc -O2 -sASYNCIFY'),
      };
    },
    rows(r) {
      const w = `wasync_switch_d${depth}`;
      const bar = depth === 0;
      return [
        { row: `a) switch, depth ${depth}: vs JS await hand-off`, wasync: ns(r, w), peer: ns(r, `js_handoff_d${depth}`),
          ratio: ratio(r, w, `js_handoff_d${depth}`), bar: bar ? 0.6 : undefined },
        { row: `a) switch, depth ${depth}: vs JS await of a resolved promise (info)`, wasync: ns(r, w), peer: ns(r, `js_resolved_d${depth}`),
          ratio: ratio(r, w, `js_resolved_d${depth}`) },
        { row: `a) switch, depth ${depth}: vs emscripten_fiber_swap`, wasync: ns(r, w), peer: ns(r, `fiber_switch_d${depth}`),
          ratio: ratio(r, w, `fiber_switch_d${depth}`), bar: bar ? 0.3 : undefined },
      ];
    },
  })),

  // b) ring of 10 000 tasks
  ...[0, 1].map((cap) => ({
    id: `ring-c${cap}`,
    title: `ring of ${RING_TASKS} tasks, channels of capacity ${cap}, token passed ${RING_PASSES} times: wasync vs JS async functions (x ${REPS})`,
    build: buildWasync,
    async run() {
      const w = (await wasync('ring', RING_TASKS, RING_PASSES, cap, REPS)).map((x) => x.ns_per_pass);
      const js = (await jsPeer('ring', RING_TASKS, RING_PASSES, cap, REPS)).map((x) => x.ns_per_pass);
      return {
        [`wasync_ring_c${cap}`]: med(w, 'ns/pass'),
        [`js_ring_c${cap}`]: med(js, 'ns/pass', 'promise-based channels (js_peers.mjs Chan)'),
      };
    },
    rows: (r) => [{ row: `b) ring of ${RING_TASKS} tasks, capacity ${cap}, per pass`, wasync: ns(r, `wasync_ring_c${cap}`),
      peer: ns(r, `js_ring_c${cap}`), ratio: ratio(r, `wasync_ring_c${cap}`, `js_ring_c${cap}`) }],
  })),

  // c) spawn + join tree
  {
    id: 'tree',
    title: `spawn+join tree (Skynet, fan-out 10, ${TREE_LEAVES} leaves, WA_STACK_MIN stacks, the root's 10 subtrees one after another): wasync vs Promise-based (x ${TREE_REPS})`,
    build: buildWasync,
    async run() {
      const wl = await wasync('tree', TREE_LEAVES, TREE_REPS);
      const jl = await jsPeer('tree', TREE_LEAVES, TREE_REPS);
      return {
        wasync_tree_ms: med(wl.map((x) => x.ms), 'ms/tree', `${wl[0].tasks} tasks, at most ${Math.max(...wl.map((x) => x.peak))} alive at once`),
        js_tree_ms: med(jl.map((x) => x.ms), 'ms/tree', 'async functions + Promise.all'),
      };
    },
    rows: (r) => [{ row: `c) spawn+join ${TREE_LEAVES} leaves (Skynet), per tree`, wasync: ms(r, 'wasync_tree_ms'),
      peer: ms(r, 'js_tree_ms'), ratio: ratio(r, 'wasync_tree_ms', 'js_tree_ms') }],
  },

  // d) channel ping-pong
  ...[0, 64].map((cap) => ({
    id: `chan-c${cap}`,
    title: `channel ping-pong, capacity ${cap}: wasync tasks vs JS async functions over a promise-based queue (${CHAN_MESSAGES} messages x ${REPS}, ${PROCS} processes each)`,
    build: buildWasync,
    async run() {
      const [wl, jl] = await pooled(() => wasync('chan', CHAN_MESSAGES, cap, REPS), () => jsPeer('chan', CHAN_MESSAGES, cap, REPS));
      const w = wl.map((x) => x.ns_per_message);
      const js = jl.map((x) => x.ns_per_message);
      return {
        [`wasync_chan_c${cap}`]: med(w, 'ns/message'),
        [`js_chan_c${cap}`]: med(js, 'ns/message', 'js_peers.mjs Chan'),
      };
    },
    rows: (r) => [{ row: `d) channel ping-pong, capacity ${cap}, per message`, wasync: ns(r, `wasync_chan_c${cap}`),
      peer: ns(r, `js_chan_c${cap}`), ratio: ratio(r, `wasync_chan_c${cap}`, `js_chan_c${cap}`), bar: cap === 0 ? 0.7 : undefined }],
  })),

  // e) sleepers: memory, then wake-up lateness
  {
    id: 'sleepers',
    title: `${SLEEPERS} wasync tasks asleep at once, ${SLEEPER_STACK / 1024} KiB stacks (wa_task_opts.stack_size), ` +
      `then ${BIG_SLEEPERS} with the default ${stackDefault() / 1024} KiB, x ${SLEEPER_RUNS}`,
    build: buildWasync,
    async run() {
      const runs = [];
      const js = [];
      const big = [];
      for (let i = 0; i < SLEEPER_RUNS; i++) {
        runs.push((await wasync('sleepers', SLEEPERS, 600000, SLEEPER_STACK))[0]);
        js.push((await jsPeer('sleepmem', SLEEPERS, 600000))[0]);
        big.push((await wasync('sleepers', BIG_SLEEPERS, 600000, 0))[0]);
      }
      const m = (k) => median(runs.map((x) => x[k]));
      return {
        sleeper_big_sbrk: { value: median(big.map((x) => x.sbrk_per_task)), unit: 'bytes/task',
          note: `${BIG_SLEEPERS} tasks with default (${stackDefault()} B) stacks: address space (sbrk) per task` },
        sleeper_big_rss: { value: median(big.map((x) => x.rss_per_task)), unit: 'bytes/task',
          note: `${BIG_SLEEPERS} tasks with default stacks: resident memory (process RSS) growth per task` },
        sleeper_rss: { value: m('rss_per_task'), unit: 'bytes/task', note: `${SLEEPER_STACK} B stacks: resident memory growth per task` },
        sleepers: { value: SLEEPERS, unit: 'tasks' },
        sleeper_js_heap: { value: median(js.map((x) => x.heap_per_sleeper)), unit: 'bytes/sleeper',
          note: 'JS heap growth with as many async functions asleep on setTimeout promises' },
        sleeper_sbrk: { value: m('sbrk_per_task'), unit: 'bytes/task', note: 'sbrk(0) growth' },
        sleeper_malloc: { value: m('malloc_per_task'), unit: 'bytes/task', note: 'mallinfo().uordblks growth' },
        sleeper_mem: { value: m('mem_per_task'), unit: 'bytes/task', note: 'wasm memory.size growth (incl. growth slack)' },
        sleeper_spawn_ms: { value: m('spawn_ms'), unit: 'ms', note: 'spawning all' },
        sleeper_start_ms: { value: m('start_ms'), unit: 'ms', note: 'until all are asleep' },
        sleeper_cancel_ms: { value: m('cancel_join_ms'), unit: 'ms', note: 'cancel + join all' },
      };
    },
    rows: (r) => [{ row: `e) ${fmt(val(r, 'sleepers'))} sleepers (${SLEEPER_STACK / 1024} KiB stacks): memory per task vs JS heap per setTimeout sleeper`,
      wasync: `${fmt(val(r, 'sleeper_sbrk'))} B`, peer: `${fmt(val(r, 'sleeper_js_heap'))} B`,
      ratio: ratio(r, 'sleeper_sbrk', 'sleeper_js_heap'), bar: undefined,
      check: val(r, 'sleeper_sbrk') === undefined ? undefined : val(r, 'sleeper_sbrk') <= 8192, barText: '<= 8192 B' },
    { row: `e) ${fmt(BIG_SLEEPERS)} sleepers, default ${stackDefault() / 1024} KiB stacks: resident memory / address space per task`,
      wasync: `${fmt(val(r, 'sleeper_big_rss'))} / ${fmt(val(r, 'sleeper_big_sbrk'))} B`, peer: undefined, ratio: undefined, bar: undefined }],
  },
  {
    id: 'lateness',
    title: `${SLEEPERS} sleepers (${LATE_BASE} + i % ${LATE_SPREAD} ms each), wake-up lateness: wasync wa_sleep vs JS setTimeout promises (x ${SLEEPER_RUNS})`,
    build: buildWasync,
    async run() {
      const w = [];
      const js = [];
      for (let i = 0; i < SLEEPER_RUNS; i++) {
        w.push((await wasync('lateness', SLEEPERS, LATE_BASE, LATE_SPREAD))[0]);
        js.push((await jsPeer('lateness', SLEEPERS, LATE_BASE, LATE_SPREAD))[0]);
      }
      const m = (xs, k, note) => med(xs.map((x) => x[k]), 'ms', note);
      return {
        wasync_late_p50: m(w, 'p50_ms', 'wake time - deadline, p50'),
        wasync_late_p99: m(w, 'p99_ms', 'p99'),
        wasync_late_max: m(w, 'max_ms', 'max'),
        js_late_p50: m(js, 'p50_ms', 'setTimeout promise, p50'),
        js_late_p99: m(js, 'p99_ms', 'p99'),
        js_late_max: m(js, 'max_ms', 'max'),
      };
    },
    rows: (r) => [
      { row: `e) ${SLEEPERS} sleepers: wake-up lateness p50`, wasync: ms(r, 'wasync_late_p50', 2), peer: ms(r, 'js_late_p50', 2),
        ratio: ratio(r, 'wasync_late_p50', 'js_late_p50') },
      { row: `e) ${SLEEPERS} sleepers: wake-up lateness p99`, wasync: ms(r, 'wasync_late_p99', 2), peer: ms(r, 'js_late_p99', 2),
        ratio: ratio(r, 'wasync_late_p99', 'js_late_p99') },
    ],
  },

  // f) Asyncify tax on code that never awaits
  {
    id: 'asyncify-tax',
    title: `Asyncify tax: compute kernel (${KERNEL_ITERS} iterations) built with plain emcc -O3 vs wasync's link flags + runtime (x ${REPS}, 2 processes each)`,
    async build() {
      const src = path.join(BENCH, 'kernel_bench.c');
      await emccModularized(['-O3'], src, KERNEL_DIR, 'kernel_plain', 'createKernel');
      await exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', src, '-O3', '-DWASYNC_BUILD', '-o', KERNEL_WASYNC]);
    },
    async run() {
      const plain = [];
      const wa = [];
      for (let i = 0; i < 2; i++) { // alternate, so drift hits both alike
        plain.push(...benchLines(await exec(NODE, [FIBER_HOST, KERNEL_PLAIN, KERNEL_PLAIN_WASM, KERNEL_ITERS, REPS].map(String))));
        wa.push(...benchLines(await exec(NODE, [KERNEL_WASYNC, KERNEL_ITERS, REPS].map(String))));
      }
      if (plain[0].result !== wa[0].result) throw new Error('the two kernel builds disagree');
      const inspect = async (wasmFile, glueFile) => {
        const mod = parseWasm(fs.readFileSync(wasmFile));
        const name = exportNameInGlue(fs.readFileSync(glueFile, 'utf8'), 'kernel');
        // Instrumented code reads Asyncify's state global at its entry and
        // after each call; the kernel should have neither calls nor globals.
        // Emscripten 4+ emits bulk-memory and nontrapping float-to-int
        // by default: wasm-opt must be told features are allowed.
        const text = await exec('wasm-opt', ['--all-features', wasmFile, '--print']);
        const fn = new RegExp(`\\(export "${name}" \\(func (\\$\\S+)\\)\\)`).exec(text)?.[1];
        const start = fn ? text.indexOf(`\n (func ${fn} `) : -1;
        const end = text.indexOf('\n (func ', start + 1);
        const body = start < 0 ? '' : text.slice(start, end < 0 ? undefined : end);
        return {
          bytes: mod.exportBody(name).length,
          codeBytes: mod.codeBytes,
          wasmBytes: fs.statSync(wasmFile).size,
          functions: mod.functions,
          touches: start < 0 ? -1 : (body.match(/\b(call|call_indirect|global\.get|global\.set)\b/g) || []).length,
        };
      };
      const p = await inspect(KERNEL_PLAIN_WASM, KERNEL_PLAIN);
      const w = await inspect(KERNEL_WASYNC_WASM, KERNEL_WASYNC);
      return {
        kernel_plain_ms: med(plain.map((x) => x.ms), 'ms'),
        kernel_wasync_ms: med(wa.map((x) => x.ms), 'ms'),
        kernel_plain_bytes: { value: p.bytes, unit: 'bytes', note: `kernel body; calls/global accesses in it: ${p.touches}` },
        kernel_wasync_bytes: { value: w.bytes, unit: 'bytes', note: `kernel body; calls/global accesses in it: ${w.touches}` },
        kernel_wasync_touches: { value: w.touches, unit: 'calls + global accesses in the kernel (wasm-opt --print)' },
        module_plain_bytes: { value: p.wasmBytes, unit: 'bytes', note: `.wasm, ${p.functions} functions, code section ${p.codeBytes} B` },
        module_wasync_bytes: { value: w.wasmBytes, unit: 'bytes', note: `.wasm incl. the runtime, ${w.functions} functions, code section ${w.codeBytes} B` },
      };
    },
    rows: (r) => [
      { row: 'f) Asyncify tax: compute kernel run time', wasync: ms(r, 'kernel_wasync_ms', 1), peer: ms(r, 'kernel_plain_ms', 1),
        ratio: ratio(r, 'kernel_wasync_ms', 'kernel_plain_ms'), bar: 1.05 },
      { row: 'f) Asyncify tax: kernel code size (not instrumented)', wasync: `${fmt(val(r, 'kernel_wasync_bytes'))} B`,
        peer: `${fmt(val(r, 'kernel_plain_bytes'))} B`, ratio: ratio(r, 'kernel_wasync_bytes', 'kernel_plain_bytes'),
        check: val(r, 'kernel_wasync_touches') === undefined ? undefined : val(r, 'kernel_wasync_touches') === 0,
        barText: 'no calls or global accesses' },
      { row: 'f) whole .wasm (wasync: with the runtime; info)', wasync: `${fmt(val(r, 'module_wasync_bytes'))} B`,
        peer: `${fmt(val(r, 'module_plain_bytes'))} B`, ratio: ratio(r, 'module_wasync_bytes', 'module_plain_bytes') },
    ],
  },

  // g) fetch: C tasks with wa_fetch vs a plain JS async pool, same process and server
  {
    id: 'fetch',
    title: `fetch: ${num('BENCH_FETCH_TOTAL', 10000)} GETs over loopback, 64 in flight: wasync C tasks (wa_fetch) vs a JS async pool (x ${num('BENCH_FETCH_REPS', 5)})`,
    build: () => exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench.mjs')]),
    async run() {
      const lines = benchLines(await exec(NODE, [path.join(BENCH, 'fetch_bench.mjs'), path.join(OUT, 'fetch_bench.mjs'),
        String(num('BENCH_FETCH_TOTAL', 10000)), '64', String(num('BENCH_FETCH_REPS', 5))]));
      const rps = (kind) => lines.filter((x) => x.kind === kind).map((x) => x.rps);
      return {
        fetch_wasync_rps: med(rps('wasync'), 'requests/s'),
        fetch_js_rps: med(rps('js'), 'requests/s', 'fetch(url) + arrayBuffer()'),
        fetch_js_abort_rps: med(rps('js-abort'), 'requests/s', 'fetch(url, { signal }) + arrayBuffer(), as wa_fetch calls it'),
      };
    },
    // Ratios here are JS rps / wasync rps (time per request), so <= 1.11 means wasync reaches >= 0.9 x JS.
    rows: (r) => [
      { row: 'g) fetch: requests/s vs plain JS pool (bar: wasync >= 0.9 x JS)', wasync: `${fmt(val(r, 'fetch_wasync_rps'))} req/s`,
        peer: `${fmt(val(r, 'fetch_js_rps'))} req/s`, ratio: ratio(r, 'fetch_js_rps', 'fetch_wasync_rps'), bar: 1.11 },
      { row: 'g) fetch: vs JS pool passing an AbortSignal, as wa_fetch does (info)', wasync: `${fmt(val(r, 'fetch_wasync_rps'))} req/s`,
        peer: `${fmt(val(r, 'fetch_js_abort_rps'))} req/s`, ratio: ratio(r, 'fetch_js_abort_rps', 'fetch_wasync_rps') },
    ],
  },
];

BENCHMARKS.push(
  // h) the same programs on the JSPI backend, beside Asyncify, same Node
  ...DEPTHS.map((depth) => ({
    id: `jspi-switch-d${depth}`,
    title: `JSPI vs Asyncify backend: switch ping-pong ${depth} frames deep (${switchesAt(depth)} switches x ${REPS}, ${PROCS} processes each, Node with JSPI)`,
    build: () => Promise.all([buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      const n = switchesAt(depth);
      const [a, j] = await pooled(() => onJspiNode(WASYNC_MJS, 'switch', n, REPS, depth), () => onJspiNode(WASYNC_JSPI_MJS, 'switch', n, REPS, depth));
      return {
        [`asyncify_switch_d${depth}`]: med(a.map((x) => x.ns_per_switch), 'ns/switch', `Asyncify, under ${JSPI_NODE === NODE ? process.version : 'BENCH_JSPI_NODE'}`),
        [`jspi_switch_d${depth}`]: med(j.map((x) => x.ns_per_switch), 'ns/switch', 'JSPI backend'),
      };
    },
    rows: (r) => [{ row: `h) JSPI vs Asyncify: switch, depth ${depth}`, wasync: ns(r, `jspi_switch_d${depth}`),
      peer: ns(r, `asyncify_switch_d${depth}`), ratio: ratio(r, `jspi_switch_d${depth}`, `asyncify_switch_d${depth}`),
      bar: depth === 64 ? 0.5 : undefined }],
  })),
  {
    id: 'jspi-rest',
    title: `JSPI vs Asyncify backend: channel ping-pong (capacity 0, ${CHAN_MESSAGES} messages), spawn+join tree (${TREE_LEAVES} leaves), ${SLEEPERS} sleepers (memory), Node with JSPI`,
    build: () => Promise.all([buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      const out = {};
      for (const [k, mjs] of [['asyncify', WASYNC_MJS], ['jspi', WASYNC_JSPI_MJS]]) {
        out[`${k}_chan_c0`] = med((await onJspiNode(mjs, 'chan', CHAN_MESSAGES, 0, REPS)).map((x) => x.ns_per_message), 'ns/message');
        out[`${k}_tree_ms`] = med((await onJspiNode(mjs, 'tree', TREE_LEAVES, TREE_REPS)).map((x) => x.ms), 'ms/tree');
        out[`${k}_sleeper_sbrk`] = { value: (await onJspiNode(mjs, 'sleepers', SLEEPERS, 600000))[0].sbrk_per_task, unit: 'bytes/task', note: 'sbrk(0) growth' };
      }
      return out;
    },
    rows: (r) => [
      { row: 'h) JSPI vs Asyncify: channel ping-pong, capacity 0', wasync: ns(r, 'jspi_chan_c0'), peer: ns(r, 'asyncify_chan_c0'),
        ratio: ratio(r, 'jspi_chan_c0', 'asyncify_chan_c0') },
      { row: `h) JSPI vs Asyncify: spawn+join ${TREE_LEAVES} leaves`, wasync: ms(r, 'jspi_tree_ms'), peer: ms(r, 'asyncify_tree_ms'),
        ratio: ratio(r, 'jspi_tree_ms', 'asyncify_tree_ms') },
      { row: `h) JSPI vs Asyncify: ${SLEEPERS} sleepers, memory per task`, wasync: `${fmt(val(r, 'jspi_sleeper_sbrk'))} B`,
        peer: `${fmt(val(r, 'asyncify_sleeper_sbrk'))} B`, ratio: ratio(r, 'jspi_sleeper_sbrk', 'asyncify_sleeper_sbrk') },
    ],
  },
  {
    id: 'jspi-fetch',
    title: `JSPI vs Asyncify backend: fetch pool (${num('BENCH_FETCH_TOTAL', 10000)} GETs, 64 in flight, x ${num('BENCH_FETCH_REPS', 5)}), Node with JSPI`,
    build: () => Promise.all([
      exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', '-q', path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench.mjs')]),
      exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', '-q', '--backend=jspi', path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench_jspi.mjs')])]),
    async run() {
      needJspi();
      const rps = async (mjs) => benchLines(await exec(JSPI_NODE, [path.join(BENCH, 'fetch_bench.mjs'), path.join(OUT, mjs),
        String(num('BENCH_FETCH_TOTAL', 10000)), '64', String(num('BENCH_FETCH_REPS', 5))])).filter((x) => x.kind === 'wasync').map((x) => x.rps);
      return { asyncify_fetch_rps: med(await rps('fetch_bench.mjs'), 'requests/s'), jspi_fetch_rps: med(await rps('fetch_bench_jspi.mjs'), 'requests/s') };
    },
    // time per request: asyncify rps / jspi rps
    rows: (r) => [{ row: 'h) JSPI vs Asyncify: fetch pool, time per request', wasync: `${fmt(val(r, 'jspi_fetch_rps'))} req/s`,
      peer: `${fmt(val(r, 'asyncify_fetch_rps'))} req/s`, ratio: ratio(r, 'asyncify_fetch_rps', 'jspi_fetch_rps') }],
  },
  {
    id: 'jspi-tax',
    title: `JSPI backend tax: compute kernel (${KERNEL_ITERS} iterations) with wasync build --backend=jspi -O3 vs plain emcc -O3 (x ${REPS}, 2 processes each)`,
    async build() {
      const src = path.join(BENCH, 'kernel_bench.c');
      await emccModularized(['-O3'], src, KERNEL_DIR, 'kernel_plain', 'createKernel');
      await exec(NODE, [path.join(ROOT, 'js', 'cli.mjs'), 'build', '-q', '--backend=jspi', src, '-O3', '-DWASYNC_BUILD', '-o', path.join(KERNEL_DIR, 'kernel_jspi.mjs')]);
    },
    async run() {
      needJspi();
      const plain = [];
      const jspi = [];
      for (let i = 0; i < 2; i++) {
        plain.push(...benchLines(await exec(JSPI_NODE, [FIBER_HOST, KERNEL_PLAIN, KERNEL_PLAIN_WASM, KERNEL_ITERS, REPS].map(String))));
        jspi.push(...benchLines(await exec(JSPI_NODE, [path.join(KERNEL_DIR, 'kernel_jspi.mjs'), KERNEL_ITERS, REPS].map(String))));
      }
      if (plain[0].result !== jspi[0].result) throw new Error('the two kernel builds disagree');
      const body = (wasmFile, glueFile) => parseWasm(fs.readFileSync(wasmFile)).exportBody(exportNameInGlue(fs.readFileSync(glueFile, 'utf8'), 'kernel')).length;
      const jw = path.join(KERNEL_DIR, 'kernel_jspi.wasm');
      return {
        kernel_plain_ms_jspinode: med(plain.map((x) => x.ms), 'ms', 'plain emcc -O3'),
        kernel_jspi_ms: med(jspi.map((x) => x.ms), 'ms', 'wasync build --backend=jspi -O3'),
        kernel_jspi_bytes: { value: body(jw, path.join(KERNEL_DIR, 'kernel_jspi.mjs')), unit: 'bytes', note: 'kernel body' },
        kernel_plain_bytes_jspi: { value: body(KERNEL_PLAIN_WASM, KERNEL_PLAIN), unit: 'bytes', note: 'kernel body' },
        module_jspi_bytes: { value: fs.statSync(jw).size, unit: 'bytes', note: '.wasm incl. the runtime' },
      };
    },
    rows: (r) => [
      { row: 'h) JSPI tax: compute kernel run time vs plain emcc', wasync: ms(r, 'kernel_jspi_ms', 1), peer: ms(r, 'kernel_plain_ms_jspinode', 1),
        ratio: ratio(r, 'kernel_jspi_ms', 'kernel_plain_ms_jspinode'), bar: 1.15 },
      { row: 'h) JSPI tax: kernel code size vs plain emcc', wasync: `${fmt(val(r, 'kernel_jspi_bytes'))} B`, peer: `${fmt(val(r, 'kernel_plain_bytes_jspi'))} B`,
        ratio: ratio(r, 'kernel_jspi_bytes', 'kernel_plain_bytes_jspi'), bar: 1.10 },
    ],
  },
);

// ---- summary -----------------------------------------------------------------------

const verdict = (x) => {
  if (x.check !== undefined) return x.check ? 'PASS' : 'FAIL';
  if (x.bar === undefined) return x.barText ? 'n/a' : 'info';
  if (x.ratio === undefined) return 'n/a';
  return x.ratio <= x.bar ? 'PASS' : 'FAIL';
};

/** Summary rows as display cells: [row, wasync, peer, ratio, bar, verdict]. */
function summaryCells(r) {
  return summaryRows(r).map((x) => [x.row, x.wasync, x.peer || '-', x.ratio === undefined ? '-' : fmt(x.ratio, 2),
    x.barText || (x.bar === undefined ? '-' : `<= ${x.bar}`), verdict(x)]);
}

function summaryRows(r) {
  return BENCHMARKS.filter((b) => b.rows && r.byBench[b.id]).flatMap((b) => b.rows(r));
}

const HEAD = ['Row', 'wasync', 'Peer', 'Ratio', 'Bar', 'Pass/fail'];

function printSummary(r) {
  const rows = [HEAD, ...summaryCells(r)];
  const w = HEAD.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(`  ${row.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ')}`);
    if (i === 0) console.log(`  ${w.map((n) => '-'.repeat(n)).join('  ')}`);
  }
  console.log('');
}

function markdown(r, errors) {
  const esc = (c) => c.replace(/\|/g, '\\|');
  const lines = [
    '# wasync benchmark results',
    '',
    `Written by \`make bench\` (bench/run.mjs) on ${new Date().toISOString()}; Node ${process.version}, ` +
      `${process.platform}/${process.arch}. Each figure is the median of ${REPS} repetitions after a warm-up ` +
      `(the tree: ${TREE_REPS}; sleepers and lateness: ${SLEEPER_RUNS} runs), wasync and its peer measured in the ` +
      'same run, each program in its own process. Ratio = wasync / peer (lower is better for wasync); ' +
      'a row passes when the ratio is at or under its bar. Chart: [results.svg](results.svg).',
    '',
    `| ${HEAD.join(' | ')} |`,
    `| --- | --- | --- | ---: | --- | --- |`,
    ...summaryCells(r).map((row) => `| ${row.map(esc).join(' | ')} |`),
    '',
    'Peers and methods:',
    '',
    '- a) Two tasks ping-pong with `wa_yield()`, the call made 0/16/64 frames below the task function. ' +
      'JS await hand-off: each of two async functions resolves the other\'s promise and awaits its own (the bar\'s peer); ' +
      'JS resolved: both await an already-resolved promise, so the microtask queue alternates them without any hand-off (information). ' +
      'In JS only the innermost async function suspends, so depth does not change its cost, while Asyncify unwinds and rewinds every frame. ' +
      'emscripten_fiber_swap: the same program with Emscripten fibers (emcc -O2 -sASYNCIFY).',
    `- b) ${RING_TASKS} tasks in a ring, neighbours joined by channels; one token passed ${RING_PASSES} times. ` +
      'JS: as many async functions over promise-based channels (bench/js_peers.mjs `Chan`, Go semantics, synchronous fast paths).',
    `- c) Skynet: every node spawns 10 children and sums their results, ${TREE_LEAVES} leaves. ` +
      'Tree tasks use `WA_STACK_MIN` (2 KiB) stacks. All 1.1 M tasks at once would need ~2.5 GB (more than wasm32\'s 2 GiB here), ' +
      'and FIFO scheduling builds the tree breadth-first, so the root runs its 10 subtrees one after another ' +
      '(at most ~111 k tasks alive at once); the JS peer (async functions + Promise.all) has the same shape.',
    '- d) Two tasks bounce a value over two channels; ns per message (a send and its receive). JS: the same over `Chan`.',
    `- e) Memory: ${SLEEPERS} tasks with ${SLEEPER_STACK / 1024} KiB stacks (chosen explicitly: ${SLEEPERS} default ` +
      `${stackDefault() / 1024} KiB stacks would not fit in wasm32) asleep at once, heap growth per task; then ${BIG_SLEEPERS} ` +
      'with the default stack, whose resident memory (RSS) shows that untouched stack pages are never committed. Lateness: sleeper i sleeps ' +
      `${LATE_BASE} + i % ${LATE_SPREAD} ms and records wake time minus deadline (performance.now()); JS: ${SLEEPERS} async functions awaiting setTimeout promises.`,
    '- f) bench/kernel_bench.c: integer + float loop in a function that never awaits, built with plain `emcc -O3` and with ' +
      '`wasync build -O3` (js/build.mjs link flags: -sASYNCIFY=1 …, linked with the runtime). Code size: the kernel\'s body in ' +
      'each .wasm (found through its export); it is not instrumented when, in `wasm-opt --print`, it has no calls and no global ' +
      'accesses (Asyncify\'s instrumentation reads its state global at entry and after every call). The few bytes of difference come ' +
      'from Binaryen re-optimizing the whole module after the asyncify pass.',
    '',
    '## All results',
    '',
    '| Benchmark | Result | Value | Unit | Note |',
    '| --- | --- | ---: | --- | --- |',
  ];
  for (const b of BENCHMARKS) {
    for (const [k, x] of Object.entries(r.byBench[b.id] || {})) {
      lines.push(`| ${b.id} | ${k} | ${fmt(x.value, Number.isInteger(x.value) ? 0 : 2)} | ${x.unit} | ${esc(x.note || '')} |`);
    }
  }
  if (errors.length) lines.push('', '## Errors', '', ...errors.map((e) => `- ${e.split('\n')[0]}`));
  return `${lines.join('\n')}\n`;
}

/** A horizontal bar chart of the ratios (log scale), bars marked. */
function svgChart(r) {
  const rows = summaryRows(r).filter((x) => x.ratio !== undefined && Number.isFinite(x.ratio) && x.ratio > 0);
  const xmlEsc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const labelW = 430;
  const plotW = 520;
  const rowH = 24;
  const top = 50;
  const width = labelW + plotW + 90;
  const height = top + rows.length * rowH + 50;
  const values = rows.flatMap((x) => [x.ratio, x.bar ?? 1, 1]);
  const lo = 2 ** Math.floor(Math.log2(Math.min(...values)));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(...values)));
  const X = (v) => labelW + (Math.log2(v / lo) / Math.log2(hi / lo)) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">wasync / peer (lower is better for wasync; log scale)</text>`,
    `<text x="10" y="38" fill="#555">green: passes its bar, red: fails it, grey: no bar (information). Black tick: the bar.</text>`,
  ];
  for (let v = lo; v <= hi * 1.0001; v *= 2) {
    const x = X(v).toFixed(1);
    out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + rows.length * rowH}" stroke="${v === 1 ? '#888' : '#e4e4e4'}"${v === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${x}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${v >= 1 ? v : `1/${1 / v}`}</text>`);
  }
  rows.forEach((x, i) => {
    const y = top + i * rowH;
    const v = verdict(x);
    const color = v === 'PASS' ? '#3a9d4a' : v === 'FAIL' ? '#d0433a' : '#9aa4b1';
    const x0 = X(lo);
    out.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${xmlEsc(x.row)}</text>`);
    out.push(`<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${Math.max(1, X(x.ratio) - x0).toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(`<text x="${(X(x.ratio) + 4).toFixed(1)}" y="${y + rowH / 2 + 4}">${fmt(x.ratio, 2)}</text>`);
    if (x.bar !== undefined) {
      const bx = X(x.bar).toFixed(1);
      out.push(`<line x1="${bx}" y1="${y + 1}" x2="${bx}" y2="${y + rowH - 1}" stroke="#000" stroke-width="2.5"/>`);
    }
  });
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#555">ratio wasync / peer</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

// ---- main ----------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const results = { byBench: {} };
  const errors = [];
  const selected = BENCHMARKS.filter((b) => !ONLY || ONLY.includes(b.id));
  for (const b of selected) {
    if (!b.build) continue;
    progress(`building ${b.id}`);
    try { await b.build(); } catch (e) { errors.push(`${b.id} build: ${e.message}`); b.broken = true; }
  }
  for (const [i, b] of selected.entries()) {
    if (b.broken) continue;
    progress(`(${i + 1}/${selected.length}) ${b.title}`);
    try {
      const res = await b.run();
      results.byBench[b.id] = res;
      Object.assign(results, res);
      for (const [k, x] of Object.entries(res)) {
        progress(`  ${k} = ${fmt(x.value, Number.isInteger(x.value) ? 0 : 1)} ${x.unit}${x.note ? ` (${x.note})` : ''}`);
      }
    } catch (e) {
      errors.push(`${b.id}: ${e.message}`);
      progress(`  FAILED: ${e.message.split('\n')[0]}`);
    }
  }
  printSummary(results);
  if (!ONLY) {
    fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), markdown(results, errors));
    fs.writeFileSync(path.join(BENCH, 'results.svg'), svgChart(results));
    progress('wrote bench/RESULTS.md and bench/results.svg');
  }
  if (errors.length) {
    for (const e of errors) console.error(`bench error: ${e}`);
    process.exitCode = 1;
  }
}

await main();

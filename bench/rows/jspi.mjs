// jspi.mjs — h) the same programs on the JSPI backend beside Asyncify,
// both under the Node with JSPI (driver.mjs, BENCH_JSPI_NODE).
import fs from 'node:fs';
import path from 'node:path';
import {
  BENCH, benchLines, buildWasync, buildWasyncJspi, emccModularized, exec, FIBER_HOST, JSPI_NODE, med, needJspi, NODE, onJspiNode, OUT,
  pooled, WASYNC_JSPI_MJS, WASYNC_MJS, wasyncBuild,
} from '../driver.mjs';
import {
  CHAN_MESSAGES, DEPTHS, FETCH_REPS, FETCH_TOTAL, KERNEL_ITERS, PROCS, REPS, SLEEPER_RUNS, SLEEPER_STACK, SLEEPERS, switchesAt, TREE_LEAVES,
  TREE_REPS,
} from '../knobs.mjs';

/** The RSS rows' task counts: a tenth of the sleepers row's, and all of them (the bar's). */
const RSS_SLEEPERS = [SLEEPERS / 10, SLEEPERS];
import { fmt, ms, ns, ratio, val } from '../table.mjs';
import { exportNameInGlue, parseWasm } from '../wasm_funcs.mjs';
import { KERNEL_DIR, KERNEL_PLAIN, KERNEL_PLAIN_WASM } from './kernel_tax.mjs';

export const method = 'h) The same programs built with `--backend=jspi` beside the Asyncify build, both run by the Node with JSPI ' +
  '(BENCH_JSPI_NODE). Resident memory per sleeping task: the sleepers program (e) with 6 KiB stacks under `node --expose-gc`, ' +
  'which collects before each reading, so that the growth of the process RSS is what the sleeping tasks hold (their C stacks, ' +
  'and on JSPI their engine stacks and promises), not start-up garbage; median of the runs, the backends taking turns.';

export default [
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
    title: `JSPI vs Asyncify backend: channel ping-pong (capacity 0, ${CHAN_MESSAGES} messages), spawn+join tree (${TREE_LEAVES} leaves), ${SLEEPERS} sleepers with ${SLEEPER_STACK / 1024} KiB stacks (memory), Node with JSPI`,
    build: () => Promise.all([buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      const out = {};
      for (const [k, mjs] of [['asyncify', WASYNC_MJS], ['jspi', WASYNC_JSPI_MJS]]) {
        out[`${k}_chan_c0`] = med((await onJspiNode(mjs, 'chan', CHAN_MESSAGES, 0, REPS)).map((x) => x.ns_per_message), 'ns/message');
        out[`${k}_tree_ms`] = med((await onJspiNode(mjs, 'tree', TREE_LEAVES, TREE_REPS)).map((x) => x.ms), 'ms/tree');
        out[`${k}_sleeper_sbrk`] = { value: (await onJspiNode(mjs, 'sleepers', SLEEPERS, 600000, SLEEPER_STACK))[0].sbrk_per_task, unit: 'bytes/task', note: 'sbrk(0) growth' };
      }
      return out;
    },
    rows: (r) => [
      { row: 'h) JSPI vs Asyncify: channel ping-pong, capacity 0', wasync: ns(r, 'jspi_chan_c0'), peer: ns(r, 'asyncify_chan_c0'),
        ratio: ratio(r, 'jspi_chan_c0', 'asyncify_chan_c0') },
      { row: `h) JSPI vs Asyncify: spawn+join ${TREE_LEAVES} leaves`, wasync: ms(r, 'jspi_tree_ms'), peer: ms(r, 'asyncify_tree_ms'),
        ratio: ratio(r, 'jspi_tree_ms', 'asyncify_tree_ms') },
      { row: `h) JSPI vs Asyncify: ${SLEEPERS} sleepers (${SLEEPER_STACK / 1024} KiB stacks), memory per task`, wasync: `${fmt(val(r, 'jspi_sleeper_sbrk'))} B`,
        peer: `${fmt(val(r, 'asyncify_sleeper_sbrk'))} B`, ratio: ratio(r, 'jspi_sleeper_sbrk', 'asyncify_sleeper_sbrk') },
    ],
  },
  {
    id: 'jspi-rss',
    title: `JSPI vs Asyncify backend: resident memory (RSS) per sleeping task, ${RSS_SLEEPERS.join(' and ')} sleepers with ` +
      `${SLEEPER_STACK / 1024} KiB stacks (x ${SLEEPER_RUNS}, Node with JSPI, --expose-gc)`,
    build: () => Promise.all([buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      const out = {};
      for (const n of RSS_SLEEPERS) {
        const xs = { asyncify: [], jspi: [] };
        // The backends take turns, run by run, so that the machine's drift spreads evenly.
        for (let i = 0; i < SLEEPER_RUNS; i++) {
          for (const [k, mjs] of [['asyncify', WASYNC_MJS], ['jspi', WASYNC_JSPI_MJS]]) {
            const [x] = benchLines(await exec(JSPI_NODE, ['--expose-gc', mjs, 'sleepers', String(n), '600000', String(SLEEPER_STACK)]));
            xs[k].push(x.rss_per_task);
          }
        }
        for (const k of ['asyncify', 'jspi']) out[`${k}_sleeper_rss_${n}`] = med(xs[k], 'bytes/task', 'RSS growth per sleeping task');
      }
      return out;
    },
    rows: (r) => RSS_SLEEPERS.map((n) => ({
      row: `h) JSPI vs Asyncify: ${fmt(n)} sleepers (${SLEEPER_STACK / 1024} KiB stacks), resident memory per task`,
      wasync: `${fmt(val(r, `jspi_sleeper_rss_${n}`))} B`, peer: `${fmt(val(r, `asyncify_sleeper_rss_${n}`))} B`,
      ratio: ratio(r, `jspi_sleeper_rss_${n}`, `asyncify_sleeper_rss_${n}`), bar: n === SLEEPERS ? 1.5 : undefined,
    })),
  },
  {
    id: 'jspi-fetch',
    title: `JSPI vs Asyncify backend: fetch pool (${FETCH_TOTAL} GETs, 64 in flight, x ${FETCH_REPS}), Node with JSPI`,
    build: () => Promise.all([
      wasyncBuild('-q', path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench.mjs')),
      wasyncBuild('-q', '--backend=jspi', path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench_jspi.mjs'))]),
    async run() {
      needJspi();
      const rps = async (mjs) => benchLines(await exec(JSPI_NODE, [path.join(BENCH, 'fetch_bench.mjs'), path.join(OUT, mjs),
        String(FETCH_TOTAL), '64', String(FETCH_REPS)])).filter((x) => x.kind === 'wasync').map((x) => x.rps);
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
      await wasyncBuild('-q', '--backend=jspi', src, '-O3', '-DWASYNC_BUILD', '-o', path.join(KERNEL_DIR, 'kernel_jspi.mjs'));
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
];

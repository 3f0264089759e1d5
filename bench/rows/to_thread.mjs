// to_thread.mjs — l) CPU work on real threads (issue 23): 8 calls of a
// 150 ms kernel through wa_to_thread (a `--threads` build, the pool's
// default size: the machine's parallelism) against the same 8 run serially
// on the event-loop thread, and against a JS Worker pool running the same
// kernel compiled to wasm; meanwhile a ticker task on the event-loop thread
// sleeps 5 ms at a time and records its worst lateness.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, OUT, benchLines, exec, med, median, once, wasyncBuild } from '../driver.mjs';
import { emccEnv } from '../../js/cli/toolchain.mjs';
import { fmt, ms, ratio, val } from '../table.mjs';

const JOBS = 8;
const KERNEL_MS = 150;
const RUNS = 3;
const MJS = path.join(OUT, 'to_thread_bench.mjs');
const KERNEL_WASM = path.join(OUT, 'to_thread_kernel.wasm');

const build = once(() => fs.mkdirSync(OUT, { recursive: true }) && 0 || Promise.all([
  wasyncBuild('-q', '--threads', path.join(BENCH, 'to_thread_bench.c'), '-o', MJS),
  exec('emcc', ['-O2', path.join(BENCH, 'to_thread_kernel.c'), '--no-entry', '-sSTANDALONE_WASM=1',
    '-sEXPORTED_FUNCTIONS=["_count_primes"]', '-o', KERNEL_WASM], { env: emccEnv() }),
]));

export const method = `l) Threads for CPU work: ${JOBS} calls of a kernel (primes below a limit, by trial division, sized to take about ` +
  `${KERNEL_MS} ms on the event-loop thread) through wa_to_thread, one task each, in a \`--threads\` build with the pool's default ` +
  'size (the machine\'s parallelism); against the same calls run one after the other on the event-loop thread (serial), and against ' +
  'a pool of as many node:worker_threads Workers running the same kernel compiled to wasm with emcc -O2, fed from a FIFO queue. ' +
  `Meanwhile a ticker task on the event-loop thread sleeps 5 ms at a time; its worst lateness is the bar's third part. ${RUNS} runs, medians.`;

export default [
  {
    id: 'to-thread',
    title: `${JOBS} x a ${KERNEL_MS} ms kernel through wa_to_thread vs serial and vs a JS Worker pool (x ${RUNS})`,
    build,
    async run() {
      const w = [];
      const js = [];
      for (let i = 0; i < RUNS; i++) {
        const [x] = benchLines(await exec(process.execPath, [MJS, String(JOBS), String(KERNEL_MS)]));
        w.push(x);
        js.push(benchLines(await exec(process.execPath, [path.join(BENCH, 'to_thread_peer.mjs'), KERNEL_WASM, String(JOBS), String(x.limit)]))[0]);
      }
      return {
        to_thread_serial: med(w.map((x) => x.serial_ms), 'ms', `${JOBS} kernels on the event-loop thread`),
        to_thread_ms: med(w.map((x) => x.thread_ms), 'ms', `${JOBS} kernels through wa_to_thread`),
        to_thread_late: { value: Math.max(...w.map((x) => x.late_ms)), unit: 'ms', note: `ticker task's worst lateness, worst of ${RUNS} runs` },
        to_thread_workers: med(js.map((x) => x.worker_ms), 'ms', `${JOBS} kernels on ${js[0].workers} JS Workers`),
        to_thread_limit: { value: median(w.map((x) => x.limit)), unit: 'limit', note: 'the kernel\'s size' },
      };
    },
    rows: (r) => [
      { row: `l) ${JOBS} x ${KERNEL_MS} ms kernel: wa_to_thread vs serial on the event-loop thread`, wasync: ms(r, 'to_thread_ms'),
        peer: ms(r, 'to_thread_serial'), ratio: ratio(r, 'to_thread_ms', 'to_thread_serial'), bar: 0.6 },
      // >= 0.9x the Workers' throughput: time <= 1/0.9 of theirs.
      { row: `l) ${JOBS} x ${KERNEL_MS} ms kernel: wa_to_thread vs a JS Worker pool (wasm kernel)`, wasync: ms(r, 'to_thread_ms'),
        peer: ms(r, 'to_thread_workers'), ratio: ratio(r, 'to_thread_ms', 'to_thread_workers'), bar: 1.11 },
      { row: `l) ticker task on the event-loop thread meanwhile: worst lateness`, wasync: `${fmt(val(r, 'to_thread_late'), 1)} ms`,
        peer: undefined, check: val(r, 'to_thread_late') === undefined ? undefined : val(r, 'to_thread_late') < 20, barText: '< 20 ms' },
    ],
  },
];

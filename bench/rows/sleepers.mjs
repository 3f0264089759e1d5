// sleepers.mjs — e) 100 000 sleeping tasks: memory per task, then wake-up
// lateness, vs as many JS setTimeout promises.
import { buildWasync, buildWasyncJspi, JSPI_NODE, jsPeer, med, median, onJspiNode, stackDefault, wasync, WASYNC_JSPI_MJS } from '../driver.mjs';
import { BIG_SLEEPERS, LATE_BASE, LATE_SPREAD, SLEEPERS, SLEEPER_RUNS, SLEEPER_STACK } from '../knobs.mjs';
import { fmt, ms, ratio, val } from '../table.mjs';

/** The libc's sleep row: tasks that call sleep(1) at once, and runs (processes) per backend. */
const LIBC_SLEEPERS = 3;
const LIBC_RUNS = 3;

export const method = `e) Memory: ${SLEEPERS} tasks with ${SLEEPER_STACK / 1024} KiB stacks (chosen explicitly: ${SLEEPERS} default ` +
      `${stackDefault() / 1024} KiB stacks would not fit in wasm32) asleep at once, heap growth per task; then ${BIG_SLEEPERS} ` +
      'with the default stack, whose resident memory (RSS) shows that untouched stack pages are never committed. Lateness: sleeper i sleeps ' +
      `${LATE_BASE} + i % ${LATE_SPREAD} ms and records wake time minus deadline (performance.now()); JS: ${SLEEPERS} async functions awaiting setTimeout promises. ` +
      `The libc's sleep: ${LIBC_SLEEPERS} tasks call sleep(1) at once (ported C, no wa_sleep): wall time until all are joined, and the JS event loop's ` +
      'worst stall meanwhile (the longest gap between runs of a 1 ms setInterval), on each backend (JSPI under the Node with JSPI).';

export default [
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
        ratio: ratio(r, 'wasync_late_p50', 'js_late_p50'), bar: 1.5 },
      { row: `e) ${SLEEPERS} sleepers: wake-up lateness p99`, wasync: ms(r, 'wasync_late_p99', 2), peer: ms(r, 'js_late_p99', 2),
        ratio: ratio(r, 'wasync_late_p99', 'js_late_p99') },
    ],
  },
  {
    id: 'libc-sleep',
    title: `${LIBC_SLEEPERS} tasks x the libc's sleep(1) at once: wall time and the JS event loop's worst stall (x ${LIBC_RUNS}, both backends)`,
    build: () => Promise.all([buildWasync(), ...(JSPI_NODE ? [buildWasyncJspi()] : [])]),
    async run() {
      const out = {};
      const sides = [['js', () => jsPeer('libcsleep', LIBC_SLEEPERS, 1)], ['asyncify', () => wasync('libcsleep', LIBC_SLEEPERS, 1)]];
      if (JSPI_NODE) sides.push(['jspi', () => onJspiNode(WASYNC_JSPI_MJS, 'libcsleep', LIBC_SLEEPERS, 1)]);
      // The sides take turns, run by run, so that the machine's drift spreads evenly.
      const xs = sides.map(() => []);
      for (let i = 0; i < LIBC_RUNS; i++) {
        for (let s = 0; s < sides.length; s++) xs[s].push((await sides[s][1]())[0]);
      }
      sides.forEach(([k], s) => {
        if (xs[s].some((x) => x.rc !== 0)) throw new Error(`libcsleep (${k}) failed: ${JSON.stringify(xs[s])}`);
        out[`${k}_libc_sleep_wall`] = med(xs[s].map((x) => x.wall_ms), 'ms', `${LIBC_SLEEPERS} x sleep(1), wall`);
        // The worst of the runs, not the median: the bar is on every stall.
        out[`${k}_libc_sleep_stall`] = { value: Math.max(...xs[s].map((x) => x.stall_ms)), unit: 'ms', note: `worst of ${LIBC_RUNS} runs` };
      });
      return out;
    },
    rows: (r) => ['asyncify', 'jspi'].filter((k) => k === 'asyncify' || JSPI_NODE).flatMap((k) => [
      { row: `e) ${LIBC_SLEEPERS} tasks x sleep(1) (the libc's), ${k}: wall time vs JS setTimeout`, wasync: ms(r, `${k}_libc_sleep_wall`, 0),
        peer: ms(r, 'js_libc_sleep_wall', 0), ratio: ratio(r, `${k}_libc_sleep_wall`, 'js_libc_sleep_wall'),
        check: val(r, `${k}_libc_sleep_wall`) === undefined ? undefined : val(r, `${k}_libc_sleep_wall`) <= 1100, barText: '<= 1100 ms' },
      // The peer: the same monitor while only JS timers run, the stall this machine shows anyway.
      { row: `e) ${LIBC_SLEEPERS} tasks x sleep(1) (the libc's), ${k}: worst JS event-loop stall vs JS setTimeout`, wasync: ms(r, `${k}_libc_sleep_stall`, 1),
        peer: ms(r, 'js_libc_sleep_stall', 1), ratio: ratio(r, `${k}_libc_sleep_stall`, 'js_libc_sleep_stall'), check: val(r, `${k}_libc_sleep_stall`) === undefined ? undefined : val(r, `${k}_libc_sleep_stall`) <= 20, barText: '<= 20 ms' },
    ]),
  },
];

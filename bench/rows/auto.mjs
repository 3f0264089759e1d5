// auto.mjs — j) `wasync build --backend=auto`: one module, a .wasm per
// backend, the backend picked at load time. Under this Node (Node 20 has
// no JSPI) the module runs its Asyncify build, under the Node with JSPI its
// JSPI build: each beside the single-backend build it should match (same
// link, so the ratio should be 1 within noise), and SQLite in memory
// against plain emcc under both Nodes (issue 22's bar: within 1.1x on
// Node 24), with the same results.
import path from 'node:path';
import {
  BENCH, benchLines, buildWasync, buildWasyncJspi, exec, JSPI_NODE, med, needJspi, NODE, once, OUT, pooled, WASYNC_JSPI_MJS, WASYNC_MJS,
  wasyncBuild,
} from '../driver.mjs';
import { CHAN_MESSAGES, PROCS, REPS, switchesAt, TREE_LEAVES, TREE_REPS } from '../knobs.mjs';
import { buildMemPlain, buildMemWasync } from '../sqlite_build.mjs';
import { ms, ns, ratio } from '../table.mjs';
import { memTax } from './sqlite.mjs';

const AUTO_MJS = path.join(OUT, 'wasync_bench_auto.mjs');
const buildAuto = once(() => wasyncBuild('-q', '--backend=auto', path.join(BENCH, 'wasync_bench.c'), '-o', AUTO_MJS));

// This Node picks Asyncify by itself unless it has JSPI: then it is asked to.
const NODE_HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const ASYNCIFY_ENV = NODE_HAS_JSPI ? { WASYNC_BACKEND: 'asyncify' } : {};
const run = (node, mjs, env = {}) => async (...args) => benchLines(await exec(node, [mjs, ...args.map(String)], { env: { ...process.env, ...env } }));

export const method = 'j) `wasync build --backend=auto` links the program once per backend and the module picks one when it loads: ' +
  'JSPI where the engine has it (a probe suspends once), else Asyncify. The auto build of bench/wasync_bench.c runs under ' +
  `this Node (${NODE_HAS_JSPI ? 'which has JSPI: WASYNC_BACKEND=asyncify asks for Asyncify' : 'no JSPI: Asyncify chosen'}) beside ` +
  'the `--backend=asyncify` build, and under the Node with JSPI (JSPI chosen) beside the `--backend=jspi` build, in turns; ' +
  'SQLite in memory (the i) rows\' program) built with --backend=auto against plain emcc under both Nodes.';

/** [auto, single] medians of one measure under both Nodes: { asyncify: [a, s], jspi: [a, s] }. */
async function sides(args, pick) {
  const [aa, sa, aj, sj] = await pooled(() => run(NODE, AUTO_MJS, ASYNCIFY_ENV)(...args), () => run(NODE, WASYNC_MJS)(...args),
    () => run(JSPI_NODE, AUTO_MJS)(...args), () => run(JSPI_NODE, WASYNC_JSPI_MJS)(...args));
  return { asyncify: [aa, sa].map((xs) => xs.map(pick)), jspi: [aj, sj].map((xs) => xs.map(pick)) };
}

const pair = (key, unit, s) => ({
  [`auto_asyncify_${key}`]: med(s.asyncify[0], unit, `--backend=auto under ${process.version}`),
  [`single_asyncify_${key}`]: med(s.asyncify[1], unit, `--backend=asyncify under ${process.version}`),
  [`auto_jspi_${key}`]: med(s.jspi[0], unit, '--backend=auto under the Node with JSPI'),
  [`single_jspi_${key}`]: med(s.jspi[1], unit, '--backend=jspi under the Node with JSPI'),
});

const rowsOf = (key, what, fmt) => (r) => ['asyncify', 'jspi'].map((b) => ({
  row: `j) --backend=auto (${b} chosen) vs --backend=${b}: ${what}`, wasync: fmt(r, `auto_${b}_${key}`), peer: fmt(r, `single_${b}_${key}`),
  ratio: ratio(r, `auto_${b}_${key}`, `single_${b}_${key}`),
}));

export default [
  {
    id: 'auto-switch-d0',
    title: `--backend=auto vs each backend: switch ping-pong at depth 0 (${switchesAt(0)} switches x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildAuto(), buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      return pair('switch_d0', 'ns/switch', await sides(['switch', switchesAt(0), REPS, 0], (x) => x.ns_per_switch));
    },
    rows: rowsOf('switch_d0', 'switch, depth 0', ns),
  },
  {
    id: 'auto-chan',
    title: `--backend=auto vs each backend: channel ping-pong, capacity 0 (${CHAN_MESSAGES} messages x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildAuto(), buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      return pair('chan_c0', 'ns/message', await sides(['chan', CHAN_MESSAGES, 0, REPS], (x) => x.ns_per_message));
    },
    rows: rowsOf('chan_c0', 'channel ping-pong, capacity 0', ns),
  },
  {
    id: 'auto-tree',
    title: `--backend=auto vs each backend: spawn+join tree (${TREE_LEAVES} leaves x ${TREE_REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildAuto(), buildWasync(), buildWasyncJspi()]),
    async run() {
      needJspi();
      return pair('tree_ms', 'ms/tree', await sides(['tree', TREE_LEAVES, TREE_REPS], (x) => x.ms));
    },
    rows: rowsOf('tree_ms', `spawn+join ${TREE_LEAVES} leaves`, ms),
  },
  {
    id: 'auto-sqlite-mem',
    title: `--backend=auto: SQLite in memory vs plain emcc, under ${process.version} (Asyncify chosen) and under the Node with JSPI (JSPI chosen)`,
    build: () => Promise.all([buildMemPlain(), buildMemWasync('auto')]),
    async run() {
      needJspi();
      return {
        ...await memTax(NODE, 'auto', 'sqlite_mem_plain_autonode', 'sqlite_mem_auto_asyncify', { chosen: NODE_HAS_JSPI ? 'jspi' : 'asyncify' }),
        ...await memTax(JSPI_NODE, 'auto', 'sqlite_mem_plain_autojspinode', 'sqlite_mem_auto_jspi', { chosen: 'jspi' }),
      };
    },
    rows: (r) => [
      { row: `j) --backend=auto, SQLite in memory under ${process.version}: time vs plain emcc`, wasync: ms(r, 'sqlite_mem_auto_asyncify_ms', 1),
        peer: ms(r, 'sqlite_mem_plain_autonode_ms', 1), ratio: ratio(r, 'sqlite_mem_auto_asyncify_ms', 'sqlite_mem_plain_autonode_ms') },
      { row: 'j) --backend=auto, SQLite in memory under the Node with JSPI: time vs plain emcc', wasync: ms(r, 'sqlite_mem_auto_jspi_ms', 1),
        peer: ms(r, 'sqlite_mem_plain_autojspinode_ms', 1), ratio: ratio(r, 'sqlite_mem_auto_jspi_ms', 'sqlite_mem_plain_autojspinode_ms'), bar: 1.1 },
    ],
  },
];

// sqlite.mjs — i) a real library: SQLite built unchanged (sqlite_build.mjs).
//  - Over HTTP: examples/sqlite-http-vfs against a Range server on
//    127.0.0.1 (tests/sqlite/range-server.mjs) serving the 100+ MB test
//    database: 64 tasks with a connection each against the same 64 tasks
//    one at a time (`lookup-serial`); every run must print what the native
//    build prints.
//  - In memory (bench/sqlite_mem.c), no await at all: the Asyncify tax,
//    wasync against plain emcc of the same object code, time and .wasm size.
//  - Both again on the JSPI backend, under the Node with JSPI.
import fs from 'node:fs';
import path from 'node:path';
import { startRangeServer } from '../../tests/sqlite/range-server.mjs';
import { benchLines, exec, execBoth, FIBER_HOST, JSPI_NODE, med, median, needJspi, NODE, pooled, ROOT } from '../driver.mjs';
import { PROCS, REPS, SQLITE_DELAY, SQLITE_LOOKUPS, SQLITE_QUERIES, SQLITE_ROWS, SQLITE_TASKS } from '../knobs.mjs';
import { buildLookup, buildMemPlain, buildMemWasync, PLAIN_LINK, SQLITE_CFLAGS, sqliteData } from '../sqlite_build.mjs';
import { fmt, ms, ratio, val } from '../table.mjs';
import { parseWasm } from '../wasm_funcs.mjs';

const LOOKUPS = SQLITE_TASKS * SQLITE_LOOKUPS;
const COMPILED = `sqlite3.c compiled once (wasync's user flags, ${SQLITE_CFLAGS.join(' ')})`;
const SERVED = SQLITE_DELAY ? `each answer held ${SQLITE_DELAY} ms` : 'no added latency';
const DELAYED = SQLITE_DELAY ? `, +${SQLITE_DELAY} ms per request` : '';

export const method = `i) SQLite (the amalgamation of the better-sqlite3@12 npm tarball, unchanged), ${COMPILED}, the same object in every build. ` +
  `Over HTTP: examples/sqlite-http-vfs (reads are wa_fetch Range requests) against a Node server on 127.0.0.1 (${SERVED}), ` +
  `the 110 MB test database of tests/sqlite; ${SQLITE_TASKS} tasks with a connection each run ${SQLITE_LOOKUPS} lookups each ` +
  '(by id, by indexed name, a 50-row range), against the same tasks run one at a time (`lookup-serial`); the time is the program\'s own ' +
  '(wa_now around spawn and join), and every run\'s output must equal the native build\'s. In memory: bench/sqlite_mem.c creates a ' +
  `${SQLITE_ROWS}-row table and runs ${SQLITE_QUERIES} of the same lookups, no await anywhere; plain \`emcc ${PLAIN_LINK.join(' ')}\` ` +
  'against `wasync build` (Asyncify: Binaryen instruments every function that can reach an await, which includes every function making ' +
  'an indirect call; the release stack check) or `wasync build --backend=jspi`; .wasm sizes are whole files, wasync\'s with its runtime.';

/** One run of the lookup program: { ms, requests, out }. */
async function lookupRun(node, mjs, mode, url, rows) {
  const { out, err } = await execBoth(node, [mjs, mode, url, SQLITE_TASKS, SQLITE_LOOKUPS, rows].map(String));
  const m = /lookups: \d+ tasks x \d+ in (\d+) ms, (\d+) requests/.exec(err);
  if (!m) throw new Error(`${mode}: no timing line in its stderr:\n${err}`);
  return [{ ms: Number(m[1]), requests: Number(m[2]), out }];
}

/**
 * Runs each [node, mjs, mode] of sides, pooled (PROCS processes each, in
 * turns), against one server; checks every output against the native
 * build's. Resolves with, per side, the lookups/s of each run and the
 * median number of HTTP requests.
 */
async function httpSides(sides) {
  const { native, db, rows } = await sqliteData();
  const want = await exec(native, ['lookup', db, SQLITE_TASKS, SQLITE_LOOKUPS, rows].map(String));
  const server = await startRangeServer(db);
  try {
    const url = SQLITE_DELAY ? `${server.url}?delay=${SQLITE_DELAY}` : server.url;
    const runs = await pooled(...sides.map(([node, mjs, mode]) => () => lookupRun(node, mjs, mode, url, rows)));
    return runs.map((xs, i) => {
      if (xs.some((x) => x.out !== want)) throw new Error(`${sides[i][2]} (${path.relative(ROOT, sides[i][1])}): results differ from native SQLite's`);
      return { lps: xs.map((x) => LOOKUPS / (x.ms / 1000)), requests: xs.map((x) => x.requests) };
    });
  } finally {
    await server.close();
  }
}

const requestsNote = (s) => `${Math.min(...s.requests)}-${Math.max(...s.requests)} HTTP requests a run`;

/** The in-memory program's BENCH lines, one process (args: the program, as node's arguments). */
const memRun = (node, ...prog) => async () => benchLines(await exec(node, [...prog, SQLITE_ROWS, SQLITE_QUERIES, REPS].map(String)));

/**
 * Times the plain build and a wasync build (pooled, in turns), checks they
 * agree, and measures both .wasm files (`chosen`: for --backend=auto, the
 * backend whose .wasm this Node runs).
 */
export async function memTax(node, backend, plainKey, key, { chosen } = {}) {
  const p = await buildMemPlain();
  const w = await buildMemWasync(backend);
  const wasm = backend === 'auto' ? w.wasm.replace(/\.wasm$/, `.${chosen}.wasm`) : w.wasm;
  const [plain, wa] = await pooled(memRun(node, FIBER_HOST, p.cjs, p.wasm), memRun(node, w.mjs));
  const digests = new Set([...plain, ...wa].map((x) => `${x.rows} ${x.digest}`));
  if (digests.size !== 1) throw new Error(`the in-memory builds disagree: ${[...digests].join(', ')}`);
  const size = (f, note) => ({ value: fs.statSync(f).size, unit: 'bytes', note: `${note}, ${parseWasm(fs.readFileSync(f)).functions} functions` });
  return {
    [`${plainKey}_ms`]: med(plain.map((x) => x.ms), 'ms', `plain emcc; inserts ${fmt(median(plain.map((x) => x.insert_ms)), 1)} ms`),
    [`${key}_ms`]: med(wa.map((x) => x.ms), 'ms', `wasync build${backend === 'asyncify' ? '' : ` --backend=${backend}`}; inserts ${fmt(median(wa.map((x) => x.insert_ms)), 1)} ms`),
    [`${plainKey}_wasm`]: size(p.wasm, '.wasm'),
    [`${key}_wasm`]: size(wasm, '.wasm incl. the runtime'),
  };
}

const lps = (r, k) => `${fmt(val(r, k))} lookups/s`;
const kb = (r, k) => `${fmt(val(r, k) / 1024)} KiB`;
const sides = `(x ${PROCS} processes each, in turns)`;

export default [
  {
    id: 'sqlite-http',
    title: `SQLite over HTTP (examples/sqlite-http-vfs, Asyncify, ${COMPILED}, server on 127.0.0.1 with ${SERVED}): ` +
      `${SQLITE_TASKS} tasks x ${SQLITE_LOOKUPS} lookups at once vs the same tasks one at a time ${sides}`,
    build: () => buildLookup('asyncify'),
    async run() {
      const { mjs } = await buildLookup('asyncify');
      const [many, one] = await httpSides([[NODE, mjs, 'lookup'], [NODE, mjs, 'lookup-serial']]);
      return {
        sqlite_http_many_lps: med(many.lps, 'lookups/s', `${SQLITE_TASKS} tasks at once; ${requestsNote(many)}`),
        sqlite_http_one_lps: med(one.lps, 'lookups/s', `one task at a time; ${requestsNote(one)}`),
      };
    },
    // time per lookup: one-at-a-time lookups/s over concurrent lookups/s
    rows: (r) => [{ row: `i) SQLite over HTTP${DELAYED}: ${SQLITE_TASKS} tasks at once vs one at a time, time per lookup`,
      wasync: lps(r, 'sqlite_http_many_lps'), peer: lps(r, 'sqlite_http_one_lps'), ratio: ratio(r, 'sqlite_http_one_lps', 'sqlite_http_many_lps') }],
  },
  {
    id: 'sqlite-tax',
    title: `SQLite in memory, Asyncify tax (bench/sqlite_mem.c: ${SQLITE_ROWS} rows, ${SQLITE_QUERIES} lookups, ${COMPILED}): ` +
      `wasync build vs plain emcc ${PLAIN_LINK.join(' ')} (x ${REPS}, ${PROCS} processes each)`,
    build: () => Promise.all([buildMemPlain(), buildMemWasync('asyncify')]),
    run: () => memTax(NODE, 'asyncify', 'sqlite_mem_plain', 'sqlite_mem_asyncify'),
    rows: (r) => [
      { row: 'i) SQLite in memory, Asyncify tax: run time vs plain emcc', wasync: ms(r, 'sqlite_mem_asyncify_ms', 1),
        peer: ms(r, 'sqlite_mem_plain_ms', 1), ratio: ratio(r, 'sqlite_mem_asyncify_ms', 'sqlite_mem_plain_ms') },
      { row: 'i) SQLite in memory, Asyncify tax: .wasm size vs plain emcc', wasync: kb(r, 'sqlite_mem_asyncify_wasm'),
        peer: kb(r, 'sqlite_mem_plain_wasm'), ratio: ratio(r, 'sqlite_mem_asyncify_wasm', 'sqlite_mem_plain_wasm') },
    ],
  },
  {
    id: 'jspi-sqlite-http',
    title: `JSPI vs Asyncify backend: SQLite over HTTP (${SERVED}), ${SQLITE_TASKS} tasks x ${SQLITE_LOOKUPS} lookups at once ${sides}, Node with JSPI`,
    build: () => Promise.all([buildLookup('asyncify'), buildLookup('jspi')]),
    async run() {
      needJspi();
      const a0 = (await buildLookup('asyncify')).mjs;
      const j0 = (await buildLookup('jspi')).mjs;
      const [a, j] = await httpSides([[JSPI_NODE, a0, 'lookup'], [JSPI_NODE, j0, 'lookup']]);
      return {
        asyncify_sqlite_http_lps: med(a.lps, 'lookups/s', `Asyncify; ${requestsNote(a)}`),
        jspi_sqlite_http_lps: med(j.lps, 'lookups/s', `JSPI backend; ${requestsNote(j)}`),
      };
    },
    rows: (r) => [{ row: `i) JSPI vs Asyncify: SQLite over HTTP${DELAYED}, ${SQLITE_TASKS} tasks, time per lookup`,
      wasync: lps(r, 'jspi_sqlite_http_lps'), peer: lps(r, 'asyncify_sqlite_http_lps'),
      ratio: ratio(r, 'asyncify_sqlite_http_lps', 'jspi_sqlite_http_lps') }],
  },
  {
    id: 'jspi-sqlite-tax',
    title: `JSPI backend tax: SQLite in memory (${SQLITE_ROWS} rows, ${SQLITE_QUERIES} lookups), wasync build --backend=jspi vs plain emcc ` +
      `${PLAIN_LINK.join(' ')} (x ${REPS}, ${PROCS} processes each), Node with JSPI`,
    build: () => Promise.all([buildMemPlain(), buildMemWasync('jspi')]),
    run() {
      needJspi();
      return memTax(JSPI_NODE, 'jspi', 'sqlite_mem_plain_jspinode', 'sqlite_mem_jspi');
    },
    rows: (r) => [
      { row: 'i) JSPI tax: SQLite in memory, run time vs plain emcc', wasync: ms(r, 'sqlite_mem_jspi_ms', 1),
        peer: ms(r, 'sqlite_mem_plain_jspinode_ms', 1), ratio: ratio(r, 'sqlite_mem_jspi_ms', 'sqlite_mem_plain_jspinode_ms'), bar: 1.15 },
      { row: 'i) JSPI tax: SQLite in memory, .wasm size vs plain emcc', wasync: kb(r, 'sqlite_mem_jspi_wasm'),
        peer: kb(r, 'sqlite_mem_plain_jspinode_wasm'), ratio: ratio(r, 'sqlite_mem_jspi_wasm', 'sqlite_mem_plain_jspinode_wasm'), bar: 1.10 },
    ],
  },
];

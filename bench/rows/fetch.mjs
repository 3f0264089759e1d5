// fetch.mjs — g) C tasks with wa_fetch vs a plain JS async pool, same
// process and server.
import path from 'node:path';
import { BENCH, benchLines, exec, med, NODE, OUT, wasyncBuild } from '../driver.mjs';
import { FETCH_REPS, FETCH_TOTAL } from '../knobs.mjs';
import { fmt, ratio, val } from '../table.mjs';

export default [
  // g) fetch: C tasks with wa_fetch vs a plain JS async pool, same process and server
  {
    id: 'fetch',
    title: `fetch: ${FETCH_TOTAL} GETs over loopback, 64 in flight: wasync C tasks (wa_fetch) vs a JS async pool (x ${FETCH_REPS})`,
    build: () => wasyncBuild(path.join(BENCH, 'fetch_bench.c'), '-o', path.join(OUT, 'fetch_bench.mjs')),
    async run() {
      const lines = benchLines(await exec(NODE, [path.join(BENCH, 'fetch_bench.mjs'), path.join(OUT, 'fetch_bench.mjs'),
        String(FETCH_TOTAL), '64', String(FETCH_REPS)]));
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

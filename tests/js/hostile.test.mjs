// wa_fetch against a hostile server (tests/js/hostile-server.mjs): bounded
// memory whatever the server announces or encodes, a limit for
// wa_response_body, and a seeded fuzzer of malformed responses.
//
// The fuzzer: WASYNC_HTTP_FUZZ_COUNT requests (default 300) planned by
// WASYNC_HTTP_FUZZ_SEED (default 12), plus every seed saved in
// tests/fuzz/http-regressions.json. `make fuzz` runs it longer with a new seed.
// A failing run prints its seed and request index: save the seed there (with
// a note) once the bug is fixed.
import fs from 'node:fs';
import path from 'node:path';
import { load } from '../../js/runtime/index.mjs';
import { ROOT, buildFixture } from './helpers.mjs';
import { startHostileServer, scenario, crc, bodyBytes } from './hostile-server.mjs';

const CODES = { WA_OK: 0, WA_ETIMEDOUT: -2, WA_ENET: -9, WA_EOVERFLOW: -11 };
const NAMES = Object.fromEntries(Object.entries(CODES).map(([k, v]) => [v, k]));
const MiB = 1 << 20;

let factory;
let app;
let srv;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wasyncFetch = () => app.module.wasyncFetch;
const fn = (name, ...types) => app.cwrap(name, 'string', types);

/** Waits (up to ms) for aborted requests to settle and the server's connections to close. */
async function quiet(ms = 5000) {
  for (let t = 0; t < ms && wasyncFetch().inflight() > 0; t += 20) await sleep(20);
  let s = await srv.stats();
  for (let t = 0; t < ms && s.sockets > 0; t += 20) {
    await sleep(20);
    s = await srv.stats();
  }
  return { inflight: wasyncFetch().inflight(), pending: wasyncFetch().pending(), buffered: wasyncFetch().buffered, sockets: s.sockets };
}

const CLEAN = { inflight: 0, pending: 0, buffered: 0, sockets: 0 };

/** CRC-32 of n zero bytes, a block at a time. */
function crcZeros(n) {
  const block = Buffer.alloc(MiB);
  let c = 0;
  for (let left = n; left > 0; left -= block.length) c = crc(left >= block.length ? block : block.subarray(0, left), c);
  return c;
}

/** Runs f while sampling process memory; resolves with [result, peak growth of rss and arrayBuffers]. */
async function peakMemory(f) {
  const base = process.memoryUsage();
  let rss = 0;
  let ab = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    ab = Math.max(ab, m.arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, 5);
  try {
    const r = await f();
    sample();
    return [r, { rss, arrayBuffers: ab }];
  } finally {
    clearInterval(timer);
  }
}

beforeAll(async () => {
  srv = await startHostileServer();
  factory = (await import(buildFixture('hostile'))).default;
  app = await load(factory, { print: () => {}, printErr: () => {} });
  // Warm-up: the first task, fetch and timer allocate tables that stay.
  expect(await fn('get_body', 'string', 'number')(`${srv.url}/ok?len=10`, -1)).toMatch(/^body WA_OK len 10 /);
  // The fuzzer's 16 tasks grow the task table once; later runs must leave
  // the heap exactly where they found it.
  expect(await fn('fuzz', 'string', 'number', 'number', 'number')(srv.url, 32, 1, 16)).toBe('fuzz done 32');
  app.module._fuzz_free();
}, 180000);

afterAll(async () => {
  if (srv) await srv.close();
});

afterEach(async () => {
  expect(await quiet()).toEqual(CLEAN);
});

describe('bounded memory', () => {
  // Issue 12 item 8: a body with a Content-Length that fitted the read was
  // taken with arrayBuffer(), decoded whole in JS whatever its encoding.
  for (const enc of ['gzip', 'br', 'deflate']) {
    test(`a ${enc} bomb with a Content-Length streams one network chunk at a time`, async () => {
      const n = 256 * MiB;
      const readAll = fn('read_all', 'string', 'number');
      const mem0 = app.module.HEAP8.length;
      wasyncFetch().maxBuffered = 0;
      const [out, peak] = await peakMemory(() => readAll(`${srv.url}/bomb?enc=${enc}&n=${n}`, MiB));
      expect(out).toBe(`read WA_OK bytes ${n} sum ${crcZeros(n)} msg `);
      console.log(`${enc} bomb, 256 MiB decoded: max held in JS ${wasyncFetch().maxBuffered} bytes, ` +
        `peak growth rss ${(peak.rss / MiB).toFixed(1)} MiB, arrayBuffers ${(peak.arrayBuffers / MiB).toFixed(1)} MiB, ` +
        `wasm memory growth ${app.module.HEAP8.length - mem0} bytes`);
      expect(wasyncFetch().maxBuffered).toBeLessThanOrEqual(MiB);
      expect(peak.arrayBuffers).toBeLessThan(64 * MiB);
      expect(app.module.HEAP8.length - mem0).toBeLessThanOrEqual(4 * MiB);
    }, 120000);
  }

  // Issue 12 item 9: wa_response_body reserved the announced length (up to
  // 256 MiB) before any data came; wasm memory never shrinks.
  test('wa_response_body grows with the data received, not with the Content-Length announced', async () => {
    const getBody = fn('get_body', 'string', 'number');
    const mem0 = app.module.HEAP8.length;
    const heap0 = app.module._heap_used();
    const outs = await Promise.all(Array.from({ length: 10 }, () => getBody(`${srv.url}/lie?cl=200000000&send=30`, -1)));
    for (const out of outs) expect(out).toMatch(/^body WA_ENET len 0 null 1 sum \d+ again WA_ENET msg fetch failed|terminated/);
    expect(app.module.HEAP8.length - mem0).toBeLessThan(4 * MiB);
    expect(app.module._heap_used()).toBe(heap0);
    // A body that does come, announced, arrives whole.
    const body = bodyBytes(7, 3 * MiB + 5);
    expect(await getBody(`${srv.url}/ok?len=${body.length}&seed=7`, -1))
      .toBe(`body WA_OK len ${body.length} null 0 sum ${crc(body)} again WA_OK msg `);
  });
});

describe('wa_response_body_max', () => {
  const len = 100000;
  const sum = crc(bodyBytes(5, len));
  const url = (q) => `${srv.url}/ok?len=${len}&seed=5${q}`;

  test('a body of exactly max bytes is returned', async () => {
    const getBody = fn('get_body', 'string', 'number');
    expect(await getBody(url(''), len)).toBe(`body WA_OK len ${len} null 0 sum ${sum} again WA_OK msg `);
    expect(await getBody(url('&chunked=1'), len)).toBe(`body WA_OK len ${len} null 0 sum ${sum} again WA_OK msg `);
    expect(await getBody(`${srv.url}/ok?len=0`, 0)).toMatch(/^body WA_OK len 0 null 0 /);
  });

  test('an announced Content-Length over max is WA_EOVERFLOW before the body is read; sticky', async () => {
    expect(await fn('get_body', 'string', 'number')(url(''), len - 1))
      .toBe(`body WA_EOVERFLOW len 0 null 1 sum 0 again WA_EOVERFLOW msg wa_response_body: the Content-Length is larger than the limit`);
  });

  test('a chunked or encoded body over max is WA_EOVERFLOW once byte max + 1 arrives', async () => {
    const getBody = fn('get_body', 'string', 'number');
    const msg = 'wa_response_body: the body is larger than the limit';
    expect(await getBody(url('&chunked=1'), len - 1)).toBe(`body WA_EOVERFLOW len 0 null 1 sum 0 again WA_EOVERFLOW msg ${msg}`);
    // The encoded Content-Length is far below max; the decoded body is not.
    expect(await getBody(url('&enc=gzip'), len - 1)).toBe(`body WA_EOVERFLOW len 0 null 1 sum 0 again WA_EOVERFLOW msg ${msg}`);
    expect(await getBody(url('&enc=br'), len)).toBe(`body WA_OK len ${len} null 0 sum ${sum} again WA_OK msg `);
  });

  test('a bomb under a 1 MiB limit costs about 1 MiB of wasm memory', async () => {
    const mem0 = app.module.HEAP8.length;
    const heap0 = app.module._heap_used();
    expect(await fn('get_body', 'string', 'number')(`${srv.url}/bomb?enc=gzip&n=${256 * MiB}`, MiB))
      .toMatch(/^body WA_EOVERFLOW len 0 null 1 .* msg wa_response_body: the body is larger than the limit$/);
    expect(app.module.HEAP8.length - mem0).toBeLessThanOrEqual(2 * MiB);
    expect(app.module._heap_used()).toBe(heap0);
  }, 60000);
});

describe('aborts', () => {
  // The fuzzer (seed 12, AbortSignal mode as in Jest and browsers) found a
  // read of a content-encoded body left pending forever after its request
  // was aborted; abort now cancels the reader whatever it is doing. That
  // race did not reproduce on its own; these check the plain case.
  for (const enc of ['gzip', 'br', 'deflate']) {
    test(`a read pending on a stalled ${enc} body settles when a timeout aborts it`, async () => {
      expect(await fn('read_timeout', 'string', 'number')(`${srv.url}/stall-encoded?enc=${enc}`, 200))
        .toBe('read WA_ETIMEDOUT bytes>0 1');
      // afterEach: no read promise left pending, no connection left open.
    });
  }
});

// ---- the fuzzer ---------------------------------------------------------------

/** The outcomes request i may have: a set of codes, and whether bytes and sum must match. */
function allowed(p, q) {
  const codes = new Set();
  const len = p.body.length;
  const short = q.timeout < 8000;
  const overMax = q.mode === 2 && len > q.max;
  if (short) codes.add(CODES.WA_ETIMEDOUT);
  if (q.mode === 2) codes.add(CODES.WA_EOVERFLOW);
  if (p.expect === 'ok') {
    if (overMax) return { codes: new Set([CODES.WA_EOVERFLOW, ...(short ? [CODES.WA_ETIMEDOUT] : [])]) };
    codes.add(CODES.WA_OK);
    if (!short) codes.delete(CODES.WA_EOVERFLOW);
    return { codes, exact: q.mode !== 3 };
  }
  if (p.expect === 'fail') {
    codes.add(CODES.WA_ENET);
    if (q.mode === 3) codes.add(CODES.WA_OK); // the first read may come before the failure
    return { codes };
  }
  if (p.expect === 'stall') {
    codes.add(CODES.WA_ETIMEDOUT);
    if (q.mode === 3 && p.kind === 'stall-body') codes.add(CODES.WA_OK);
    return { codes };
  }
  return { codes: new Set([...codes, CODES.WA_OK, CODES.WA_ENET, CODES.WA_ETIMEDOUT]) };
}

/** Runs n fuzz requests for seed; returns a list of problems (empty when all is well). */
async function fuzzRun(seed, n, conc = 16) {
  const m = app.module;
  const heap0 = m._heap_used();
  const t0 = Date.now();
  wasyncFetch().maxBuffered = 0;
  expect(await fn('fuzz', 'string', 'number', 'number', 'number')(srv.url, n, seed, conc)).toBe(`fuzz done ${n}`);
  const problems = [];
  const tally = {};
  const outcome = (i) => ({ mode: m._fuzz_get(i, 0), max: m._fuzz_get(i, 2), timeout: m._fuzz_get(i, 3), rc: m._fuzz_get(i, 4),
    bytes: m._fuzz_get(i, 5), sum: m._fuzz_get(i, 6) });
  let slow = 0;
  for (let i = 0; i < n; i++) {
    let q = outcome(i);
    const p = scenario(seed, i);
    let a = allowed(p, q);
    // A generous timeout that still expired: 16 requests at once on a loaded
    // machine can decode an 8 MiB bomb slower than that. Run it again alone
    // with 8 times the time: only a request that times out again is a hang.
    // (A hang that needs the other 15 requests would pass here: each rerun is
    // printed, so a run that needed many says so.)
    if (q.rc === CODES.WA_ETIMEDOUT && !a.codes.has(q.rc) && q.timeout >= 8000) {
      expect(await fn('fuzz_again', 'string', 'number', 'number', 'number')(srv.url, seed, i, 8)).toBe('fuzz_again done');
      q = outcome(i);
      a = allowed(p, { ...q, timeout: 8000 });
      slow++;
      console.log(`http fuzz seed ${seed} i ${i} (${p.kind}, ${p.enc}, ${p.body.length} bytes): timed out at 8 s among 16; alone: ${NAMES[q.rc] || q.rc}`);
    }
    const key = `${p.kind} ${NAMES[q.rc] || q.rc}`;
    tally[key] = (tally[key] || 0) + 1;
    let bad = null;
    if (!a.codes.has(q.rc)) bad = `code ${NAMES[q.rc] || q.rc}, allowed ${[...a.codes].map((c) => NAMES[c]).join('|')}`;
    else if (q.rc === 0 && a.exact && (q.bytes !== p.body.length || q.sum !== crc(p.body))) {
      bad = `body ${q.bytes} bytes sum ${q.sum}, sent ${p.body.length} bytes sum ${crc(p.body)}`;
    } else if (q.rc === 0 && q.bytes > p.body.length && p.expect === 'ok') bad = `${q.bytes} bytes of ${p.body.length}`;
    if (bad) problems.push(`seed ${seed} i ${i} (${p.kind}, ${p.enc}, ${p.body.length} bytes; mode ${q.mode} max ${q.max} timeout ${q.timeout}): ${bad}`);
  }
  m._fuzz_free();
  const { headers, headerMismatch } = await srv.stats();
  if (headerMismatch) problems.push(`seed ${seed}: a request header did not arrive byte for byte: ${headerMismatch}`);
  if (n >= 16 && headers === 0) problems.push(`seed ${seed}: no X-Fuzz request header was checked`);
  const state = await quiet();
  if (JSON.stringify(state) !== JSON.stringify(CLEAN)) problems.push(`seed ${seed}: left behind ${JSON.stringify(state)}`);
  if (m._heap_used() !== heap0) problems.push(`seed ${seed}: heap in use ${m._heap_used()} bytes, was ${heap0}`);
  if (m._tasks_live() !== 0) problems.push(`seed ${seed}: ${m._tasks_live()} tasks live`);
  if (wasyncFetch().maxBuffered > MiB) problems.push(`seed ${seed}: ${wasyncFetch().maxBuffered} bytes held in JS between reads`);
  console.log(`http fuzz seed ${seed}: ${n} requests in ${Date.now() - t0} ms, wasm memory ` +
    `${(m.HEAP8.length / MiB).toFixed(0)} MiB, max held in JS ${wasyncFetch().maxBuffered} bytes; ${slow} timed out at 8 s and ran again alone; ` +
    `outcomes ${JSON.stringify(tally)}`);
  return problems;
}

describe('hostile HTTP fuzzer', () => {
  const REGRESSIONS = path.join(ROOT, 'tests', 'fuzz', 'http-regressions.json');
  const saved = JSON.parse(fs.readFileSync(REGRESSIONS, 'utf8'));
  const count = Number(process.env.WASYNC_HTTP_FUZZ_COUNT || 300);
  const seed = Number(process.env.WASYNC_HTTP_FUZZ_SEED || 12);
  const budget = Math.max(120000, count * 400);

  for (const r of saved) {
    test(`saved seed ${r.seed} (${r.n} requests): ${r.note}`, async () => {
      expect(await fuzzRun(r.seed, r.n)).toEqual([]);
    }, 120000);
  }

  test(`seed ${seed}: ${count} malformed and adversarial responses end in documented codes, memory bounded`, async () => {
    const mem0 = app.module.HEAP8.length;
    expect(await fuzzRun(seed, count)).toEqual([]);
    // Bodies are at most 8 MiB decoded and 16 requests run at once.
    expect(app.module.HEAP8.length - mem0).toBeLessThan(192 * MiB);
    // The module survives: a plain request still works.
    expect(await fn('get_body', 'string', 'number')(`${srv.url}/ok?len=10`, -1)).toMatch(/^body WA_OK len 10 /);
  }, budget);
});

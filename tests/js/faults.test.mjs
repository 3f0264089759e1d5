// Faults and bad input (issue #6, item 2) and the fetch soak (item 3).
//
// Every test names the error it expects and then checks that nothing
// leaked, everything back at its starting level:
//   - wasm heap: bytes malloc'd and not freed (mallinfo().uordblks, from the
//     fixture's heap_used());
//   - C side: live tasks, armed timers (wa__timers_count());
//   - host side: the fetch handle table (wasyncFetch.pending()), unsettled
//     fetch/read promises (inflight()), bytes held between reads (buffered),
//     the bridge's call and promise tables, the task tokens, the one host
//     timer;
//   - server side: requests still open, connections held by stalled routes,
//     raw connections (tests/js/fault-servers.mjs, in a child process).
// The misbehaving servers live in fault-servers.mjs; the C side is
// fixtures/faults.c (one cwrap target per scenario, each returning one line).
import { load } from '../../js/runtime/index.mjs';
import { buildFixture } from './helpers.mjs';
import { startFaultServers } from './fault-servers.mjs';

let factory;
let app;
let srv;
let errs;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function loadApp() {
  return load(factory, { print: () => {}, printErr: (s) => errs.push(s) });
}

/** Every counter this suite checks for leaks, for one module instance. */
function snapshot(a = app) {
  const m = a.module;
  return {
    heap: m._heap_used(),
    tasks: m._tasks_live(),
    timers: m._timers_armed(),
    handles: m.wasyncFetch.pending(),
    inflight: m.wasyncFetch.inflight(),
    buffered: m.wasyncFetch.buffered,
    calls: m.wasyncBridge.calls.size,
    promises: m.wasyncBridge.promises.size,
    tokens: m.wasync.tokens.size,
    hostTimer: m.wasync.timer !== null,
  };
}

/** Polls until pred(value) holds (or ~5 s passed); returns the last value. */
async function until(get, pred, ms = 5000) {
  let v = await get();
  for (let t = 0; t < ms && !pred(v); t += 20) {
    await sleep(20);
    v = await get();
  }
  return v;
}

/** Waits for aborted requests to settle, then expects every counter at its
 * level in `before` and no request or stalled connection left on the server. */
async function expectNoLeaks(before, a = app) {
  await until(() => a.module.wasyncFetch.inflight(), (n) => n === 0);
  expect(snapshot(a)).toEqual(before);
  const s = await until(() => srv.stats(), (x) => x.open === 0 && x.hangSockets === 0 && x.rawSockets === 0);
  expect({ open: s.open, hangSockets: s.hangSockets, rawSockets: s.rawSockets })
    .toEqual({ open: 0, hangSockets: 0, rawSockets: 0 });
}

const fn = (name, ...types) => app.cwrap(name, 'string', types);

beforeAll(async () => {
  errs = [];
  srv = await startFaultServers();
  factory = (await import(buildFixture('faults'))).default;
  app = await loadApp();
  // Warm-up: the first task, the first fetch and the first timer allocate
  // tables that stay (task slots, the timer heap's array); every test then
  // starts from that level.
  expect(await fn('get_body', 'string')(`${srv.http}/small`)).toMatch(/^status 200 body WA_OK len 2 /);
  expect(await app.cwrap('nap', 'number', ['number'])(1)).toBe(1);
}, 180000);

afterAll(async () => {
  if (srv) await srv.close();
});

describe('misbehaving servers', () => {
  test('reset mid-body: WA_ENET from wa_response_read and from wa_response_body', async () => {
    const before = snapshot();
    expect(await fn('stream', 'string')(`${srv.http}/reset`))
      .toMatch(/^read WA_ENET bytes 1000 sticky 1 msg .*ECONNRESET/);
    expect(await fn('get_body', 'string')(`${srv.http}/reset`))
      .toMatch(/^status 200 body WA_ENET len 0 null 1 text {2}msg .*ECONNRESET/);
    await expectNoLeaks(before);
  });

  test('no head ever: a timeout scope ends wa_fetch with WA_ETIMEDOUT and the connection is closed', async () => {
    const before = snapshot();
    const { total } = await srv.stats();
    const out = await fn('fetch_timeout', 'string', 'number')(`${srv.http}/hang`, 100);
    const m = /^fetch WA_ETIMEDOUT expired 1 null 1 elapsed (\d+)$/.exec(out);
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBeGreaterThanOrEqual(99); // never early
    expect((await srv.stats()).total).toBe(total + 1); // it did reach the server
    await expectNoLeaks(before); // hangSockets 0: the aborted request's connection was closed
  });

  test('a body that stalls forever: a timeout around wa_response_read gives WA_ETIMEDOUT, sticky', async () => {
    const before = snapshot();
    expect(await fn('read_timeout', 'string', 'number')(`${srv.http}/stall-body`, 100))
      .toBe('status 200 read WA_ETIMEDOUT expired 1 bytes 100 again WA_ETIMEDOUT');
    await expectNoLeaks(before);
  });

  test('malformed chunked encoding: WA_ENET from the read, with the parser\'s message', async () => {
    const before = snapshot();
    expect(await fn('stream', 'string')(`${srv.raw}/bad-chunk`))
      .toMatch(/^read WA_ENET bytes 5 sticky 1 msg .*[Ii]nvalid character in chunk size/);
    expect(await fn('get_body', 'string')(`${srv.raw}/bad-chunk`))
      .toMatch(/^status 200 body WA_ENET len 0 null 1 text {2}msg .*chunk size/);
    await expectNoLeaks(before);
  });

  test('connection closed before the head: WA_ENET from wa_fetch', async () => {
    const before = snapshot();
    expect(await fn('get_body', 'string')(`${srv.raw}/close`))
      .toMatch(/^fetch WA_ENET null 1 msg fetch failed: .*(other side closed|ECONNRESET|socket hang up)/);
    await expectNoLeaks(before);
  });

  test('all of the above at once, 25 of each', async () => {
    const before = snapshot();
    const jobs = [];
    const job = (p, re) => jobs.push(p.then((s) => ({ s, re })));
    for (let i = 0; i < 25; i++) {
      // A reset after 20 ms: under this load the client may not have read
      // the 1000 bytes (or even the head) yet, and the RST drops them.
      job(fn('stream', 'string')(`${srv.http}/reset?ms=20`),
        /^(read WA_ENET bytes (1000|[1-9]?[0-9]{1,2}) sticky 1 msg .*(ECONNRESET|other side closed)|fetch WA_ENET msg .*)$/);
      job(fn('fetch_timeout', 'string', 'number')(`${srv.http}/hang`, 50 + i), /^fetch WA_ETIMEDOUT expired 1 null 1 /);
      job(fn('read_timeout', 'string', 'number')(`${srv.http}/stall-body`, 50 + i),
        /^status 200 read WA_ETIMEDOUT expired 1 bytes 100 again WA_ETIMEDOUT$/);
      // Under load "hello" may still be queued when the parser fails, and an
      // errored stream drops it: 0 or 5 bytes.
      job(fn('stream', 'string')(`${srv.raw}/bad-chunk`), /^read WA_ENET bytes [05] sticky 1 msg .*chunk size/);
      job(fn('get_body', 'string')(`${srv.raw}/close`), /^fetch WA_ENET null 1 msg fetch failed/);
      job(fn('get_body', 'string')(`${srv.http}/small`), /^status 200 body WA_OK len 2 /);
    }
    // Every call settles (none rejects: each returns its result line).
    const results = await Promise.allSettled(jobs);
    for (const r of results) {
      expect(r.status).toBe('fulfilled');
      expect(r.value.s).toMatch(r.value.re);
    }
    await expectNoLeaks(before);
  });
});

describe('bad input from JavaScript', () => {
  test('wrong types, null, undefined and wrong counts reject with TypeError; no task starts', async () => {
    const before = snapshot();
    const add = app.cwrap('add', 'number', ['number', 'number']);
    const strLen = app.cwrap('str_len', 'number', ['string']);
    const bytesSum = app.cwrap('bytes_sum', 'number', ['array', 'number']);
    const bad = [
      add('1', 2), add(null, 2), add(undefined, 2), add(1n, 2), add({}, 2), add(1), add(1, 2, 3),
      strLen(null), strLen(undefined), strLen(42), strLen(Symbol('s')), strLen({ toString: () => 'x' }),
      bytesSum('abc', 3), bytesSum([1, 'x'], 2), bytesSum(null, 0), bytesSum(undefined, 0),
      app.main('not an array'), app.main(null),
    ];
    for (const p of bad) {
      expect(p).toBeInstanceOf(Promise); // never a synchronous throw
      await expect(p).rejects.toThrow(TypeError);
    }
    await expect(add(null, 2)).rejects.toThrow(/argument 1 of add must be a number, got null/);
    await expect(strLen(undefined)).rejects.toThrow(/argument 1 of str_len must be a string, got undefined/);
    // Bad signatures throw from cwrap itself.
    expect(() => app.cwrap('add', 'int', ['number'])).toThrow(TypeError);
    expect(() => app.cwrap('add', 'number', 'number')).toThrow(TypeError);
    expect(() => app.cwrap(undefined, 'number', [])).toThrow(TypeError);
    expect(() => app.cwrap('heap_used_nope', 'number', [])).toThrow(TypeError);
    // The module still works, and nothing was allocated on the way.
    expect(await add(2, 3)).toBe(5);
    expect(await bytesSum([1, 2, 3], 3)).toBe(6);
    await expectNoLeaks(before);
  });

  test('a 50 MB string argument arrives whole and is freed after the call', async () => {
    const before = snapshot();
    const strLen = app.cwrap('str_len', 'number', ['string']);
    expect(await strLen('x'.repeat(50 << 20))).toBe(50 << 20);
    expect(await strLen('é'.repeat(25 << 20))).toBe(50 << 20); // UTF-8: 2 bytes each
    await expectNoLeaks(before);
  });

  test('a 10 MB URL goes through wa_fetch intact', async () => {
    const before = snapshot();
    const query = 'a'.repeat(10e6); // 10 MB: undici and node:http take ~O(n²) time on a head this size (50 MB: ~15 s)
    const out = await fn('get_body', 'string')(`${srv.http}/len?${query}`);
    expect(out).toBe(`status 200 body WA_OK len 8 null 0 text ${'/len?'.length + query.length} msg `);
    await expectNoLeaks(before);
  });

  test('an argument larger than the wasm heap can grow to rejects with WA_ENOMEM', async () => {
    const before = snapshot();
    const bytesSum = app.cwrap('bytes_sum', 'number', ['array', 'number']);
    const huge = new Uint8Array(3 * 2 ** 30); // 3 GiB > the 2 GiB a 32-bit wasm heap can reach
    await expect(bytesSum(huge, 0)).rejects.toMatchObject({ code: 'WA_ENOMEM' });
    // A string argument allocated before the failing one is freed too.
    const two = app.cwrap('bytes_sum', 'number', ['string', 'array']);
    await expect(two('x'.repeat(1000), huge)).rejects.toMatchObject({ code: 'WA_ENOMEM' });
    expect(await bytesSum([7], 1)).toBe(7);
    await expectNoLeaks(before);
  });
});

describe('the runtime stops', () => {
  // A fresh instance each: a stopped module stays stopped.
  async function stopWith(name, args, code, message) {
    const a = await loadApp();
    const nap = a.cwrap('nap', 'number', ['number']);
    const waiting = nap(60000).then(() => 'resolved', (e) => e); // parked in a sleep when it stops
    await sleep(5);
    const types = args.map(() => 'number');
    await expect(a.cwrap(name, 'number', types)(...args)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    const w = await waiting;
    expect(w).toBeInstanceOf(Error);
    expect(w.code).toBe(code);
    // Later calls reject at once, never hang: cwrap, main, and calls
    // that would have to wait on a timer.
    const later = await Promise.allSettled([nap(1), a.main([]), a.cwrap('add', 'number', ['number', 'number'])(1, 2)]);
    for (const r of later) {
      expect(r.status).toBe('rejected');
      expect(r.reason).toBeInstanceOf(Error);
      // Every later call reports why the module stopped, with one code.
      expect(r.reason.code).toBe(code);
      expect(r.reason.message).toMatch(message);
    }
    // (A call that hung instead of rejecting would fail by Jest's timeout.)
    // The host timer of the parked sleep is gone: a dead module does not
    // keep the event loop alive.
    expect(a.module.wasync.timer).toBeNull();
    expect(a.module.wasync.tokens.size).toBe(0);
    expect(process.exitCode === undefined || process.exitCode === 0).toBe(true);
    return a;
  }

  test('exit() in C: the call, the pending calls and later calls reject with WA_EXIT; the host\'s exit code is untouched', async () => {
    await stopWith('call_exit', [3], 'WA_EXIT', /exit\(3\) was called/);
  });

  test('abort() in C: every call rejects with WA_EABORT and the process lives on', async () => {
    errs.length = 0;
    await stopWith('call_abort', [], 'WA_EABORT', /Aborted/);
    expect(errs.filter((l) => l.startsWith('wasync: fatal:'))).toHaveLength(1);
  });

  test('a trap (unreachable): every call rejects with WA_EABORT and the process lives on', async () => {
    await stopWith('call_trap', [], 'WA_EABORT', /unreachable/);
  });

  test('fetches in flight when the module stops are aborted: no handle or connection stays behind', async () => {
    const a = await loadApp();
    const wasyncFetch = a.module.wasyncFetch;
    try {
      const pending = a.cwrap('get_body', 'string', ['string'])(`${srv.http}/hang`).then(() => 'resolved', (e) => e.code);
      await until(() => srv.stats(), (s) => s.hangSockets === 1);
      await expect(a.cwrap('call_exit', 'number', ['number'])(0)).rejects.toMatchObject({ code: 'WA_EXIT' });
      expect(await pending).toBe('WA_EXIT');
      const s = await until(() => srv.stats(), (x) => x.hangSockets === 0 && x.open === 0, 2000);
      expect({ open: s.open, hangSockets: s.hangSockets, handles: wasyncFetch.pending() })
        .toEqual({ open: 0, hangSockets: 0, handles: 0 });
    } finally {
      // Whatever happened, do not leave the request to the next tests.
      for (const e of wasyncFetch.table.values()) wasyncFetch.abort(e);
      await until(() => srv.stats(), (x) => x.hangSockets === 0 && x.open === 0, 2000);
    }
  });
});

describe('out of memory while buffering', () => {
  test('wa_response_body on a 3 GiB body is WA_ENOMEM; the program goes on, nothing leaked', async () => {
    // Its own instance: the heap grows to about 1 GiB here and never shrinks.
    const a = await loadApp();
    const getBody = a.cwrap('get_body', 'string', ['string']);
    expect(await getBody(`${srv.http}/small`)).toMatch(/^status 200 body WA_OK len 2 /);
    const before = snapshot(a);
    const t0 = Date.now();
    const n = 3 * 2 ** 30;
    // Every failing call sets its own wa_last_error(), WA_ENOMEM too.
    expect(await getBody(`${srv.http}/huge?n=${n}`)).toBe('status 200 body WA_ENOMEM len 0 null 1 text  msg wa_response_body: out of memory');
    const ms = Date.now() - t0;
    expect(await getBody(`${srv.http}/small`)).toBe('status 200 body WA_OK len 2 null 0 text ok msg ');
    await expectNoLeaks(before, a);
    const { hugeSent } = await srv.stats();
    expect(hugeSent).toBeLessThan(n); // the rest of the body was never sent: aborted
    console.log(`3 GiB body: WA_ENOMEM after ${ms} ms, ${(hugeSent / 2 ** 20).toFixed(0)} MiB sent, ` +
      `wasm memory ${(a.module.HEAP8.length / 2 ** 20).toFixed(0)} MiB, heap in use back to ${snapshot(a).heap} bytes`);
  }, 120000);
});

describe('soak', () => {
  test('100 000 fetch/free cycles over 64 tasks leave heap and handle table flat', async () => {
    const soak = fn('soak', 'string', 'number', 'number');
    const url = `${srv.http}/small`;
    const t0 = Date.now();
    expect(await soak(url, 10000, 64)).toBe('errors 0 bytes 20000');
    await until(() => app.module.wasyncFetch.inflight(), (n) => n === 0);
    const warm = { ...snapshot(), top: app.module._heap_top(), memory: app.module.HEAP8.length };
    const t1 = Date.now();
    expect(await soak(url, 90000, 64)).toBe('errors 0 bytes 180000');
    await until(() => app.module.wasyncFetch.inflight(), (n) => n === 0);
    const end = { ...snapshot(), top: app.module._heap_top(), memory: app.module.HEAP8.length };
    const t2 = Date.now();
    const s = await srv.stats();
    console.log(`soak: 10 000 cycles in ${t1 - t0} ms, 90 000 more in ${t2 - t1} ms ` +
      `(${Math.round(90000 / ((t2 - t1) / 1000))}/s); after 10 000: ${JSON.stringify(warm)}; ` +
      `after 100 000: ${JSON.stringify(end)}; server: ${s.total} requests over ${s.sockets} connections`);
    // Exactly flat, no tolerance: every cycle frees what it allocated, and
    // after the warm-up the allocator has every block size it needs on its
    // free lists, so neither the bytes in use nor the break (nor the wasm
    // memory) may move. A leak of even one 16-byte block per 10 000 cycles
    // would show.
    expect(end).toEqual(warm);
    expect(end.handles).toBe(0);
    expect(end.tasks).toBe(0);
    expect(end.timers).toBe(0);
    expect(s.open).toBe(0);
    // Keep-alive worked: 100 000 requests went over a few connections.
    expect(s.sockets).toBeLessThanOrEqual(256);
  }, 180000);
});

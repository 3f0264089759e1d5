// jsfuzz.mjs — the JS-side fuzzer (issue #12): seeded, bounded rounds of
// random cwrap calls over fixtures/misuse.c with good and bad argument types,
// cancels, promise handles (app.promise + wa_js_await / wa_js_release),
// reentrant callbacks (cwrap calls and direct exports from print callbacks
// and then-handlers), tasks() snapshots and calls into modules that died.
//
// After every round, once everything settled, it checks that:
//  - no call threw synchronously, every rejection is an Error with a code
//    (WA_E*) or a TypeError, and every call that succeeded returned the
//    right value;
//  - the JS tables (tokens, calls, promises, fetch handles), the live tasks
//    (wa_task_count, app.tasks()), the host timer and the wasm heap in use
//    are back at their starting size;
//  - a dead module rejects every call, throws from tasks() and holds nothing;
//  - process 'uncaughtException' / 'unhandledRejection' never fired.
//
//   node tests/js/jsfuzz.mjs [--seed N] [--rounds N] [--seconds S] [--module file.mjs]
// Env JSFUZZ_SEED / JSFUZZ_ROUNDS / JSFUZZ_SECONDS set the same (the seed is
// random by default; `make test` runs fixed seeds, tests/js/jsfuzz.test.mjs).
// Prints one JSON summary line; exits 1 on the first failure, naming the
// round's seed: rerun with --seed <it> --rounds 1 to reproduce, and add it to
// tests/js/jsfuzz-seeds.json once fixed.
import { load } from '../../js/runtime/index.mjs';
import { buildFixture } from './helpers.mjs';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(seed) { this.next = mulberry32(seed); }
  int(n) { return Math.floor(this.next() * n); }
  chance(p) { return this.next() < p; }
  pick(a) { return a[this.int(a.length)]; }
  i32() { return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, this.int(2000) - 1000]); }
  i64() { return this.pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(this.int(1e9)) << 20n, this.int(1000)]); }
  u64() { return this.pick([0n, 2n ** 64n - 1n, BigInt(this.int(1e9)) << 30n, this.int(1000)]); }
  u32() { return this.pick([0, 1, 0xffffffff, 0x80000000, this.int(1e6)]); }
  str() {
    const parts = ['a', 'é', '漢', '😀', ' ', 'x'.repeat(this.int(300)), '\t', '\0'];
    let s = '';
    for (let i = this.int(8); i > 0; i--) s += this.pick(parts);
    return s;
  }
  bytes() {
    const n = this.int(64);
    const a = new Uint8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(256);
    return this.chance(0.3) ? Array.from(a) : a;
  }
  word() { return `w${this.int(1e6)}`; }
}

// What the fixture's cwrap targets take and give back.
const ERR_NAMES = ['WA_OK', 'WA_ECANCELED', 'WA_ETIMEDOUT', 'WA_ENOMEM', 'WA_EINVAL', 'WA_ECLOSED', 'WA_EAGAIN',
  'WA_ENOTASK', 'WA_EBUSY', 'WA_ENET', 'WA_EJS', 'WA_EOVERFLOW', 'WA_ENOTSUP'];
const errName = (code) => ERR_NAMES[-code] || 'WA_EUNKNOWN';
const utf8Len = (s) => Buffer.byteLength(s.split('\0')[0]);
const TARGETS = [
  // (A number reaches an int parameter as ToInt32 of it.)
  { name: 'add', ret: 'number', args: ['number', 'number'], gen: (r) => [r.i32(), r.i32()], want: ([a, b]) => ((a | 0) + (b | 0)) | 0 },
  { name: 'nap', ret: 'number', args: ['number'], gen: (r) => [r.int(4)], want: ([ms]) => ms | 0 },
  { name: 'sleepy', ret: 'number', args: ['number'], gen: (r) => [r.int(3)], want: () => 0 },
  { name: 'str_len', ret: 'number', args: ['string'], gen: (r) => [r.str()], want: ([s]) => utf8Len(s) },
  {
    // A length beyond the array would read past it: only the array is made bad.
    name: 'bytes_sum', ret: 'number', args: ['array', 'number'], badArgs: [0],
    gen: (r) => { const b = r.bytes(); return [b, r.int(b.length + 1)]; },
    want: ([b, n]) => Array.from(b).slice(0, n).reduce((x, y) => x + y, 0),
  },
  { name: 'status_of', ret: 'number', args: ['number'], gen: (r) => [r.int(16) - 13], want: ([c]) => c | 0, status: true },
  { name: 'fail_js', ret: 'number', args: ['string'], gen: (r) => [r.word()], want: () => -10, status: true },
  { name: 'add64', ret: 'i64', args: ['i64', 'i64'], gen: (r) => [r.i64(), r.i64()], want: ([a, b]) => BigInt.asIntN(64, BigInt(a) + BigInt(b)) },
  { name: 'u64echo', ret: 'u64', args: ['u64'], gen: (r) => [r.u64()], want: ([a]) => BigInt(a) },
  { name: 'u32echo', ret: 'u32', args: ['u32'], gen: (r) => [r.u32()], want: ([a]) => a },
  { name: 'big64', ret: 'i64', args: [], gen: () => [], want: () => (1n << 40n) + 5n },
  { name: 'say', ret: 'number', args: ['string'], gen: (r) => [`${r.pick(['plain', 'R'])}:${r.word()}`], want: () => 0 },
];
const BY_NAME = Object.fromEntries(TARGETS.map((t) => [t.name, t]));

// Whether a value is acceptable for an argument type (the fuzzer's own
// model, independent of the bridge's checks).
function fits(t, a) {
  if (t === 'number') return typeof a === 'number';
  if (t === 'string') return typeof a === 'string';
  if (t === 'boolean') return typeof a === 'boolean';
  if (t === 'array') return a instanceof Uint8Array || (Array.isArray(a) && a.every((x) => typeof x === 'number'));
  if (t === 'u32') return Number.isInteger(a) && a >= 0 && a <= 0xffffffff;
  const v = typeof a === 'number' && Number.isSafeInteger(a) ? BigInt(a) : a;
  if (typeof v !== 'bigint') return false;
  return t === 'i64' ? BigInt.asIntN(64, v) === v : BigInt.asUintN(64, v) === v;
}
const BAD_VALUES = [null, undefined, 1.5, -1, 2 ** 40, 2 ** 53, NaN, 'str', '', 1n, 2n ** 70n, -(2n ** 64n), {}, [],
  [1, 'x'], new Uint8Array(3), true, Symbol('s'), () => 0];

class Failure extends Error {}

async function runRound(seed, ctx) {
  const rng = new Rng(seed);
  const { app } = ctx;
  const m = app.module;
  const pending = [];
  let syncThrows = 0;
  // Failures are recorded too: one found in a print callback is swallowed
  // by it (a throwing callback is reported, not fatal).
  const failures = [];
  const fail = (msg) => {
    const e = new Failure(`seed ${seed}: ${msg}`);
    failures.push(e);
    throw e;
  };

  // One call; its outcome is checked when it settles.
  const call = (target, args, { bad = false, unchecked = false, rejectErrors = false, cancelAfter = -1, a = app, dead = false } = {}) => {
    let p;
    try {
      p = a.cwrap(target.name, target.ret, target.args, { rejectErrors })(...args);
    } catch (e) {
      syncThrows++;
      fail(`${target.name}(${args.map(String)}) threw synchronously: ${e && e.message}`);
    }
    if (!(p instanceof Promise)) fail(`${target.name} returned ${typeof p}, not a Promise`);
    let cancelled = false;
    if (cancelAfter >= 0) {
      setTimeout(() => { cancelled = true; p.cancel(); }, cancelAfter);
    }
    ctx.stats.calls++;
    pending.push(p.then((v) => {
      if (bad) fail(`${target.name}(${args.map(String)}) with a bad argument resolved with ${v}`);
      if (dead) fail(`${target.name} on a dead module resolved`);
      if (unchecked) return;
      const want = target.want(args);
      if (rejectErrors && want < 0) fail(`${target.name} with rejectErrors resolved with ${v}`);
      if (v !== want) fail(`${target.name}(${args.map(String)}) resolved with ${v}, want ${want}`);
    }, (e) => {
      ctx.stats.rejections++;
      if (!(e instanceof Error)) fail(`${target.name} rejected with a non-Error ${e}`);
      if (dead) {
        if (e.code !== 'WA_EABORT') fail(`${target.name} on a dead module rejected with ${e.code}: ${e.message}`);
        return;
      }
      if (bad) {
        if (!(e instanceof TypeError)) fail(`${target.name} with a bad argument rejected with ${e.code || e.name}: ${e.message}`);
        return;
      }
      if (cancelled && e.code === 'WA_ECANCELED') return;
      const want = target.want(args);
      if (rejectErrors && want < 0 && e.code === errName(want) && e.status === want) {
        const msg = args[0] || 'wasync: JavaScript promise rejected'; // an empty message: the code's
        if (target.name === 'fail_js' && e.message !== msg) fail(`fail_js message ${e.message}, want ${msg}`);
        return;
      }
      fail(`${target.name}(${args.map(String)}) rejected with ${e.code || e.name}: ${e.message}`);
    }));
  };

  const randomCall = (opts = {}) => {
    const target = rng.pick(TARGETS);
    const args = target.gen(rng);
    let bad = false;
    let unchecked = false;
    if (rng.chance(0.25)) {
      if (rng.chance(0.2) || target.args.length === 0) {
        if (rng.chance(0.5)) args.push(rng.int(5)); else args.pop();
        bad = args.length !== target.args.length;
      } else {
        const i = rng.pick(target.badArgs || target.args.map((_, k) => k));
        args[i] = rng.pick(BAD_VALUES);
        bad = !fits(target.args[i], args[i]);
        unchecked = !bad && !!target.badArgs; // fits, but its result is not defined
      }
    }
    const rejectErrors = !!target.status && rng.chance(0.5);
    const cancelAfter = rng.chance(0.15) ? rng.int(4) : -1;
    call(target, args, { bad, unchecked, rejectErrors, cancelAfter, ...opts });
  };

  // Odd settle values (issue 21 #1): each wakes the task with a defined
  // result; [value, what C gets: a number, or -10 (WA_EJS)].
  const revoked = () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
  const oddValues = [
    () => [Object.create(null), 0],
    () => [Symbol('odd'), 0],
    () => [{ valueOf() { throw new Error('valueOf'); } }, 0],
    () => [{ get then() { throw new Error('then'); } }, -10], // resolving reads .then: a rejection
    () => [revoked(), -10],
    () => [12345678901234567890n, Number(12345678901234567890n)],
    () => ['21', 21],
    () => [undefined, 0],
  ];
  const oddReasons = [
    () => new Error('no'),
    () => Object.create(null),
    () => ({ get message() { throw new Error('getter'); } }),
    () => ({ toString() { throw new Error('toString'); } }),
    () => Symbol('odd'),
    revoked,
    () => undefined,
  ];

  // A promise handed to C, then awaited (maybe cancelled) or released.
  const handOver = () => {
    let settle;
    const rejects = rng.chance(0.3);
    let [value, got] = [rng.int(1000), null];
    if (!rejects && rng.chance(0.3)) [value, got] = rng.pick(oddValues)();
    const reason = rng.pick(oddReasons)();
    const promise = new Promise((res, rej) => { settle = () => (rejects ? rej(reason) : res(value)); });
    const when = rng.int(4);
    if (when === 0) settle(); else setTimeout(settle, when - 1);
    ctx.stats.handles++;
    const want = rejects ? -10 : got === null ? value : got;
    if (rng.chance(0.2)) {
      call({ name: 'release_handed', ret: null, args: ['number'], want: () => undefined }, [app.promise(promise)]);
      return;
    }
    // A call that may be cancelled before it runs takes the promise as a
    // 'promise' argument, which is then released for it (a raw handle would
    // stay with JS, which has no way to give it back).
    const cancelAfter = rng.chance(0.2) ? rng.int(3) : -1;
    if (cancelAfter >= 0) call({ name: 'await_handed', ret: 'number', args: ['promise'], want: () => want }, [promise], { cancelAfter });
    else call({ name: 'await_handed', ret: 'number', args: ['number'], want: () => want }, [app.promise(promise)]);
  };

  // Reentrancy from print callbacks (lines "R:...") and then-handlers.
  ctx.onLine = (line) => {
    if (!line.startsWith('R:')) return;
    const what = rng.int(3);
    if (what === 0) {
      const rc = m._sleepy(1);
      if (rc !== -7) fail(`a direct export in a print callback returned ${rc}, want WA_ENOTASK (-7)`);
    } else if (what === 1) {
      randomCall();
    } else if (m._add(2, 3) !== 5) fail('a direct _add in a print callback was wrong');
  };

  const ops = 10 + rng.int(50);
  for (let i = 0; i < ops; i++) {
    const op = rng.int(10);
    if (op < 6) randomCall();
    else if (op === 6) handOver();
    else if (op === 7) {
      // Waits for good: must be cancelled to settle.
      call({ name: 'wait_forever', ret: 'number', args: [], want: () => 0 }, [], { cancelAfter: rng.int(5) });
    } else if (op === 8) {
      const rows = app.tasks();
      if (!Array.isArray(rows) || rows.some((t) => !Number.isInteger(t.id) || typeof t.name !== 'string')) fail('tasks() gave bad rows');
    } else {
      const q = Promise.resolve().then(() => randomCall());
      pending.push(q);
    }
    if (rng.chance(0.3)) await new Promise((r) => (rng.chance(0.5) ? queueMicrotask(r) : setTimeout(r, rng.int(3))));
  }

  // A module that dies mid-round: its calls reject with WA_EABORT, tasks()
  // throws, and it holds nothing afterwards.
  if (rng.chance(0.25)) {
    ctx.stats.deaths++;
    const victim = await load(ctx.factory, { print: () => {}, printErr: () => {} });
    for (let i = rng.int(5); i > 0; i--) call(BY_NAME.nap, [rng.int(3) + 50], { a: victim, dead: true });
    const crash = victim.cwrap('crash', 'number', ['number'])(rng.int(3));
    await crash.then(() => fail('crash resolved'), (e) => { if (e.code !== 'WA_EABORT') fail(`crash rejected with ${e.code}`); });
    for (let i = rng.int(4); i > 0; i--) {
      const target = rng.pick(TARGETS);
      call(target, target.gen(rng), { a: victim, dead: true });
    }
    let threw = null;
    try { victim.tasks(); } catch (e) { threw = e; }
    if (!threw || threw.code !== 'WA_EABORT') fail(`tasks() of a dead module gave ${threw ? threw.code : 'rows'}`);
    if (victim.promise(Promise.resolve(1)) !== 0) fail('app.promise() of a dead module gave a handle');
    pending.push(Promise.resolve().then(() => {
      const W = victim.module.wasync;
      const B = victim.module.wasyncBridge;
      if (W.tokens.size || B.calls.size || B.promises.size || W.timer !== null) {
        fail(`a dead module holds tokens ${W.tokens.size} calls ${B.calls.size} promises ${B.promises.size}`);
      }
    }));
  }

  // Everything settles (then-handlers may add more), within a bound.
  const deadline = Date.now() + 20000;
  for (let seen = 0; seen < pending.length;) {
    const batch = pending.slice(seen);
    seen = pending.length;
    let timer;
    const hung = new Promise((r) => { timer = setTimeout(() => r('hung'), Math.max(1, deadline - Date.now())); });
    const r = await Promise.race([Promise.all(batch), hung]);
    clearTimeout(timer);
    if (r === 'hung') fail(`${pending.length} calls did not all settle within 20 s`);
  }
  ctx.onLine = null;
  if (failures.length) throw failures[0];
  if (syncThrows) fail(`${syncThrows} synchronous throws`);
  // Abandoned JS promises settle (within 2 ms of their timers) and are
  // dropped; on a loaded machine that can take some turns of the event loop
  // more, so the levels get 2 s to come back (a leak never does).
  const until = Date.now() + 2000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2));
    try {
      checkLevels(ctx, seed);
      break;
    } catch (e) {
      if (!(e instanceof Failure) || Date.now() > until) throw e;
    }
  }
}

function levels(app) {
  const m = app.module;
  return {
    tokens: m.wasync.tokens.size,
    calls: m.wasyncBridge.calls.size,
    promises: m.wasyncBridge.promises.size,
    fetches: m.wasyncFetch ? m.wasyncFetch.pending() : 0,
    tasks: m._tasks_live(),
    rows: app.tasks().length,
    hostTimer: m.wasync.timer !== null,
    heap: m._heap_used(),
  };
}

function checkLevels(ctx, seed) {
  const now = levels(ctx.app);
  for (const k of Object.keys(ctx.base)) {
    if (now[k] !== ctx.base[k]) throw new Failure(`seed ${seed}: ${k} is ${now[k]} after the round, was ${ctx.base[k]} (${JSON.stringify(now)})`);
  }
}

/** Runs rounds seed, seed+1, … until `rounds` ran or `seconds` passed. */
export async function fuzz({ seed = 1, rounds = 50, seconds = 45, file } = {}) {
  const factory = (await import(file || buildFixture('misuse'))).default;
  const stats = { seed, rounds: 0, calls: 0, rejections: 0, handles: 0, deaths: 0, uncaught: 0 };
  const uncaught = [];
  const onUncaught = (e) => { stats.uncaught++; uncaught.push(e); };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const ctx = { factory, stats, onLine: null };
  ctx.app = await load(factory, {
    print: (s) => { if (ctx.onLine) ctx.onLine(s); },
    printErr: () => {},
  });
  try {
    // Warm-up: let the runtime's tables (task slots, timer heap, stdio
    // buffers) reach the size the rounds need, then take the levels.
    const warm = [];
    for (let i = 0; i < 300; i++) warm.push(ctx.app.cwrap('nap', 'number', ['number'])(i % 5));
    for (let i = 0; i < 50; i++) warm.push(ctx.app.cwrap('say', 'number', ['string'])(`plain:${i}`));
    await Promise.all(warm);
    ctx.base = levels(ctx.app);
    const end = Date.now() + seconds * 1000;
    for (let i = 0; i < rounds && Date.now() < end; i++) {
      await runRound(seed + i, ctx);
      stats.rounds++;
      if (stats.uncaught) throw new Failure(`seed ${seed + i}: uncaught ${uncaught.map(String).join('; ')}`);
    }
    return stats;
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, env, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    if (i > 0) return process.argv[i + 1];
    return process.env[env] !== undefined ? process.env[env] : dflt;
  };
  const opts = {
    seed: Number(arg('seed', 'JSFUZZ_SEED', Math.floor(Math.random() * 2 ** 31))),
    rounds: Number(arg('rounds', 'JSFUZZ_ROUNDS', 50)),
    seconds: Number(arg('seconds', 'JSFUZZ_SECONDS', 45)),
    file: arg('module', 'JSFUZZ_MODULE', undefined),
  };
  try {
    const stats = await fuzz(opts);
    console.log(JSON.stringify({ ok: true, ...stats }));
    process.exit(0);
  } catch (e) {
    console.log(JSON.stringify({ ok: false, error: e instanceof Failure ? e.message : String(e && e.stack || e) }));
    process.exit(1);
  }
}

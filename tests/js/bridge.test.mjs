// JavaScript from C (WA_ASYNC_JS) and C from JavaScript (load, main, cwrap).
import { load } from '../../js/runtime/index.mjs';
import { BACKEND, buildFixture } from './helpers.mjs';

let app;
let lines;

beforeAll(async () => {
  const out = buildFixture('bridge');
  const mod = await import(out);
  lines = [];
  app = await load(mod.default, { print: (s) => lines.push(s), printErr: (s) => lines.push(`err: ${s}`) });
}, 120000);

beforeEach(() => { lines.length = 0; });

const bridge = () => app.module.wasyncBridge;

describe('WA_ASYNC_JS', () => {
  test('resolves with the body\'s value while other tasks keep running', async () => {
    expect(await app.main(['resolve'])).toBe(0);
    const m = lines.join('\n').match(/^value (\d+) ticked (\d+)$/m);
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBe(42);
    // The ticker sleeps 1 ms per round; a 50 ms wait that froze the module
    // would leave it at 0 or 1 (how many more depends on the machine's load).
    expect(Number(m[2])).toBeGreaterThanOrEqual(2);
    expect(bridge().promises.size).toBe(0);
  });

  test('a rejected promise returns WA_EJS with the message in wa_last_error()', async () => {
    expect(await app.main(['reject'])).toBe(0);
    expect(lines).toContain('rc WA_EJS msg it went wrong');
    expect(bridge().promises.size).toBe(0);
  });

  test('floating-point return values pass through', async () => {
    expect(await app.main(['double'])).toBe(0);
    expect(lines).toContain('half 2.5');
  });

  test('cancelling the waiting task returns WA_ECANCELED and leaves no handle behind', async () => {
    expect(await app.main(['cancel'])).toBe(0);
    expect(lines).toContain('join 0 out WA_ECANCELED');
    expect(bridge().promises.size).toBe(0);
    // The abandoned promise settles later and is ignored.
    await new Promise((r) => setTimeout(r, 60));
    expect(bridge().promises.size).toBe(0);
    expect(await app.main(['double'])).toBe(0);
  });

  test('an expired timeout scope returns WA_ETIMEDOUT from the wait', async () => {
    expect(await app.main(['timeout'])).toBe(0);
    expect(lines).toContain('timeout WA_ETIMEDOUT expired 1');
    expect(bridge().promises.size).toBe(0);
  });

  test('many tasks awaiting JS promises at once each get their own value', async () => {
    expect(await app.main(['many'])).toBe(0);
    expect(lines).toContain('many 0');
    expect(bridge().promises.size).toBe(0);
  });

  test('JSPI: engine stacks of ended tasks wait for new ones, and at most 16 stay once the program idles', async () => {
    if (BACKEND !== 'jspi') return; // Asyncify has no engine stacks of its own
    expect(await app.main(['many'])).toBe(0); // 50 tasks, each suspended on its own carrier
    const jspi = app.module.wasyncJspi;
    expect(jspi.idle.length).toBeGreaterThan(0);
    expect(jspi.idle.length).toBeLessThanOrEqual(16);
    expect(jspi.res.filter(Boolean)).toEqual([]); // no resolver kept for a task that is gone
  });

  test('outside a task it returns WA_ENOTASK at once', () => {
    if (BACKEND === 'jspi') {
      // JSPI: the engine refuses a suspending import outside promising()
      // before the body could run (README, "Backends").
      expect(() => app.module._outside_task()).toThrow(/suspend without WebAssembly\.promising/);
    } else {
      expect(app.module._outside_task()).toBe(-7);
    }
    expect(bridge().promises.size).toBe(0);
  });
});

describe('cwrap', () => {
  test('overlapping calls run as concurrent tasks', async () => {
    const nap = app.cwrap('nap', 'number', ['number', 'number']);
    const done = [];
    const a = nap(1, 80).then((v) => { done.push(1); return v; });
    const b = nap(2, 10).then((v) => { done.push(2); return v; });
    expect(await Promise.all([a, b])).toEqual([10, 20]);
    // Both started before either ended, and the shorter one finished first.
    expect(lines).toEqual(['start 1', 'start 2', 'end 2', 'end 1']);
    expect(done).toEqual([2, 1]);
    expect(bridge().calls.size).toBe(0);
  });

  test('strings in and out', async () => {
    const greet = app.cwrap('greet', 'string', ['string']);
    expect(await greet('wörld')).toBe('hello, wörld!');
    expect(await Promise.all([greet('a'), greet('b')])).toEqual(['hello, a!', 'hello, b!']);
  });

  // Regression: call tokens counted up without bound, and the first one
  // past 2^31-1 reached C as a negative int, so its promise never settled.
  test('calls keep settling after the token counter passes what a C int holds', async () => {
    const W = app.module.wasync;
    const greet = app.cwrap('greet', 'string', ['string']);
    const settles = (p) => {
      let timer;
      const never = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error('the call never settled')), 5000);
      });
      return Promise.race([p, never]).finally(() => clearTimeout(timer));
    };
    W.nextHandle = 0x7fffffff;
    expect(await settles(greet('last'))).toBe('hello, last!');
    expect(await settles(greet('wrapped'))).toBe('hello, wrapped!');
    expect(W.nextHandle).toBeLessThan(0x7fffffff);
    expect(W.tokens.size).toBe(0);
  });

  test('Uint8Array in, booleans in and out', async () => {
    const sum = app.cwrap('sum_bytes', 'number', ['array', 'number']);
    expect(await sum(new Uint8Array([1, 2, 250]), 3)).toBe(253);
    expect(await sum(new Uint8Array(0), 0)).toBe(0);
    expect(await app.cwrap('is_even', 'boolean', ['number'])(4)).toBe(true);
    expect(await app.cwrap('not_bool', 'boolean', ['boolean'])(true)).toBe(false);
    expect(await app.cwrap('is_even', null, ['number'])(3)).toBeUndefined();
  });

  test('a C function called from JS may itself await a JS promise', async () => {
    expect(await app.cwrap('js_in_call', 'number', ['number'])(8)).toBe(16);
  });

  test('wrong argument types or counts reject with TypeError', async () => {
    const nap = app.cwrap('nap', 'number', ['number', 'number']);
    await expect(nap('x', 1)).rejects.toThrow(TypeError);
    await expect(nap(1)).rejects.toThrow(/takes 2 argument/);
    await expect(app.cwrap('sum_bytes', 'number', ['array', 'number'])('abc', 3)).rejects.toThrow(TypeError);
    await expect(app.cwrap('greet', 'string', ['string'])(42)).rejects.toThrow(TypeError);
    expect(() => app.cwrap('no_such_function', 'number', [])).toThrow(TypeError);
    expect(() => app.cwrap('nap', 'number', ['int'])).toThrow(TypeError);
    // The module still works.
    expect(await nap(3, 1)).toBe(30);
  });

  // Release builds: recursion deeper than the JS engine allows ends the
  // call's task (its 64 MiB stack is not what runs out).
  test('a call recursing deeper than the engine allows rejects with code WA_EOVERFLOW', async () => {
    const deep = app.cwrap('deep', 'number', ['number'], { stackSize: 64 << 20 });
    await expect(deep(10_000_000)).rejects.toMatchObject({ code: 'WA_EOVERFLOW' });
    expect(bridge().calls.size).toBe(0);
    expect(await app.cwrap('is_even', 'number', ['number'])(2)).toBe(1);
  });

  // Debug builds check every function entry: a small stack is caught at the
  // first frame that would leave it, before anything outside it is written.
  test('debug build: a call that overflows its small stack rejects with WA_EOVERFLOW', async () => {
    const { default: factory } = await import(buildFixture('bridge', ['--debug']));
    const dbg = await load(factory, { print: () => {}, printErr: () => {} });
    const deep = dbg.cwrap('deep', 'number', ['number'], { stackSize: 4096 });
    await expect(deep(100)).rejects.toMatchObject({ code: 'WA_EOVERFLOW' });
    expect(await dbg.cwrap('is_even', 'number', ['number'])(2)).toBe(1);
  });
});

describe('cwrap stackSize', () => {
  // Issue 12: -1 reached C as SIZE_MAX, wrapped in the stack allocation and
  // corrupted the heap; 1.5 and 2047 gave a misleading WA_ENOMEM and '64k'
  // silently meant the default.
  test.each([
    [-1, RangeError], [2047, RangeError], [1, RangeError], [2 ** 30 + 1, RangeError], [2 ** 53, TypeError],
    [1.5, TypeError], ['64k', TypeError], ['4096', TypeError], [NaN, TypeError], [Infinity, TypeError],
    [null, TypeError], [4096n, TypeError],
  ])('stackSize %p throws a %p that says what is accepted', (stackSize, Err) => {
    const make = () => app.cwrap('is_even', 'number', ['number'], { stackSize });
    expect(make).toThrow(Err);
    expect(make).toThrow(/stackSize for is_even must be an integer number of bytes from 2048 to 1073741824, or 0 for the default/);
  });

  test('0, undefined, WA_STACK_MIN and a large size are accepted', async () => {
    for (const stackSize of [0, undefined, 2048, 64 << 20]) {
      expect(await app.cwrap('is_even', 'number', ['number'], { stackSize })(4)).toBe(1);
    }
    // WA_STACK_MAX passes the check; the 1 GiB allocation itself may fail.
    const r = await app.cwrap('is_even', 'number', ['number'], { stackSize: 2 ** 30 })(4).catch((e) => e.code);
    expect([1, 'WA_ENOMEM']).toContain(r);
    expect(bridge().calls.size).toBe(0);
  });

  test('C refuses an out-of-range size with WA_EINVAL, whoever asks, and the module lives on', async () => {
    for (const stackSize of [-1, 0xFFFFFFF0, 2047]) {
      await expect(bridge().call('is_even', 'number', ['number'], [2], stackSize)).rejects.toMatchObject({ code: 'WA_EINVAL' });
    }
    expect(bridge().calls.size).toBe(0);
    expect(await app.cwrap('is_even', 'number', ['number'])(2)).toBe(1);
  });
});

describe('issue 21 #1: odd settle values wake the task with a defined result', () => {
  const revoked = () => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; };
  const odd = {
    'no prototype': () => Object.create(null),
    'a throwing message getter': () => ({ get message() { throw new Error('getter'); } }),
    'a throwing toString': () => ({ toString() { throw new Error('toString'); } }),
    'a Symbol': () => Symbol('odd'),
    'a revoked Proxy': revoked,
  };
  for (const [what, make] of Object.entries(odd)) {
    test(`${what}: WA_ASYNC_JS and app.promise() resolve to 0 and reject with WA_EJS`, async () => {
      const settle = app.cwrap('odd_settle', 'string', ['number']);
      const awaitError = app.cwrap('await_handed_error', 'string', ['number']);
      // Resolving with a revoked Proxy rejects (reading its .then throws).
      const resolved = what === 'a revoked Proxy' ? /^WA_EJS: ./ : /^0$/;
      globalThis.wasyncOdd = make();
      try {
        expect(await settle(0)).toMatch(resolved);
        expect(await settle(1)).toMatch(/^WA_EJS: ./);
        const rejected = Promise.reject(make());
        rejected.catch(() => {});
        expect(await awaitError(app.promise(rejected))).toMatch(/^WA_EJS: ./);
        const ok = await awaitError(app.promise(Promise.resolve().then(make)));
        expect(ok).toMatch(what === 'a revoked Proxy' ? /^WA_EJS: ./ : /^WA_OK: $/);
      } finally {
        delete globalThis.wasyncOdd;
      }
      expect(bridge().promises.size).toBe(0);
    }, 10000);
  }
  test('a Symbol\'s message is its description', async () => {
    globalThis.wasyncOdd = Symbol('odd one');
    try {
      expect(await app.cwrap('odd_settle', 'string', ['number'])(1)).toBe('WA_EJS: Symbol(odd one)');
    } finally {
      delete globalThis.wasyncOdd;
    }
  });
});

describe('issue 21 #6: a cancel during a WA_ASYNC_JS body\'s synchronous part', () => {
  test('is delivered at its await point, not when (or if) the promise settles', async () => {
    const call = app.cwrap('cancel_in_body', 'number', [])();
    const timer = new Promise((r) => setTimeout(() => r('still waiting'), 2000));
    const got = await Promise.race([call.then((v) => `resolved ${v}`, (e) => e.code), timer]);
    expect(got).toBe('WA_ECANCELED');
    expect(bridge().promises.size).toBe(0);
  });
});

describe('promises handed to C (app.promise + wa_js_await)', () => {
  const pending = () => app.module.wasyncBridge.promises.size;

  test('a task awaits a promise that settles later; other tasks keep running', async () => {
    let resolveA, resolveB;
    const a = app.promise(new Promise((r) => { resolveA = r; }));
    const b = app.promise(new Promise((r) => { resolveB = r; }));
    const done = app.cwrap('await_two', 'number', ['number', 'number'])(a, b);
    // The ticker (2 ms sleeps) ticks meanwhile; 300 ms leaves room for a
    // loaded machine, where 30 ms saw only two ticks.
    await new Promise((r) => setTimeout(r, 300));
    resolveB(4);
    resolveA(7);
    expect(await done).toBe(7041); // a*1000 + b*10 + (ticker ran)
    expect(pending()).toBe(0);
  });

  test('a promise that settled before the await is kept for it', async () => {
    const h = app.promise(Promise.resolve(21));
    await new Promise((r) => setTimeout(r, 5));
    expect(await app.cwrap('await_handed', 'number', ['number'])(h)).toBe(42);
    expect(pending()).toBe(0);
  });

  test('a rejection is WA_EJS with its message; the handle is consumed either way', async () => {
    const awaitHanded = app.cwrap('await_handed', 'number', ['number']);
    const h = app.promise(Promise.reject(new Error('no coffee')));
    expect(await awaitHanded(h)).toBe(-10); // WA_EJS
    expect(pending()).toBe(0);
    expect(await awaitHanded(h)).toBe(-4); // used: WA_EINVAL
    expect(await awaitHanded(123456)).toBe(-4); // never handed over: WA_EINVAL
  });

  test('the rejection message reaches wa_last_error() of the awaiting task', async () => {
    const awaitError = app.cwrap('await_handed_error', 'string', ['number']);
    const later = Promise.reject(new Error('no tea either'));
    later.catch(() => {}); // rejected before C awaits: kept, not unhandled
    expect(await awaitError(app.promise(later))).toBe('WA_EJS: no tea either');
    let reject;
    const pendingOne = app.promise(new Promise((_, r) => { reject = r; }));
    const result = awaitError(pendingOne);
    setTimeout(() => reject(new Error('still no tea')), 10);
    expect(await result).toBe('WA_EJS: still no tea');
    expect(pending()).toBe(0);
  });

  test('wa_js_release gives a handle back without awaiting it', async () => {
    const h = app.promise(new Promise(() => {}));
    expect(pending()).toBe(1);
    await app.cwrap('release_handed', null, ['number'])(h);
    expect(pending()).toBe(0);
  });

  // The JS fuzzer found it: a handle passed as a number to a call cancelled
  // before its C function ran stayed in the table for good.
  test("a 'promise' argument is handed over for the call, and released if the call is cancelled before it runs", async () => {
    const awaitHanded = app.cwrap('await_handed', 'number', ['promise']);
    expect(await awaitHanded(Promise.resolve(21))).toBe(42);
    expect(await awaitHanded(8)).toBe(16); // a plain value is a resolved promise
    expect(pending()).toBe(0);
    const never = awaitHanded(new Promise(() => {}));
    never.cancel(); // before the task ran: C never saw the handle
    await expect(never).rejects.toMatchObject({ code: 'WA_ECANCELED' });
    expect(pending()).toBe(0);
    const parked = awaitHanded(new Promise(() => {}));
    await new Promise((r) => setTimeout(r, 20)); // C awaits it now
    expect(pending()).toBe(1);
    parked.cancel();
    await expect(parked).rejects.toMatchObject({ code: 'WA_ECANCELED' });
    expect(pending()).toBe(0);
  });

  test("cwrap 'array' returns a Uint8Array the C side made with wa_js_bytes", async () => {
    const rev = app.cwrap('reversed', 'array', ['array', 'number']);
    const out = await rev(new Uint8Array([1, 2, 3, 250]), 4);
    expect(out).toBeInstanceOf(Uint8Array);
    expect([...out]).toEqual([250, 3, 2, 1]);
    expect([...(await rev(new Uint8Array([]), 0))]).toEqual([]);
  });
});

describe('cancelling a call from JS', () => {
  test('promise.cancel() ends the call task with WA_ECANCELED and rejects', async () => {
    const nap = app.cwrap('nap', 'number', ['number', 'number']);
    const long = nap(1, 100000);
    const other = nap(2, 5);
    await new Promise((r) => setTimeout(r, 10));
    long.cancel();
    await expect(long).rejects.toMatchObject({ code: 'WA_ECANCELED' });
    expect(await other).toBe(20); // the other call was not disturbed
    expect(app.module.wasyncBridge.calls.size).toBe(0);
    long.cancel(); // after the end: harmless
  });

  test('cancelled before its task starts, the call rejects and never runs', async () => {
    const nap = app.cwrap('nap', 'number', ['number', 'number']);
    const p = nap(3, 1);
    p.cancel(); // synchronously: the task has not run yet
    await expect(p).rejects.toMatchObject({ code: 'WA_ECANCELED' });
  });
});


// The JS bridge and the module's life under misuse (issue #12, items 6, 7,
// 10, 11 and 15-20): reentrant calls from print callbacks, a dead module, a
// full heap, arguments that cannot be copied, status returns, wide and
// unsigned integers, deadlocks in library use, throwing callbacks, traps and
// the size of an uncaught error's report. The C side is fixtures/misuse.c;
// what only a process of its own shows (exit code, stderr) runs in
// fixtures/misuse-child.mjs.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { load } from '../../js/runtime/index.mjs';
import { buildFixture, FIXTURES } from './helpers.mjs';

let file;
let factory;
let debugFactory;

beforeAll(async () => {
  file = buildFixture('misuse');
  factory = (await import(file)).default;
  debugFactory = (await import(buildFixture('misuse', ['--debug']))).default;
}, 300000);

/** A fresh instance (a stopped module stays stopped); lines and errs collect its output. */
async function fresh({ f = factory, onLine } = {}) {
  const out = { lines: [], errs: [] };
  out.app = await load(f, {
    print: (s) => { out.lines.push(s); if (onLine) onLine(s, out.app); },
    printErr: (s) => out.errs.push(s),
  });
  return out;
}

function child(mode) {
  return spawnSync(process.execPath, [path.join(FIXTURES, 'misuse-child.mjs'), file, mode],
    { encoding: 'utf8', timeout: 60000 });
}

describe('item 6: an export called directly from a print callback', () => {
  for (const build of ['release', 'debug']) {
    test(`${build}: its await point returns WA_ENOTASK and the module lives on`, async () => {
      const direct = [];
      const { app, lines, errs } = await fresh({
        f: build === 'debug' ? debugFactory : factory,
        onLine: (s, a) => { if (s === 'reenter') direct.push(a.module._sleepy(1)); },
      });
      const say = app.cwrap('say', 'number', ['string']);
      expect(await say('reenter')).toBe(0);
      expect(direct).toEqual([-7]); // WA_ENOTASK
      expect(lines).toEqual(['reenter', 'after reenter']);
      expect(errs).toEqual([]);
      // Outside any print callback the same export still works as a task.
      expect(await app.cwrap('sleepy', 'number', ['number'])(1)).toBe(0);
      // (Outside any task a debug build reports the misuse and aborts.)
      if (build === 'release') expect(app.module._sleepy(1)).toBe(-7);
    });
  }
});

describe('issue 21 #11: a line printed from inside a print callback', () => {
  test('arrives alone, once, nested two deep too, and the lines around it are unchanged', async () => {
    let nested = 0;
    const { app, lines, errs } = await fresh({
      onLine: (s, a) => {
        if (s === 'outer') {
          a.module._say_inner(); // its callback prints one more, two deep
          a.module._say_inner(); // after the buffer was emptied
        } else if (s === 'inner' && nested++ === 0) {
          a.module._say_inner();
        }
      },
    });
    expect(await app.cwrap('say', 'number', ['string'])('outer')).toBe(0);
    expect(lines).toEqual(['outer', 'inner', 'inner', 'inner', 'after outer']);
    expect(errs).toEqual([]);
  });
});

describe('item 7: a module that stopped reports it', () => {
  test('tasks() after a trap throws the module\'s Error (code WA_EABORT), never reads its memory', async () => {
    const { app } = await fresh();
    const nap = app.cwrap('nap', 'number', ['number'])(60000).catch((e) => e);
    await expect(app.cwrap('crash', 'number', ['number'])(1)).rejects.toMatchObject({ code: 'WA_EABORT' });
    expect((await nap).code).toBe('WA_EABORT');
    let thrown;
    try { app.tasks(); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown.code).toBe('WA_EABORT');
    expect(thrown.message).toMatch(/the module stopped: unreachable/);
  });

  test('tasks() after abort() throws too, instead of returning the rows of the tasks it had', async () => {
    const { app } = await fresh();
    app.cwrap('nap', 'number', ['number'])(60000).catch(() => {});
    expect(app.tasks().map((t) => t.name)).toEqual(['nap']);
    await expect(app.cwrap('call_abort', 'number', [])()).rejects.toMatchObject({ code: 'WA_EABORT' });
    expect(() => app.tasks()).toThrow(expect.objectContaining({ code: 'WA_EABORT', message: expect.stringMatching(/Aborted/) }));
  });
});

describe('item 10: tasks() with a full heap', () => {
  test('lists every task although malloc fails', async () => {
    const { app } = await fresh();
    const m = app.module;
    const naps = [1, 2, 3].map(() => app.cwrap('nap', 'number', ['number'])(30));
    const blocks = m._hog();
    try {
      expect(blocks).toBeGreaterThan(0);
      expect(m._malloc(16)).toBe(0); // the heap is full
      const rows = app.tasks();
      expect(rows.map((t) => [t.id, t.name, t.state])).toEqual([[1, 'nap', 'new'], [2, 'nap', 'new'], [3, 'nap', 'new']]);
    } finally {
      m._unhog();
    }
    expect(await Promise.all(naps)).toEqual([30, 30, 30]);
    expect(app.tasks()).toEqual([]);
  });

  test('many tasks with long names are read whole, in chunks', async () => {
    const { app } = await fresh();
    const calls = [];
    // Long naps: under load the 5 ms wait below has run 20 ms late, and
    // tasks that had woken were no longer 'waiting'.
    for (let i = 0; i < 600; i++) calls.push(app.cwrap('nap', 'number', ['number'])(1000));
    await new Promise((r) => setTimeout(r, 5));
    const rows = app.tasks();
    expect(rows).toHaveLength(600);
    expect(rows.every((t, i) => t.id === i + 1 && t.name === 'nap' && t.state === 'waiting' && t.waitingOn === 'sleep')).toBe(true);
    await Promise.all(calls);
  });
});

describe('item 11: arguments whose copy cannot be allocated', () => {
  test('a Uint8Array of exactly 2^32 bytes rejects with WA_ENOMEM, never throws, nothing leaked', async () => {
    const { app } = await fresh();
    const m = app.module;
    const sum = app.cwrap('bytes_sum', 'number', ['array', 'number']);
    const two = app.cwrap('bytes_sum', 'number', ['string', 'array']);
    const before = m._heap_used();
    // 2^32 wraps to malloc(0) in a 32-bit size_t; 2^32 - 1 is too big to get.
    for (const n of [2 ** 32, 2 ** 32 - 1]) {
      const huge = new Uint8Array(n);
      let p;
      expect(() => { p = sum(huge, 0); }).not.toThrow();
      expect(p).toBeInstanceOf(Promise);
      await expect(p).rejects.toMatchObject({ code: 'WA_ENOMEM' });
      let q;
      expect(() => { q = two('x'.repeat(100), huge); }).not.toThrow();
      await expect(q).rejects.toMatchObject({ code: 'WA_ENOMEM' });
    }
    expect(m._heap_used()).toBe(before);
    expect(m.wasync.tokens.size).toBe(0);
    expect(m.wasyncBridge.calls.size).toBe(0);
    expect(await sum([1, 2, 3], 3)).toBe(6);
  });
});

describe('item 15: a negative WA_E* result as a rejection (rejectErrors)', () => {
  test('rejects with the code\'s name, the number and the task\'s wa_last_error()', async () => {
    const { app } = await fresh();
    const failJs = app.cwrap('fail_js', 'number', ['string'], { rejectErrors: true });
    await expect(failJs('it broke')).rejects.toMatchObject({ code: 'WA_EJS', status: -10, message: 'it broke' });
    const status = app.cwrap('status_of', 'number', ['number'], { rejectErrors: true });
    // No message set: the code's description.
    await expect(status(-4)).rejects.toMatchObject({ code: 'WA_EINVAL', status: -4, message: 'wasync: invalid argument' });
    expect(await status(4)).toBe(4);
    expect(await status(0)).toBe(0);
    // Without the option a status is just a number.
    expect(await app.cwrap('status_of', 'number', ['number'])(-4)).toBe(-4);
    expect(() => app.cwrap('status_of', 'string', ['number'], { rejectErrors: true })).toThrow(TypeError);
  });
});

describe('item 16: int64 and unsigned values', () => {
  test('i64 and u64 return BigInts with both halves; u32 returns are non-negative', async () => {
    const { app } = await fresh();
    expect(await app.cwrap('big64', 'i64', [])()).toBe((1n << 40n) + 5n);
    expect(await app.cwrap('neg64', 'i64', [])()).toBe(-((1n << 40n) + 5n));
    expect(await app.cwrap('u64max', 'u64', [])()).toBe(2n ** 64n - 2n);
    expect(await app.cwrap('u32big', 'u32', [])()).toBe(0xFFFFFFF0);
  });

  test('i64, u64 and u32 arguments arrive whole', async () => {
    const { app } = await fresh();
    const add64 = app.cwrap('add64', 'i64', ['i64', 'i64']);
    expect(await add64(1n << 40n, 5)).toBe((1n << 40n) + 5n);
    expect(await add64(-(2n ** 63n), 2n ** 62n)).toBe(-(2n ** 62n));
    expect(await app.cwrap('u32echo', 'u32', ['u32'])(0xFFFFFFFF)).toBe(0xFFFFFFFF);
    expect(await app.cwrap('u64echo', 'u64', ['u64'])(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
  });

  test('values out of range or of the wrong kind reject with TypeError', async () => {
    const { app } = await fresh();
    const add64 = app.cwrap('add64', 'i64', ['i64', 'i64']);
    const u32 = app.cwrap('u32echo', 'u32', ['u32']);
    const u64 = app.cwrap('u64echo', 'u64', ['u64']);
    for (const p of [add64(1.5, 1), add64(2n ** 63n, 0), add64('1', 1), add64(2 ** 60, 1),
      u32(-1), u32(2 ** 32), u32(0.5), u32(1n), u64(-1n), u64(2n ** 64n)]) {
      await expect(p).rejects.toThrow(TypeError);
    }
    await expect(add64(1.5, 1)).rejects.toThrow(/argument 1 of add64 must be a BigInt .* got 1\.5/);
  });
});

describe('item 17: a deadlock in library use', () => {
  test('is reported as the program does, the call rejects (WA_EDEADLK) and the process exits 1, not 13', () => {
    const r = child('deadlock');
    expect(r.stderr).toMatch(/^wasync: deadlock: 1 task blocked\n {2}task 1 "wait_forever" waiting on event/m);
    expect(r.stderr).toMatch(/WA_EDEADLK/);
    expect(r.status).toBe(1);
  });

  test('a caller that handles the rejection goes on using the module', () => {
    const r = child('deadlock-caught');
    expect(r.stdout).toBe('rejected WA_EDEADLK\nafter 1\n');
    expect(r.stderr).toMatch(/wasync: deadlock: 1 task blocked/);
    expect(r.status).toBe(0);
  });

  test('one beforeExit listener serves every module, and only busy modules are held', async () => {
    const before = process.listenerCount('beforeExit');
    const apps = [];
    for (let i = 0; i < 15; i++) apps.push((await fresh()).app);
    expect(process.listenerCount('beforeExit') - before).toBeLessThanOrEqual(1);
    const pendingModules = globalThis[Symbol.for('wasync.pendingModules')];
    const busy = apps[3].cwrap('nap', 'number', ['number'])(20);
    expect(pendingModules.has(apps[3].module.wasync.drained)).toBe(true);
    expect(await busy).toBe(20);
    expect(apps.some((a) => pendingModules.has(a.module.wasync.drained))).toBe(false);
  });

  test('with nothing pending the watch neither reports nor keeps the process alive', () => {
    const t0 = Date.now();
    const r = child('idle');
    expect(r.stdout).toBe('nap 5\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30000);
  });
});

describe('item 18: a print callback that throws', () => {
  test('is reported once on printErr and the module goes on', async () => {
    const { app, errs } = await fresh({ onLine: (s) => { if (s.startsWith('boom')) throw new Error(`callback ${s}`); } });
    const say = app.cwrap('say', 'number', ['string']);
    expect(await say('boom 1')).toBe(0);
    expect(await say('boom 2')).toBe(0);
    expect(await app.cwrap('add', 'number', ['number', 'number'])(2, 3)).toBe(5);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^wasync: the print callback threw .*callback boom 1/);
  });
});

describe('item 19: traps name the running task and give hints that apply', () => {
  const cases = [
    ['crash', [1], /unreachable in task \d+ "crash": a trap: __builtin_trap\(\)/],
    ['bad_pointer', [], /in task \d+ "bad_pointer": a call through a bad function pointer/],
    ['call_abort', [], /^wasync: the module stopped: Aborted\(\) in task \d+ "call_abort": abort\(\) was called/],
  ];
  for (const [name, args, re] of cases) {
    test(name, async () => {
      const { app, errs } = await fresh();
      const e = await app.cwrap(name, 'number', args.map(() => 'number'))(...args).catch((x) => x);
      expect(e.code).toBe('WA_EABORT');
      expect(e.message).toMatch(re);
      expect(e.message).toMatch(/build with --debug/);
      expect(e.message).not.toMatch(/ASSERTIONS/);
      const fatal = errs.filter((l) => l.startsWith('wasync: fatal:'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).not.toMatch(/ASSERTIONS/);
      expect(fatal[0]).toMatch(/in task \d+ "/);
    });
  }
});

describe('item 20: an uncaught wasync error prints a short report', () => {
  const modes = {
    'uncaught-cancel': /WA_ECANCELED|task was cancelled/,
    'uncaught-type': /argument 1 of nap must be a number, got string/,
    'uncaught-dead': /the module stopped: unreachable/,
    'uncaught-signature': /no_such_function is not an exported C function/,
    'uncaught-tasks': /the module stopped: unreachable/,
  };
  for (const [mode, re] of Object.entries(modes)) {
    test(mode, () => {
      const r = child(mode);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.length).toBeLessThan(4096);
    });
  }
});

describe('issue 21 #2: main() arguments live on the heap', () => {
  test('a 6 MB argument reaches wa_main whole; a full heap rejects with WA_ENOMEM; no token leaks', async () => {
    const { app, errs } = await fresh();
    const m = app.module;
    let p;
    expect(() => { p = app.main(['x'.repeat(6 << 20), 'é'.repeat(50000)]); }).not.toThrow();
    expect(await p).toBe((6 << 20) + 100000); // strlen counts UTF-8 bytes
    expect(m.wasync.tokens.size).toBe(0);
    const before = m._heap_used();
    m._hog();
    try {
      let q;
      expect(() => { q = app.main(['abc']); }).not.toThrow();
      await expect(q).rejects.toMatchObject({ code: 'WA_ENOMEM' });
    } finally {
      m._unhog();
    }
    expect(m.wasync.tokens.size).toBe(0);
    expect(m._heap_used()).toBe(before);
    expect(await app.main(['ab', 'cd'])).toBe(4);
    expect(errs).toEqual([]);
  });
});

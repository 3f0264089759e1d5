// The libc sleeps inside tasks (fixtures/libc_sleep.c), in a release and a
// --debug build of the backend under test (WASYNC_TEST_BACKEND): sleep,
// usleep, nanosleep, clock_nanosleep (relative, absolute on both clocks),
// emscripten_sleep, poll(NULL, 0, ms) and select(0, …, &tv) suspend only
// the calling task; a cancel or a timeout scope ends them with EINTR and the
// remainder, and the task's next await point reports it. Outside a task
// they are the libc's own. Emscripten's whole-module async functions are
// refused at link time.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from '../../js/runtime/index.mjs';
import { BACKEND, BACKEND_ARGS, buildFixture, cli, OUT } from './helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const RUNS = BACKEND !== 'jspi' || HAS_JSPI;

const FORMS = ['sleep', 'usleep', 'nanosleep', 'clock_nanosleep relative', 'clock_nanosleep TIMER_ABSTIME MONOTONIC',
  'clock_nanosleep TIMER_ABSTIME REALTIME', 'emscripten_sleep', 'poll(NULL, 0, ms)', 'select(0, NULL, NULL, NULL, &tv)',
  'poll(NULL, 0, -1)'];
const EINTR = 27; // Emscripten's (musl's wasm) value, what clock_nanosleep returns

const fields = (line) => Object.fromEntries(line.trim().split(/\s+/).map((kv) => kv.split('=')));

const builds = { release: [], debug: ['--debug'] };

(RUNS ? describe.each(Object.keys(builds)) : describe.skip.each(Object.keys(builds)))(`libc sleeps (${BACKEND}, %s build)`, (kind) => {
  let app;
  beforeAll(async () => {
    const out = buildFixture('libc_sleep', builds[kind]);
    const { default: factory } = await import(pathToFileURL(out).href);
    app = await load(factory);
  }, 240000);

  test.each(FORMS.slice(1, 9).map((name, i) => [name, i + 1]))('%s lets another task tick while it sleeps 100 ms', async (name, form) => {
    const r = fields(await app.cwrap('ticks_during', 'string', ['number', 'number'])(form, 100));
    expect(r).toMatchObject({ r: '0', e: '0' });
    expect(Number(r.el)).toBeGreaterThanOrEqual(99); // never early (1 ms for the two clocks' readings)
    expect(Number(r.ticks)).toBeGreaterThanOrEqual(3); // one every 2 ms at best (a loaded machine runs fewer): a busy wait lets none run
  });

  test('3 tasks × sleep(1) take about 1 s, not 3, while a fourth ticks', async () => {
    const t0 = performance.now();
    const r = fields(await app.cwrap('three_sleeps', 'string', [])());
    expect(r.rc).toBe('0');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(Number(r.ticks)).toBeGreaterThanOrEqual(20);
  });

  describe.each([['a cancel', 0, 'WA_ECANCELED'], ['a timeout scope', 1, 'WA_ETIMEDOUT']])('%s', (what, timeout, code) => {
    test.each(FORMS.map((name, i) => [name, i]))(`ends %s early (EINTR and the remainder where the call has them); the next await reports ${code}`, async (name, form) => {
      const r = fields(await app.cwrap('interrupt_form', 'string', ['number', 'number'])(form, timeout));
      expect(Number(r.el)).toBeLessThan(1000); // interrupted after 50 ms, not 10 s
      if (name !== 'emscripten_sleep') expect(r.e).toBe('EINTR');
      const ret = { sleep: '10', emscripten_sleep: '0' }[name] || (name.startsWith('clock_nanosleep') ? String(EINTR) : '-1');
      expect(r.r).toBe(ret); // sleep: the seconds left, rounded up
      if (['nanosleep', 'clock_nanosleep relative', 'select(0, NULL, NULL, NULL, &tv)'].includes(name)) {
        expect(Number(r.left)).toBeGreaterThan(9000); // rem / tv hold what was not slept
        expect(Number(r.left)).toBeLessThan(10000);
      }
      // A retry after EINTR sleeps (the interruption was reported once)…
      expect(r.again).toBe('0');
      expect(Number(r.again_el)).toBeGreaterThanOrEqual(19);
      // …and the next await point reports it, once.
      expect(r.next).toBe(code);
      expect(r.then).toBe('0');
      expect(r.expired).toBe(timeout ? '1' : '-1');
    });
  });

  test('fsync, and poll and select on a file descriptor, answer inside a task (Emscripten marks them async)', async () => {
    const r = fields(await app.cwrap('fd_calls', 'string', [])());
    expect(r).toEqual({ fsync: '0', poll: '1', revents: '1', select: '1', isset: '1', yield: '0' });
  });

  test.each([['poll', 0], ['select', 1]])('%s on a pipe waits as an await until a writer task writes, or times out', async (name, sel) => {
    const r = fields(await app.cwrap('pipe_wait', 'string', ['number'])(sel));
    expect(r).toMatchObject({ r: '1', writer: '0', empty: '0' });
    expect(Number(r.el)).toBeGreaterThanOrEqual(99);
    expect(Number(r.el)).toBeLessThan(900);
    expect(Number(r.el2)).toBeGreaterThanOrEqual(29);
  });

  test('outside a task they are the libc\'s own (a busy wait; poll with no fds returns at once)', () => {
    let t0 = performance.now();
    expect(app.module._outside_usleep(30000)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    t0 = performance.now();
    expect(app.module._outside_nanosleep(30)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(app.module._outside_poll(30)).toBe(0);
  });
});

test('Emscripten\'s whole-module async functions are refused at link time, naming the wasync way', () => {
  const src = path.join(OUT, 'refused_wget.c');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(src, '#include <emscripten/emscripten.h>\n#include "wasync.h"\n' +
    'int wa_main(int argc, char **argv) { (void)argc; (void)argv; emscripten_wget("http://x/", "/f"); return 0; }\n');
  const out = path.join(OUT, `refused_wget-${BACKEND}.mjs`);
  fs.rmSync(out, { force: true });
  const r = cli(['build', src, ...BACKEND_ARGS, '-o', out]);
  expect(r.status).toBe(1);
  // (Emscripten 4+ implements emscripten_wget in C over emscripten_wget_data: the link names that one.)
  expect(r.stderr).toMatch(/wasync: emscripten_wget(_data)? suspends the whole module and cannot run in a wasync program: use wa_fetch/);
  expect(fs.existsSync(out)).toBe(false);
}, 120000);

// POSIX threads as tasks (wasm/host/pthread.c, fixtures/pthreads.c), in a
// release and a --debug build of the backend under test
// (WASYNC_TEST_BACKEND): plain pthread code, built with no -pthread, whose
// threads are tasks and whose blocking calls suspend only their thread.
// Without the wraps pthread_create fails (EAGAIN / ENOTSUP) and every
// check below with it.
import { pathToFileURL } from 'node:url';
import { load } from '../../js/runtime/index.mjs';
import { BACKEND, buildFixture } from './helpers.mjs';

const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const RUNS = BACKEND !== 'jspi' || HAS_JSPI;

const fields = (line) => Object.fromEntries(line.trim().split(/\s+/).map((kv) => kv.split('=')));
const builds = { release: [], debug: ['--debug'] };

(RUNS ? describe.each(Object.keys(builds)) : describe.skip.each(Object.keys(builds)))(`pthreads (${BACKEND}, %s build)`, (kind) => {
  let call;
  let app;
  beforeAll(async () => {
    const { default: factory } = await import(pathToFileURL(buildFixture('pthreads', builds[kind])).href);
    app = await load(factory);
    call = async (name) => fields(await app.cwrap(name, 'string', [])());
  }, 240000);

  test('a producer and a consumer over a mutex and two condition variables', async () => {
    const r = await call('prodcons');
    expect(r).toMatchObject({ create: '0,0', join: '0,0', sum: '5050' });
    expect(Number(r.waits)).toBeGreaterThan(0); // the producer did wait for room
  });

  test('four threads that usleep 300 ms finish together', async () => {
    const r = await call('four_sleepers');
    expect(r.bad).toBe('0');
    expect(Number(r.ms)).toBeGreaterThanOrEqual(299);
    expect(Number(r.ms)).toBeLessThan(600);
  });

  test('a barrier holds every thread until all four arrive, and names one serial thread', async () => {
    expect(await call('barrier')).toEqual({ bad: '0', done: '4,4,4', early: '0', serial: '3' });
  });

  test('rwlock: readers share it, a writer has it alone', async () => {
    const r = await call('rwlock');
    expect(r).toMatchObject({ bad: '0', max_readers: '3', overlap: '0', tryw: '1', tryr: '1' });
    expect(Number(r.ms)).toBeLessThan(400); // three 100 ms readers at once, a 50 ms writer, a last reader
  });

  test('keys: each thread sees its own value; the destructors run at thread exit', async () => {
    expect(await call('keys')).toEqual({ bad: '0', calls: '3', sum: '6', mixups: '0', mine: '0' });
  });

  test('cond timedwait, mutex timedlock and sem_timedwait time out (ETIMEDOUT)', async () => {
    const r = await call('timeouts');
    expect(r).toMatchObject({ cw: '1', unlock: '0', create: '0', tl: '1', sw: '-1', se: '1' });
    expect(Number(r.cw_ms)).toBeGreaterThanOrEqual(99);
    expect(Number(r.cw_ms)).toBeLessThan(250);
    expect(Number(r.tl_ms)).toBeGreaterThanOrEqual(99);
    expect(Number(r.tl_ms)).toBeLessThan(250); // not the 300 ms the holder keeps it
    expect(Number(r.sw_ms)).toBeGreaterThanOrEqual(49);
  });

  test('recursive and errorcheck mutexes: counts, EDEADLK, EBUSY, EPERM', async () => {
    expect(await call('mutex_types')).toEqual({ type: '1', rec: '0,0,0,0,1,0', rec_other: '1', chk: '0,1,1,0,1', chk_other: '1' });
  });

  test('detached threads refuse join (EINVAL); once, self/equal, names, semaphores, cancellation, pthread_exit', async () => {
    const r = await call('misc');
    expect(r).toMatchObject({ ds: '1', cd: '0', jd: '1', dt: '0', jd2: '1', once: '1', early: '0', eq: '1', sem: '3', tw: '1' });
    expect(r.name).toMatch(/^pthread_\d+\/worker$/); // named after the thread, then pthread_setname_np's
    // a thread cancelled in pthread_cond_wait runs its cleanup handler and exits with PTHREAD_CANCELED
    expect(r).toMatchObject({ cancel: '0,0,1', cleaned: '1', relock: '0' });
    expect(r.exit).toBe('0,42'); // pthread_exit from a nested call: its joiner gets the value
  });

  test('threads ended by pthread_exit or a cancellation give their stacks and tasks back', async () => {
    const r = await call('exit_churn');
    // 20 rounds of 50 detached threads that pthread_exit, 50 cancelled in
    // sem_wait and 4 joined after pthread_exit((void *)1..4)
    expect(r).toMatchObject({ bad: '0', exited: '1000', cancelled: '1000', joined: '200', tasks: '0' });
    // after the first round the heap only settles (0.1-3 MiB seen); 1900
    // more threads that kept their 64 KiB stacks would hold 118 MiB
    expect(Number(r.grew_kib)).toBeLessThan(8192);
    // pthread_exit in a wa_spawn task ends that task only, after its cleanup handler
    expect(r.foreign).toBe('0,1');
    // in the task of a call from JS, it ends the call: its promise rejects, and the module goes on
    await expect(app.cwrap('exit_call', 'number', [])()).rejects.toMatchObject({ code: 'WA_ECANCELED', message: expect.stringMatching(/exit_call\(\) ended its task through pthread_exit/) });
    await new Promise((resolve) => setTimeout(resolve, 0)); // JSPI frees it once its carrier has unwound
    expect(app.tasks()).toEqual([]);
  });

  test('a 1 MiB stack attribute lets a thread use 512 KiB of locals across a suspend', async () => {
    expect(await call('stack_size')).toEqual({ ss: '0', got: '1048576', create: '0', join: '0', sum: '8128' });
  });

  test('C11 <threads.h>: thrd_create/_join, mtx_*, cnd_*, call_once, and thrd_sleep suspending only its thread', async () => {
    const r = await call('c11');
    expect(r).toMatchObject({ create: '0,0', join: '0,0', res: '41,42', seen: '2', once: '1', busy: '1', tl: '1', sleeps: '0', eq: '1' });
    expect(Number(r.sleep_ms)).toBeGreaterThanOrEqual(99); // three 100 ms thrd_sleeps, side by side
    expect(Number(r.sleep_ms)).toBeLessThan(250);
  });
});

// A library: a module without wa_main, whose WA_EXPORT functions JS calls.
import { load } from '../../js/runtime/index.mjs';
import { buildFixture, runProgram } from './helpers.mjs';

for (const mode of ['release', 'debug']) {
  const extra = mode === 'debug' ? ['--debug'] : [];

  test(`${mode}: a module without wa_main links, and its exports run as concurrent tasks`, async () => {
    const app = await load((await import(buildFixture('library', extra))).default);
    const sq = app.cwrap('slow_square', 'number', ['number']);
    const add = app.cwrap('slow_add', 'number', ['number', 'number']);
    const calls = [sq(7), add(2, 3)];
    // Both are asleep at once: each call is its own task.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(app.tasks().map((t) => [t.state, t.waitingOn])).toEqual([['waiting', 'sleep'], ['waiting', 'sleep']]);
    expect(await Promise.all(calls)).toEqual([49, 5]);
  });

  test(`${mode}: a library whose only await point is one WA_ASYNC_JS call suspends and resumes`, async () => {
    const app = await load((await import(buildFixture('one_await', extra))).default);
    const f = app.cwrap('twice_later', 'number', ['number']);
    expect(await Promise.all([f(5), f(7)])).toEqual([12, 16]);
    expect(app.tasks()).toEqual([]);
  });

  test(`${mode}: app.main() on a library rejects with WA_ENOTSUP and says why`, async () => {
    const app = await load((await import(buildFixture('library', extra))).default);
    await expect(app.main()).rejects.toMatchObject({ code: 'WA_ENOTSUP', message: expect.stringMatching(/is a library: it defines no wa_main/) });
    expect(app.tasks()).toEqual([]);
  });

  test(`${mode}: running a library with node says it is one, in one line, and exits 1`, () => {
    const out = buildFixture('library', extra);
    const r = runProgram(out, ['x']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`wasync: ${out} is a library: it defines no wa_main; import it and call its exported functions with cwrap()\n`);
    expect(r.status).toBe(1);
  });
}

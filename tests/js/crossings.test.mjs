// Calls between wasm and JS: what one wa_sleep and one wa_fetch cost,
// counted on the module's own imports and exports (every function either
// side calls across).
import fs from 'node:fs';
import { load } from '../../js/runtime/index.mjs';
import { BACKEND, buildFixture } from './helpers.mjs';
import { startServer } from './servers.mjs';

// Every crossing, by name, in the order made. The JSPI backend's switches
// (WebAssembly.Suspending imports) are the backend's, not the host's, and
// are counted apart.
const calls = [];
const switches = [];
const raw = new WeakMap(); // counting wrapper -> the wasm function it wraps
const exportKey = new Map(); // wasm function -> 'export <key>'

function counted(list, name, f) {
  const g = function (...args) {
    list.push(name);
    return f.apply(this, args);
  };
  raw.set(g, f);
  return g;
}

// Wraps the imports and exports of the next module instantiated. promising()
// needs the wasm function itself: it gets it, and its result is counted.
function countNextInstance() {
  const real = { instantiate: WebAssembly.instantiate, promising: WebAssembly.promising, Suspending: WebAssembly.Suspending };
  WebAssembly.instantiate = async (source, imports) => {
    WebAssembly.instantiate = real.instantiate;
    const wrapped = {};
    for (const [mod, fns] of Object.entries(imports)) {
      wrapped[mod] = {};
      for (const [k, f] of Object.entries(fns)) {
        wrapped[mod][k] = typeof f === 'function' ? counted(calls, `import ${f.name || `${mod}.${k}`}`, f) : f;
      }
    }
    const { instance, module } = await real.instantiate(source, wrapped);
    const exports = {};
    for (const [k, v] of Object.entries(instance.exports)) {
      if (typeof v === 'function') exportKey.set(v, `export ${k}`);
      exports[k] = typeof v === 'function' ? counted(calls, `export ${k}`, v) : v;
    }
    return { instance: { exports }, module };
  };
  if (real.promising) {
    WebAssembly.promising = (f) => {
      const fn = raw.get(f) || f;
      return counted(calls, exportKey.get(fn) || `export ${fn.name}`, real.promising(fn));
    };
    WebAssembly.Suspending = function Suspending(f) { return new real.Suspending(counted(switches, f.name, f)); };
  }
  return () => Object.assign(WebAssembly, real);
}

let app;
let restore;
let server;
let names = {}; // export key -> the C name (release builds minify export keys)
beforeAll(async () => {
  // Without per-switch stack checks: those builds put an export in the
  // table, which a JS wrapper would turn into a crossing per switch.
  const out = buildFixture('crossings', ['--no-stack-check']);
  server = await startServer();
  // JSPI's half calls promising() on its first tick: the patch stays on
  // until this file's tests are done.
  restore = countNextInstance();
  app = await load((await import(out)).default);
  // The glue binds each C name to its (minified) export key; 6.x writes
  // `_f=Module["_f"]=wasmExports["k"]`, and its Asyncify glue wraps the
  // export, so the text is the one place that says which key is which.
  const glue = fs.readFileSync(out, 'utf8');
  for (const m of glue.matchAll(/(_[A-Za-z_$][\w$]*)\s*=\s*Module\[["']\1["']\]\s*=\s*wasmExports\[["']([\w$]+)["']\]/g)) {
    names[`export ${m[2]}`] = `export ${m[1]}`;
  }
  // Otherwise Module._f (or Module.stackSave, ...) is the export itself, its
  // counting wrapper, or (3.1.x) a wrapper whose text names it.
  const keys = Object.keys(app.module.wasyncRawExports);
  for (const [k, f] of Object.entries(app.module)) {
    if (typeof f !== 'function') continue;
    const wrapped = exportKey.get(raw.get(f));
    const hit = wrapped ? wrapped.slice(7)
      : keys.find((key) => app.module.wasyncRawExports[key] === f || String(f).includes(`["${key}"]`));
    if (hit && !names[`export ${hit}`]) names[`export ${hit}`] = `export ${k}`;
  }
}, 120000);

afterAll(async () => {
  restore();
  if (server) await server.close();
});

/** The crossings made by fn() and everything it leads to, by C name, in order. */
async function crossings(fn) {
  await new Promise((r) => setTimeout(r, 20));
  calls.length = 0;
  switches.length = 0;
  await fn();
  await new Promise((r) => setTimeout(r, 20)); // whatever follows the end
  return { calls: calls.map((c) => names[c] || c), switches: switches.length };
}

function tally(list) {
  const t = {};
  for (const c of list) t[c] = (t[c] || 0) + 1;
  return t;
}

const count = (list, name) => list.filter((c) => c === name).length;

// The task is wa_main (a task C spawned): a cwrap call's task also pays for
// Asyncify's rewind through its JS frame (wa__host_invoke) on every resume.
test('one wa_sleep(10) in a task crosses between wasm and JS at most 4 times', async () => {
  expect(await app.main(['1'])).toBe(1); // the first call into the module sets it up
  // The difference between 11 sleeps and 1 is ten sleeps' worth, without
  // the program's own start and end.
  const one = await crossings(async () => expect(await app.main(['1'])).toBe(1));
  const eleven = await crossings(async () => expect(await app.main(['11'])).toBe(11));
  const perSleep = (eleven.calls.length - one.calls.length) / 10;
  const ticks = (count(eleven.calls, 'export _wa__on_tick') - count(one.calls, 'export _wa__on_tick')) / 10;
  const detail = { perSleep, ticksPerSleep: ticks, 'main with 11 sleeps': tally(eleven.calls), 'main with 1 sleep': tally(one.calls) };
  if (BACKEND === 'jspi') detail.backendSwitchesPerSleep = (eleven.switches - one.switches) / 10;
  // The timer's callback runs the task it woke: no tick follows it.
  if (perSleep > 4 || ticks !== 0) {
    throw new Error(`${perSleep} crossings per wa_sleep (at most 4 expected), ${ticks} ticks (0 expected):\n${JSON.stringify(detail, null, 1)}`);
  }
}, 60000);

// One request's crossings: the difference between 11 requests in a row and
// 1, without the program's own start and end. The /hello route answers
// "hello world" with a Content-Length, in one chunk.
async function perFetch(mode) {
  const url = `${server.url}/hello`;
  expect(await app.main([mode, '1', url])).toBe(1); // connection made, code warm
  const one = await crossings(async () => expect(await app.main([mode, '1', url])).toBe(1));
  const eleven = await crossings(async () => expect(await app.main([mode, '11', url])).toBe(11));
  const diff = tally(eleven.calls);
  for (const c of one.calls) diff[c] -= 1;
  for (const c of Object.keys(diff)) diff[c] /= 10;
  for (const c of Object.keys(diff)) if (!diff[c]) delete diff[c];
  const per = (eleven.calls.length - one.calls.length) / 10;
  const detail = { perFetch: per, byName: diff };
  if (BACKEND === 'jspi') detail.backendSwitchesPerFetch = (eleven.switches - one.switches) / 10;
  return { per, ticks: diff['export _wa__on_tick'] || 0, requests: diff['import _wa__host_request_tick'] || 0, detail };
}

// The head: wa_fetch until its status and headers are known (here one
// header read). Starting the request and the head's arrival (status and
// headers together) are one crossing each, plus the host's stack pointer
// reading around a call into C; the task the head wakes runs in that same
// call: no tick is asked for, none follows. The fixture then frees the
// response with its body unread, which aborts the request: one crossing,
// not the head's, counted apart.
test('one wa_fetch up to its status and headers crosses at most 3 times', async () => {
  const r = await perFetch('head');
  const release = r.detail.byName['import _wa__fetch_release'] || 0;
  const head = r.per - release;
  if (head > 3 || release !== 1 || r.ticks !== 0 || r.requests !== 0) {
    throw new Error(`${head} crossings per head (at most 3 expected), ${release} releases (1 expected), ${r.ticks} ticks and ${r.requests} tick requests (0 expected):\n${JSON.stringify(r.detail, null, 1)}`);
  }
}, 60000);

// A small body (one chunk, its length announced) read to its end, and the
// response freed: its end comes with its last chunk, not as a round trip
// of its own, and a response read to its end is freed without a crossing.
test('one wa_fetch of a small body read to its end crosses at most 6 times', async () => {
  const r = await perFetch('body');
  if (r.per > 6 || r.ticks !== 0 || r.requests !== 0) {
    throw new Error(`${r.per} crossings per fetch with its body (at most 6 expected), ${r.ticks} ticks and ${r.requests} tick requests (0 expected):\n${JSON.stringify(r.detail, null, 1)}`);
  }
}, 60000);

test('app.main() starts main and runs it in one tick, asking for none', async () => {
  const r = await crossings(async () => expect(await app.main([])).toBe(0));
  const got = { ticks: count(r.calls, 'export _wa__on_tick'), requests: count(r.calls, 'import _wa__host_request_tick') };
  expect({ ...got, all: tally(r.calls) }).toEqual({ ticks: 1, requests: 0, all: tally(r.calls) });
}, 60000);

// Node fires timers on libuv's millisecond grid, and C's deadlines are whole
// milliseconds of the clock the host gives C: if the two grids are out of
// phase, every wake-up is late by the phase (a random 0-1 ms per process).
test("the clock C sees begins its milliseconds when libuv's do", () => {
  const wasyncHost = app.module.wasync;
  for (let i = 0; i < 5; i++) {
    const c = wasyncHost.now();
    const uv = Number(process.hrtime.bigint() % 1000000000000n) / 1e6; // libuv's uv_hrtime, in ms
    const phase = (((c - uv) % 1) + 1) % 1; // 0 (or just under 1) when the grids agree
    expect(Math.min(phase, 1 - phase)).toBeLessThan(0.05);
  }
  expect(wasyncHost.clockShift).toBeGreaterThanOrEqual(0);
  expect(wasyncHost.clockShift).toBeLessThan(1);
});

#!/usr/bin/env node
// fetch_bench.mjs — the fetch benchmark (rows/fetch.mjs):
// TOTAL GETs over loopback with INFLIGHT in flight, done by C tasks with
// wa_fetch (bench/fetch_bench.c, loaded in this process with load()) and by
// a plain JS async pool making the same fetch() calls, alternately, REPS
// times each, in the same process against the same local server (a child
// process, tests/js/servers.mjs, route /hello: 11 bytes).
// usage: node bench/fetch_bench.mjs BUILT_MODULE [TOTAL] [INFLIGHT] [REPS]
// Prints one line per repetition and kind: BENCH {"kind", "rps", "ms",
// "cpu_us"}, kind "wasync", "js" (plain fetch(url)) or "js-abort" (fetch
// with a signal); cpu_us is this process's CPU time (user + system) per
// request during the run, steadier than rps on a shared machine (the
// server's CPU is not in it).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { load } from '../js/runtime/index.mjs';
import { startServer } from '../tests/js/servers.mjs';

const [file, total = '10000', inflight = '64', reps = '5'] = process.argv.slice(2);
const TOTAL = Number(total);
const INFLIGHT = Number(inflight);
const REPS = Number(reps);

// withAbort: each fetch gets its own AbortController, as wa_fetch's do (so
// that cancelling can abort them): the same fetch() calls wa_fetch makes.
async function jsPool(url, withAbort = false) {
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  async function worker() {
    while (next < TOTAL) {
      next++;
      try {
        const r = await (withAbort ? fetch(url, { signal: new AbortController().signal }) : fetch(url));
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
      } catch (e) {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const ms = performance.now() - t0;
  if (errors) throw new Error(`JS pool: ${errors} errors`);
  return { rps: (TOTAL * 1000) / ms, ms };
}

const server = await startServer();
try {
  const url = `${server.url}/hello`;
  const lines = [];
  const mod = await import(pathToFileURL(path.resolve(file)).href);
  const app = await load(mod.default, { print: (s) => lines.push(s), printErr: (s) => console.error(s) });
  const cRun = async () => {
    lines.length = 0;
    const status = await app.main([url, String(TOTAL), String(INFLIGHT)]);
    const line = lines.find((l) => l.startsWith('BENCH '));
    if (status !== 0 || !line) throw new Error(`wasync run failed (status ${status}): ${lines.join('\n')}`);
    const r = JSON.parse(line.slice(6));
    if (app.module.wasyncFetch.pending() !== 0) throw new Error('handles left in the fetch table');
    return r;
  };
  // Warm-up (JIT, connection pool), then alternate.
  await cRun();
  await jsPool(url);
  const measure = async (kind, fn) => {
    const c0 = process.cpuUsage();
    const r = await fn();
    const cpu = process.cpuUsage(c0);
    const cpu_us = Math.round(((cpu.user + cpu.system) / TOTAL) * 10) / 10;
    console.log(`BENCH ${JSON.stringify({ kind, rps: r.rps, ms: r.ms, cpu_us })}`);
  };
  for (let i = 0; i < REPS; i++) {
    await measure('wasync', cRun);
    await measure('js', () => jsPool(url));
    await measure('js-abort', () => jsPool(url, true));
  }
} finally {
  await server.close();
}

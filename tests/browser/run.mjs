#!/usr/bin/env node
// run.mjs — the real-browser tests (Debian's Chromium, headless): every demo
// page in build/web, a Vite bundle of the package and the README's page
// quick start behind nginx. `make test` runs it
// through tests/run-all.mjs; alone: `make web && node tests/browser/run.mjs
// [name filter]`. Writes build/browser-report.json and screenshots under
// build/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import { Failure, launch, ROOT, startServer } from './harness.mjs';
import { tests as demoTests, jspiTests, sliceTests } from './demos.mjs';
import { tests as viteTests } from './vite.mjs';
import { tests as readmeTests } from './readme-page.mjs';
import { tests as sqliteTests } from './sqlite.mjs';

// backend 'jspi' (or WASYNC_WEB_BACKEND=jspi run directly): the demos built
// on the JSPI backend (web/build.mjs), in build/web-jspi.
const webDir = (backend) => path.join(ROOT, 'build', backend === 'asyncify' ? 'web' : `web-${backend}`);
const REPORT = path.join(ROOT, 'build', 'browser-report.json');
const TIMEOUT = 90000;

export async function runBrowserTests(filter = '', { backend = process.env.WASYNC_WEB_BACKEND || 'asyncify' } = {}) {
  const WEB = webDir(backend);
  // On JSPI only the demos: the Vite and README-page tests build their own modules.
  const all = backend === 'asyncify' ? [...demoTests, ...sqliteTests, ...sliceTests, ...viteTests, ...readmeTests]
    : [...demoTests, ...sqliteTests, ...jspiTests];
  const results = [];
  const started = Date.now();
  if (!fs.existsSync(path.join(WEB, 'index.html'))) {
    console.log(`browser: ${path.relative(ROOT, WEB)} is missing; run \`make web\` first`);
    return { passed: 0, failed: 1, results };
  }
  const server = await startServer({ root: WEB });
  const browser = await launch();
  try {
    for (const [name, fn] of all) {
      if (filter && !name.includes(filter)) continue;
      const t0 = Date.now();
      let error = null;
      let timer;
      try {
        await Promise.race([
          fn({ browser, url: server.url, root: WEB }),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Failure(`timed out after ${TIMEOUT} ms`)), TIMEOUT); }),
        ]);
      } catch (e) {
        error = e instanceof Failure ? e.message : (e && e.stack) || String(e);
      } finally {
        clearTimeout(timer);
      }
      const ms = Date.now() - t0;
      results.push({ name, ok: !error, ms, error });
      console.log(`${error ? 'FAIL' : 'ok  '} ${name} (${(ms / 1000).toFixed(1)} s)${error ? `\n     ${error}` : ''}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  const report = backend === 'asyncify' ? REPORT : REPORT.replace(/\.json$/, `-${backend}.json`);
  fs.writeFileSync(report, JSON.stringify({ passed, failed, ms: Date.now() - started, results }, null, 2));
  return { passed, failed, results };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const r = await runBrowserTests(process.argv[2] || '');
  console.log(`browser: ${r.passed} passed, ${r.failed} failed`);
  process.exitCode = r.failed ? 1 : 0;
}

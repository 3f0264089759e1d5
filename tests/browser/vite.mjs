// vite.mjs — the bundler check: a tiny page importing `wasync` (the package,
// through its exports map: build/vite-app/node_modules/wasync links to the
// repository) and a module built by `wasync build`, bundled by Vite from
// node_modules (no network) and loaded in Chromium (the bundle is the same
// for every engine; the README page and the demos cover the engines).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, noProblems, open, ROOT, screenshot, startServer, text, until } from './harness.mjs';

const SRC = path.join(ROOT, 'tests', 'browser', 'vite-app');
const APP = path.join(ROOT, 'build', 'vite-app');

async function bundle() {
  fs.rmSync(APP, { recursive: true, force: true });
  fs.mkdirSync(path.join(APP, 'node_modules'), { recursive: true });
  for (const f of ['index.html', 'main.js']) fs.copyFileSync(path.join(SRC, f), path.join(APP, f));
  fs.symlinkSync(ROOT, path.join(APP, 'node_modules', 'wasync'), 'dir');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'js', 'cli', 'cli.mjs'), 'build', path.join(SRC, 'app.c'),
    '-o', path.join(APP, 'app.mjs')], { encoding: 'utf8' });
  check(r.status === 0, `wasync build failed:\n${r.stderr}`);
  const { build } = await import('vite');
  await build({
    root: APP,
    logLevel: 'error',
    configFile: false,
    build: { outDir: path.join(APP, 'dist'), emptyOutDir: true, target: 'es2022' },
  });
  const assets = fs.readdirSync(path.join(APP, 'dist', 'assets'));
  check(assets.some((f) => f.endsWith('.wasm')), `Vite should emit the .wasm as an asset, got ${assets.join(', ')}`);
}

export const tests = [
  ['vite: a page importing wasync and a built module bundles and runs', async ({ browser }) => {
    await bundle();
    const server = await startServer({ root: path.join(APP, 'dist') });
    try {
      const page = await open(browser, server.url);
      await until(page, () => /^squares:/.test(document.getElementById('out').textContent), null, 'the bundle should run');
      const out = await text(page, '#out');
      check(out === 'squares: 9 16 25; tasks after: 0', `expected "squares: 9 16 25; tasks after: 0", got ${JSON.stringify(out)}`);
      await screenshot(page, 'vite');
      noProblems(page);
    } finally {
      await server.close();
    }
  }],
];

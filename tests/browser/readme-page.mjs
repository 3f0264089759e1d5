// readme-page.mjs — the README's "your own page" quick start, followed
// literally: its C, shell and HTML blocks are taken from README.md as
// written, run in an empty folder whose node_modules/wasync is this
// package, and the folder is served by nginx with Debian's stock
// mime.types (and the stock default_type), on 127.0.0.1, then loaded in
// Chromium. The page's wa_fetch calls use relative URLs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, noProblems, open, ROOT, screenshot, until } from './harness.mjs';
import { JSPI_SENTENCE, withoutJspi } from './demos.mjs';
import { NGINX, startNginx } from './nginx.mjs';

/** The code blocks of README.md's "Your own page" paragraph, by language. */
function readmeBlocks() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('Your own page');
  check(from >= 0, 'README.md has no "Your own page" paragraph');
  const section = readme.slice(from, readme.indexOf('\nBundlers', from));
  const blocks = {};
  for (const m of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) blocks[m[1]] = m[2];
  for (const lang of ['c', 'sh', 'html']) check(blocks[lang], `README.md's page quick start has no ${lang} block`);
  return blocks;
}

/** Writes the quick start's site into tmp/site, running its commands with
 *  `edit` applied to the shell block; returns the site folder. */
function makeSite(tmp, blocks, edit = (sh) => sh) {
  const site = path.join(tmp, 'site');
  fs.mkdirSync(path.join(site, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(site, 'node_modules', 'wasync'), 'dir');
  fs.symlinkSync('../wasync/js/cli.mjs', path.join(site, 'node_modules', '.bin', 'wasync'));
  fs.writeFileSync(path.join(site, 'app.c'), blocks.c);
  fs.writeFileSync(path.join(site, 'index.html'), blocks.html);
  fs.writeFileSync(path.join(site, 'a.txt'), 'one\ntwo\nthree\n');
  fs.writeFileSync(path.join(site, 'b.txt'), 'x\n'.repeat(1000));
  // Chromium asks every site for one; its 404 would be the only console error.
  fs.writeFileSync(path.join(site, 'favicon.ico'), '');
  const sh = spawnSync('sh', ['-e', '-c', edit(blocks.sh)], { cwd: site, encoding: 'utf8', timeout: 180000 });
  check(sh.status === 0, `the README's commands failed (${sh.status}):\n${sh.stderr}`);
  for (const f of ['app.js', 'app.wasm', 'app.d.ts', 'wasync.js']) check(fs.existsSync(path.join(site, f)), `${f} was not written`);
  fs.rmSync(path.join(site, 'node_modules'), { recursive: true }); // the server has only the page's files
  return site;
}

export const tests = [
  ["readme: the page quick start, as written, runs behind nginx's stock config, relative wa_fetch included", async ({ browser }) => {
    check(fs.existsSync(NGINX), `${NGINX} is missing: make deps installs nginx-light`);
    const blocks = readmeBlocks();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-readme-page-'));
    fs.chmodSync(tmp, 0o755); // run as root, nginx's workers are nobody: they must read the site
    let nginx;
    try {
      const site = makeSite(tmp, blocks);

      nginx = await startNginx(site, tmp);
      // The reason the quick start says .js: the stock config sends .mjs as bytes.
      for (const [f, type] of [['app.js', 'application/javascript'], ['wasync.js', 'application/javascript'], ['app.wasm', 'application/wasm']]) {
        const r = await fetch(nginx.url + f);
        const got = r.headers.get('content-type');
        check(r.status === 200 && got === type, `nginx serves ${f} as ${r.status} ${got}, expected 200 ${type}`);
      }
      fs.copyFileSync(path.join(site, 'app.js'), path.join(site, 'app.mjs'));
      const mjs = (await fetch(nginx.url + 'app.mjs')).headers.get('content-type');
      check(mjs === 'application/octet-stream', `stock nginx serves .mjs as ${mjs} (the README says application/octet-stream)`);

      const page = await open(browser, nginx.url);
      await until(page, () => /lines/.test(document.getElementById('out').textContent), null, 'the page should print its result');
      const out = await page.locator('#out').textContent();
      // tasks() while the three calls wait on fetch lists them; c.txt is
      // missing and its 404 must be reported as such, not counted.
      const want = '3 tasks waiting on fetch\na.txt: 3 lines, b.txt: 1000 lines, c.txt: -404\n';
      check(out === want, `expected ${JSON.stringify(want)}, got ${JSON.stringify(out)}`);
      await screenshot(page, 'readme-page');
      // The one failed request is the example's own: the missing c.txt.
      const c404 = page.problems.filter((p) => /c\.txt|status of 404/.test(p));
      check(c404.length >= 1, `the missing c.txt should have been fetched (404), problems: ${page.problems.join('; ')}`);
      page.problems = page.problems.filter((p) => !c404.includes(p));
      noProblems(page);
    } finally {
      if (nginx) await nginx.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }],

  // Issue 21: built for JSPI (the README's build line plus --backend=jspi)
  // and opened in an engine without JSPI, the page shows the sentence.
  ['readme: the page quick start built for JSPI shows the failure on the page in an engine without JSPI', async ({ browser }) => {
    const blocks = readmeBlocks();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-readme-page-'));
    fs.chmodSync(tmp, 0o755);
    let nginx;
    const context = await browser.newContext();
    try {
      const site = makeSite(tmp, blocks, (sh) => sh.replace(/wasync build /, 'wasync build --backend=jspi '));
      nginx = await startNginx(site, tmp);
      const page = await context.newPage();
      await withoutJspi(page);
      await page.goto(nginx.url);
      await until(page, () => document.getElementById('out').textContent.length > 0, null, 'the page shows nothing');
      const out = await page.locator('#out').textContent();
      check(JSPI_SENTENCE.test(out), `the page shows ${JSON.stringify(out)}, not the JSPI sentence`);
      await screenshot(page, 'readme-page-without-jspi');
    } finally {
      await context.close();
      if (nginx) await nginx.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }],
];

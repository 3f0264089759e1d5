// readme-page.mjs — the README's "your own page" quick start, followed
// literally: its C, shell and HTML blocks are taken from README.md as
// written, run in an empty folder whose node_modules/wasync is this
// package, and the folder is served by nginx with Debian's stock
// mime.types (and the stock default_type), on 127.0.0.1, then loaded in
// each engine. The page's wa_fetch calls use relative URLs. The site is
// built once per backend and process, and shared by the engines.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, noProblems, open, ROOT, screenshot, text, until } from './harness.mjs';
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
  fs.symlinkSync('../wasync/js/cli/cli.mjs', path.join(site, 'node_modules', '.bin', 'wasync'));
  fs.writeFileSync(path.join(site, 'app.c'), blocks.c);
  fs.writeFileSync(path.join(site, 'index.html'), blocks.html);
  fs.writeFileSync(path.join(site, 'a.txt'), 'one\ntwo\nthree\n');
  fs.writeFileSync(path.join(site, 'b.txt'), 'x\n'.repeat(1000));
  // Browsers ask every site for one; its 404 would be the only console error.
  fs.writeFileSync(path.join(site, 'favicon.ico'), '');
  const sh = spawnSync('sh', ['-e', '-c', edit(blocks.sh)], { cwd: site, encoding: 'utf8', timeout: 180000 });
  check(sh.status === 0, `the README's commands failed (${sh.status}):\n${sh.stderr}`);
  for (const f of ['app.js', 'app.wasm', 'app.d.ts', 'wasync.js']) check(fs.existsSync(path.join(site, f)), `${f} was not written`);
  fs.rmSync(path.join(site, 'node_modules'), { recursive: true }); // the server has only the page's files
  return site;
}

const sites = new Map();
/**
 * The site built from the README on backend (the README's build line, plus
 * --backend=jspi for 'jspi'), once per process; resolves with { tmp, site }.
 * Removed when the process exits.
 */
function siteFor(backend) {
  if (!sites.has(backend)) {
    sites.set(backend, (async () => {
      check(fs.existsSync(NGINX), `${NGINX} is missing: make deps installs nginx-light`);
      const blocks = readmeBlocks();
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-readme-page-'));
      fs.chmodSync(tmp, 0o755); // run as root, nginx's workers are nobody: they must read the site
      process.once('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
      const edit = backend === 'asyncify' ? undefined : (sh) => sh.replace(/wasync build /, `wasync build --backend=${backend} `);
      return { tmp, site: makeSite(tmp, blocks, edit) };
    })());
  }
  return sites.get(backend);
}

/** Serves the site of backend with nginx while fn({ url, site }) runs. */
async function withSite(backend, fn) {
  const { tmp, site } = await siteFor(backend);
  const nginx = await startNginx(site, tmp);
  try {
    return await fn({ url: nginx.url, site });
  } finally {
    await nginx.close();
  }
}

// tasks() while the three calls wait on fetch lists them; c.txt is missing
// and its 404 must be reported as such, not counted.
const WANT = '3 tasks waiting on fetch\na.txt: 3 lines, b.txt: 1000 lines, c.txt: -404\n';

/** Loads the page, checks it prints WANT and reports nothing but c.txt's 404. */
async function runsAsWritten(browser, url, shot) {
  const page = await open(browser, url);
  await until(page, () => /lines/.test(document.getElementById('out').textContent), null, 'the page should print its result');
  const out = await text(page, '#out');
  check(out === WANT, `expected ${JSON.stringify(WANT)}, got ${JSON.stringify(out)}`);
  await screenshot(page, shot);
  // The one failed request is the example's own: the missing c.txt.
  const c404 = page.problems.filter((p) => /c\.txt|status of 404/.test(p));
  check(c404.length >= 1, `the missing c.txt should have been fetched (404), problems: ${page.problems.join('; ')}`);
  page.problems = page.problems.filter((p) => !c404.includes(p));
  noProblems(page);
}

// On the default backend, in every engine.
export const tests = [
  ["readme: the page quick start, as written, runs behind nginx's stock config, relative wa_fetch included", ({ browser }) =>
    withSite('asyncify', async ({ url, site }) => {
      // The reason the quick start says .js: the stock config sends .mjs as bytes.
      for (const [f, type] of [['app.js', 'application/javascript'], ['wasync.js', 'application/javascript'], ['app.wasm', 'application/wasm']]) {
        const r = await fetch(url + f);
        const got = r.headers.get('content-type');
        check(r.status === 200 && got === type, `nginx serves ${f} as ${r.status} ${got}, expected 200 ${type}`);
      }
      fs.copyFileSync(path.join(site, 'app.js'), path.join(site, 'app.mjs'));
      const mjs = (await fetch(url + 'app.mjs')).headers.get('content-type');
      check(mjs === 'application/octet-stream', `stock nginx serves .mjs as ${mjs} (the README says application/octet-stream)`);
      await runsAsWritten(browser, url, 'readme-page');
    })],
];

// Built for JSPI (the README's build line plus --backend=jspi): it runs the
// same in an engine with JSPI (jspiRuns), and shows the failure sentence on
// the page in one without (jspiFails: WebKitGTK as it is, the others with
// JSPI removed). Issue 21.
export const jspiRuns = [
  ['readme: the page quick start built for JSPI runs the same where the engine has JSPI', ({ browser }) =>
    withSite('jspi', ({ url }) => runsAsWritten(browser, url, 'readme-page-jspi'))],
];
export const jspiFails = [
  ['readme: the page quick start built for JSPI shows the failure on the page in an engine without JSPI', ({ browser, jspi }) =>
    withSite('jspi', async ({ url }) => {
      const page = await open(browser, url, withoutJspi(jspi));
      await until(page, () => document.getElementById('out').textContent.length > 0, null, 'the page shows nothing');
      const out = await text(page, '#out');
      check(JSPI_SENTENCE.test(out), `the page shows ${JSON.stringify(out)}, not the JSPI sentence`);
      await screenshot(page, 'readme-page-without-jspi');
    })],
];

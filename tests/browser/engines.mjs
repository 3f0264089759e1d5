// engines.mjs — the three browser engines behind one small page API, so the
// same tests run in each. Only Debian's browsers, never a downloaded one:
//   chromium  /usr/bin/chromium through playwright-core (CDP)
//   firefox   /usr/bin/firefox-esr through puppeteer-core (WebDriver BiDi)
//   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver (plain
//             WebDriver over HTTP), on a private Xvfb display
//
// launchEngine(name) resolves with a browser { name, family, version,
// newPage({ viewport, init }), closePages(), close() }; a page has
//   goto(url), url(), evaluate(fn, arg), click(selector), wheel(dy),
//   screenshot(file), close(), and problems: the console errors, uncaught
//   exceptions, failed requests and HTTP errors seen so far, as strings.
// init is a function run before any script of the page (playwright's
// addInitScript, puppeteer's evaluateOnNewDocument; for WebKit, whose plain
// WebDriver has neither that nor console events, page-proxy.mjs adds both).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startPageProxy } from './page-proxy.mjs';
// A port bound on 127.0.0.1 and released: free for the driver to listen on.
import { refusedPort as freePort } from '../js/servers.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
const VIEWPORT = { width: 1280, height: 860 };
const PATHS = {
  chromium: process.env.WASYNC_CHROMIUM || '/usr/bin/chromium',
  firefox: process.env.WASYNC_FIREFOX || '/usr/bin/firefox-esr',
  webkit: process.env.WASYNC_WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver',
};
// Where Debian puts MiniBrowser: beside the WebKitGTK (API 4.1) that the
// driver's package depends on (webkit2gtk-driver in bookworm,
// webkitgtk-webdriver from WebKitGTK 2.46 on, as in sid).
const MINIBROWSERS = ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0'].flatMap((api) =>
  ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((arch) => `/usr/lib/${arch}/${api}/MiniBrowser`));
export const INSTALL_HINT = 'make deps installs chromium, firefox-esr, WebKitWebDriver and xvfb';

/** The file that runs `engine`, or null where it is not installed. */
export function enginePath(engine) {
  if (engine !== 'webkit') return fs.existsSync(PATHS[engine]) ? PATHS[engine] : null;
  return fs.existsSync(PATHS.webkit) && miniBrowser() ? PATHS.webkit : null;
}

const miniBrowser = () => MINIBROWSERS.find((f) => fs.existsSync(f)) || null;

export async function launchEngine(name) {
  if (!enginePath(name)) throw new Error(`${name} is not installed (${PATHS[name]}): ${INSTALL_HINT}`);
  if (name === 'chromium') {
    const { chromium } = await import('playwright-core');
    const b = await chromium.launch({
      executablePath: PATHS.chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run'],
    });
    return tracked({ name, family: 'Chromium', version: b.version(), close: () => b.close() }, async ({ viewport, init }) => {
      const context = await b.newContext({ viewport, ignoreHTTPSErrors: true }); // the tests' own self-signed servers
      const p = await context.newPage();
      if (init) await p.addInitScript(init);
      return common(p, () => context.close(), (dy) => p.mouse.wheel(0, dy));
    });
  }
  if (name === 'firefox') {
    const { default: puppeteer } = await import('puppeteer-core');
    const b = await puppeteer.launch({ browser: 'firefox', executablePath: PATHS.firefox, headless: true, acceptInsecureCerts: true });
    const version = (await b.version()).replace(/^firefox\//i, '');
    return tracked({ name, family: 'Firefox', version, close: () => b.close() }, async ({ viewport, init }) => {
      const p = await b.newPage();
      await p.setViewport(viewport);
      if (init) await p.evaluateOnNewDocument(init);
      return common(p, () => p.close(), (dy) => p.mouse.wheel({ deltaY: dy }));
    });
  }
  return webkit();
}

/** Adds the page bookkeeping: closePages() closes what a test left open. */
function tracked(browser, makePage) {
  const open = new Set();
  browser.newPage = async ({ viewport = VIEWPORT, init } = {}) => {
    const page = await makePage({ viewport, init });
    page.engine = browser.name;
    const close = page.close;
    page.close = async () => { open.delete(page); await close(); };
    open.add(page);
    return page;
  };
  browser.closePages = async () => { for (const p of [...open]) await p.close().catch(() => {}); };
  const close = browser.close;
  browser.close = async () => { await browser.closePages(); await close(); };
  return browser;
}

/** playwright's and puppeteer's pages share these names (not the wheel's). */
function common(p, close, wheel) {
  const page = { problems: [] };
  p.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  p.on('requestfailed', (r) => {
    // A download the page cancelled on purpose is not a problem.
    const why = r.failure() ? r.failure().errorText : '';
    if (!/ERR_ABORTED|NS_BINDING_ABORTED/.test(why)) page.problems.push(`request failed: ${r.url()} ${why}`);
  });
  p.on('response', (r) => {
    // The browser's own favicon request (Firefox's) is not the page's.
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return Object.assign(page, {
    goto: async (url) => { await p.goto(url); },
    url: async () => p.url(),
    evaluate: (fn, arg) => p.evaluate(fn, arg),
    click: (selector) => p.click(selector),
    wheel,
    screenshot: async (file) => { await p.screenshot({ path: file }); },
    close,
  });
}

/** Starts Xvfb on the first free display; resolves with { display, kill() }. */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const x = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1400x1000x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    x.stderr.on('data', (d) => { err += d; });
    x.on('error', (e) => reject(new Error(`Xvfb: ${e.message} (${INSTALL_HINT})`)));
    x.on('exit', (code) => reject(new Error(`Xvfb exited ${code}: ${err}`)));
    let out = '';
    x.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ display: `:${out.trim()}`, kill: () => x.kill() });
    });
  });
}

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** WebKitGTK: MiniBrowser in one WebDriver session (one window, so one page at a time). */
async function webkit() {
  const xvfb = await startXvfb();
  const port = await freePort();
  const driver = spawn(PATHS.webkit, [`--port=${port}`, '--host=127.0.0.1'],
    { env: { ...process.env, DISPLAY: xvfb.display }, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  // Problems and init scripts come through the page proxy (page-proxy.mjs).
  const proxy = await startPageProxy();
  const stop = () => { driver.kill(); xvfb.kill(); proxy.close(); process.off('exit', kill); };
  // Not left behind by a test process that dies.
  const kill = () => { driver.kill(); xvfb.kill(); };
  process.once('exit', kill);

  async function call(method, p, body) {
    const r = await fetch(base + p, {
      method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    if (j.value && j.value.error) throw new Error(`WebDriver ${method} ${p}: ${j.value.error}: ${j.value.message}`);
    return j.value;
  }
  let session;
  try {
    for (const deadline = Date.now() + 10000; ;) {
      try { await call('GET', '/status'); break; } catch (e) {
        if (Date.now() > deadline || driver.exitCode !== null) throw new Error(`WebKitWebDriver did not start: ${e.message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    session = await call('POST', '/session', { capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': {
      binary: miniBrowser(), args: ['--automation'] },
    proxy: { proxyType: 'manual', httpProxy: `127.0.0.1:${proxy.port}` } } } });
  } catch (e) {
    stop();
    throw e;
  }
  const cmd = (method, p, body) => call(method, `/session/${session.sessionId}${p}`, body);
  // A command that hangs (a script, a load) fails within the test's time.
  await cmd('POST', '/timeouts', { script: 20000, pageLoad: 30000, implicit: 0 });
  const caps = session.capabilities;

  return tracked({
    name: 'webkit', family: 'WebKitGTK', version: caps.browserVersion,
    close: async () => { await cmd('DELETE', '').catch(() => {}); stop(); },
  }, async ({ viewport, init }) => {
    // The window's outer size, corrected by what its frame takes.
    await cmd('POST', '/window/rect', viewport);
    const [w, h] = await cmd('POST', '/execute/sync', { script: 'return [innerWidth, innerHeight]', args: [] });
    if (w !== viewport.width || h !== viewport.height) {
      await cmd('POST', '/window/rect', { width: 2 * viewport.width - w, height: 2 * viewport.height - h });
    }
    const page = {
      problems: [],
      goto: async (url) => { await cmd('POST', '/url', { url }); },
      url: () => cmd('GET', '/url'),
      evaluate: (fn, arg) => cmd('POST', '/execute/sync', {
        script: `return (${fn}).apply(null, arguments)`, args: arg === undefined ? [] : [arg] }),
      click: async (selector) => {
        const el = await cmd('POST', '/element', { using: 'css selector', value: selector });
        await cmd('POST', `/element/${el[ELEMENT]}/click`, {});
      },
      wheel: (dy) => cmd('POST', '/actions', { actions: [{ type: 'wheel', id: 'wheel', actions: [
        { type: 'scroll', x: 100, y: 100, deltaX: 0, deltaY: dy, origin: 'viewport' }] }] }),
      screenshot: async (file) => { fs.writeFileSync(file, Buffer.from(await cmd('GET', '/screenshot'), 'base64')); },
      close: async () => {
        proxy.page([], null);
        await cmd('POST', '/url', { url: 'about:blank' });
      },
    };
    proxy.page(page.problems, init);
    return page;
  });
}

// harness.mjs — what the browser tests share: Debian's Chromium through
// playwright-core (never a downloaded browser), a static server on
// 127.0.0.1:0, console-error collection and screenshots under build/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHOTS = path.join(ROOT, 'build', 'screenshots');
export { startServer };

export const CHROMIUM = process.env.WASYNC_CHROMIUM || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
}

/**
 * Opens url in a fresh page and records every console error, uncaught
 * exception and failed request in page.problems. insecure: accept any
 * certificate (a test's own HTTPS server, self-signed).
 */
export async function open(browser, url, { viewport = { width: 1280, height: 860 }, insecure = false } = {}) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: insecure });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A download the page cancelled on purpose is not a problem.
    const why = r.failure() ? r.failure().errorText : '';
    if (!/ERR_ABORTED/.test(why)) page.problems.push(`request failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export class Failure extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

/** Polls fn() in the page until it returns a truthy value; throws a Failure with message otherwise. */
export async function until(page, fn, arg, message, timeout = 15000) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Failure(`${message} (waited ${timeout} ms)`);
  }
}

export function noProblems(page) {
  check(page.problems.length === 0, `console errors or failed requests:\n    ${page.problems.join('\n    ')}`);
}

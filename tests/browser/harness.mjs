// harness.mjs — what the browser tests share: the engines (engines.mjs:
// Debian's Chromium, Firefox ESR and WebKitGTK, never a downloaded
// browser), a static server on 127.0.0.1:0, the problems a page reported
// (console errors, uncaught exceptions, failed requests), screenshots under
// build/screenshots/<engine>/, and DOM helpers written on page.evaluate
// alone, so that every engine runs them the same way.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../web/serve.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHOTS = path.join(ROOT, 'build', 'screenshots');
export { startServer };

/**
 * Opens url in a fresh page of browser (viewport {width, height}; init: a
 * function run before the page's own scripts) and returns the page; its
 * problems list fills from then on.
 */
export async function open(browser, url, { viewport, init } = {}) {
  const page = await browser.newPage({ viewport, init });
  await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  const dir = path.join(SHOTS, page.engine);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot(file);
  return file;
}

export class Failure extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls fn(arg) in the page every 50 ms until it returns a truthy value,
 * which it resolves with; throws a Failure with message after timeout ms.
 * A call that fails while the page navigates counts as a falsy one.
 */
export async function until(page, fn, arg, message, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Failure(`${message} (waited ${timeout} ms)`);
    await sleep(50);
  }
}

/** The text of the first element matching selector (null if none). */
export const text = (page, selector) =>
  page.evaluate((s) => { const e = document.querySelector(s); return e ? e.textContent : null; }, selector);
export const num = async (page, selector) => Number(await text(page, selector));
export const attr = (page, selector, name) =>
  page.evaluate(([s, n]) => { const e = document.querySelector(s); return e ? e.getAttribute(n) : null; }, [selector, name]);
export const count = (page, selector) => page.evaluate((s) => document.querySelectorAll(s).length, selector);
export const enabled = (page, selector) => page.evaluate((s) => !document.querySelector(s).disabled, selector);
/** Rendered with a size and not hidden by CSS. */
export const visible = (page, selector) => page.evaluate((s) => {
  const e = document.querySelector(s);
  const r = e && e.getBoundingClientRect();
  return !!e && r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
}, selector);

/** Chooses value in a <select> as a user does: input and change events follow. */
export async function select(page, selector, value) {
  const ok = await page.evaluate(([s, v]) => {
    const e = document.querySelector(s);
    if (!e || ![...e.options].some((o) => o.value === v)) return false;
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
    e.dispatchEvent(new Event('change', { bubbles: true }));
    return true;
  }, [selector, value]);
  check(ok, `${selector} has no option ${JSON.stringify(value)}`);
}

export function noProblems(page) {
  check(page.problems.length === 0, `console errors or failed requests:\n    ${page.problems.join('\n    ')}`);
}

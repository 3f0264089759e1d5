// jspi-support.mjs — which engines have JSPI, observed (issue 21: "say which
// engines have it, from a test"). The runner asks each engine once
// (engineHasJspi) and runs the JSPI builds where the answer is yes and the
// failure-sentence tests everywhere; the test below checks that the
// README's list and the sentence a JSPI build gives where JSPI is missing
// (js/cli/wrap.mjs) say the same of this engine and version.
import fs from 'node:fs';
import path from 'node:path';
import { jspiMissing } from '../../js/cli/wrap.mjs';
import { check, open, ROOT } from './harness.mjs';

/** Whether the pages of browser have WebAssembly.Suspending and promising. */
export async function engineHasJspi(browser, url) {
  const page = await open(browser, url);
  try {
    return await page.evaluate(() => typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function');
  } finally {
    await page.close();
  }
}

const versionAtLeast = (v, min) => {
  const a = v.split('.').map(Number); const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) if ((a[i] || 0) !== b[i]) return (a[i] || 0) > b[i];
  return true;
};
const sameRelease = (v, named) => `${v}.`.startsWith(`${named}.`);

/**
 * What a text says of family's version: true (it has JSPI), false (it has
 * not) or null (not named). `have` lists "<Engine> <version> [and later]",
 * `lack` lists "<Engine> <version>" (that release) the same way.
 */
export function claim(have, lack, family, version) {
  const named = (list) => [...list.matchAll(/\b(Chromium|Firefox|Safari|WebKitGTK|Node\.js|Node) (\d+(?:\.\d+)*)( and later)?/g)]
    .some(([, f, v, later]) => f === family && (later ? versionAtLeast(version, v) : sameRelease(version, v)));
  if (named(have)) return true;
  if (named(lack)) return false;
  return null;
}

/** The README's list: "(… engines with JSPI … ; not … )" in the Backends section. */
function readmeLists() {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const m = /\(([^()]*Chromium \d+ and later[^()]*); not ([^()]*)\)/.exec(readme);
  check(m, 'README.md has no "(… Chromium N and later …; not …)" list of the engines with JSPI');
  return [m[1], m[2]];
}

export const tests = [
  ['JSPI: the README and the load-failure sentence say of this engine what it does', async ({ browser, jspi }) => {
    const sentence = /engines with it are (.*?), not (.*?);/.exec(jspiMissing('jspi'));
    check(sentence, `js/cli/wrap.mjs's sentence lists no engines: ${jspiMissing('jspi')}`);
    const seen = `${browser.family} ${browser.version} ${jspi ? 'has' : 'lacks'} JSPI`;
    for (const [where, [have, lack]] of [['the sentence (js/cli/wrap.mjs)', sentence.slice(1)], ['README.md', readmeLists()]]) {
      const said = claim(have, lack, browser.family, browser.version);
      check(said !== null, `${seen}, and ${where} does not name ${browser.family} ${browser.version}`);
      check(said === jspi, `${seen}, but ${where} says it ${said ? 'has' : 'lacks'} it`);
    }
  }],
];

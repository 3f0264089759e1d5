// run-all.mjs — every suite `make test` runs: C tests (native ASan/UBSan,
// wasm, debug wasm), the fuzz suite and the Jest suites. Ends with one line: "N passed, M failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runC } from './run-c.mjs';
import { runBrowserTests } from './browser/run.mjs';
import { runFuzz } from './run-fuzz.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function runJest({ name = 'jest', files = [], env = {} } = {}) {
  console.log(`== ${name}`);
  const report = path.join(ROOT, 'build', `${name}-report.json`);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  const r = spawnSync(process.execPath,
    [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', `--outputFile=${report}`, ...files],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env, NODE_OPTIONS: '--experimental-vm-modules' } });
  if (!fs.existsSync(report)) return { passed: 0, failed: 1 };
  const j = JSON.parse(fs.readFileSync(report, 'utf8'));
  // A suite that fails to load has no test results but still counts as a failure.
  const broken = j.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
  if (r.status !== 0 && j.numFailedTests === 0 && broken === 0) return { passed: j.numPassedTests, failed: 1 };
  return { passed: j.numPassedTests, failed: j.numFailedTests + broken };
}

// WASYNC_SUITES=jest,browser (comma-separated) runs only those suites: the
// test matrix uses it to run the JS suites under another Node.
const only = process.env.WASYNC_SUITES ? process.env.WASYNC_SUITES.split(',') : null;
const want = (suite) => !only || only.includes(suite);
const none = { passed: 0, failed: 0 };
let c = none; let fz = none; let j = none; let b = none;
if (want('c')) {
  console.log('== C tests (native ASan+UBSan, wasm under Node)');
  c = await runC();
  console.log(`C: ${c.passed} passed, ${c.failed} failed${c.notRun ? ` (${c.notRun} JSPI tests not run: this Node has no JSPI)` : ''}`);
}
if (want('fuzz')) {
  console.log('== fuzz (regression inputs, then a bounded libFuzzer run)');
  fz = runFuzz(Number(process.env.FUZZ_SECONDS || 30));
  console.log(`fuzz: ${fz.passed} passed, ${fz.failed} failed`);
}
// The JS suites that exercise the bridge and fetch run again on the JSPI
// backend where this Node has JSPI (24+).
const HAS_JSPI = typeof WebAssembly.Suspending === 'function';
const add = (a, x) => ({ passed: a.passed + x.passed, failed: a.failed + x.failed });
if (want('jest')) {
  j = runJest();
  console.log(`jest: ${j.passed} passed, ${j.failed} failed`);
  if (HAS_JSPI) {
    const jj = runJest({ name: 'jest-jspi', env: { WASYNC_TEST_BACKEND: 'jspi' },
      files: ['tests/js/bridge.test.mjs', 'tests/js/fetch.test.mjs', 'tests/js/faults.test.mjs', 'tests/js/jspi.test.mjs',
        'tests/js/crossings.test.mjs',
        'tests/js/libc_sleep.test.mjs',
        'tests/js/stdin.test.mjs',
        'tests/js/lua.test.mjs',
        'tests/js/debugtools.test.mjs',
        'tests/js/cmain.test.mjs',
        'tests/js/pthreads.test.mjs',
        'tests/js/threads.test.mjs',
        'tests/js/sjlj-eh.test.mjs',
        'tests/js/ported.test.mjs',
      ] });
    console.log(`jest on the JSPI backend: ${jj.passed} passed, ${jj.failed} failed`);
    j = add(j, jj);
  } else {
    console.log(`jest on the JSPI backend: not run (Node ${process.version} has no JSPI)`);
  }
}
if (want('browser')) {
  console.log('== browser (Chromium, Firefox ESR, WebKitGTK: the demos in build/web, the README page; a Vite bundle)');
  b = await runBrowserTests();
  console.log(`browser: ${b.passed} passed, ${b.failed} failed`);
  // The demos again on the JSPI backend, in build/web-jspi: they run in the
  // engines with JSPI and show the failure sentence in the others.
  console.log('== browser, JSPI backend (the demos and the README page built with --backend=jspi)');
  const built = spawnSync(process.execPath, [path.join(ROOT, 'web', 'build.mjs')],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, WASYNC_WEB_BACKEND: 'jspi' } });
  const bj = built.status === 0 ? await runBrowserTests('', { backend: 'jspi' }) : { passed: 0, failed: 1 };
  console.log(`browser on the JSPI backend: ${bj.passed} passed, ${bj.failed} failed`);
  b = add(b, bj);
}
const passed = c.passed + fz.passed + j.passed + b.passed;
const failed = c.failed + fz.failed + j.failed + b.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

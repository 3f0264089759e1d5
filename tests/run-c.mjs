// run-c.mjs — runs every C test in its own process, natively (ASan+UBSan)
// and as release and debug wasm builds under Node. Exports runC() for run-all.mjs; run directly it
// prints one line per test and the summary.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const NATIVE = path.join(ROOT, 'build', 'native', 'tests');
const WASM = path.join(ROOT, 'build', 'wasm', 'tests.mjs');
const WASM_DEBUG = path.join(ROOT, 'build', 'wasm-debug', 'tests.mjs');
const WASM_JSPI = path.join(ROOT, 'build', 'wasm-jspi', 'tests.mjs');

// The JSPI build runs under a Node that has JSPI (24+): this one, or the one
// WASYNC_JSPI_NODE names. Elsewhere its tests are reported as not run.
function jspiNode() {
  if (process.env.WASYNC_JSPI_NODE) return process.env.WASYNC_JSPI_NODE;
  return typeof WebAssembly.Suspending === 'function' ? process.execPath : null;
}

// Every test runs four ways: native (ASan+UBSan), a release wasm build, a
// debug wasm build (-O0, per-function stack checks) and a release build on
// the JSPI backend.
const backends = {
  native: { cmd: NATIVE, args: [] },
  wasm: { cmd: process.execPath, args: [WASM] },
  'wasm-debug': { cmd: process.execPath, args: [WASM_DEBUG] },
  ...(jspiNode() ? { 'wasm-jspi': { cmd: jspiNode(), args: [WASM_JSPI] } } : {}),
};

function list() {
  const r = spawnSync(NATIVE, ['--list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot list tests: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => {
    const [name, code, text] = line.split('\t');
    return code === undefined ? { name } : { name, death: { code: Number(code), text } };
  });
}

function runOne(backend, test) {
  const { cmd, args } = backends[backend];
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args, test.name], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:handle_segv=0:detect_stack_use_after_return=0' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); err += '\n(timed out after 120 s)'; }, 120000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      clearTimeout(timer);
      let ok;
      let why = '';
      if (test.death) {
        ok = code === test.death.code && err.includes(test.death.text);
        if (!ok) why = `expected exit ${test.death.code} and stderr containing "${test.death.text}", got exit ${code}`;
      } else {
        ok = code === 0 && out.includes(`ok ${test.name}`);
        if (!ok) why = `exit ${code}`;
      }
      resolve({ name: `${backend}: ${test.name}`, ok, why, out, err });
    });
  });
}

async function pool(items, n, fn) {
  const results = [];
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) {
      const k = i++;
      results[k] = await fn(items[k]);
    }
  }));
  return results;
}

export async function runC({ filter } = {}) {
  const tests = list().filter((t) => !filter || t.name.includes(filter));
  const jobs = [];
  // WASYNC_C_BACKENDS=wasm-jspi (comma-separated) runs only those backends.
  const only = process.env.WASYNC_C_BACKENDS ? process.env.WASYNC_C_BACKENDS.split(',') : null;
  for (const backend of Object.keys(backends)) {
    if (!only || only.includes(backend)) for (const t of tests) jobs.push([backend, t]);
  }
  const results = await pool(jobs, Math.max(2, os.cpus().length), ([b, t]) => runOne(b, t));
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'} c ${r.name}`);
    if (!r.ok) console.log(`  ${r.why}\n${(r.err + r.out).trim().split('\n').slice(-15).map((l) => '    ' + (l.length > 300 ? l.slice(0, 300) + '…' : l)).join('\n')}`);
  }
  const notRun = backends['wasm-jspi'] || (only && !only.includes('wasm-jspi')) ? 0 : tests.length;
  if (notRun) {
    console.log(`NOT RUN c wasm-jspi: ${notRun} tests (Node ${process.version} has no JSPI; ` +
      'Node 24+ has it: run under it or set WASYNC_JSPI_NODE=/path/to/node24)');
  }
  return { passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, notRun };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { passed, failed, notRun } = await runC({ filter: process.argv[2] });
  console.log(`${passed} passed, ${failed} failed${notRun ? `, ${notRun} not run (no JSPI)` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

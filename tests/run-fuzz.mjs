// run-fuzz.mjs — the fuzz suite: every saved regression input (each one a
// test), then a time-bounded libFuzzer run from a scratch corpus (one test:
// it passes if no input breaks an invariant or hangs). The run is seeded
// (FUZZ_SEED, default 1; the seed is printed): the same seed generates the
// same inputs, though scripts that sleep still depend on timing. Each
// script may take at most 30 s. Exports runFuzz() for run-all.mjs; run
// directly: `node tests/run-fuzz.mjs [seconds]`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const FUZZER = path.join(ROOT, 'build', 'fuzz', 'fuzz_sched');
const REGRESSIONS = path.join(ROOT, 'tests', 'fuzz', 'regressions');
const env = { ...process.env, ASAN_OPTIONS: 'handle_segv=0:detect_leaks=1' };

function tail(text) {
  return text.trim().split('\n').filter((l) => !/^(INFO|#\d)/.test(l)).slice(-12).join('\n    ');
}

export function runFuzz(seconds = 30, seed = Number(process.env.FUZZ_SEED || 1)) {
  let passed = 0;
  let failed = 0;
  for (const f of fs.readdirSync(REGRESSIONS).sort()) {
    const r = spawnSync(FUZZER, [path.join(REGRESSIONS, f)], { encoding: 'utf8', env, timeout: 60000 });
    const ok = r.status === 0;
    console.log(`${ok ? 'PASS' : 'FAIL'} fuzz regression ${f}`);
    if (!ok) console.log(`    ${tail(r.stderr)}`);
    ok ? passed++ : failed++;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-fuzz-'));
  const corpus = path.join(work, 'corpus');
  fs.mkdirSync(corpus);
  const r = spawnSync(FUZZER, [corpus, `-max_total_time=${seconds}`, `-seed=${seed}`, '-timeout=30',
    '-print_final_stats=1', `-artifact_prefix=${work}/`], { encoding: 'utf8', env, timeout: (seconds + 90) * 1000 });
  const runs = /stat::number_of_executed_units:\s*(\d+)/.exec(r.stderr);
  const ok = r.status === 0;
  console.log(`${ok ? 'PASS' : 'FAIL'} fuzz ${seconds} s (seed ${seed}): ${runs ? runs[1] : '?'} scripts`);
  if (!ok) {
    const found = fs.readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f));
    console.log(`    ${tail(r.stderr)}\n    inputs kept in ${work}: ${found.join(', ')} ` +
      '(copy one into tests/fuzz/regressions/ once fixed)');
  } else {
    fs.rmSync(work, { recursive: true, force: true });
  }
  ok ? passed++ : failed++;
  return { passed, failed };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { passed, failed } = runFuzz(Number(process.argv[2] || 30));
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

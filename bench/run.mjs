#!/usr/bin/env node
// run.mjs — `make bench`: builds and runs the benchmark suite, wasync and
// its peer side by side in the same run, prints a table, writes
// bench/RESULTS.md and draws bench/results.svg (ratios on a log scale).
// The parts: rows/ (the benchmarks, one module per row group, listed in
// rows/index.mjs), knobs.mjs (their sizes, from the environment),
// driver.mjs (building and running programs, process pooling, BENCH_ONLY,
// BENCH_WASYNC_FLAGS, BENCH_JSPI_NODE), table.mjs (summary rows and
// verdicts), render.mjs (RESULTS.md and results.svg). A run restricted by
// BENCH_ONLY prints its table but writes neither file.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH, ONLY, OUT, progress } from './driver.mjs';
import { markdown, svgChart } from './render.mjs';
import { BENCHMARKS, METHODS } from './rows/index.mjs';
import { fmt, printSummary } from './table.mjs';

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const results = { byBench: {} };
  const errors = [];
  const selected = BENCHMARKS.filter((b) => !ONLY || ONLY.includes(b.id));
  for (const b of selected) {
    if (!b.build) continue;
    progress(`building ${b.id}`);
    try { await b.build(); } catch (e) { errors.push(`${b.id} build: ${e.message}`); b.broken = true; }
  }
  for (const [i, b] of selected.entries()) {
    if (b.broken) continue;
    progress(`(${i + 1}/${selected.length}) ${b.title}`);
    try {
      const res = await b.run();
      results.byBench[b.id] = res;
      Object.assign(results, res);
      for (const [k, x] of Object.entries(res)) {
        progress(`  ${k} = ${fmt(x.value, Number.isInteger(x.value) ? 0 : 1)} ${x.unit}${x.note ? ` (${x.note})` : ''}`);
      }
    } catch (e) {
      errors.push(`${b.id}: ${e.message}`);
      progress(`  ${/^not run:/.test(e.message) ? '' : 'FAILED: '}${e.message.split('\n')[0]}`);
    }
  }
  printSummary(BENCHMARKS, results);
  if (!ONLY) {
    fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), markdown(BENCHMARKS, METHODS, results, errors));
    fs.writeFileSync(path.join(BENCH, 'results.svg'), svgChart(BENCHMARKS, results));
    progress('wrote bench/RESULTS.md and bench/results.svg');
  }
  // A row with no peer to run against ("not run: …", e.g. no Node with
  // JSPI to be had) is reported, not a failure of the run.
  for (const e of errors) console.error(`bench ${/^[\w-]+( build)?: not run:/.test(e) ? 'note' : 'error'}: ${e}`);
  if (errors.some((e) => !/^[\w-]+( build)?: not run:/.test(e))) process.exitCode = 1;
}

await main();

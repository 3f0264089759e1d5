// table.mjs — the summary table: helpers the rows use to show their
// results, the verdict against a row's bar, and the table printed at the
// end of a run (render.mjs writes the same cells to RESULTS.md).
//
// A benchmark's rows(r) returns summary rows { row, wasync, peer, ratio?,
// bar?, barText?, check? }: wasync and peer are display strings; ratio is a
// number (wasync / peer, lower is better for wasync) drawn in the chart; bar
// is the largest ratio that passes (the verdict is PASS/FAIL against it,
// "info" when there is no bar); check, a boolean, overrides the verdict for
// rows that are not ratios (e.g. "not instrumented"), barText says what it checks.

export const fmt = (v, d = 0) => (v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(d));
export const val = (r, k) => r[k]?.value;
export const ratio = (r, a, b) => (val(r, a) !== undefined && val(r, b) ? val(r, a) / val(r, b) : undefined);
export const ns = (r, k) => `${fmt(val(r, k), 1)} ns`;
export const ms = (r, k, d = 0) => `${fmt(val(r, k), d)} ms`;
export const bytes = (r, k) => `${fmt(val(r, k))} B`;

export const verdict = (x) => {
  if (x.check !== undefined) return x.check ? 'PASS' : 'FAIL';
  if (x.bar === undefined) return x.barText ? 'n/a' : 'info';
  if (x.ratio === undefined) return 'n/a';
  return x.ratio <= x.bar ? 'PASS' : 'FAIL';
};

/** The summary rows of every benchmark that produced results. */
export function summaryRows(benchmarks, r) {
  return benchmarks.filter((b) => b.rows && r.byBench[b.id]).flatMap((b) => b.rows(r));
}

export const HEAD = ['Row', 'wasync', 'Peer', 'Ratio', 'Bar', 'Pass/fail'];

/** Summary rows as display cells: [row, wasync, peer, ratio, bar, verdict]. */
export function summaryCells(benchmarks, r) {
  return summaryRows(benchmarks, r).map((x) => [x.row, x.wasync, x.peer || '-', x.ratio === undefined ? '-' : fmt(x.ratio, 2),
    x.barText || (x.bar === undefined ? '-' : `<= ${x.bar}`), verdict(x)]);
}

export function printSummary(benchmarks, r) {
  const rows = [HEAD, ...summaryCells(benchmarks, r)];
  const w = HEAD.map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log('');
  for (const [i, row] of rows.entries()) {
    console.log(`  ${row.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ')}`);
    if (i === 0) console.log(`  ${w.map((n) => '-'.repeat(n)).join('  ')}`);
  }
  console.log('');
}

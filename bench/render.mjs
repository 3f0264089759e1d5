// render.mjs — what a full run writes: bench/RESULTS.md (the summary
// table, the methods, every result) and bench/results.svg (the ratios on a
// log scale, each against its bar).
import { fmt, HEAD, summaryCells, summaryRows, verdict } from './table.mjs';
import { REPS, SLEEPER_RUNS, TREE_REPS } from './knobs.mjs';

/** RESULTS.md: the summary table, how each row is measured, every result. */
export function markdown(benchmarks, methods, r, errors) {
  const esc = (c) => c.replace(/\|/g, '\\|');
  const lines = [
    '# wasync benchmark results',
    '',
    `Written by \`make bench\` (bench/run.mjs) on ${new Date().toISOString()}; Node ${process.version}, ` +
      `${process.platform}/${process.arch}. Each figure is the median of ${REPS} repetitions after a warm-up ` +
      `(the tree: ${TREE_REPS}; sleepers and lateness: ${SLEEPER_RUNS} runs), wasync and its peer measured in the ` +
      'same run, each program in its own process. Ratio = wasync / peer (lower is better for wasync); ' +
      'a row passes when the ratio is at or under its bar. Chart: [results.svg](results.svg).',
    '',
    `| ${HEAD.join(' | ')} |`,
    `| --- | --- | --- | ---: | --- | --- |`,
    ...summaryCells(benchmarks, r).map((row) => `| ${row.map(esc).join(' | ')} |`),
    '',
    'Peers and methods:',
    '',
    ...methods.map((m) => `- ${m}`),
    '',
    '## All results',
    '',
    '| Benchmark | Result | Value | Unit | Note |',
    '| --- | --- | ---: | --- | --- |',
  ];
  for (const b of benchmarks) {
    for (const [k, x] of Object.entries(r.byBench[b.id] || {})) {
      lines.push(`| ${b.id} | ${k} | ${fmt(x.value, Number.isInteger(x.value) ? 0 : 2)} | ${x.unit} | ${esc(x.note || '')} |`);
    }
  }
  if (errors.length) lines.push('', '## Errors', '', ...errors.map((e) => `- ${e.split('\n')[0]}`));
  return `${lines.join('\n')}\n`;
}

/** A horizontal bar chart of the ratios (log scale), bars marked. */
export function svgChart(benchmarks, r) {
  const rows = summaryRows(benchmarks, r).filter((x) => x.ratio !== undefined && Number.isFinite(x.ratio) && x.ratio > 0);
  const xmlEsc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const labelW = 430;
  const plotW = 520;
  const rowH = 24;
  const top = 50;
  const width = labelW + plotW + 90;
  const height = top + rows.length * rowH + 50;
  const values = rows.flatMap((x) => [x.ratio, x.bar ?? 1, 1]);
  const lo = 2 ** Math.floor(Math.log2(Math.min(...values)));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(...values)));
  const X = (v) => labelW + (Math.log2(v / lo) / Math.log2(hi / lo)) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">wasync / peer (lower is better for wasync; log scale)</text>`,
    `<text x="10" y="38" fill="#555">green: passes its bar, red: fails it, grey: no bar (information). Black tick: the bar.</text>`,
  ];
  for (let v = lo; v <= hi * 1.0001; v *= 2) {
    const x = X(v).toFixed(1);
    out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + rows.length * rowH}" stroke="${v === 1 ? '#888' : '#e4e4e4'}"${v === 1 ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${x}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${v >= 1 ? v : `1/${1 / v}`}</text>`);
  }
  rows.forEach((x, i) => {
    const y = top + i * rowH;
    const v = verdict(x);
    const color = v === 'PASS' ? '#3a9d4a' : v === 'FAIL' ? '#d0433a' : '#9aa4b1';
    const x0 = X(lo);
    out.push(`<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${xmlEsc(x.row)}</text>`);
    out.push(`<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${Math.max(1, X(x.ratio) - x0).toFixed(1)}" height="${rowH - 8}" fill="${color}"/>`);
    out.push(`<text x="${(X(x.ratio) + 4).toFixed(1)}" y="${y + rowH / 2 + 4}">${fmt(x.ratio, 2)}</text>`);
    if (x.bar !== undefined) {
      const bx = X(x.bar).toFixed(1);
      out.push(`<line x1="${bx}" y1="${y + 1}" x2="${bx}" y2="${y + rowH - 1}" stroke="#000" stroke-width="2.5"/>`);
    }
  });
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 10}" text-anchor="middle" fill="#555">ratio wasync / peer</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

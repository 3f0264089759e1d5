#!/usr/bin/env node
// build.mjs — `make web`: builds every demo in web/<demo>/ into build/web/.
// Each demo's C sources become <demo>.mjs + <demo>.wasm (wasync build); its
// HTML, CSS and JS are copied; the package's entry (js/index.mjs) is copied
// to build/web/wasync.mjs, which the pages import. Rebuilds only what changed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const WEB = path.join(ROOT, 'web');
// WASYNC_WEB_BACKEND=jspi builds the demos on the JSPI backend into
// build/web-jspi/ (engines with JSPI, js/wrap.mjs); the default, Asyncify, into build/web/.
const BACKEND = process.env.WASYNC_WEB_BACKEND || 'asyncify';
const OUT = path.join(ROOT, 'build', BACKEND === 'asyncify' ? 'web' : `web-${BACKEND}`);
const CLI = path.join(ROOT, 'js', 'cli.mjs');
export const DEMOS = ['tasks', 'downloads', 'responsive'];
// More builds of a demo's C, [suffix, flags]: <demo>-<suffix>.mjs. The
// responsive demo's prime count on real threads needs a --threads build
// (served cross-origin isolated: web/serve.mjs).
const VARIANTS = { responsive: [['threads', ['--threads']]] };

function mtime(f) {
  try { return fs.statSync(f).mtimeMs; } catch (e) { return 0; }
}

function copy(src, dst) {
  if (mtime(dst) >= mtime(src)) return;
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
}

// The runtime's inputs: a change to any of them rebuilds every demo.
function runtimeInputs() {
  const files = [];
  for (const dir of ['src', 'src/backend', 'src/host', 'src/host/js', 'js']) {
    for (const f of fs.readdirSync(path.join(ROOT, dir))) {
      if (/\.(c|h|js|json|mjs)$/.test(f)) files.push(path.join(ROOT, dir, f));
    }
  }
  return files;
}

function buildDemo(name, runtimeTime) {
  const dir = path.join(WEB, name);
  const out = path.join(OUT, name);
  fs.mkdirSync(out, { recursive: true });
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => path.join(dir, f));
  for (const f of fs.readdirSync(dir)) {
    // A C source is served as <name>.c.txt, which every server sends as
    // text/plain (a .c file would be a download): the page links it.
    copy(path.join(dir, f), path.join(out, f.endsWith('.c') ? `${f}.txt` : f));
  }
  for (const [suffix, flags] of [['', []], ...(VARIANTS[name] || [])]) {
    const mod = path.join(out, `${name}${suffix ? `-${suffix}` : ''}.mjs`);
    if (sources.length && mtime(mod) < Math.max(runtimeTime, ...sources.map(mtime))) {
      console.log(`web: building ${path.relative(ROOT, mod)}`);
      const r = spawnSync(process.execPath, [CLI, 'build', `--backend=${BACKEND}`, ...flags, ...sources, '-o', mod], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`web: building the ${name} demo failed`);
    }
  }
}

// Files the downloads demo streams from the page's own origin.
function makeDownloadFiles() {
  const dir = path.join(OUT, 'downloads', 'files');
  fs.mkdirSync(dir, { recursive: true });
  const sizes = { 'aurora.bin': 3, 'nebula.bin': 5, 'quasar.bin': 2, 'pulsar.bin': 4, 'comet.bin': 6 };
  for (const [name, mb] of Object.entries(sizes)) {
    const f = path.join(dir, name);
    if (fs.existsSync(f) && fs.statSync(f).size === mb << 20) continue;
    const buf = Buffer.alloc(mb << 20);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    fs.writeFileSync(f, buf);
  }
}

fs.mkdirSync(OUT, { recursive: true });
for (const f of ['index.html', 'style.css', 'fail.mjs']) copy(path.join(WEB, f), path.join(OUT, f));
copy(path.join(ROOT, 'js', 'index.mjs'), path.join(OUT, 'wasync.mjs'));
const runtimeTime = Math.max(...runtimeInputs().map(mtime));
const only = process.argv.slice(2);
for (const name of DEMOS) {
  if (only.length && !only.includes(name)) continue;
  buildDemo(name, runtimeTime);
}
makeDownloadFiles();
console.log(`web: demos are in ${path.relative(process.cwd(), OUT) || '.'}; \`make serve\` serves them`);

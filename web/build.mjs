#!/usr/bin/env node
// build.mjs — `make web`: builds every demo in web/<demo>/ into build/web/.
// Each demo's C sources become <demo>.mjs + <demo>.wasm (wasync build); its
// HTML, CSS and JS are copied; the package's entry (js/runtime/index.mjs) is copied
// to build/web/wasync.mjs, which the pages import. Rebuilds only what changed
// (a module: when its build digest did, js/cli/cache.mjs).
// The sqlite demo also links SQLite (compiled once, tests/sqlite/prepare.mjs)
// and the HTTP VFS of examples/sqlite-http-vfs, and serves the 100 MB test
// database beside its page (made once in build/sqlite/, never committed).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigest, isBuilt, recordBuild } from '../js/cli/cache.mjs';
import { EXAMPLE, prepareSqliteData, SQLITE_FLAGS, sqliteObject } from '../tests/sqlite/prepare.mjs';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const WEB = path.join(ROOT, 'web');
// WASYNC_WEB_BACKEND=jspi builds the demos on the JSPI backend into
// build/web-jspi/ (engines with JSPI, js/cli/wrap.mjs); the default, Asyncify, into build/web/.
const BACKEND = process.env.WASYNC_WEB_BACKEND || 'asyncify';
const OUT = path.join(ROOT, 'build', BACKEND === 'asyncify' ? 'web' : `web-${BACKEND}`);
const CLI = path.join(ROOT, 'js', 'cli', 'cli.mjs');
export const DEMOS = ['tasks', 'downloads', 'responsive', 'sqlite'];

/**
 * What a demo needs beyond web/<demo>/*.c: `ext` of its module ('.js' for a
 * page meant for any static server: stock nginx sends .mjs as bytes, which
 * no browser runs as a module), and `extra()`, called before the build, for
 * more inputs and flags ({ inputs, flags }) and files it puts in `out`.
 */
const EXTRA = {
  sqlite: {
    ext: '.js',
    extra(out) {
      const { c, db } = prepareSqliteData();
      const vfs = path.join(EXAMPLE, 'http_vfs.c');
      copy(vfs, path.join(out, 'http_vfs.c.txt'));
      // A hard link (no second copy of 100 MB), made again when the
      // database was; a copy where links are not possible.
      const served = path.join(out, 'test.db');
      if (!fs.existsSync(served) || fs.statSync(served).ino !== fs.statSync(db).ino) {
        fs.rmSync(served, { force: true });
        try { fs.linkSync(db, served); } catch (e) { fs.copyFileSync(db, served); }
      }
      return {
        inputs: [sqliteObject(), vfs, path.join(EXAMPLE, 'http_vfs.h')],
        flags: [`-I${path.dirname(c)}`, `-I${EXAMPLE}`, ...SQLITE_FLAGS],
      };
    },
  },
};

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

function buildDemo(name) {
  const dir = path.join(WEB, name);
  const out = path.join(OUT, name);
  fs.mkdirSync(out, { recursive: true });
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => path.join(dir, f));
  for (const f of fs.readdirSync(dir)) {
    // A C source is served as <name>.c.txt, which every server sends as
    // text/plain (a .c file would be a download): the page links it.
    copy(path.join(dir, f), path.join(out, f.endsWith('.c') ? `${f}.txt` : f));
  }
  const extra = EXTRA[name] ? EXTRA[name].extra(out) : { inputs: [], flags: [] };
  for (const [suffix, flags] of [['', []], ...(VARIANTS[name] || [])]) {
    const mod = path.join(out, `${name}${suffix ? `-${suffix}` : ''}${(EXTRA[name] && EXTRA[name].ext) || '.mjs'}`);
    // Built again exactly when its digest changed (js/cli/cache.mjs: the
    // sources, the headers they include, wasync's own files, the flags).
    const args = [`--backend=${BACKEND}`, ...sources, ...extra.inputs.filter((f) => !f.endsWith('.h')), ...extra.flags, ...flags, '-o', mod];
    const digest = buildDigest(args);
    if (sources.length && !isBuilt(mod, digest)) {
      console.log(`web: building ${path.relative(ROOT, mod)}`);
      const r = spawnSync(process.execPath, [CLI, 'build', ...args], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`web: building the ${name} demo failed`);
      recordBuild(mod, digest);
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
copy(path.join(ROOT, 'js', 'runtime', 'index.mjs'), path.join(OUT, 'wasync.mjs'));
// The same two as .js, for the pages meant for any static server (EXTRA's ext).
copy(path.join(WEB, 'fail.mjs'), path.join(OUT, 'fail.js'));
copy(path.join(ROOT, 'js', 'runtime', 'index.mjs'), path.join(OUT, 'wasync.js'));
const only = process.argv.slice(2);
for (const name of DEMOS) {
  if (only.length && !only.includes(name)) continue;
  buildDemo(name);
}
makeDownloadFiles();
console.log(`web: demos are in ${path.relative(process.cwd(), OUT) || '.'}; \`make serve\` serves them`);

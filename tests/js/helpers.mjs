// helpers.mjs — shared by the Jest suites: paths, running the CLI, building
// fixture programs once per test run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'js', 'cli', 'cli.mjs');
export const FIXTURES = path.join(ROOT, 'tests', 'js', 'fixtures');
export const OUT = path.join(ROOT, 'build', 'jest');
// WASYNC_TEST_BACKEND=jspi builds the fixtures on the JSPI backend (run the
// suites under Node 24+ then); the default is Asyncify.
export const BACKEND = process.env.WASYNC_TEST_BACKEND || 'asyncify';
export const BACKEND_ARGS = BACKEND === 'asyncify' ? [] : [`--backend=${BACKEND}`];
const SUFFIX = BACKEND === 'asyncify' ? '' : `-${BACKEND}`;
/** Where a fixture's build goes (per backend). */
export function fixtureOut(name) {
  return path.join(OUT, `${name}${SUFFIX}.mjs`);
}

/** Runs the wasync CLI synchronously; returns { status, stdout, stderr }. */
export function cli(args, opts = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', ...opts });
}

function newestInputMtime(src) {
  const dirs = ['src', 'wasm/backend', 'wasm/host', 'wasm/host/js', 'js/cli', 'js/runtime'].map((d) => path.join(ROOT, d));
  const files = [src, ...dirs.flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)))]
    .filter((f) => fs.statSync(f).isFile());
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

/** Builds fixtures/<name>.c (or fixtures/<name> if it has an extension) to
 * build/jest/<name>[-tag].mjs, again whenever the fixture, the runtime or
 * the build scripts changed. `tag` names builds of one fixture with
 * different flags apart (default: 'debug' for a --debug build). */
export function buildFixture(name, extra = [], { tag = extra.includes('--debug') ? 'debug' : '' } = {}) {
  const file = /\.\w+$/.test(name) ? name : `${name}.c`;
  const src = path.join(FIXTURES, file);
  const out = fixtureOut(`${file.replace(/\.\w+$/, '')}${tag ? `-${tag}` : ''}`);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newestInputMtime(src)) {
    const r = cli(['build', src, ...BACKEND_ARGS, ...extra, '-o', out]);
    if (r.status !== 0) throw new Error(`building ${name} failed:\n${r.stderr}`);
  }
  return out;
}

/** Runs node on a built program; returns { status, stdout, stderr }. */
export function runProgram(file, args = [], opts = {}) {
  return spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', timeout: 60000, ...opts });
}

/** Every file and folder under dir with its size and mtime: equal listings mean nothing was written. */
export function listing(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

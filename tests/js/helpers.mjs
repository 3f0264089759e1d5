// helpers.mjs — shared by the Jest suites: paths, running the CLI, building
// fixture programs once per test run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigest, isBuilt, recordBuild } from '../../js/cli/cache.mjs';

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

/**
 * `wasync build args... -o out`, run only when out was not built from the
 * same digest (js/cli/cache.mjs, buildDigest: emcc's release, the words,
 * and the content of the inputs, of the files they #include "..." and of
 * wasync's own sources): a fixture is rebuilt exactly when what it is made
 * of changed, whatever the files' times say. Returns out.
 */
export function buildOnce(args, out) {
  const words = [...args, '-o', out];
  const digest = buildDigest(words);
  if (!isBuilt(out, digest)) {
    const r = cli(['build', ...words]);
    if (r.status !== 0) throw new Error(`building ${path.relative(ROOT, out)} failed:\n${r.stderr}`);
    recordBuild(out, digest);
  }
  return out;
}

/** Builds fixtures/<name>.c (or fixtures/<name> if it has an extension) to
 * build/jest/<name>[-tag].mjs, again whenever the fixture, a file it
 * includes, the runtime or the build scripts changed (buildOnce). `tag`
 * names builds of one fixture with different flags apart (default: 'debug'
 * for a --debug build). */
export function buildFixture(name, extra = [], { tag = extra.includes('--debug') ? 'debug' : '' } = {}) {
  const file = /\.\w+$/.test(name) ? name : `${name}.c`;
  const out = fixtureOut(`${file.replace(/\.\w+$/, '')}${tag ? `-${tag}` : ''}`);
  return buildOnce([path.join(FIXTURES, file), ...BACKEND_ARGS, ...extra], out);
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

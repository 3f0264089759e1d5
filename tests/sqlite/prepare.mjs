// prepare.mjs — what the SQLite test (tests/js/sqlite.test.mjs) and the
// SQLite benchmark rows (bench/rows/sqlite.mjs: the first three only) need,
// made once and cached under build/sqlite/ so that later runs are offline
// and quick:
//  - sqlite3.c/.h: the amalgamation, out of the better-sqlite3@12 tarball
//    from the npm registry (third-party code is never committed);
//  - native: gcc build of the same amalgamation with tests/sqlite/native.c;
//  - test.db: a database of more than 100 MB made by the native build
//    (made again only when native.c, which holds the generator, changes);
//  - sqlite3-<digest>.o: the amalgamation compiled once for wasm with
//    wasync's user-code flags (the SQLite page links it on both backends);
//  - lookup.mjs: examples/sqlite-http-vfs built with `wasync build` and that
//    object (SQLite unchanged, with its own flags), in a folder named by a
//    digest of its inputs (the runtime included), since that build takes minutes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { userCompileCommand } from '../../js/cli/build.mjs';
import { buildDigest } from '../../js/cli/cache.mjs';
import { emccEnv, emccVersion } from '../../js/cli/toolchain.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIR = path.join(ROOT, 'build', 'sqlite');
export const EXAMPLE = path.join(ROOT, 'examples', 'sqlite-http-vfs');
/** The SQLite page (web/sqlite): its rows.c formats results for the page and for native `query`. */
export const PAGE = path.join(ROOT, 'web', 'sqlite');
export const DB_ROWS = 420000;
/** SQLite's own compile flags: what a user of the amalgamation passes. */
export const SQLITE_FLAGS = ['-DSQLITE_OMIT_LOAD_EXTENSION', '-DSQLITE_THREADSAFE=0'];
const EXAMPLE_SOURCES = ['http_vfs.c', 'lookups.c', 'main.c'].map((f) => path.join(EXAMPLE, f));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20 * 60000, maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}${r.error || ''}`);
  return r.stdout;
}

function fresh(out, inputs) {
  return fs.existsSync(out) && inputs.every((f) => fs.statSync(f).mtimeMs <= fs.statSync(out).mtimeMs);
}

function amalgamation() {
  const c = path.join(DIR, 'sqlite3.c');
  if (fs.existsSync(c) && fs.existsSync(path.join(DIR, 'sqlite3.h'))) return c;
  fs.mkdirSync(DIR, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(DIR, '.pack-'));
  try {
    const tgz = run('npm', ['pack', 'better-sqlite3@12', '--silent', '--pack-destination', tmp]).trim().split('\n').pop();
    const files = ['sqlite3.c', 'sqlite3.h'].map((f) => `package/deps/sqlite3/${f}`);
    run('tar', ['xzf', path.join(tmp, tgz), '-C', tmp, ...files]);
    fs.renameSync(path.join(tmp, files[1]), path.join(DIR, 'sqlite3.h'));
    fs.renameSync(path.join(tmp, files[0]), c); /* last: its presence means both are there */
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return c;
}

function nativeBuild(c) {
  const out = path.join(DIR, 'native');
  const srcs = [path.join(ROOT, 'tests', 'sqlite', 'native.c'), path.join(EXAMPLE, 'lookups.c'), path.join(PAGE, 'rows.c'), c];
  if (!fresh(out, [...srcs, path.join(PAGE, 'rows.h')])) {
    run('gcc', ['-O1', '-I', DIR, '-I', EXAMPLE, '-I', PAGE, ...SQLITE_FLAGS, ...srcs, '-o', `${out}.tmp`, '-lm']);
    fs.renameSync(`${out}.tmp`, out);
  }
  return out;
}

function database(native) {
  const db = path.join(DIR, 'test.db');
  if (!fresh(db, [path.join(ROOT, 'tests', 'sqlite', 'native.c')])) {
    run(native, ['gen', `${db}.tmp`, String(DB_ROWS)]);
    fs.renameSync(`${db}.tmp`, db);
  }
  return db;
}

/** examples/sqlite-http-vfs built with wasync (SQLite: sqliteObject(), which
 * the SQLite page links too); rebuilt when any input changed (its build
 * digest, js/cli/cache.mjs: the sources, the headers they include, the
 * object, wasync's own files). */
function wasmBuild() {
  const obj = sqliteObject();
  const args = [obj, ...EXAMPLE_SOURCES, `-I${DIR}`, ...SQLITE_FLAGS];
  const dir = path.join(DIR, `wasm-${buildDigest(args).slice(0, 16)}`);
  const out = path.join(dir, 'lookup.mjs');
  if (fs.existsSync(out)) return out;
  for (const old of fs.readdirSync(DIR).filter((f) => f.startsWith('wasm-'))) fs.rmSync(path.join(DIR, old), { recursive: true, force: true });
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  run(process.execPath, [path.join(ROOT, 'js', 'cli', 'cli.mjs'), 'build', ...args, '-o', path.join(tmp, 'lookup.mjs')]);
  fs.renameSync(tmp, dir);
  return out;
}

/**
 * sqlite3.c compiled for wasm, once, into an object any wasync link (either
 * backend) takes: wasync's user-code flags, SQLite's, and -fno-lto so that
 * code generation is not redone in every link. Kept in build/sqlite/ under
 * a digest of emcc's version, the command and the source.
 */
export function sqliteObject() {
  const c = amalgamation();
  const args = [...userCompileCommand(['-fno-lto', ...SQLITE_FLAGS, '-I', DIR]), '-c', c];
  const h = createHash('sha256').update(emccVersion()).update(JSON.stringify(args)).update(fs.readFileSync(c));
  const obj = path.join(DIR, `sqlite3-${h.digest('hex').slice(0, 16)}.o`);
  if (fs.existsSync(obj)) return obj;
  for (const old of fs.readdirSync(DIR).filter((f) => /^sqlite3-.*\.o$/.test(f))) fs.rmSync(path.join(DIR, old), { force: true });
  run('emcc', [...args, '-o', `${obj}.tmp`], { env: emccEnv() });
  fs.renameSync(`${obj}.tmp`, obj);
  return obj;
}

/** The amalgamation, the native build and the database, made or reused:
 * { c (sqlite3.c, sqlite3.h beside it), native, db, rows }. */
export function prepareSqliteData() {
  const c = amalgamation();
  const native = nativeBuild(c);
  return { c, native, db: database(native), rows: DB_ROWS };
}

/** Everything above, made or reused: { c, native, db, lookup, rows }. */
export function prepareSqlite() {
  const data = prepareSqliteData();
  return { ...data, lookup: wasmBuild() };
}

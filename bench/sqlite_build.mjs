// sqlite_build.mjs — the SQLite programs of rows/sqlite.mjs. SQLite (the
// amalgamation from the better-sqlite3@12 npm tarball, fetched by
// tests/sqlite/prepare.mjs and never committed) is compiled once, with
// wasync's own user-code flags and SQLite's, into a plain wasm object
// (-fno-lto: code generation happens once, not again in every link), and
// that same object goes into every build: the builds differ only in how
// they are linked. The object is kept in build/bench/sqlite/ under a digest
// of emcc's version, the command and sqlite3.c, and each link's output
// under a digest of everything it is made of (wasync's own sources
// included): a SQLite link takes minutes, and is redone only when an input
// changed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { userCompileCommand } from '../js/cli/build.mjs';
import { runtimeInputs } from '../js/cli/cache.mjs';
import { emccEnv, emccVersion } from '../js/cli/toolchain.mjs';
import { EXAMPLE, prepareSqliteData, SQLITE_FLAGS } from '../tests/sqlite/prepare.mjs';
import { BENCH, emccModularized, exec, once, OUT, progress, ROOT, wasyncBuild } from './driver.mjs';

const DIR = path.join(OUT, 'sqlite');

/** The flags every SQLite object is compiled with (after wasync's defaults). */
export const SQLITE_CFLAGS = ['-fno-lto', ...SQLITE_FLAGS];
/** The plain emcc link's flags (memory grows, as in wasync's link). */
export const PLAIN_LINK = ['-O3', '-sALLOW_MEMORY_GROWTH=1'];

/** f(), with a progress line before and one with its duration after. */
async function step(what, f) {
  const t0 = performance.now();
  progress(`  sqlite: ${what}...`);
  const r = await f();
  progress(`  sqlite: ${what}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return r;
}

/** { c, native, db, rows } from tests/sqlite/prepare.mjs (cached in build/sqlite/). */
export const sqliteData = once(() => step('amalgamation (npm pack better-sqlite3@12), native build, 100 MB database (once, kept in build/sqlite/)',
  async () => prepareSqliteData()));

/** emcc <wasync's user-code flags> SQLITE_CFLAGS -c src -o obj; kept while the digest holds if cached. */
async function compile(src, obj, extra = [], { cached = false } = {}) {
  const { c } = await sqliteData();
  const args = [...userCompileCommand([...SQLITE_CFLAGS, ...extra, '-I', path.dirname(c), '-I', EXAMPLE]), '-c', src];
  let out = obj;
  if (cached) {
    const h = createHash('sha256').update(emccVersion()).update(JSON.stringify(args)).update(fs.readFileSync(src));
    out = obj.replace(/\.o$/, `-${h.digest('hex').slice(0, 16)}.o`);
    if (fs.existsSync(out)) return out;
  }
  fs.mkdirSync(DIR, { recursive: true });
  await exec('emcc', [...args, '-o', `${out}.tmp`], { env: emccEnv() });
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

const objects = once(async () => {
  const { c } = await sqliteData();
  const sqlite = await step(`compiling sqlite3.c (emcc ${userCompileCommand(SQLITE_CFLAGS).slice(0, -2).join(' ')}; kept in build/bench/sqlite/)`,
    () => compile(c, path.join(DIR, 'sqlite3.o'), [], { cached: true }));
  const [lookups, memPlain, memWasync] = await Promise.all([
    compile(path.join(EXAMPLE, 'lookups.c'), path.join(DIR, 'lookups.o')),
    compile(path.join(BENCH, 'sqlite_mem.c'), path.join(DIR, 'sqlite_mem_plain.o')),
    compile(path.join(BENCH, 'sqlite_mem.c'), path.join(DIR, 'sqlite_mem_wasync.o'), ['-DWASYNC_BUILD']),
  ]);
  return { sqlite, lookups, memPlain, memWasync };
});

/**
 * The folder build/bench/sqlite/<name>-<digest>, made by make(folder) unless
 * it exists: the digest covers emcc's version, args and the content of
 * files, so an unchanged link is not redone (a SQLite link takes minutes).
 */
async function linked(name, args, files, make) {
  const h = createHash('sha256').update(emccVersion()).update(JSON.stringify(args));
  for (const f of files) h.update(path.relative(ROOT, f)).update(fs.readFileSync(f));
  const dir = path.join(DIR, `${name}-${h.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(dir)) return dir;
  for (const old of fs.readdirSync(DIR).filter((f) => f.startsWith(`${name}-`))) fs.rmSync(path.join(DIR, old), { recursive: true, force: true });
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await make(tmp);
  fs.renameSync(tmp, dir);
  return dir;
}

/** bench/sqlite_mem.c linked by plain emcc: { cjs, wasm } (run them with FIBER_HOST). */
export const buildMemPlain = once(async () => {
  const o = await objects();
  const inputs = [o.sqlite, o.lookups, o.memPlain];
  const dir = await step(`linking the in-memory program, plain emcc ${PLAIN_LINK.join(' ')}`,
    () => linked('mem_plain', PLAIN_LINK, inputs, (d) => emccModularized(PLAIN_LINK, inputs, d, 'mem', 'createSqliteMem')));
  return { cjs: path.join(dir, 'mem.cjs'), wasm: path.join(dir, 'mem.wasm') };
});

const backendFlag = (backend) => (backend === 'asyncify' ? [] : [`--backend=${backend}`]);

/** f(backend), run at most once per backend (asyncify, jspi or auto). */
function perBackend(f) {
  const builds = {};
  return (backend) => (builds[backend] ||= once(() => f(backend)))();
}

/**
 * `wasync build` of inputs into build/bench/sqlite/<name>_<backend>-<digest>/<name>.mjs:
 * { mjs, wasm } (auto: <name>.<backend>.wasm beside wasm's name, one per
 * backend); headers: the files the inputs include (for the digest).
 */
async function wasyncLinked(name, backend, inputs, flags, headers = []) {
  const args = ['-q', ...backendFlag(backend), ...inputs, ...flags];
  const dir = await step(`linking ${name}, wasync build ${backendFlag(backend).join(' ') || '(Asyncify)'}`,
    () => linked(`${name}_${backend}`, args.map((a) => (path.isAbsolute(a) ? path.relative(ROOT, a) : a)), [...inputs, ...headers, ...runtimeInputs()],
      (d) => wasyncBuild(...args, '-o', path.join(d, `${name}.mjs`))));
  return { mjs: path.join(dir, `${name}.mjs`), wasm: path.join(dir, `${name}.wasm`) };
}

/** bench/sqlite_mem.c linked by wasync build with a backend: { mjs, wasm }. */
export const buildMemWasync = perBackend(async (backend) => {
  const o = await objects();
  return wasyncLinked('mem', backend, [o.sqlite, o.lookups, o.memWasync], []);
});

/** examples/sqlite-http-vfs (main.c, http_vfs.c with wasync's default flags) linked by wasync build: { mjs, wasm }. */
export const buildLookup = perBackend(async (backend) => {
  const o = await objects();
  const { c } = await sqliteData();
  const ex = (...fs) => fs.map((f) => path.join(EXAMPLE, f));
  return wasyncLinked('lookup', backend, [o.sqlite, o.lookups, ...ex('http_vfs.c', 'main.c')], [`-I${path.dirname(c)}`, ...SQLITE_FLAGS],
    [...ex('http_vfs.h', 'lookups.h'), path.join(path.dirname(c), 'sqlite3.h')]);
});

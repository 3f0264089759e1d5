// prepare.mjs — what the Lua and zlib test (tests/js/lua.test.mjs) needs,
// made once and cached under build/lua/ (third-party code is never
// committed):
//  - the sources: Debian's source packages lua5.4 and zlib, downloaded by
//    `apt-get source --download-only` from the mirror and suite the
//    system's own apt sources name (bookworm on the host, sid in the sid
//    chroot), with a private deb-src list, package lists and cache under
//    build/lua/apt, so the system's apt configuration is left untouched;
//    the upstream (orig) tarball is unpacked as is (no Debian patch is
//    needed to build);
//  - liblua.a and the `lua` program: Lua's own `make posix` with
//    CC="wasync cc", unchanged; libz.a: zlib's `./configure --static` and
//    `make libz.a` with the same CC. Release objects are LLVM bitcode that
//    either backend links, so each library is built once, in a folder named
//    by a digest of the driver (js/) and the emcc version;
//  - lua_tasks.mjs and zlib_tasks.mjs (tests/lua/*.c linked with those
//    libraries by `wasync build`), per backend, in a folder named by a
//    digest of their inputs (the runtime included).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDigest } from '../../js/cli/cache.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIR = path.join(ROOT, 'build', 'lua');
const HERE = path.join(ROOT, 'tests', 'lua');
const CLI = path.join(ROOT, 'js', 'cli', 'cli.mjs');
/** `wasync cc` as make and configure see it: one command line. */
export const WASYNC_CC = `${process.execPath} ${CLI} cc`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20 * 60000, maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout || ''}${r.stderr || ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}) in ${opts.cwd || process.cwd()}:\n${out}${r.error || ''}`);
  }
  return r.stdout;
}

/**
 * The Debian archive this system installs from, read from its apt sources
 * (one-line sources.list files and deb822 .sources files): the first `deb`
 * entry with the component main whose suite is not a -security, -updates
 * or -backports one. Returns { uri, suite, signedBy } (signedBy may be null).
 */
export function debianMirror(etc = '/etc/apt') {
  const entries = [];
  const files = [path.join(etc, 'sources.list')];
  const d = path.join(etc, 'sources.list.d');
  if (fs.existsSync(d)) files.push(...fs.readdirSync(d).sort().filter((f) => /\.(list|sources)$/.test(f)).map((f) => path.join(d, f)));
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const field = (name) => {
          const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(para.replace(/^#.*$/gm, ''));
          return m ? m[1].trim() : '';
        };
        if (!field('Types').split(/\s+/).includes('deb') || /^no$/i.test(field('Enabled'))) continue;
        for (const uri of field('URIs').split(/\s+/).filter(Boolean)) {
          for (const suite of field('Suites').split(/\s+/).filter(Boolean)) {
            entries.push({ uri, suite, components: field('Components').split(/\s+/), signedBy: field('Signed-By') || null });
          }
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line.replace(/#.*$/, ''));
        if (!m) continue;
        const signed = /signed-by=(\S+)/.exec(m[1] || '');
        entries.push({ uri: m[2], suite: m[3], components: m[4].trim().split(/\s+/), signedBy: signed ? signed[1] : null });
      }
    }
  }
  const pick = entries.find((e) => /^https?:/.test(e.uri) && e.components.includes('main') &&
    !/-(security|updates|backports)$/.test(e.suite) && !/security/.test(e.uri));
  if (!pick) {
    throw new Error(`no Debian archive in ${files.join(', ')}: the Lua test downloads Debian's lua5.4 and zlib ` +
      "source packages from the archive apt installs from (a 'deb <uri> <suite> main' entry)");
  }
  return { uri: pick.uri.replace(/\/+$/, ''), suite: pick.suite, signedBy: pick.signedBy };
}

/**
 * The orig tarballs of Debian's lua5.4 and zlib source packages, downloaded
 * once into build/lua/apt/<suite>/ (kept there: later runs are offline).
 * Returns { lua, zlib } (paths of the tarballs).
 */
export function debianSources() {
  const m = debianMirror();
  const dir = path.join(DIR, 'apt', m.suite.replace(/[^\w.-]/g, '_'));
  const find = () => {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const lua = files.find((f) => /^lua5\.4_.*\.orig\.tar\.\w+$/.test(f));
    const zlib = files.find((f) => /^zlib_.*\.orig\.tar\.\w+$/.test(f));
    return lua && zlib ? { lua: path.join(dir, lua), zlib: path.join(dir, zlib) } : null;
  };
  const have = find();
  if (have) return have;
  for (const sub of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const list = path.join(dir, 'sources.list');
  fs.writeFileSync(list, `deb-src ${m.signedBy ? `[signed-by=${m.signedBy}] ` : ''}${m.uri} ${m.suite} main\n`);
  // Everything apt reads or writes besides its keyrings is ours: the source
  // list, the package lists, the cache (no lock on the system's folders).
  const opts = ['-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=-', '-o', `Dir::State::Lists=${path.join(dir, 'lists')}`,
    '-o', `Dir::Cache=${path.join(dir, 'cache')}`, '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root', '-q'];
  try {
    run('apt-get', [...opts, 'update'], { cwd: dir });
    run('apt-get', [...opts, 'source', '--download-only', '--tar-only', 'lua5.4', 'zlib'], { cwd: dir });
  } catch (e) {
    throw new Error(`could not download Debian's lua5.4 and zlib source packages from ${m.uri} (${m.suite}) with apt-get; ` +
      `the Lua test needs that once (then they are cached in ${dir}).\n${e.message}`);
  }
  const got = find();
  if (!got) throw new Error(`apt-get source left no lua5.4 and zlib orig tarballs in ${dir}`);
  return got;
}

function digestOf(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

function filesIn(d) {
  return fs.readdirSync(path.join(ROOT, d)).sort().map((f) => path.join(ROOT, d, f)).filter((f) => fs.statSync(f).isFile());
}

/** What a `wasync cc` build depends on: the driver's sources and the emcc version. */
function driverDigest() {
  const emcc = spawnSync('emcc', ['--version'], { encoding: 'utf8' }).stdout || '';
  return digestOf([emcc.split('\n')[0], ...filesIn('js/cli').flatMap((f) => [path.basename(f), fs.readFileSync(f)])]);
}

/** Unpacks a tarball into a fresh folder `into` (its one top folder's contents). */
function unpack(tarball, into) {
  fs.rmSync(into, { recursive: true, force: true });
  fs.mkdirSync(into, { recursive: true });
  run('tar', ['xf', tarball, '-C', into, '--strip-components=1']);
}

/**
 * The folder <prefix>-<digest> under build/lua, built by build(work) unless
 * its `.done` stamp is there, published by a rename; older folders of the
 * same prefix (other digests) are removed.
 */
function cachedDir(prefix, digest, build) {
  const dir = path.join(DIR, `${prefix}-${digest}`);
  if (fs.existsSync(path.join(dir, '.done'))) return dir;
  const work = `${dir}.tmp`;
  fs.rmSync(work, { recursive: true, force: true });
  build(work);
  fs.writeFileSync(path.join(work, '.done'), '');
  for (const old of fs.readdirSync(DIR).filter((f) => f.startsWith(`${prefix}-`) && /^[0-9a-f]{16}$/.test(f.slice(prefix.length + 1)))) {
    fs.rmSync(path.join(DIR, old), { recursive: true, force: true });
  }
  fs.renameSync(work, dir);
  return dir;
}

/** Lua built by its own `make posix CC="wasync cc"`: { src (headers, liblua.a), lua (the program) }. */
export function buildLua(tarball) {
  const dir = cachedDir('lualib', digestOf([path.basename(tarball), driverDigest()]), (work) => {
    unpack(tarball, work);
    run('make', ['-j2', 'posix', `CC=${WASYNC_CC}`], { cwd: work });
  });
  return { src: path.join(dir, 'src'), lib: path.join(dir, 'src', 'liblua.a'), lua: path.join(dir, 'src', 'lua') };
}

/** zlib built by `./configure --static && make libz.a` with CC="wasync cc": { src (zlib.h, libz.a) }. */
export function buildZlib(tarball) {
  const dir = cachedDir('zlib', digestOf([path.basename(tarball), driverDigest()]), (work) => {
    unpack(tarball, work);
    run('./configure', ['--static'], { cwd: work, env: { ...process.env, CC: WASYNC_CC } });
    run('make', ['-j2', 'libz.a'], { cwd: work });
  });
  return { src: dir, lib: path.join(dir, 'libz.a') };
}

/** tests/lua/<name>.c built with `wasync build` against a library, per backend, cached under its build digest (js/cli/cache.mjs). */
function buildProgram(name, { backend, include, lib }) {
  const src = path.join(HERE, `${name}.c`);
  const args = ['-q', `--backend=${backend}`, src, lib, '-I', include];
  const dir = cachedDir(`${name}-${backend}`, buildDigest(args).slice(0, 16), (work) => {
    run(process.execPath, [CLI, 'build', ...args, '-o', path.join(work, `${name}.mjs`)]);
  });
  return path.join(dir, `${name}.mjs`);
}

/** Everything the test needs for one backend: { lua, luaTasks, zlibTasks, script }. */
export function prepareLua(backend) {
  const tarballs = debianSources();
  const lua = buildLua(tarballs.lua);
  const zlib = buildZlib(tarballs.zlib);
  return {
    lua: lua.lua,
    luaTasks: buildProgram('lua_tasks', { backend, include: lua.src, lib: lua.lib }),
    zlibTasks: buildProgram('zlib_tasks', { backend, include: zlib.src, lib: zlib.lib }),
    script: fs.readFileSync(path.join(HERE, 'tasks.lua'), 'utf8'),
  };
}

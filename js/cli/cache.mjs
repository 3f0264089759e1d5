// cache.mjs — what decides that a build is current, and where builds are
// kept. A build is current while the digest of what it is made of is the
// same (buildDigest: emcc's release, the command line, and the content of
// every input, wasync's own included: runtimeInputs); mtimes play no part.
// The per-user cache holds the runtime library built for this user's emcc
// (lib.mjs) and `wasync run`'s programs (build.mjs). Never the package's own folder
// (an install or checkout may be read-only, or shared) and never a
// predictable name in a shared /tmp (anyone could plant a module there):
// $XDG_CACHE_HOME/wasync, else ~/.cache/wasync, created 0700 and refused
// when another user owns it or others can write to it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitArgs } from './flags.mjs';
import { emccIdentity } from './toolchain.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export class CacheError extends Error {}

/** Throws unless `dir` is a real folder of ours that nobody else can write to. */
export function checkPrivate(dir) {
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new CacheError(`wasync: the cache ${dir} is not a folder (a symlink or a file); remove it`);
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new CacheError(`wasync: the cache ${dir} belongs to user id ${st.uid}, not to you ` +
      `(${process.getuid()}); wasync will not run code from it. Remove it, or set XDG_CACHE_HOME to a folder of yours`);
  }
  if (st.mode & 0o022) {
    throw new CacheError(`wasync: the cache ${dir} is writable by other users ` +
      `(mode ${(st.mode & 0o777).toString(8)}); wasync will not run code from it. Run: chmod 700 ${dir}`);
  }
}

/**
 * The cache folder (made on first use), optionally a subfolder of it. Every
 * folder on the way from the cache root down is checked with checkPrivate.
 * @param {...string} sub
 */
export function cacheDir(...sub) {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  let dir = path.join(base, 'wasync');
  for (const part of ['', ...sub]) {
    dir = part ? path.join(dir, part) : dir;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new CacheError(`wasync: cannot make the cache folder ${dir} (${e.code || e.message}); ` +
        'set XDG_CACHE_HOME to a folder you can write to');
    }
    checkPrivate(dir);
  }
  return dir;
}

/**
 * Runs `make(tmp)` in a new private folder beside `final` and renames it to
 * `final` once it is complete, so that a reader (another build, make -j)
 * never sees a half-written entry. An entry already there (stale, or
 * published by another process meanwhile) is replaced.
 */
export async function publishDir(final, make) {
  const tmp = fs.mkdtempSync(path.join(path.dirname(final), '.tmp-'));
  try {
    await make(tmp);
    try {
      fs.renameSync(tmp, final);
    } catch (e) {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      fs.rmSync(final, { recursive: true, force: true }); /* a stale entry: replace it */
      fs.renameSync(tmp, final);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return final;
}

/** The SHA-256 of the parts (strings or buffers), in hex. */
export function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Flags whose value is a file (or, for the first two, a folder) the link reads. */
const LINK_FILE_FLAGS = ['--embed-file', '--preload-file', '--js-library', '--pre-js', '--post-js',
  '--extern-pre-js', '--extern-post-js', '--shell-file'];

/** The words of an emcc response file (@file): whitespace-separated, quotes and backslashes as gcc reads them. */
function responseWords(text) {
  const words = [];
  const re = /(?:"((?:\\.|[^"\\])*)"|'([^']*)'|\\(.)|([^\s"'\\]+))|(\s+)/gs;
  let cur = null;
  for (let m; (m = re.exec(text));) {
    if (m[5] !== undefined) {
      if (cur !== null) words.push(cur);
      cur = null;
      continue;
    }
    cur = (cur || '') + (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3] !== undefined ? m[3] : m[4]);
  }
  if (cur !== null) words.push(cur);
  return words;
}

/**
 * The files a link with these user flags reads besides the objects: files
 * and folders for the virtual file system (--embed-file, --preload-file,
 * src@dst), JS libraries and pre/post JS, archives -lname finds in the
 * user's -L folders, and @response files with what their flags name.
 * Absolute paths; files that do not exist are left to emcc to report.
 */
export function linkInputFiles(cflags, cwd = process.cwd(), seen = new Set()) {
  const files = [];
  const libDirs = [];
  const libs = [];
  const abs = (f) => path.resolve(cwd, f);
  for (let i = 0; i < cflags.length; i++) {
    const a = cflags[i];
    if (a.startsWith('@')) {
      const f = abs(a.slice(1));
      if (seen.has(f) || !fs.existsSync(f)) continue;
      seen.add(f);
      files.push(f, ...linkInputFiles(responseWords(fs.readFileSync(f, 'utf8')), cwd, seen));
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    let value = null;
    if (LINK_FILE_FLAGS.includes(name) || name === '-L' || name === '-l') {
      value = name !== a ? a.slice(eq + 1) : cflags[++i];
    } else if (/^-[lL]./.test(a)) {
      value = a.slice(2);
    }
    if (value === null || value === undefined) continue;
    const flag = name.startsWith('--') ? name : a.slice(0, 2);
    if (flag === '-L') libDirs.push(abs(value));
    else if (flag === '-l') libs.push(value);
    else if (flag === '--embed-file' || flag === '--preload-file') {
      // src@dst: the first @ not doubled ends src; @@ is a literal @.
      const at = value.search(/(?<!@)@(?!@)/);
      files.push(abs((at >= 0 ? value.slice(0, at) : value).replace(/@@/g, '@')));
    } else files.push(abs(value));
  }
  for (const lib of libs) {
    for (const dir of libDirs) {
      const hit = [`lib${lib}.a`, `lib${lib}.so`, `${lib}.a`].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
      if (hit) {
        files.push(hit);
        break;
      }
    }
  }
  return files;
}

/** The content hash of an input: a file's bytes, or a folder's names and files, recursively. */
export function inputHash(f) {
  if (!fs.statSync(f).isDirectory()) return sha256(fs.readFileSync(f));
  const names = fs.readdirSync(f).sort();
  return sha256(JSON.stringify(names.map((n) => [n, inputHash(path.join(f, n))])));
}

/** Folders of the checkout a wasync build reads, and what in them it does not. */
const RUNTIME_DIRS = ['src', 'wasm', 'js/cli'];
const NOT_RUNTIME = new Set([path.join('src', 'native')]);

/**
 * Every file a wasync build is made of besides the user's own: the core
 * (src/, without src/native/, which only native builds compile), all of
 * wasm/ (the backends, the host's C and JS halves, their manifests) and the
 * build tool (js/cli/). Sorted absolute paths, READMEs left out. The one
 * list of what makes a build stale: `wasync run`'s cache, the test
 * fixtures, the web demos and the benchmarks all digest it (buildDigest).
 */
export function runtimeInputs() {
  const files = [];
  const walk = (rel) => {
    for (const name of fs.readdirSync(path.join(ROOT, rel)).sort()) {
      const r = path.join(rel, name);
      const st = fs.statSync(path.join(ROOT, r));
      if (st.isDirectory()) {
        if (!NOT_RUNTIME.has(r)) walk(r);
      } else if (st.isFile() && !/\.md$/.test(name)) {
        files.push(path.join(ROOT, r));
      }
    }
  };
  RUNTIME_DIRS.forEach(walk);
  return files;
}

/**
 * The files C and C++ sources include with #include "...", recursively:
 * found beside the including file, else in the -I and -iquote folders of
 * cflags. A scan, not the preprocessor: an include under #if 0 counts (a
 * rebuild too many, never one too few); one named by a macro, and <...>
 * includes (the system's and wasync's own, runtimeInputs), are not seen.
 */
export function localIncludes(sources, cflags = [], cwd = process.cwd()) {
  const dirs = [];
  for (let i = 0; i < cflags.length; i++) {
    const m = /^-(I|iquote)(.*)$/.exec(cflags[i]);
    if (!m) continue;
    const d = m[2] || cflags[++i];
    if (d) dirs.push(path.resolve(cwd, d));
  }
  const seen = new Set();
  const found = [];
  const scan = (file) => {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      return; /* gone or not a file: the build will say so */
    }
    for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/gm)) {
      const hit = [path.dirname(file), ...dirs].map((d) => path.resolve(d, m[1])).find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
      if (hit && !seen.has(hit)) {
        seen.add(hit);
        found.push(hit);
        scan(hit);
      }
    }
  };
  sources.map((s) => path.resolve(cwd, s)).forEach(scan);
  return found;
}

/**
 * The digest of `wasync build args` (every word but the command's name,
 * -o included): emcc's release, the words, and the content of every file
 * the build reads that is known before it runs: wasync's own
 * (runtimeInputs), the inputs, the files they include (localIncludes) and
 * what the link reads (linkInputFiles). Equal digests, equal builds; a
 * checkout that only touches files' times changes nothing.
 */
export function buildDigest(args, { cwd = process.cwd() } = {}) {
  const { inputs, flags } = splitArgs(args, { others: 'flags', lastWithoutValue: true });
  const cflags = flags.flatMap((f) => f.words);
  const sources = inputs.map((i) => path.resolve(cwd, i.file));
  const files = [...runtimeInputs(), ...sources, ...localIncludes(sources.filter((s, n) => inputs[n].kind !== 'obj'), cflags, cwd),
    ...linkInputFiles(cflags, cwd)];
  const parts = [emccIdentity(), JSON.stringify(args)];
  for (const f of files) {
    let hash;
    try {
      hash = inputHash(f);
    } catch (e) {
      hash = 'missing';
    }
    parts.push(`${path.relative(ROOT, f)}\0${hash}\0`);
  }
  return sha256(...parts);
}

/** Where the digest a build of `out` was made from is kept: beside it. */
const stampOf = (out) => `${out}.digest`;

/** True if `out` is there and was built from `digest` (recordBuild). */
export function isBuilt(out, digest) {
  try {
    return fs.existsSync(out) && fs.readFileSync(stampOf(out), 'utf8') === digest;
  } catch (e) {
    return false;
  }
}

/** Records that `out` was built from `digest`, computed before the build began (so an input saved during it rebuilds next time). */
export function recordBuild(out, digest) {
  fs.writeFileSync(stampOf(out), digest);
}

// cache.mjs — the per-user build cache: the runtime library built for this
// user's emcc, and `wasync run`'s programs. Never the package's own folder
// (an install or checkout may be read-only, or shared) and never a
// predictable name in a shared /tmp (anyone could plant a module there):
// $XDG_CACHE_HOME/wasync, else ~/.cache/wasync, created 0700 and refused
// when another user owns it or others can write to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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

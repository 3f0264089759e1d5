// lib.mjs — the runtime library (libwasync*.a): built from the sources and
// flags plan.mjs names, once per emcc version, and kept under a digest of
// everything it is made of, in the per-user cache (cache.mjs) or, stamped,
// in the package's build/wasm/ (shipLib, for npm pack).
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, publishDir, runtimeInputs, sha256 } from './cache.mjs';
import { run, stage } from './exec.mjs';
import { DEFAULT_BACKEND, ROOT, SRC, WASM, checkBackend, runtimeCompileFlags, runtimeSources } from './plan.mjs';
import { emccVersion } from './toolchain.mjs';

const libName = ({ debug, backend = DEFAULT_BACKEND, threads = false }) =>
  ['libwasync', ...(backend === DEFAULT_BACKEND ? [] : [backend]), ...(threads ? ['threads'] : []), ...(debug ? ['debug'] : [])].join('-');

/**
 * What the runtime library is built from: the emcc version (release
 * objects are LLVM bitcode, which an older LLVM cannot read), the flags,
 * the backend's sources and manifest, and every header of wasync's own
 * (runtimeInputs, cache.mjs). Equal digests mean an equal library.
 */
export function libDigest({ debug, backend = DEFAULT_BACKEND, threads = false }) {
  const headers = runtimeInputs().filter((f) => f.endsWith('.h'));
  const files = [...runtimeSources({ backend }), ...headers, path.join(WASM, 'backend', `${backend}.json`)];
  const flags = runtimeCompileFlags({ debug, threads }).filter((f) => f !== SRC);
  return sha256(emccVersion(), JSON.stringify(flags),
    ...files.flatMap((f) => [path.basename(f), fs.readFileSync(f)]));
}

/** The library the npm package ships (build/wasm/), only ever read. */
function shippedLib({ debug, backend, threads = false }) {
  return path.join(ROOT, 'build', 'wasm', `${libName({ debug, backend, threads })}.a`);
}

/**
 * The runtime library for this emcc: the package's prebuilt one if its
 * stamp (`<lib>.sources`) holds the current digest, else one in the
 * per-user cache, built there on first use. Never writes into the package.
 */
export async function buildLib({ debug = false, backend = DEFAULT_BACKEND, threads = false, log, progress } = {}) {
  checkBackend(backend);
  const digest = libDigest({ debug, backend, threads });
  const force = !!process.env.WASYNC_FORCE_REBUILD;
  const shipped = shippedLib({ debug, backend, threads });
  if (!force && fs.existsSync(shipped)) {
    try {
      if (fs.readFileSync(`${shipped}.sources`, 'utf8') === digest) return shipped;
    } catch (e) { /* no stamp: not usable */ }
  }
  const entry = path.join(cacheDir('lib'), `${libName({ debug, backend, threads })}-${digest.slice(0, 24)}`);
  const lib = path.join(entry, `${libName({ debug, backend, threads })}.a`);
  if (!force && fs.existsSync(lib)) return lib;
  await stage(progress, `compiling the runtime (${debug ? 'debug' : 'release'}${threads ? ', threads' : ''}, once per emcc version)`, () => publishDir(entry, async (work) => {
    const objs = [];
    for (const src of runtimeSources({ backend })) {
      const obj = path.join(work, path.basename(src).replace(/\.[cS]$/, '') + '.o');
      // Assembly takes neither a C standard nor LTO (it is already wasm).
      const flags = src.endsWith('.S') ? ['-c', '-I', SRC, ...(threads ? ['-pthread'] : [])] : [...runtimeCompileFlags({ debug, threads }), '-c'];
      await run('emcc', [...flags, src, '-o', obj], { log });
      objs.push(obj);
    }
    await run('emar', ['rcs', path.join(work, path.basename(lib)), ...objs], { log });
    for (const o of objs) fs.rmSync(o);
    fs.writeFileSync(path.join(work, `${path.basename(lib)}.sources`), digest);
  }));
  return lib;
}

/**
 * Copies the current library into build/wasm/ with its stamp, for the npm
 * package to ship (`npm pack` runs this; a checkout that packs is writable).
 */
export async function shipLib({ debug = false, backend = DEFAULT_BACKEND, log, progress } = {}) {
  const lib = await buildLib({ debug, backend, log, progress });
  const shipped = shippedLib({ debug, backend });
  if (lib === shipped) return shipped;
  fs.mkdirSync(path.dirname(shipped), { recursive: true });
  fs.copyFileSync(lib, `${shipped}.tmp`);
  fs.renameSync(`${shipped}.tmp`, shipped); /* then the stamp: never a new stamp on an old lib */
  fs.writeFileSync(`${shipped}.sources`, libDigest({ debug, backend }));
  return shipped;
}


// build.mjs — `wasync build` and `wasync run`'s build: puts a program
// together from the parts, for the CLI (cli.mjs), pack.mjs and the Makefile
// (through the CLI). What the command lines are is plan.mjs's; running
// them, exec.mjs's; the runtime library, lib.mjs's; what is current and
// where builds are kept, cache.mjs's; what a link may not contain,
// link-checks.mjs's. This file names the steps and their order, and
// re-exports the build API the rest of wasync imports from here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, inputHash, linkInputFiles, publishDir, runtimeInputs, sha256 } from './cache.mjs';
import { checkEhFlags, ehMode, oneObjectForAll } from './eh.mjs';
import { linkEnv, linkJobs, run, runJobs, stage } from './exec.mjs';
import { flagsFor, splitArgs } from './flags.mjs';
import { buildLib } from './lib.mjs';
import { EntryCheck, REFUSED_ASYNC, refusedImports } from './link-checks.mjs';
import {
  BuildError, DECLARATION, DEFAULT_BACKEND, ROOT, backendManifest, checkBuildBackend, declarationPath, linkCommandFlags, linkFlags,
  linkedBackends, parseDepFile, userCompileCommand, wasmFiles,
} from './plan.mjs';
import { emccIdentity } from './toolchain.mjs';
import { wrapModule } from './wrap.mjs';

export {
  AUTO, BACKENDS, BuildError, DEFAULT_BACKEND, LIBC_WRAPS, PTHREAD_WRAPS, ROOT, backendManifest, checkBackend, checkBuildBackend,
  declarationPath, jsLibraries, linkFlags, linkedBackends, parseDepFile, parseStackSize, parseThreads, runtimeCompileFlags,
  runtimeSources, threadLinkFlags, userCompileCommand, userCompileFlags, wasmFiles,
} from './plan.mjs';
export { PROGRESS_AFTER_MS, run } from './exec.mjs';
export { buildLib, shipLib } from './lib.mjs';
export { REFUSED_ASYNC, refusedImports } from './link-checks.mjs';
export { linkInputFiles } from './cache.mjs';

/**
 * A C input defining the program's default stack size (wa__stack_default,
 * weak in the runtime), written into dir; [] when stackSize is not set.
 */
function stackSizeInput(dir, stackSize) {
  if (!stackSize) return [];
  const file = path.join(dir, 'wasync-stack-size.c');
  fs.writeFileSync(file, `#include <stddef.h>\nsize_t wa__stack_default = ${stackSize};\n`);
  return [{ file, kind: 'c' }];
}

/**
 * Compiles user sources (C with emcc, C++ with em++) and links them with
 * the runtime into `out` (an ES module, app.mjs or app.js) plus its .wasm
 * and its TypeScript declaration (app.d.mts or app.d.ts) beside it. Run
 * directly with node, the module runs its entry (wa_main or a C main(),
 * never both: EntryCheck) and exits with its status;
 * imported, it default-exports the factory load() takes.
 *  - sources: C and C++ files, objects (.o) and archives (.a), in link order.
 *  - cflags: every other flag, in the user's order; each reaches the steps
 *    it belongs to (flags.mjs): compile flags after wasync's defaults, link
 *    flags after wasync's link flags.
 *  - cxx: link with em++ (the C++ runtime); implied by a C++ source.
 *  - deps: if given, an array that receives every file the build read
 *    (sources, their headers, objects), for a cache to check later.
 *  - stackSize: the program's default task stack (`--stack-size`; 0 keeps
 *    WA_STACK_DEFAULT); stackCheck: false is `--no-stack-check`.
 *  - backend: one of BACKENDS, or AUTO: then the program is linked once per
 *    backend (in parallel where the machine has two cores), into
 *    app.<backend>.wasm each (wasmFiles), and the one module picks one when
 *    it loads (wrap.mjs). A source is compiled once for both links where
 *    one object serves both (eh.mjs, oneObjectForAll: C as LTO bitcode,
 *    setjmp lowered at each link), else once per backend (C++ with
 *    exceptions, debug and -fno-lto objects, whose lowering is fixed when
 *    they are compiled).
 *  - threads: `--threads[=N]` (0: off; 'auto' or N, parseThreads): shared
 *    memory and wa_to_thread's pool. The pool's Workers load
 *    <out>.worker.cjs, written beside the module (threadWorkerScript).
 */
export async function buildProgram({ sources, out, debug = false, cflags = [], cxx = false, stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, threads = 0, log, progress, deps }) {
  if (!sources || sources.length === 0) throw new BuildError('wasync: no C or C++ sources given');
  const targets = linkedBackends(checkBuildBackend(backend));
  if (threads && targets.length > 1) {
    throw new BuildError('wasync: --threads builds one backend at a time: choose --backend=asyncify or --backend=jspi (each pool Worker runs one backend\'s glue)');
  }
  let inputs;
  let flags;
  try {
    ({ inputs, flags } = splitArgs([...sources, ...cflags]));
  } catch (e) {
    throw new BuildError(e.message);
  }
  for (const { file } of inputs) {
    if (!fs.existsSync(file)) throw new BuildError(`wasync: ${file}: no such file`);
  }
  const linkCxx = cxx || inputs.some((i) => i.kind === 'c++');
  const allFlags = flags.flatMap((f) => f.words);
  const eh = {};
  try {
    for (const b of targets) {
      checkEhFlags(allFlags, b);
      eh[b] = ehMode(b, allFlags, inputs.filter((i) => i.kind === 'obj').map((i) => i.file), { cxx: linkCxx, debug });
    }
  } catch (e) {
    throw new BuildError(e.message);
  }
  const libs = await Promise.all(targets.map((b) => buildLib({ debug, backend: b, threads: !!threads, log, progress })));
  const outAbs = path.resolve(out);
  const base = path.basename(outAbs).replace(/\.(mjs|js)$/, '');
  const outDir = path.dirname(outAbs);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasync-build-'));
  try {
    const compile = flagsFor(flags, 'compile');
    const names = inputs.map((i) => path.basename(i.file)).join(' ');
    const all = [...inputs, ...stackSizeInput(tmp, stackSize)];
    // Each input's compile commands, one per link (targets), and the
    // distinct ones among them: an AUTO build compiles a source twice only
    // where the backends need different objects.
    const shared = (kind) => targets.length > 1 && kind === 'c' && oneObjectForAll(compile, { debug });
    const jobs = [];
    const objectOf = all.map(({ file, kind }, n) => {
      if (kind === 'obj') {
        if (deps) deps.push(path.resolve(file));
        return targets.map(() => file);
      }
      const commands = targets.map((b) => userCompileCommand(compile, { debug, eh: shared(kind) ? null : eh[b], cxx: kind === 'c++', threads: !!threads }));
      const distinct = [...new Set(commands.map((c) => JSON.stringify(c)))];
      const objs = distinct.map((c, k) => {
        const obj = path.join(tmp, `${n}${distinct.length > 1 ? `-${targets[commands.findIndex((x) => JSON.stringify(x) === c)]}` : ''}-${path.basename(file)}.o`);
        jobs.push(async () => {
          const depFile = deps ? ['-MD', '-MF', `${obj}.d`] : [];
          await run(kind === 'c++' ? 'em++' : 'emcc', [...JSON.parse(c), ...depFile, '-c', file, '-o', obj], { log });
          // (The generated stack-size file lives in tmp: its value is in the cache key.)
          if (deps && k === 0) deps.push(...parseDepFile(fs.readFileSync(`${obj}.d`, 'utf8')).map((f) => path.resolve(f)).filter((f) => !f.startsWith(tmp)));
        });
        return obj;
      });
      return commands.map((c) => objs[distinct.indexOf(JSON.stringify(c))]);
    });
    await stage(progress, `compiling ${names}`, () => runJobs(jobs, Infinity));
    const linked = targets.map((b, i) => {
      const dir = targets.length > 1 ? path.join(tmp, b) : tmp;
      fs.mkdirSync(dir, { recursive: true });
      const objects = objectOf.map((objs) => objs[i]);
      return { backend: b, dir, core: path.join(dir, `${base}.cjs`), objects, entries: new EntryCheck(new Map(objects.map((o, n) => [o, all[n].file]))) };
    });
    const linkJob = ({ backend: b, core, objects, entries }, i) => () => {
      const link = linkCommandFlags(linkFlags({ debug, stackCheck, cxx: linkCxx, backend: b, threads }), flagsFor(flags, 'link'), { eh: eh[b] });
      return run(linkCxx ? 'em++' : 'emcc', [...objects, libs[i], ...link, ...entries.flags, '-o', core],
        { log, env: linkEnv(link, b), onStdout: (line) => entries.line(line), filter: (line) => entries.stderr(line) });
    };
    await stage(progress, `linking ${names}${targets.length > 1 ? ` (${targets.join(' and ')})` : ''}`, () => runJobs(linked.map(linkJob), linkJobs()));
    for (const l of linked) l.entries.check();
    const refused = [...new Set(linked.flatMap((l) => refusedImports(fs.readFileSync(l.core, 'utf8'))))];
    if (refused.length) {
      throw new BuildError(refused.map((f) => `wasync: ${f} suspends the whole module and cannot run in a wasync program: ${REFUSED_ASYNC[f]}.`).join('\n'));
    }
    const wasmNames = wasmFiles(outAbs, backend);
    for (const l of linked) fs.copyFileSync(path.join(l.dir, `${base}.wasm`), path.join(outDir, wasmNames[l.backend]));
    // --preload-file's package, loaded beside the module (wrap.mjs's
    // locateFile): the same file system for every backend, one .data file.
    const data = linked.map((l) => path.join(l.dir, `${base}.data`)).filter((f) => fs.existsSync(f));
    if (data.length) {
      if (data.some((f) => !fs.readFileSync(f).equals(fs.readFileSync(data[0])))) {
        throw new BuildError(`wasync: the links for ${targets.join(' and ')} packaged different files into ${base}.data`);
      }
      fs.copyFileSync(data[0], path.join(outDir, `${base}.data`));
    }
    // --threads: the pool's Workers run the glue as a classic script
    // (threadWorkerScript); one backend only (checked above).
    const workerName = threads ? `${base}.worker.cjs` : null;
    if (threads) {
      fs.writeFileSync(path.join(outDir, workerName),
        threadWorkerScript(fs.readFileSync(linked[0].core, 'utf8'), path.join(linked[0].dir, `${base}.worker.js`)));
    }
    fs.writeFileSync(outAbs, wrapModule(linked.map((l) => ({
      backend: l.backend, glue: fs.readFileSync(l.core, 'utf8'), wasmName: wasmNames[l.backend],
      suspending: backendManifest(l.backend).asyncImports === 'WebAssembly.Suspending',
    })), { exportName: 'createWasyncModule', threads, workerName }));
    fs.writeFileSync(declarationPath(outAbs), DECLARATION);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return outAbs;
}

/**
 * The script each pool Worker of a `--threads` module runs (<out>.worker.cjs):
 * the link's glue as a classic script, which Emscripten's own pthread start-up
 * expects (the .mjs is an ES module). Releases up to 3.1.x write a separate
 * worker script (<name>.worker.js, here `emscriptenWorker`) that loads the
 * glue with importScripts from Module.mainScriptUrlOrBlob; both go into one
 * file, and its importScripts becomes a no-op, the glue being there already.
 * Later releases start the glue itself in the Worker (it knows it is a
 * pthread from the Worker's name or workerData). `.cjs`: Node reads it as
 * CommonJS even under a package.json that says "type": "module".
 */
function threadWorkerScript(glue, emscriptenWorker) {
  if (!fs.existsSync(emscriptenWorker)) return glue;
  return `${glue}\n${fs.readFileSync(emscriptenWorker, 'utf8')}\n` +
    '// wasync: the glue is above; the worker script above must not load it again.\n' +
    '(typeof self === "object" ? self : globalThis).importScripts = function () {};\n';
}

/**
 * `wasync run`'s build of a program, in the per-user cache: built on the
 * first run and again whenever any file it read changed in content:
 * sources, included headers, objects, and what the link reads
 * (linkInputFiles). Each file is hashed before the build where it is known
 * then (sources, link inputs, every file the last build of this entry
 * read), so that a file saved during the build makes the next run build
 * again; a file first seen in this build that changed after the build
 * began is recorded as changed. The entry is named by the options, emcc's
 * release and the content of wasync's own files (runtimeInputs); an AUTO
 * build is current only while its module and both .wasm files are there.
 * Returns the module's path.
 */
export async function cachedBuild({ sources, debug = false, cflags = [], stackSize = 0, stackCheck = true, backend = DEFAULT_BACKEND, threads = 0, log, progress }) {
  const targets = linkedBackends(checkBuildBackend(backend));
  const key = sha256(JSON.stringify({ debug, backend, cflags, stackSize, stackCheck, threads, cwd: process.cwd(), sources: sources.map((s) => path.resolve(s)) }),
    emccIdentity(), ...runtimeInputs().map((f) => `${path.relative(ROOT, f)}\0${inputHash(f)}\0`));
  const entry = path.join(cacheDir('run'), key.slice(0, 32));
  const out = path.join(entry, 'app.mjs');
  const outputs = [out, ...Object.values(wasmFiles(out, backend)).map((f) => path.join(entry, f))];
  const manifest = path.join(entry, 'inputs.json');
  let recorded = [];
  try {
    recorded = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch (e) { /* no entry yet */ }
  const current = () => {
    try {
      return recorded.length > 0 && outputs.every((f) => fs.existsSync(f)) && recorded.every(([f, h]) => inputHash(f) === h);
    } catch (e) {
      return false;
    }
  };
  if (current()) return out;
  const linkFiles = linkInputFiles(cflags);
  const before = new Map();
  for (const f of new Set([...sources.map((s) => path.resolve(s)), ...linkFiles, ...recorded.map(([f]) => f)])) {
    try {
      before.set(f, inputHash(f));
    } catch (e) { /* gone: the build says so if it needs it */ }
  }
  const started = Date.now();
  await publishDir(entry, async (work) => {
    const deps = [];
    await buildProgram({ sources, out: path.join(work, 'app.mjs'), debug, cflags, stackSize, stackCheck, backend, threads, log, progress, deps });
    const files = [...new Set([...deps, ...linkFiles])].filter((f) => before.has(f) || fs.existsSync(f)).map((f) => {
      if (before.has(f)) return [f, before.get(f)];
      // A file's mtime is the kernel's coarse clock (a few ms behind the
      // real time of the write): a margin. (Where timestamps are whole
      // seconds, a save in the build's first second can be missed here
      // once; the next build hashes the file before it starts.)
      return [f, fs.statSync(f).mtimeMs >= started - 20 ? 'changed during the build' : inputHash(f)];
    });
    fs.writeFileSync(path.join(work, 'inputs.json'), JSON.stringify(files));
  });
  return out;
}


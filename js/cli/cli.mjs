#!/usr/bin/env node
// wasync CLI: build, run, lib, and the drop-in compiler drivers cc and c++.
// Its command lines are read by argv.mjs (wasync's own flags, then emcc's).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandLine } from './argv.mjs';
import { AUTO, BACKENDS, BuildError, buildProgram, buildLib, cachedBuild, linkedBackends, run, shipLib, userCompileCommand } from './build.mjs';
import { CacheError } from './cache.mjs';
import { checkEhFlags, ehMode } from './eh.mjs';
import { pack } from './pack.mjs';

const USAGE = `usage:
  wasync build <inputs>... -o <out.mjs> [wasync flags] [emcc flags]
  wasync run <inputs>... [wasync flags] [emcc flags] [--] [program args]
  wasync pack <inputs>... --name NAME --version X.Y.Z -o DIR [--header H]... [wasync flags] [emcc flags]
  wasync cc ...   wasync c++ ...   drop-in compilers for make, CMake, ./configure
  wasync lib [--debug] [--ship]  build the runtime library only (--ship: into build/wasm/ for npm pack)

inputs: C (.c), C++ (.cc .cpp .cxx .C), objects (.o) and archives (.a).
wasync flags: --debug  --backend=${[...BACKENDS, AUTO].join('|')}  -o <out>  -q (--quiet)  -v (print the commands)
  --stack-size=N     the default task stack (bytes, or with a k/m suffix;
                     default 64k); wa_task_opts.stack_size still sets it per task
  --no-stack-check   drop the exact per-function stack check from a release
                     build (faster switches; overflow then caught by canaries, inexactly)
  --threads[=N]      shared memory and a pool of N real threads for wa_to_thread
                     (default N: the machine's parallelism; load(f, { threads })
                     overrides it); pages must be cross-origin isolated
Every other flag reaches emcc in order: -O -g -D -I -U -std= -W -f -l -L
-include, -sSETTING=V or -s SETTING=V, --preload-file F, --embed-file F, ...
User code gets no warning flags, -Werror or -std from wasync; its -O wins.

build writes <out.mjs>, <out>.wasm and <out>.d.mts (out.js: <out>.d.ts);
\`node out.mjs args\` runs main (or wa_main). A stage that takes over a second
(compiling the runtime, compiling, linking) prints one line to stderr;
-q prints none.
pack writes DIR, an npm package (\`npm publish DIR\`): each WA_EXPORT function
as an async JS function under its C name, with TypeScript types from its C
prototype, for ESM, CommonJS and bundlers; its users need no Emscripten.
--header H: a header declaring WA_EXPORT functions of .o/.a inputs.
run builds into a private per-user cache (again when a source or a header it
includes changes) and runs it under Node, passing the exit status through.
cc / c++: \`CC="wasync cc" make\`, \`cmake -DCMAKE_C_COMPILER=wasync-cc\`:
-c compiles an object; a link to .mjs or .js makes a wasync module exactly
like build; any other link (a.out, conftest) is a plain emcc link.
--backend=jspi switches stacks with JavaScript Promise Integration (Node 24+,
Chrome 137+, Firefox 153+, Safari 27, WebKitGTK 2.54+) instead of Asyncify (the default,
every engine). --backend=auto links both: <out>.asyncify.wasm and <out>.jspi.wasm beside the one
<out.mjs>, which runs JSPI where the engine has it, else Asyncify (load(f,
{ backend }) or WASYNC_BACKEND=asyncify|jspi chooses). cc/c++ --backend=auto -c
compile one object both links take (C++ with -fexceptions cannot: its lowering
differs per backend from the compiler on; build those from source).`;

function programName(sources) {
  return path.basename(sources[0] || 'wasync').replace(/\.[^.]+$/, '');
}

function runChild(file, args, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(signal ? 128 + (os.constants.signals[signal] || 0) : code));
  });
}

/**
 * The head of a plain link's runnable output (./conftest, Lua's `lua`).
 * Emscripten writes CommonJS, but Node runs a file without an extension as
 * an ES module inside a package whose package.json says "type": "module"
 * (a build under such a project): there `require`, `__filename` and
 * `__dirname` do not exist, so the preamble defines them from the script's
 * own path. As CommonJS the three `var`s keep the values Node gave them.
 */
const RUNNABLE_PREAMBLE = `#!/usr/bin/env node
var require = typeof require == 'function' ? require : process.getBuiltinModule('node:module').createRequire(process.argv[1]);
var __filename = typeof __filename == 'string' ? __filename : require('node:fs').realpathSync(process.argv[1]);
var __dirname = typeof __dirname == 'string' ? __dirname : require('node:path').dirname(__filename);
`;

/**
 * `wasync cc` / `wasync c++`: the compiler make, CMake and configure call.
 * Compiling (-c, -S, -E, -M) is emcc/em++ with wasync's defaults and include
 * folder; a link to .mjs/.js is `wasync build`; any other link is a plain
 * emcc link (compiler probes), made a runnable Node program.
 */
async function driver(argv, { cxx }) {
  const o = parseCommandLine('cc', argv);
  const tool = cxx ? 'em++' : 'emcc';
  const words = o.rest;
  const { out } = o;
  const compileOnly = words.some((w) => ['-c', '-S', '-E', '-M', '-MM', '-fsyntax-only'].includes(w));
  const hasInput = o.inputs.length > 0;
  if (!compileOnly && hasInput && out && /\.(mjs|js)$/.test(out)) {
    const cflags = o.flags.filter((f) => f.words[0] !== '-o').flatMap((f) => f.words);
    await buildProgram({ sources: o.sources, cflags, out, debug: o.debug, backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, cxx });
    return 0;
  }
  // A plain link makes a program configure and CMake can run: a.out by
  // default (emcc alone would write a.out.js), and an output without an
  // extension (./conftest) becomes one executable file with the .wasm
  // inside and the real file system (probes write files), run by node.
  const link = !compileOnly && hasInput;
  const plainOut = link ? (out || 'a.out') : null;
  const runnable = plainOut && path.extname(plainOut) === '';
  const extra = [...(link && !out ? ['-o', plainOut] : []), ...(runnable ? ['-sSINGLE_FILE=1', '-sNODERAWFS=1'] : [])];
  // A plain C link is C (emcc 4+ would link C++ by default, and its LTO
  // libc++ fails to link on sid's emcc 6); a plain C++ link leaves -flto to
  // the compile only, for the same reason (linkFlags).
  const plainLink = link ? (cxx ? [] : ['-sDEFAULT_TO_CXX=0']) : [];
  // An object's setjmp and exceptions are lowered for --backend when given;
  // without it, release objects leave that to the link (eh.mjs). With
  // --backend=auto an object must serve both links: it is compiled as for
  // no backend, which C++ exceptions cannot be (their lowering is chosen in
  // the compiler: refused, with what to do).
  const given = o.backendGiven ? o.backend : null;
  const backend = given === AUTO ? null : given;
  const cxxInput = cxx || o.inputs.some((i) => i.kind === 'c++');
  let eh = null;
  try {
    for (const b of given ? linkedBackends(given) : [null]) checkEhFlags(words, b);
    if (backend) eh = ehMode(backend, words, [], { cxx: cxxInput, debug: o.debug });
    if (given === AUTO && compileOnly && cxxInput && words.includes('-fexceptions')) {
      throw new Error('wasync: --backend=auto -c with -fexceptions: C++ exceptions are lowered differently for each backend ' +
        'by the compiler itself, so one object cannot serve both links; build the program from its sources with ' +
        '`wasync build --backend=auto` (which compiles such sources once per backend), or compile for one backend.');
    }
  } catch (e) {
    throw new BuildError(e.message);
  }
  let args = hasInput ? userCompileCommand([...extra, ...plainLink, ...words], { debug: o.debug, eh, cxx: cxxInput, threads: !!o.threads }) : words;
  if (link && cxx) args = args.filter((w) => w !== '-flto');
  try {
    // The driver's -v is emcc's own: it prints the commands, and then the failed one too.
    await run(tool, args, { stdin: 'inherit', verbose: words.includes('-v') });
  } catch (e) {
    if (e instanceof BuildError && e.exitCode) return e.exitCode;
    throw e;
  }
  if (runnable && fs.existsSync(plainOut)) {
    // emcc 4+ starts the file with its own #! line: the preamble replaces it.
    const text = fs.readFileSync(plainOut, 'utf8');
    if (!text.startsWith(RUNNABLE_PREAMBLE)) fs.writeFileSync(plainOut, `${RUNNABLE_PREAMBLE}${text.replace(/^#!.*\n/, '')}`);
    fs.chmodSync(plainOut, 0o755);
  }
  return 0;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === 'cc' || cmd === 'c++') return driver(rest, { cxx: cmd === 'c++' });
  if (cmd === 'lib') {
    const o = parseCommandLine('lib', rest);
    if (o.rest.length) throw new BuildError(`wasync: lib takes only --debug and --ship, not ${o.rest[0]}`);
    const log = o.verbose ? (line) => console.error(line) : undefined;
    const progress = o.quiet ? undefined : (line) => console.error(line);
    for (const backend of linkedBackends(o.backend)) console.log(await (o.ship ? shipLib : buildLib)({ debug: o.debug, backend, log, progress }));
    return 0;
  }
  if (cmd === 'pack') {
    const o = parseCommandLine('pack', rest);
    const progress = o.quiet ? undefined : (line) => console.error(line);
    const log = o.verbose ? (line) => console.error(line) : undefined;
    const r = await pack({ sources: o.sources, headers: o.headers, cflags: o.cflags, name: o.name, version: o.version, outDir: o.out, debug: o.debug,
      backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, log, progress });
    if (!o.quiet) console.error(`wasync: packed ${r.functions.map((f) => f.name).join(', ')} into ${path.relative(process.cwd(), r.dir) || '.'}`);
    return 0;
  }
  if (cmd !== 'build' && cmd !== 'run') throw new BuildError(`wasync: unknown command ${cmd}\n${USAGE}`);
  const o = parseCommandLine(cmd, rest);
  const log = o.verbose ? (line) => console.error(line) : undefined;
  const progress = o.quiet ? undefined : (line) => console.error(line);
  const { sources, cflags, args } = o;
  if (cmd === 'build') {
    if (!o.out) throw new BuildError(`wasync: build needs -o <out.mjs>\n${USAGE}`);
    await buildProgram({ sources, out: o.out, debug: o.debug, backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, cflags, log, progress });
    return 0;
  }
  for (const s of sources) {
    if (!fs.existsSync(s)) throw new BuildError(`wasync: ${s}: no such file`);
  }
  if (!sources.length) throw new BuildError(`wasync: run needs a C or C++ source\n${USAGE}`);
  const out = await cachedBuild({ sources, debug: o.debug, backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, cflags, log, progress });
  return runChild(out, args, { ...process.env, WASYNC_ARGV0: programName(sources) });
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  const known = e instanceof BuildError || e instanceof CacheError;
  // A tool that failed has said why (clang's diagnostics): its words end the output.
  if (!(known && e.quiet)) console.error(known ? e.message : (e && e.stack) || String(e));
  process.exitCode = 1;
});

#!/usr/bin/env node
// wasync CLI: build, run, lib, and the drop-in compiler drivers cc and c++.
// Flags wasync owns are in OWN_FLAGS; every other flag goes to emcc/em++.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkEhFlags, ehMode } from './eh.mjs';
import { AUTO, BACKENDS, BuildError, DEFAULT_BACKEND, buildProgram, buildLib, cachedBuild, checkBuildBackend, linkedBackends, parseStackSize, parseThreads, run, shipLib, userCompileCommand } from './build.mjs';
import { CacheError } from './cache.mjs';
import { inputKind, takesValue } from './flags.mjs';
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

/**
 * The flags wasync owns: never passed to emcc. `driver` marks those the
 * cc/c++ drivers take too (there -o, -v and -q are the compiler's own).
 * `value` flags are written --name=value (or, for -o, -o value).
 */
const OWN_FLAGS = [
  { flag: '--debug', driver: true, set: (o) => { o.debug = true; } },
  {
    flag: '--backend', value: true, driver: true, set: (o, v) => { o.backend = checkBuildBackend(v); o.backendGiven = true; },
  },
  { flag: '--stack-size', value: true, driver: true, set: (o, v) => { o.stackSize = parseStackSize(v); } },
  { flag: '--no-stack-check', driver: true, set: (o) => { o.stackCheck = false; } },
  { flag: '--threads', optionalValue: true, driver: true, set: (o, v) => { o.threads = parseThreads(v); } },
  { flag: '-o', value: true, set: (o, v) => { o.out = v; } },
  { flag: '-q', set: (o) => { o.quiet = true; } },
  { flag: '--quiet', set: (o) => { o.quiet = true; } },
  { flag: '-v', set: (o) => { o.verbose = true; } },
  { flag: '--verbose', set: (o) => { o.verbose = true; } },
];

/** Takes wasync's own flags out of argv; returns the options and the rest, in order. */
function takeOwn(argv, { driver = false } = {}) {
  const o = { debug: false, stackSize: 0, stackCheck: true, threads: 0, backend: DEFAULT_BACKEND, out: null, quiet: false, verbose: false, rest: [], args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!driver && a === '--') { o.args = argv.slice(i + 1); break; }
    const [name, inline] = a.startsWith('--') ? [a.split('=')[0], a.includes('=') ? a.slice(a.indexOf('=') + 1) : null] : [a, null];
    const own = OWN_FLAGS.find((f) => f.flag === name && (!driver || f.driver));
    if (!own) { o.rest.push(a); continue; }
    let v = inline;
    if (own.value && v === null) {
      if (name.startsWith('--') || i + 1 >= argv.length) throw new BuildError(`wasync: ${name} needs a value (${name}=...)`);
      v = argv[++i];
    }
    own.set(o, v);
  }
  return o;
}

/** Splits `rest` into input files and flags (a flag's value stays with it). */
function inputsAndFlags(rest, { run = false } = {}) {
  const sources = [];
  const cflags = [];
  const args = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('-') && a !== '-') {
      cflags.push(a);
      // Flags with a separate value: keep the value out of the inputs.
      if (takesValue(a) && i + 1 < rest.length) {
        cflags.push(rest[++i]);
      }
    } else if (inputKind(a)) {
      sources.push(a);
    } else if (a.startsWith('@') && (!run || fs.existsSync(a.slice(1)))) {
      cflags.push(a); /* an emcc response file (run: one that exists; else a program argument) */
    } else if (run) {
      args.push(a); /* `wasync run app.c x y`: program arguments */
    } else {
      throw new BuildError(`wasync: ${a}: not a source or object file (C: .c; C++: .cc .cpp .cxx .C; objects: .o .a)`);
    }
  }
  return { sources, cflags, args };
}

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
  const o = takeOwn(argv, { driver: true });
  const tool = cxx ? 'em++' : 'emcc';
  const words = o.rest;
  const at = words.lastIndexOf('-o');
  const out = at >= 0 ? words[at + 1] : null;
  const compileOnly = words.some((w) => ['-c', '-S', '-E', '-M', '-MM', '-fsyntax-only'].includes(w));
  const hasInput = words.some((w, i) => !w.startsWith('-') && inputKind(w) && words[i - 1] !== '-o');
  if (!compileOnly && hasInput && out && /\.(mjs|js)$/.test(out)) {
    const rest = words.filter((w, i) => i !== at && i !== at + 1);
    const { sources, cflags } = inputsAndFlags(rest);
    await buildProgram({ sources, cflags, out, debug: o.debug, backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, cxx });
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
  const cxxInput = cxx || words.some((w, i) => inputKind(w) === 'c++' && words[i - 1] !== '-o');
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
    const ship = rest.includes('--ship');
    const o = takeOwn(rest.filter((a) => a !== '--ship'));
    if (o.rest.length) throw new BuildError(`wasync: lib takes only --debug and --ship, not ${o.rest[0]}`);
    const log = o.verbose ? (line) => console.error(line) : undefined;
    const progress = o.quiet ? undefined : (line) => console.error(line);
    for (const backend of linkedBackends(o.backend)) console.log(await (ship ? shipLib : buildLib)({ debug: o.debug, backend, log, progress }));
    return 0;
  }
  if (cmd === 'pack') {
    const meta = { name: null, version: null, headers: [] };
    const rest2 = [];
    for (let i = 0; i < rest.length; i++) {
      const m = /^--(name|version|header)(?:=(.*))?$/.exec(rest[i]);
      if (!m) { rest2.push(rest[i]); continue; }
      const v = m[2] !== undefined ? m[2] : rest[++i];
      if (v === undefined) throw new BuildError(`wasync: --${m[1]} needs a value`);
      if (m[1] === 'header') meta.headers.push(v); else meta[m[1]] = v;
    }
    const o = takeOwn(rest2);
    const { sources, cflags } = inputsAndFlags(o.rest);
    const progress = o.quiet ? undefined : (line) => console.error(line);
    const log = o.verbose ? (line) => console.error(line) : undefined;
    const r = await pack({ sources, headers: meta.headers, cflags, name: meta.name, version: meta.version, outDir: o.out, debug: o.debug,
      backend: o.backend, stackSize: o.stackSize, stackCheck: o.stackCheck, threads: o.threads, log, progress });
    if (!o.quiet) console.error(`wasync: packed ${r.functions.map((f) => f.name).join(', ')} into ${path.relative(process.cwd(), r.dir) || '.'}`);
    return 0;
  }
  if (cmd !== 'build' && cmd !== 'run') throw new BuildError(`wasync: unknown command ${cmd}\n${USAGE}`);
  const o = takeOwn(rest);
  const log = o.verbose ? (line) => console.error(line) : undefined;
  const progress = o.quiet ? undefined : (line) => console.error(line);
  const { sources, cflags, args } = inputsAndFlags(o.rest, { run: cmd === 'run' });
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
  return runChild(out, [...args, ...o.args], { ...process.env, WASYNC_ARGV0: programName(sources) });
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  const known = e instanceof BuildError || e instanceof CacheError;
  // A tool that failed has said why (clang's diagnostics): its words end the output.
  if (!(known && e.quiet)) console.error(known ? e.message : (e && e.stack) || String(e));
  process.exitCode = 1;
});

#!/usr/bin/env node
// wasync CLI: `wasync build app.c [more.c] -o app.mjs [--debug]`,
// `wasync run app.c [more.c] [--debug] [-- args]`, `wasync lib [--debug]`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BuildError, buildLib, buildProgram, cachedOutput, checkBackend } from './build.mjs';

const USAGE = `usage:
  wasync build <file.c>... -o <out.mjs|out.js> [--debug] [--backend=asyncify|jspi] [-q] [-O0|-g|-D...|-I...]
  wasync run <file.c>... [--debug] [--backend=...] [-q] [-- program args]
  wasync lib [--debug] [--backend=...] [-q]  build the runtime library only

build writes <out.mjs>, <out>.wasm and <out>.d.mts (out.js: <out>.d.ts);
\`node out.mjs args\` runs wa_main. A stage that takes over a second
(compiling the runtime, compiling and linking) prints one line to stderr;
-q (--quiet) prints none.
run builds into a cache (rebuilt when a source changes) and runs it under
Node, passing the program's exit status through.
--backend=jspi switches stacks with JavaScript Promise Integration (Node 24+,
Chromium 137+) instead of Asyncify (the default, every engine).`;

function parse(argv) {
  const o = { sources: [], cflags: [], out: null, debug: false, args: [], verbose: false, quiet: false, backend: 'asyncify' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.args = argv.slice(i + 1); break; }
    if (a === '-o') { o.out = argv[++i]; continue; }
    if (a === '--debug') { o.debug = true; continue; }
    if (a.startsWith('--backend=')) { o.backend = checkBackend(a.slice('--backend='.length)); continue; }
    if (a === '--backend') { o.backend = checkBackend(argv[++i]); continue; }
    if (a === '-v' || a === '--verbose') { o.verbose = true; continue; }
    if (a === '-q' || a === '--quiet') { o.quiet = true; continue; }
    if (/^-[DIUgO]/.test(a)) { o.cflags.push(a); continue; }
    if (a.startsWith('-')) throw new BuildError(`wasync: unknown option ${a}\n${USAGE}`);
    if (/\.(c|o|a)$/.test(a)) o.sources.push(a);
    else o.args.push(a);
  }
  return o;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const o = parse(rest);
  const log = o.verbose ? (line) => console.error(line) : undefined;
  const progress = o.quiet ? undefined : (line) => console.error(line);
  if (cmd === 'lib') {
    console.log(await buildLib({ debug: o.debug, backend: o.backend, log, progress }));
    return 0;
  }
  if (cmd === 'build') {
    if (!o.out) throw new BuildError(`wasync: build needs -o <out.mjs>\n${USAGE}`);
    if (o.args.length) throw new BuildError(`wasync: not a C source: ${o.args[0]}`);
    await buildProgram({ sources: o.sources, out: o.out, debug: o.debug, backend: o.backend, cflags: o.cflags, log, progress });
    return 0;
  }
  if (cmd === 'run') {
    const out = cachedOutput(o.sources, { debug: o.debug, cflags: o.cflags, backend: o.backend });
    if (!fs.existsSync(out)) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      await buildProgram({ sources: o.sources, out, debug: o.debug, backend: o.backend, cflags: o.cflags, log, progress });
    }
    return await new Promise((resolve) => {
      const child = spawn(process.execPath, [out, ...o.args], { stdio: 'inherit' });
      child.on('exit', (code, signal) => resolve(signal ? 128 + 1 : code));
    });
  }
  throw new BuildError(`wasync: unknown command ${cmd}\n${USAGE}`);
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e instanceof BuildError ? e.message : (e && e.stack) || String(e));
  process.exitCode = 1;
});

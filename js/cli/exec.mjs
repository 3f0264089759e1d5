// exec.mjs — runs the command lines plan.mjs makes: spawns emcc, em++, emar
// (and through them wasm-ld and wasm-opt), passes their diagnostics on line
// by line, runs jobs side by side (the links of an AUTO build), tells the
// user about a stage that takes over a second, and gives a link the
// environment it runs in (linkEnv). What the lines say is plan.mjs's.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { cacheDir } from './cache.mjs';
import { BuildError, backendManifest, settingValue } from './plan.mjs';
import { binaryenWithoutAsyncifyAsserts, emccEnv } from './toolchain.mjs';

/** Lines the tools have written to our stderr so far (stage() reads it). */
let toolLines = 0;

/**
 * The line emcc prints after a failed step: the whole command of the step
 * (clang's or wasm-ld's, often a thousand characters), after the tool's
 * own message. Only `-v` shows it (the command is printed first there).
 */
const FAILED_STEP = /^\S+: error: '.+' failed \((returned -?\d+|received \w+)\)$/;

/** Calls each(line) for every whole line written to stream, newline kept. */
function eachLine(stream, each) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split(/(?<=\n)/);
    rest = lines[lines.length - 1].endsWith('\n') ? '' : lines.pop();
    lines.forEach(each);
  });
  stream.on('end', () => { if (rest) each(rest); });
}

/**
 * Runs a tool; rejects with a BuildError carrying the tool's exit code.
 * Its stderr reaches ours line by line, without emcc's failed-step command
 * line unless verbose (default: when log is given, i.e. -v); the error is
 * `quiet` when the tool printed why it failed, so the CLI adds nothing
 * after the tool's own last word. onStdout(line), if given, receives the
 * tool's stdout instead of our stdout; a stderr line for which
 * filter(line) is false is not shown.
 */
export function run(cmd, args, { log, stdin = 'ignore', env = {}, verbose = !!log, onStdout, filter } = {}) {
  if (log) log(`${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...emccEnv(), ...env }, stdio: [stdin, onStdout ? 'pipe' : 'inherit', 'pipe'] });
    let said = false;
    let open = onStdout ? 2 : 1;
    let exit = null;
    const settle = () => {
      if (open > 0 || !exit) return;
      const [code, signal] = exit;
      if (code === 0) return resolve();
      const e = new BuildError(`wasync: ${cmd} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`);
      e.exitCode = code || 1;
      e.quiet = said;
      reject(e);
    };
    eachLine(child.stderr, (line) => {
      if (!verbose && FAILED_STEP.test(line.trimEnd())) return;
      if (filter && !filter(line)) return;
      said = true;
      toolLines++;
      process.stderr.write(line);
    });
    child.stderr.on('close', () => { open--; settle(); });
    if (onStdout) {
      eachLine(child.stdout, onStdout);
      child.stdout.on('close', () => { open--; settle(); });
    }
    child.on('error', (err) => {
      if (err.code === 'ENOENT') {
        reject(new BuildError(`wasync: ${cmd} was not found. Install Emscripten first: ` +
          `"sudo apt-get install emscripten binaryen" on Debian/Ubuntu, or the emsdk ` +
          `(https://emscripten.org/docs/getting_started/downloads.html).`));
      } else reject(err);
    });
    child.on('exit', (code, signal) => { exit = [code, signal]; settle(); });
  });
}

/** How long a stage runs before progress() hears of it, in ms. */
export const PROGRESS_AFTER_MS = 1000;

/**
 * Runs fn(); if it is still running after PROGRESS_AFTER_MS, tells
 * progress (a function taking one line, or undefined for quiet) what it is
 * doing: one line per slow stage, nothing for fast (cached) ones, nor for
 * one whose tools have spoken meanwhile (a compile error's last line stays
 * the compiler's).
 */
export async function stage(progress, what, fn) {
  const said = toolLines;
  const timer = progress ? setTimeout(() => { if (toolLines === said) progress(`wasync: ${what}...`); }, PROGRESS_AFTER_MS) : null;
  try {
    return await fn();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The environment a link needs beyond emcc's own: with ASSERTIONS on
 * (`-sASSERTIONS`, `-sASSERTIONS=2`) and Binaryen's Asyncify, a Binaryen
 * whose wasm-opt leaves out Asyncify's own asserts, which trap on every
 * switch of wasync's in-wasm scheduler (js/cli/toolchain.mjs,
 * binaryenWithoutAsyncifyAsserts); the user's assertions stay on.
 */
export function linkEnv(link, backend) {
  const assertions = settingValue(link, 'ASSERTIONS');
  if (!assertions || assertions === '0' || !backendManifest(backend).link.includes('-sASYNCIFY=1')) return {};
  return binaryenWithoutAsyncifyAsserts(cacheDir('binaryen'));
}

/** How many links may run at once: both of an AUTO build where the machine has the cores. */
export const linkJobs = () => ((os.availableParallelism ? os.availableParallelism() : os.cpus().length) > 1 ? Infinity : 1);

/** Runs the jobs (functions returning promises), at most n at a time; rejects with the first failure once all have settled. */
export async function runJobs(jobs, n) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]().then((value) => ({ value }), (error) => ({ error }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  const failed = results.find((r) => 'error' in r);
  if (failed) throw failed.error;
  return results.map((r) => r.value);
}


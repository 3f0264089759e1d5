// argv.mjs — the one reading of a wasync command line, for every command
// (`build`, `run`, `pack`, `lib`, and the compiler drivers `cc`/`c++`):
// wasync's own flags come out with their values checked (plan.mjs), and the
// rest is read as emcc reads it (flags.mjs, splitArgs): the inputs, the
// flags with their values, and for `run` the program's arguments. cli.mjs
// acts on the result; nothing here builds or runs anything.
import { splitArgs } from './flags.mjs';
import { BuildError, DEFAULT_BACKEND, checkBuildBackend, parseStackSize, parseThreads } from './plan.mjs';

const COMMANDS = ['build', 'run', 'pack', 'lib', 'cc'];
const NOT_CC = ['build', 'run', 'pack', 'lib'];

/**
 * The flags wasync owns: never passed to emcc. `in`: the commands that take
 * it (the drivers, `cc`, leave -o, -v and -q to the compiler). `value`
 * flags are written --name=value (or, for -o and the `separate` ones, with
 * the value as the next word); an `optionalValue` flag may go without one.
 */
const OWN_FLAGS = [
  { flag: '--debug', in: COMMANDS, set: (o) => { o.debug = true; } },
  { flag: '--backend', value: true, in: COMMANDS, set: (o, v) => { o.backend = checkBuildBackend(v); o.backendGiven = true; } },
  { flag: '--stack-size', value: true, in: COMMANDS, set: (o, v) => { o.stackSize = parseStackSize(v); } },
  { flag: '--no-stack-check', in: COMMANDS, set: (o) => { o.stackCheck = false; } },
  { flag: '--threads', optionalValue: true, in: COMMANDS, set: (o, v) => { o.threads = parseThreads(v); } },
  { flag: '-o', value: true, in: NOT_CC, set: (o, v) => { o.out = v; } },
  { flag: '-q', in: NOT_CC, set: (o) => { o.quiet = true; } },
  { flag: '--quiet', in: NOT_CC, set: (o) => { o.quiet = true; } },
  { flag: '-v', in: NOT_CC, set: (o) => { o.verbose = true; } },
  { flag: '--verbose', in: NOT_CC, set: (o) => { o.verbose = true; } },
  { flag: '--ship', in: ['lib'], set: (o) => { o.ship = true; } },
  { flag: '--name', value: true, separate: true, in: ['pack'], set: (o, v) => { o.name = v; } },
  { flag: '--version', value: true, separate: true, in: ['pack'], set: (o, v) => { o.version = v; } },
  { flag: '--header', value: true, separate: true, in: ['pack'], set: (o, v) => { o.headers.push(v); } },
];

/** Takes the command's own flags out of argv: the options, the rest in order, and what follows `--` (not for cc). */
function takeOwn(argv, command) {
  const o = {
    debug: false, stackSize: 0, stackCheck: true, threads: 0, backend: DEFAULT_BACKEND, backendGiven: false, out: null,
    quiet: false, verbose: false, ship: false, name: null, version: null, headers: [], rest: [], args: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (command !== 'cc' && a === '--') { o.args = argv.slice(i + 1); break; }
    const [name, inline] = a.startsWith('--') ? [a.split('=')[0], a.includes('=') ? a.slice(a.indexOf('=') + 1) : null] : [a, null];
    const own = OWN_FLAGS.find((f) => f.flag === name && f.in.includes(command));
    if (!own) { o.rest.push(a); continue; }
    let v = inline;
    if (own.value && v === null) {
      if (own.separate) {
        if (i + 1 >= argv.length) throw new BuildError(`wasync: ${name} needs a value`);
      } else if (name.startsWith('--') || i + 1 >= argv.length) {
        throw new BuildError(`wasync: ${name} needs a value (${name}=...)`);
      }
      v = argv[++i];
    }
    own.set(o, v);
  }
  return o;
}

/**
 * Reads the words after the command's name. `command`: 'build', 'run',
 * 'pack', 'lib' or 'cc' (both drivers). Returns wasync's options (debug,
 * backend and whether it was given, stackSize, stackCheck, threads, out,
 * quiet, verbose; lib: ship; pack: name, version, headers) and:
 *  - sources: the inputs (C, C++, objects, archives), in order;
 *  - cflags: every other flag for emcc, each with its value, in order;
 *  - inputs, flags: the same as flags.mjs's splitArgs gives them;
 *  - args: run's program arguments (words that are no input, then what
 *    follows `--`);
 *  - cc: rest, the words for the compiler as given (wasync's own taken
 *    out), and out, the last `-o` value among them.
 * Throws a BuildError for a word build or pack cannot take, an own flag
 * without its value, or a bad value. An emcc flag that lacks its value at
 * the end is kept alone here and refused by the build (its usage errors,
 * such as build's missing -o, come first).
 */
export function parseCommandLine(command, argv) {
  const o = takeOwn(argv, command);
  if (command === 'lib') return o;
  let split;
  try {
    split = splitArgs(o.rest, { others: { run: 'args', cc: 'flags' }[command] || 'error', lastWithoutValue: true });
  } catch (e) {
    throw new BuildError(e.message);
  }
  const { inputs, flags, args } = split;
  const parsed = { ...o, inputs, flags, sources: inputs.map((i) => i.file), cflags: flags.flatMap((f) => f.words), args: [...args, ...o.args] };
  if (command === 'cc') {
    const outs = flags.filter((f) => f.words[0] === '-o' && f.words.length > 1);
    parsed.out = outs.length ? outs[outs.length - 1].words[1] : null;
  }
  return parsed;
}

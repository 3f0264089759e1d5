// flags.mjs — what wasync knows about an emcc command line: which arguments
// are input files (and in which language), which flags take a value, and
// which belong to compiling, to linking or to both. Everything wasync does
// not own passes through to emcc in the order given; this file only decides
// which of the two steps (compile, link) a flag goes to.
import fs from 'node:fs';

/** Input files by extension: C, C++, or already compiled (objects, archives). */
const C_EXT = /\.(c|i)$/;
const CXX_EXT = /\.(cc|cpp|cxx|c\+\+|cp|C|ii)$/;
const OBJ_EXT = /\.(o|a|bc|obj|lo)$/;

/** @param {string} file @returns {'c'|'c++'|'obj'|null} */
export function inputKind(file) {
  if (CXX_EXT.test(file)) return 'c++';
  if (C_EXT.test(file)) return 'c';
  if (OBJ_EXT.test(file)) return 'obj';
  return null;
}

/** Flags whose value is the next argument (`-I dir`, `-s X=Y`, `--preload-file f`). */
const TAKES_VALUE = new Set([
  '-o', '-I', '-D', '-U', '-L', '-l', '-include', '-imacros', '-isystem', '-iquote', '-idirafter',
  '-isysroot', '-x', '-MF', '-MT', '-MQ', '-Xlinker', '-Xclang', '-s', '-u', '-z', '-e', '-target',
  '--preload-file', '--embed-file', '--exclude-file', '--js-library', '--pre-js', '--post-js',
  '--extern-pre-js', '--extern-post-js', '--shell-file', '--closure', '--js-opts', '--llvm-opts',
  '--source-map-base', '--memory-init-file',
]);

/** True if flag `a`'s value is the next argument. */
export function takesValue(a) {
  return TAKES_VALUE.has(a);
}

/** Flags only the link step takes (emcc settings, libraries, files for the virtual FS). */
const LINK_ONLY = new Set([
  '-s', '-L', '-l', '-Xlinker', '-u', '-z', '-e', '--preload-file', '--embed-file', '--exclude-file',
  '--js-library', '--pre-js', '--post-js', '--extern-pre-js', '--extern-post-js', '--shell-file',
  '--closure', '--source-map-base', '--memory-init-file', '--emrun', '--profiling', '--profiling-funcs',
  '--emit-symbol-map', '--use-preload-cache', '--use-preload-plugins', '--no-heap-copy',
  '-nostdlib', '-nostdlib++', '-nodefaultlibs', '-static', '-rdynamic',
]);

/** Flags only compiling takes (preprocessor, language standard, warnings, dependency files). */
const COMPILE_ONLY = new Set([
  '-D', '-U', '-I', '-include', '-imacros', '-isystem', '-iquote', '-idirafter', '-isysroot', '-x',
  '-MF', '-MT', '-MQ', '-MD', '-MMD', '-MP', '-M', '-MM', '-MG', '-Xclang', '-ansi', '-pedantic',
  '-pedantic-errors', '-w', '-c', '-S', '-E',
]);

/** The flag's name: `-sX=Y` is `-s`, `-I/x` is `-I`, `-std=gnu17` is `-std`, `--x=y` is `--x`. */
function flagName(a) {
  if (a.startsWith('--')) return a.split('=')[0];
  if (/^-s[A-Z_]/.test(a)) return '-s';
  if (/^-l./.test(a)) return '-l';
  if (/^-Wl,/.test(a)) return '-Wl,';
  if (/^-W/.test(a)) return '-W';
  if (/^-std=/.test(a)) return '-std';
  const short = /^-(I|D|U|L|MF|MT|MQ)./.exec(a);
  if (short) return `-${short[1]}`;
  return a;
}

/** What splitArgs throws for a word that is neither a flag nor an input. */
export function notAnInput(word) {
  return `wasync: ${word}: not a source or object file (C: .c; C++: .cc .cpp .cxx .C; objects: .o .a)`;
}

/**
 * Splits emcc arguments into inputs and flags, keeping each flag with its
 * value (`-s X=Y` stays one item of two words): the one reading of an emcc
 * command line, which `build`, `run`, `pack`, `cc` (argv.mjs) and the
 * build itself share. A word that is neither a flag nor a C, C++, object
 * or archive file is, by `others`:
 *  - 'error' (default): refused, naming it (an @response file is a flag);
 *  - 'args': a program argument (`wasync run app.c x y`), and so is an
 *    @word whose file does not exist;
 *  - 'flags': a flag for both steps (the compiler drivers pass what they
 *    do not know, .s files and all, on to emcc).
 * A flag that needs a value and ends the line is refused, or with
 * lastWithoutValue kept alone (the command line is read again, strictly,
 * where it is used: buildProgram, or emcc for the drivers).
 * @param {string[]} argv
 * @returns {{ inputs: {file: string, kind: string}[], flags: {words: string[], step: 'compile'|'link'|'both'}[], args: string[] }}
 */
export function splitArgs(argv, { others = 'error', lastWithoutValue = false } = {}) {
  const inputs = [];
  const flags = [];
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      const kind = inputKind(a);
      if (a.startsWith('@') && (others !== 'args' || fs.existsSync(a.slice(1)))) flags.push({ words: [a], step: 'both' });
      else if (kind) inputs.push({ file: a, kind });
      else if (others === 'args') args.push(a);
      else if (others === 'flags') flags.push({ words: [a], step: 'both' });
      else throw new Error(notAnInput(a));
      continue;
    }
    const name = flagName(a);
    const words = [a];
    if (TAKES_VALUE.has(a) && !a.includes('=')) {
      if (i + 1 < argv.length) words.push(argv[++i]);
      else if (!lastWithoutValue) throw new Error(`wasync: ${a} needs a value`);
    }
    let step = 'both';
    if (LINK_ONLY.has(name) || name === '-Wl,') step = 'link';
    else if (COMPILE_ONLY.has(name) || name === '-W' || name === '-std') step = 'compile';
    flags.push({ words, step });
  }
  return { inputs, flags, args };
}

/** The words of the flags that go to one step ('compile' or 'link'), in order. */
export function flagsFor(flags, step) {
  return flags.filter((f) => f.step === step || f.step === 'both').flatMap((f) => f.words);
}

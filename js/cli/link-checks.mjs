// link-checks.mjs — what wasync refuses in a linked program, read from the
// link itself: Emscripten functions that suspend the whole module (in the
// glue), and a program with two entries or a main() of the wrong type
// (wasm-ld's symbol trace and warnings). build.mjs applies them.
import { BuildError } from './plan.mjs';

/**
 * Emscripten's functions that suspend the whole module (Asyncify's own
 * unwind, which wasync's scheduler cannot run through, or a stub that
 * aborts without it), each with the sentence a link that uses one fails
 * with: what to use instead inside a wasync program.
 */
export const REFUSED_ASYNC = {
  emscripten_wget: 'use wa_fetch (and write the body to a file) instead',
  emscripten_wget_data: 'use wa_fetch and wa_response_body instead',
  emscripten_idb_load: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_store: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_delete: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_exists: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_clear: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_load_blob: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_idb_store_blob: 'await IndexedDB with WA_ASYNC_JS instead',
  emscripten_scan_registers: 'wasync tasks need no register scan; remove the call',
  emscripten_lazy_load_code: 'it is not supported in a wasync program',
  emscripten_fiber_swap: 'use wa_spawn (a wasync task is a fiber with its own stack) instead',
  emscripten_promise_await: 'use wa_js_await instead',
  emscripten_promise_await_unchecked: 'use wa_js_await instead',
  SDL_Delay: 'use sleep, usleep or wa_sleep (awaits inside a task) instead',
  _emval_await: 'await the promise with WA_ASYNC_JS or wa_js_await instead',
};

/**
 * The refused functions (REFUSED_ASYNC) that the linked module's JS glue
 * defines, i.e. that the program calls: Emscripten emits a JS library
 * function only when the wasm imports it. Names stay whole in the glue at
 * every optimization level wasync links with (no Closure).
 */
export function refusedImports(glue) {
  return Object.keys(REFUSED_ASYNC).filter((name) => new RegExp(`(?:function\\s+|var\\s+|[,;{}]\\s*)_${name}\\s*[=(]`).test(glue));
}

/**
 * A program has one entry: wa_main or a C main() (src/entry.c). The link
 * asks wasm-ld to trace where the entry symbols are defined (clang names a
 * C main() `main` or `__main_argc_argv` on wasm: wasm/backend/cmain.c),
 * which sees exactly the objects and archive members that are linked, LTO
 * or not; check() refuses a program that defines both. Every other line of
 * the link's stdout passes through.
 */
export class EntryCheck {
  static SYMBOLS = ['wa_main', 'main', '__main_argc_argv'];
  /** 3.1.x warns that main may be dead code unless exported: wasync calls it (cmain.c). */
  static NOISE = /main\(\) is in the input files, but "_main" is not in EXPORTED_FUNCTIONS/;

  flags = [`-Wl,${EntryCheck.SYMBOLS.map((n) => `--trace-symbol=${n}`).join(',')}`];
  defined = new Map();
  mismatch = 0;     // lines of wasm-ld's signature warning still to hide
  badMain = false;

  /** names: the link's inputs (objects wasync compiled) -> the user's names for them. */
  constructor(names) {
    this.names = names;
  }

  line(text) {
    const m = /^(.*): (?:lazy )?(?:definition of|reference to) (?:undefined_\w+:)?(\S+)\n?$/.exec(text);
    if (!m || !EntryCheck.SYMBOLS.includes(m[2])) return process.stdout.write(text);
    if (/: definition of \S+\n?$/.test(text) && m[1] !== '<internal>' && !this.defined.has(m[2])) this.defined.set(m[2], m[1]);
    return undefined;
  }

  /**
   * Link stderr: false hides a line. Hidden: 3.1.x's warning that main may
   * be dead code unless exported (wasync calls it), and wasm-ld's warning
   * that main's type is not cmain.c's (int, char **): a
   * main(int, char **, char **), which check() refuses. (Under LTO there
   * is no such warning: main then gets a null envp.)
   */
  stderr(text) {
    if (EntryCheck.NOISE.test(text)) return false;
    if (/warning: function signature mismatch: main\n?$/.test(text)) {
      this.mismatch = 2;
      this.badMain = true;
      return false;
    }
    if (this.mismatch && /^>>> defined as /.test(text)) {
      this.mismatch--;
      return false;
    }
    this.mismatch = 0;
    return true;
  }

  check() {
    if (this.badMain) {
      throw new BuildError('wasync: main has a type wasync cannot call: it takes main(void) or ' +
        'main(int argc, char **argv) (for the environment, use getenv() or environ)');
    }
    const main = this.defined.get('__main_argc_argv') || this.defined.get('main');
    const wa = this.defined.get('wa_main');
    if (main && wa) {
      const where = (file) => this.names.get(file) || file;
      throw new BuildError(`wasync: both wa_main (${where(wa)}) and main (${where(main)}) are defined: ` +
        'a program has one entry, so keep one of them (main(void) or main(int argc, char **argv) ' +
        'runs as the main task just as wa_main does)');
    }
  }
}


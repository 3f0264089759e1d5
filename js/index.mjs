// index.mjs — the npm package's entry: load a module built by `wasync build`.
//
//   const app = await load(createModule, { args, print, printErr });
//   const status = await app.main(['--flag']);        // runs wa_main as a task
//   const title = app.cwrap('fetch_title', 'string', ['string']);
//   await Promise.all([title(u1), title(u2)]);         // two C tasks at once
//
// cwrap(name, ret, argTypes): argument types 'number', 'string' (copied in
// as UTF-8), 'array' (a Uint8Array, copied in), 'boolean'; return types
// 'number', 'string' (copied out; NULL is null), 'boolean', 'array' (a
// Uint8Array: the C function returns wa_js_bytes(data, len), which JS
// copies out and frees; NULL is null), 'void', null or undefined
// (resolves with undefined).
// Each call runs as its own C task, so calls may overlap; its Promise
// settles when that task ends. Argument memory is freed then. A wrong
// argument count or type rejects with a TypeError; a task that was
// cancelled (the promise's cancel() does that) or never returned
// (overflowed) rejects with an Error whose .code is the WA_E* name. A bad signature (unknown types, a name that
// is not an exported C function) throws a TypeError from cwrap itself.

/**
 * @param {(opts: object) => Promise<object>} factory the default export of a built module
 * @param {{ args?: string[], print?: (s: string) => void, printErr?: (s: string) => void,
 *           moduleOptions?: object }} [opts]
 */
export async function load(factory, opts = {}) {
  if (typeof factory !== 'function') throw new TypeError('wasync: load() needs the factory a built module exports');
  const mopts = Object.assign({}, opts.moduleOptions || {});
  if (opts.print) mopts.print = opts.print;
  if (opts.printErr) mopts.printErr = opts.printErr;
  const m = await factory(mopts);
  const W = m.wasync;
  const B = m.wasyncBridge;
  if (!W || !B) throw new TypeError('wasync: this module was not built by wasync build');
  const defaultArgs = (opts.args || []).map(String);

  return {
    /** The Emscripten module (HEAP views, exported functions). */
    module: m,

    /** Runs wa_main(args) as task "main"; resolves with its status (rejects
     *  with code WA_ENOTSUP for a library, which has no wa_main). */
    main(args = defaultArgs) {
      if (!Array.isArray(args)) return Promise.reject(new TypeError('wasync: main() takes an array of strings'));
      return W.runMain(args);
    },

    /** An async function calling the exported C function `name`, each call its own task. */
    cwrap(name, ret, argTypes = [], { stackSize = 0 } = {}) {
      B.checkSignature(name, ret === undefined ? 'undefined' : ret, argTypes);
      const types = argTypes.slice();
      const r = ret === undefined ? 'undefined' : ret;
      return function wasyncCall(...args) {
        return B.call(name, r, types, args, stackSize);
      };
    },

    /**
     * The live task table, one entry per task not yet freed:
     * [{ id, name, state, waitingOn, ms }]. state is 'new', 'ready',
     * 'running', 'waiting' or 'done'; waitingOn says what a waiting task
     * waits on ('sleep', 'join', 'fetch <url>', …; '' otherwise) and ms for
     * how long (0 unless waiting). Sorted by id: ids count from 1 in the
     * order tasks were created, so main is 1 only if main() ran before any
     * cwrap call. A snapshot: synchronous, no task runs.
     */
    tasks() {
      return parseTasks(readTasks(m));
    },

    /**
     * Hands a promise (or any value) to C: returns a handle, a positive
     * integer, which C awaits with wa_js_await(handle, &value) (suspending
     * only that task) or gives back with wa_js_release(handle).
     */
    promise(p) {
      return m.wasyncBridge.handOver(p);
    },

    /** Calls `name` once (cwrap shorthand); the promise has cancel() too. */
    ccall(name, ret, argTypes, args = []) {
      return this.cwrap(name, ret, argTypes)(...args);
    },
  };
}

// Reads wa__host_tasks()'s table (src/introspect.c), growing the buffer
// until the whole table fits.
function readTasks(m) {
  let len = 4096;
  for (;;) {
    const buf = m._malloc(len);
    if (!buf) throw new Error('wasync: tasks(): out of memory');
    try {
      const need = m._wa__host_tasks(buf, len);
      if (need < len) return m.UTF8ToString(buf, need);
      len = need + 1024;
    } finally {
      m._free(buf);
    }
  }
}

function parseTasks(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [id, name, state, waitingOn, ms] = line.split('\t');
    out.push({ id: Number(id), name, state, waitingOn, ms: Number(ms) });
  }
  return out.sort((a, b) => a.id - b.id);
}

export default load;

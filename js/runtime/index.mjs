// index.mjs — the npm package's entry: load a module built by `wasync build`.
//
//   const app = await load(createModule, { args, print, printErr });
//   const status = await app.main(['--flag']);        // runs main (or wa_main) as a task
//   const title = app.cwrap('fetch_title', 'string', ['string']);
//   await Promise.all([title(u1), title(u2)]);         // two C tasks at once
//
// cwrap(name, ret, argTypes, { stackSize, rejectErrors }): argument types
// 'number', 'string' (copied in as UTF-8), 'array' (a Uint8Array, copied in),
// 'boolean', 'u32' (uint32_t: an integer 0..2^32-1), 'i64' / 'u64'
// (int64_t / uint64_t: a BigInt, or a safe integer), 'promise' (any promise
// or value, handed over as app.promise() does: C gets the uint32_t handle
// and owns it once the function runs; a call cancelled before that releases
// it); return types 'number',
// 'string' (copied out; NULL is null), 'boolean', 'array' (a Uint8Array: the
// C function returns wa_js_bytes(data, len), which JS copies out and frees;
// NULL is null), 'u32' (a number 0..2^32-1), 'i64' / 'u64' (a BigInt),
// 'void', null or undefined (resolves with undefined). With rejectErrors
// (return type 'number' only), a negative result is taken as a WA_E* code:
// the promise rejects with an Error whose .code is its name, .status the
// number and .message the task's wa_last_error() (or the code's description
// when that is empty).
// Each call runs as its own C task, so calls may overlap; its Promise
// settles when that task ends. Argument memory is freed then. A wrong
// argument count or type rejects with a TypeError; a task that was
// cancelled (the promise's cancel() does that) or never returned
// (overflowed) rejects with an Error whose .code is the WA_E* name; an
// argument that cannot be copied into wasm memory rejects with WA_ENOMEM.
// Every failure of a call is a rejection, never a synchronous throw. A bad
// signature (unknown types, a name that is not an exported C function)
// throws a TypeError from cwrap itself, and so does a stackSize that is not
// a safe integer; one outside 2048..2^30 (other than 0, the default) throws
// a RangeError.
//
// A module that stopped (exit(), abort() or a trap in C) rejects every call
// with code 'WA_EXIT' or 'WA_EABORT', and app.tasks() throws that Error. In
// Node, when the event loop drains while calls are pending (every task
// blocked for good), the deadlock is reported on printErr as `wasync run`
// does and the pending calls reject with code 'WA_EDEADLK' (a code of the
// JS API only). app.module's exported functions may be called directly,
// also from a print callback: an await point in such a call returns
// WA_ENOTASK. A print or printErr callback that throws is reported once
// and does not stop the module.
//
// opts.backend runs a module built with --backend=auto on 'asyncify' or
// 'jspi' (the module then rejects with one sentence where it cannot: JSPI
// asked for where the engine lacks it, or a backend it was not built
// with); left out or 'auto', JSPI runs where the engine has it, else
// Asyncify. app.backend says which one runs.
//
// opts.threads (a module built with `wasync build --threads`): the size of
// wa_to_thread's pool, a whole number from 1 to 256; default: --threads=N,
// else the machine's parallelism. Such a module needs SharedArrayBuffer:
// without it (a page that is not cross-origin isolated) load() rejects with
// one sentence saying which headers to send. Plain modules ignore it.
//
// opts.stdin is the C program's stdin instead of the process's (under Node)
// or an empty one (in a page): a string, bytes, an async or sync iterable of
// strings or bytes, or a ReadableStream (null: empty). A read in a task that
// finds no data yet suspends only that task until the next chunk.

/**
 * @param {(opts: object) => Promise<object>} factory the default export of a built module
 * @param {{ args?: string[], print?: (s: string) => void, printErr?: (s: string) => void,
 *           stdin?: string | ArrayBuffer | ArrayBufferView | AsyncIterable<any> | Iterable<any> | ReadableStream | null,
 *           backend?: 'asyncify' | 'jspi' | 'auto', threads?: number,
 *           moduleOptions?: object }} [opts]
 */
export async function load(factory, opts = {}) {
  if (typeof factory !== 'function') throw new TypeError('wasync: load() needs the factory a built module exports');
  if (opts.backend !== undefined && !['asyncify', 'jspi', 'auto'].includes(opts.backend)) {
    throw new TypeError(`wasync: load(): backend must be 'asyncify', 'jspi' or 'auto' (the default), not ${JSON.stringify(opts.backend)}`);
  }
  const mopts = Object.assign({}, opts.moduleOptions || {});
  if (opts.backend !== undefined) mopts.wasyncBackend = opts.backend;
  const report = reportOnce(opts.printErr || mopts.printErr);
  const print = opts.print || mopts.print;
  const printErr = opts.printErr || mopts.printErr;
  let m = null;
  // Bytes C's stdio still holds for fd (see guardCallback); 0 before the module is up.
  const pending = (fd) => (m && m._wa__stdio_pending ? m._wa__stdio_pending(fd) : 0);
  if (print) mopts.print = guardCallback(print, 'print', report, () => pending(1));
  if (printErr) mopts.printErr = guardCallback(printErr, 'printErr', report, () => pending(2));
  if ('stdin' in opts && opts.stdin !== undefined) mopts.wasyncStdin = stdinSource(opts.stdin);
  if (opts.threads !== undefined) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > 256) {
      throw new RangeError('wasync: load(): threads must be a whole number from 1 to 256');
    }
    mopts.wasyncThreads = opts.threads;
  }
  m = await factory(mopts);
  const W = m.wasync;
  const B = m.wasyncBridge;
  if (!W || !B) throw new TypeError('wasync: this module was not built by wasync build');
  B.guardExports();
  W.watchDrain();
  const defaultArgs = (opts.args || []).map(String);

  return {
    /** The Emscripten module (HEAP views, exported functions). */
    module: m,

    /** The backend the module runs on: 'asyncify' or 'jspi' (modules built
     *  before wasync said so: told by the JSPI backend's JS half). */
    backend: m.wasyncBackend || (m.wasyncJspi ? 'jspi' : 'asyncify'),

    /** Runs main(args) (or wa_main) as task "main"; resolves with its status
     *  (rejects with code WA_ENOTSUP for a library, which has neither). */
    main(args = defaultArgs) {
      if (!Array.isArray(args)) return Promise.reject(new TypeError('wasync: main() takes an array of strings'));
      return W.runMain(args);
    },

    /** An async function calling the exported C function `name`, each call its own task. */
    cwrap(name, ret, argTypes = [], { stackSize = 0, rejectErrors = false } = {}) {
      const r = ret === undefined ? 'undefined' : ret;
      const bad = B.signatureError(name, r, argTypes, rejectErrors);
      if (bad) throw bad;
      B.checkStackSize(name, stackSize);
      const types = argTypes.slice();
      return function wasyncCall(...args) {
        return B.call(name, r, types, args, stackSize, rejectErrors);
      };
    },

    /**
     * The live task table, one entry per task not yet freed:
     * [{ id, name, state, waitingOn, ms, stackUsed, stackSize }]. state is
     * 'new', 'ready', 'running', 'waiting' or 'done'; waitingOn says what a
     * waiting task waits on ('sleep', 'join', 'fetch <url>', …; ''
     * otherwise) and ms for how long (0 unless waiting; waitingOn is cut to
     * 512 bytes); stackUsed is the most of its stackSize bytes it has
     * needed at an await point (wa_task_stack_used in wasync.h). Sorted by
     * id: ids count from 1 in the order tasks were created, so main is 1
     * only if main() ran before any cwrap call. A snapshot: synchronous, no
     * task runs; it allocates nothing in wasm, so it works when the heap is
     * full. Throws the module's Error (code 'WA_EXIT' or 'WA_EABORT') once
     * it stopped.
     */
    tasks() {
      return parseTasks(readTasks(m, W));
    },

    /**
     * Hands a promise (or any value) to C: returns a handle, a positive
     * integer, which C awaits with wa_js_await(handle, &value) (suspending
     * only that task) or gives back with wa_js_release(handle). 0 (no
     * handle) once the module stopped. A handle passed as a 'number' to a
     * call that is cancelled before its C function runs is never taken:
     * pass the promise with the argument type 'promise' instead, which
     * releases it then.
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

// Reads the task table (src/introspect.c) chunk by chunk through the
// runtime's fixed buffer. A module that stopped is not read: its memory may
// be inconsistent. A fault while reading stops the module.
function readTasks(m, W) {
  if (W.dead) throw W.deadError();
  let text = '';
  try {
    const buf = m._wa__tasks_begin();
    for (let n; (n = m._wa__tasks_next()) > 0;) text += m.UTF8ToString(buf, n);
  } catch (e) {
    W.fatal(e);
    throw W.deadError();
  }
  return text;
}

// A print callback that throws must not stop the module (the exception would
// unwind through C): the first such exception is reported, on printErr or
// else console.error, and later ones are dropped.
function reportOnce(printErr) {
  let reported = false;
  return (which, e) => {
    if (reported) return;
    reported = true;
    const msg = `wasync: the ${which} callback threw (reported once; output it was given is lost): ${e && e.stack || e}`;
    try {
      if (which === 'printErr' || !printErr) console.error(msg);
      else printErr(msg);
    } catch (x) {
      console.error(msg);
    }
  };
}

// A line printed from inside a callback (a direct call of an export) comes
// with two stale prefixes, since neither buffer on the way is emptied until
// the enclosing line's write returns: Emscripten's line buffer (the whole
// enclosing line) and then what C's stdio had buffered of that line before
// its last write (its first pending() bytes, UTF-8). Both are cut off the
// first nested line; by its end both buffers are empty.
function guardCallback(f, which, report, pending) {
  const outer = [];
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return (s) => {
    const top = outer[outer.length - 1];
    let text = s;
    let written = s; // what this line's write sent (after Emscripten's stale part)
    if (top && !top.emptied && s.startsWith(top.raw)) {
      written = s.slice(top.raw.length);
      text = written.startsWith(top.buffered) ? written.slice(top.buffered.length) : written;
    }
    let buffered = '';
    try {
      const n = pending();
      if (n > 0) buffered = decoder.decode(encoder.encode(written).subarray(0, n));
    } catch (e) { /* a stopped module: nothing to cut */ }
    outer.push({ raw: s, buffered, emptied: false });
    try {
      f(text);
    } catch (e) {
      report(which, e);
    } finally {
      outer.pop();
      if (top) top.emptied = true;
    }
  };
}

// opts.stdin, checked: the module's stdin (wasm/host/js/stdio.js) is read
// from it instead of the process's (or instead of none, in a page).
function stdinSource(src) {
  const ok = src === null || typeof src === 'string' || src instanceof ArrayBuffer || ArrayBuffer.isView(src) ||
    (typeof src === 'object' && (typeof src.getReader === 'function' ||
      typeof src[Symbol.asyncIterator] === 'function' || typeof src[Symbol.iterator] === 'function'));
  if (!ok) {
    throw new TypeError('wasync: load(): stdin must be a string, bytes (Uint8Array, ArrayBuffer), an async ' +
      'iterable of strings or bytes, a ReadableStream or null');
  }
  return src;
}

function parseTasks(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [id, name, state, waitingOn, ms, stackUsed, stackSize] = line.split('\t');
    out.push({ id: Number(id), name, state, waitingOn, ms: Number(ms), stackUsed: Number(stackUsed), stackSize: Number(stackSize) });
  }
  return out.sort((a, b) => a.id - b.id);
}

export default load;

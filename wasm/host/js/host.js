/**
 * host.js — the host side of wasync (src/host.h), as an
 * Emscripten --js-library. Works in browsers and Node.
 *
 * The JS event loop drives; it never schedules task by task:
 *  - one setTimeout for the earliest C deadline (wa__host_timer_arm);
 *  - completions call into C, which wakes tasks and asks for at most one
 *    tick (wa__host_request_tick): a microtask, or, after a full time
 *    slice, a macrotask so the page can render and take input;
 *  - tasks started from JS (main, cwrap calls) report their end through
 *    wa__host_task_done(token, status).
 * Backend-blind: stack switching is the backend's (wasm/backend/), and all
 * the host asks of the backend's JS half is $wasyncBackendJs (described in
 * wasm/backend/asyncify.js). Error codes are $wasyncErrors's, generated from the C
 * tables (js/cli/crossings.mjs); every crossing is in src/host.h.
 */
mergeInto(LibraryManager.library, {

  // Emscripten serializes this object into the output, so values built at
  // run time (Map, class, closures over a MessageChannel) are made here.
  // wasyncHost.init() runs on the first call into C (runMain, a cwrap call), not
  // through addOnInit: that is a runtime function in 3.1.x and a library
  // symbol in 6.x, and either way the runtime is ready by the first call.
  // quit_ is the glue's exit path: under Node it sets process.exitCode,
  // which an imported module must never touch (Module.quit, which used to
  // replace it, is gone since 3.1.65). exit() in C only throws here, after
  // wasyncHost.atExit; a program's own exit status is set by wasyncHost.exit.
  // The runtime is kept alive for good (runtimeKeepalivePush): modules link
  // with EXIT_RUNTIME=1 only so that atexit() is libc's real one (with 0,
  // Emscripten links a dummy that forgets the handlers), while Emscripten's
  // own shutdown (exitRuntime, and its maybeExit after callbacks) never
  // runs: a program ends through wasyncHost.exit, a library never ends.
  $wasyncHost__deps: ['$wasyncErrors', '$wasyncBackendJs', '$wasyncDebug', '$runtimeKeepalivePush'],

  // C's exit(): the atexit() handlers and stdio first (wasyncHost.atExit, on the
  // caller's stack), then the glue's proc_exit, which ends in quit_ above.
  // Replaces Emscripten's exit, whose only other work is the runtime
  // shutdown that wasync never runs (and which, in ASSERTIONS builds, would
  // print that the runtime was kept alive).
  exit__deps: ['$wasyncHost', 'proc_exit'],
  exit: function (status) {
    wasyncHost.atExit();
    _proc_exit(status);
  },

  $wasyncHost__postset: 'wasyncHost.setup(); Module["wasync"] = wasyncHost; quit_ = function (status, toThrow) { ' +
    'if (toThrow && toThrow.name === "ExitStatus") { if (!wasyncHost.atExitDone && wasyncHost.threads) wasyncHost.libcExited = true; wasyncHost.atExit(); } throw toThrow; };',
  $wasyncHost: {
    tickQueued: false,
    macroQueued: false,
    tokens: null,          // Map: token -> { resolve, reject, onDone }
    nextHandle: 1,         // where newHandle looks next for a free token
    initialized: false,
    dead: null,            // set once the runtime cannot continue (message)
    postMacrotask: null,   // runs f after the host's pending work (not clamped)

    // The clock C sees (wa__host_now, and the now of every callback):
    // performance.now(), shifted by less than a millisecond under Node so
    // that its whole milliseconds begin when libuv's do. Node fires timers
    // on libuv's millisecond grid, and C's deadlines are whole milliseconds
    // (src/timer.c): unshifted, every wake-up would be late by the phase
    // between the two clocks, a random 0-1 ms per process. Both clocks
    // read the same monotonic clock (process.hrtime is libuv's uv_hrtime),
    // so the shift is measured once. Browsers fire at any sub-millisecond
    // time: no shift.
    clockShift: 0,
    now: function () { return performance.now() + wasyncHost.clockShift; },

    setup: function () {
      wasyncHost.tokens = new Map();
      runtimeKeepalivePush(); // see $wasyncHost__deps
      if (typeof process === 'object' && process.hrtime && typeof process.hrtime.bigint === 'function') {
        var p = performance.now(), hr = process.hrtime.bigint();
        var shift = Number(hr % BigInt(1000000)) / 1e6 - (p % 1);
        wasyncHost.clockShift = shift < 0 ? shift + 1 : shift;
      }
      if (typeof setImmediate === 'function') {
        wasyncHost.postMacrotask = function (f) { setImmediate(f); };
      } else if (typeof MessageChannel === 'function') {
        var ch = new MessageChannel();
        var q = [];
        ch.port1.onmessage = function () { q.shift()(); };
        wasyncHost.postMacrotask = function (f) { q.push(f); ch.port2.postMessage(0); };
      } else {
        wasyncHost.postMacrotask = function (f) { setTimeout(f, 0); };
      }
    },

    init: function () {
      if (wasyncHost.initialized) return;
      wasyncHost.initialized = true;
      wasyncBackendJs.init();
    },

    // Calls into C for the host; recovers from a task's stack overflow.
    // fn may return a promise (a backend's tick may run inside
    // WebAssembly.promising): its rejection is recovered from the same way.
    enter: function (fn) {
      if (wasyncHost.dead) return;
      var sp = stackSave();
      var r;
      try {
        r = fn();
      } catch (e) {
        wasyncHost.failed(e, sp);
        return;
      }
      if (r && typeof r.then === 'function') r.then(null, function (e) { wasyncHost.failed(e, sp); });
    },

    failed: function (e, sp) {
      try {
        if (!wasyncBackendJs.recover(e, sp)) wasyncHost.fatal(e);
      } catch (e2) {
        wasyncHost.fatal(e2); // exit() or a trap while recovering
      }
    },

    // The module cannot continue (exit() or abort() in C, a trap): every
    // pending call fails, and a program exits with the right status. A
    // library (load()) is not thrown out of: the error surfaced here would
    // be uncaught (it runs in a microtask or a host callback) and take the
    // whole process or page down with it. Its callers learn of it instead:
    // every pending and later call rejects (wasyncHost.deadError()).
    fatal: function (e) {
      if (wasyncHost.dead) return;
      var isExit = e && e.name === 'ExitStatus';
      var why = isExit ? 'exit(' + e.status + ') was called' : wasyncHost.describeFault(e);
      var dead;
      wasyncHost.stop(why, wasyncErrors.name(isExit ? wasyncErrors.EXIT : wasyncErrors.EABORT));
      dead = wasyncHost.deadError();
      wasyncHost.tokens.forEach(function (entry) { entry.reject(dead); });
      wasyncHost.tokens.clear();
      if (wasyncHost.pendingSet) wasyncHost.pendingSet.delete(wasyncHost.drained);
      if (!isExit) {
        wasyncHost.flush();
        // The fault's stack: its C frames wherever the module has their
        // names (--debug builds), the whole JS stack with WASYNC_TRACE=1.
        var trace = typeof process === 'object' && process.env && process.env.WASYNC_TRACE;
        var frames = trace ? null : wasyncDebug.cStack(e);
        err('wasync: fatal: ' + wasyncHost.dead + (trace ? '\n' + e.stack : frames ? '\n' + frames : ''));
      }
      if (wasyncHost.programMode) wasyncHost.exit(isExit ? e.status : 1);
    },

    // What a fault means, with the running task and hints that apply to
    // wasync's builds (Emscripten's hint to build with ASSERTIONS does not:
    // wasync builds without them, DESIGN.md).
    describeFault: function (e) {
      var cxx = wasyncDebug.describeException(e);
      var msg = cxx || String(e && e.message || e).replace(/\.? *\(?Build with -s ?ASSERTIONS[^)]*?(\)|for more info\.?)/g, '');
      var who = null;
      try {
        var p = _wa__running_name();
        if (p) who = UTF8ToString(p);
      } catch (x) { /* memory unreadable: no name */ }
      var hint;
      if (cxx) hint = null;
      else if (/^Aborted\((segmentation fault|alignment fault)\)/.test(msg)) {
        hint = 'SAFE_HEAP stopped a load or store through a bad pointer (NULL, out of bounds or misaligned)';
      } else if (/^Aborted/.test(msg)) hint = 'abort() was called (or an assert() failed)';
      else if (/function signature mismatch|null function|table index/i.test(msg)) {
        hint = 'a call through a bad function pointer (NULL, freed or of the wrong type)';
      } else if (/unreachable/.test(msg)) {
        hint = 'a trap: __builtin_trap(), a call through a bad function pointer, or undefined behaviour the compiler turned into one';
      } else if (/memory access out of bounds/.test(msg)) hint = 'a bad pointer';
      else if (/integer (overflow|divide by zero)|divide by zero/i.test(msg)) hint = 'an integer division by zero or overflow';
      else if (/suspend JS frames/i.test(msg)) {
        // JSPI (wasm/backend/jspi.js names the task): an await below a JS
        // frame. Emscripten's invoke_* trampolines (setjmp, C++ exceptions)
        // are made Suspending by wrap.mjs; any other JS that calls C is not.
        hint = 'the task awaited below a JS frame, which JSPI cannot suspend: JS code that called C (an EM_JS or ' +
          'JS library function calling a C function pointer, or an invoke_* trampoline of setjmp or C++ exceptions ' +
          'that was not made Suspending) ran the await; await only in C that C called, ' +
          'or build with --backend=asyncify';
      }
      var out = msg + ' in ' + (who || 'no task (a direct call from JS)');
      if (hint) out += ': ' + hint;
      // Every C frame named (a --debug or --profiling-funcs build): no need
      // to say how to get names. A release build names only its exports.
      if (wasyncDebug.cStack(e, true)) return out + '; set WASYNC_TRACE=1 for the JS stack too';
      return out + '; build with --debug (or link with --profiling-funcs) for names in the stack, ' +
        'and set WASYNC_TRACE=1 for the JS stack';
    },

    deadCode: null,
    // Functions the other bridge libraries register to release what they
    // hold for C when the module stops (e.g. abort requests in flight).
    onStop: [],
    // The error a call into a stopped module rejects with.
    deadError: function () {
      var err = wasyncHost.error(0, 'wasync: the module stopped: ' + wasyncHost.dead);
      err.code = wasyncHost.deadCode || wasyncErrors.name(wasyncErrors.EABORT);
      return err;
    },

    // exit() in C (Emscripten implements it in JS, and its exitRuntime
    // never runs here: see $wasyncHost__deps): runs the atexit() handlers, once,
    // on the stack of the caller of exit(), then flushes stdio, as libc's
    // exit() does. Not on a trap or abort(), as natively.
    atExitDone: false,
    atExit: function () {
      if (wasyncHost.atExitDone) return;
      wasyncHost.atExitDone = true;
      try {
        if (!wasyncHost.libcExited && typeof ___funcs_on_exit === 'function') ___funcs_on_exit();
      } finally {
        wasyncHost.flush(true);
        if (wasyncHost.threads) wasyncHost.libcExited = true;
      }
    },

    // Flushes C's stdio. ending (the program ends): also the last,
    // unterminated line of stdout and stderr, which Emscripten holds back
    // until a newline and prints only when its runtime exits (which
    // wasync's never does): in its printChar buffers (no file system;
    // flush_NO_FILESYSTEM, in every release) or in its terminal devices
    // (TTY.ttys, whose ops are flush() in 3.1.x and fsync() later).
    // libcExited: in a --threads build (wasyncHost.threads, wasm/host/js/thread.js)
    // the exit work of the libc has run (its own exit, or wasyncHost.atExit): the
    // atexit handlers and stdio are done, and the libc may leave their locks
    // held for good (real locks once there are threads), so running either
    // again could wait forever.
    threads: false,
    libcExited: false,
    flush: function (ending) {
      if (!wasyncHost.libcExited) {
        try { _fflush(0); } catch (e) { /* the module may be dead */ }
      }
      if (!ending) return;
      try {
        // (It ends C's stdio too: see libcExited.)
        if (typeof flush_NO_FILESYSTEM === 'function' && !wasyncHost.libcExited) flush_NO_FILESYSTEM();
        if (typeof TTY === 'object' && TTY.ttys) {
          Object.keys(TTY.ttys).forEach(function (dev) {
            var tty = TTY.ttys[dev];
            var f = tty && tty.ops && (tty.ops.flush || tty.ops.fsync);
            if (f && tty.output && tty.output.length) f(tty);
          });
        }
      } catch (e) { /* the module may be dead */ }
    },

    // Stops the module for good: no call enters C again (wasyncHost.enter), host
    // work it started (requests in flight…) is undone, its timer cleared.
    stop: function (why, code) {
      wasyncHost.dead = why;
      wasyncHost.deadCode = code;
      wasyncHost.onStop.forEach(function (f) { try { f(); } catch (x) { /* keep going */ } });
      wasyncHost.timerStop();
    },

    // Ends a program with status, as Go does when main returns: nothing
    // the module started runs on. Node is left to end by itself (the event
    // loop drains once the module holds nothing): process.exit() tears the
    // V8 platform down without disposing the isolate, and Node 24 then
    // sometimes waits forever for a wasm compile job (about 1 exit in 600
    // on Debian sid). Only if something else keeps the loop alive does an
    // unref'd timer force the exit on the next turn of the loop.
    exiting: false,
    exit: function (status) {
      if (wasyncHost.exiting) return;
      wasyncHost.exiting = true;
      wasyncHost.flush(true);
      process.exitCode = status;
      if (!wasyncHost.dead) wasyncHost.stop('the program has ended', wasyncErrors.name(wasyncErrors.EXIT));
      setTimeout(function () { process.exit(status); }, 0).unref();
    },

    // Node: runs wa_main as a program. The process exits with its status as
    // soon as it returns; if the event loop drains first, every task is
    // blocked for good: print the deadlock report and exit 2 (as Go does).
    programMode: false,
    runProgram: function (args) {
      wasyncHost.programMode = true;
      var finished = false;
      process.on('beforeExit', function () {
        if (finished || wasyncHost.dead) return;
        wasyncHost.flush();
        wasyncHost.reportDeadlock();
        wasyncHost.exit(2);
      });
      return wasyncHost.runMain(args).then(function (status) {
        finished = true;
        // As in C, returning from main is exit(status): atexit handlers
        // run and stdio is flushed; exit() then throws ExitStatus, which
        // wasyncHost.fatal turns into wasyncHost.exit(status).
        wasyncHost.enter(function () { _wa__on_exit(status); });
        wasyncHost.exit(status);
      }, function (e) {
        finished = true;
        if (!wasyncHost.dead) err(String(e && e.message || e));
        wasyncHost.exit(1);
      });
    },

    // One host callback, with the clock reading C uses for all of it.
    tick: function () {
      wasyncHost.tickQueued = false;
      var now = wasyncHost.now();
      wasyncHost.enter(function () { return wasyncBackendJs.tick(now); });
    },

    // The host timer (wa__host_timer_arm). C's deadlines are whole
    // milliseconds (src/timer.c), as setTimeout's are: it is armed for the
    // milliseconds left, rounded up, and fires as the host's clock reaches
    // the deadline. C is called once, at the deadline, never before it:
    // when setTimeout fires early (Node counts from its loop's cached time)
    // or a long wait ends a part (2^31-1 ms at most, setTimeout's limit),
    // this waits again without calling C. Nothing polls: waiting out the
    // last fraction of a millisecond on macrotasks was tried and, on a
    // loaded machine, made wake-ups 4-10 ms late (a spinning process loses
    // the CPU; one that sleeps is woken in time).
    timer: null,          // the pending setTimeout
    timerDeadline: null,  // what C armed (wasyncHost.now() ms), or null
    timerSoon: false,     // a macrotask check is on its way (deadline passed)
    timerWait: function (left) {
      if (left <= 0) {
        wasyncHost.timerSoon = true;
        wasyncHost.postMacrotask(wasyncHost.timerNow);
      } else {
        wasyncHost.timer = setTimeout(wasyncHost.timerCheck, Math.min(2147483647, Math.ceil(left)));
      }
    },
    timerStop: function () {
      wasyncHost.timerDeadline = null;
      if (wasyncHost.timer !== null) clearTimeout(wasyncHost.timer);
      wasyncHost.timer = null;
    },
    timerNow: function () {
      wasyncHost.timerSoon = false;
      wasyncHost.timerCheck();
    },
    timerCheck: function () {
      wasyncHost.timer = null;
      if (wasyncHost.timerDeadline === null) return; // disarmed meanwhile
      var now = wasyncHost.now();
      if (now < wasyncHost.timerDeadline) return wasyncHost.timerWait(wasyncHost.timerDeadline - now);
      wasyncHost.timerDeadline = null;
      wasyncHost.enter(function () { return wasyncBackendJs.timerFired(now); });
    },

    macroTick: function () {
      wasyncHost.macroQueued = false;
      wasyncHost.tick();
    },

    // A key in 1..2^31-1, so that C can hold it in an int, which `table` (a
    // Map) does not hold: counts on from owner.nextHandle and wraps, since
    // a long-lived page may make more calls than an int can count. Tokens,
    // promise handles (wasyncBridge) and fetch handles (wasyncFetch) all come from here.
    newHandle: function (table, owner) {
      for (;;) {
        var h = owner.nextHandle;
        owner.nextHandle = (h % 0x7fffffff) + 1;
        if (!table.has(h)) return h;
      }
    },

    // Starts a task-running call from JS; returns { token, promise }.
    newToken: function () {
      var token = wasyncHost.newHandle(wasyncHost.tokens, wasyncHost);
      var entry = {};
      entry.promise = new Promise(function (resolve, reject) {
        entry.resolve = resolve;
        entry.reject = reject;
      });
      wasyncHost.tokens.set(token, entry);
      if (wasyncHost.pendingSet && wasyncHost.tokens.size === 1) wasyncHost.pendingSet.add(wasyncHost.drained);
      return { token: token, entry: entry };
    },

    // Forgets a token (its call ended or never started).
    dropToken: function (token) {
      wasyncHost.tokens.delete(token);
      if (wasyncHost.pendingSet && !wasyncHost.tokens.size) wasyncHost.pendingSet.delete(wasyncHost.drained);
    },

    // wa_main(args) as task "main"; resolves with its status, or rejects
    // (code WA_ENOTSUP) if the module is a library without wa_main. The
    // arguments go to C in one malloc'd block (the C stack may be 64 KiB, an
    // argument megabytes); every failure is a rejection with a code, and
    // the token is dropped with it.
    runMain: function (args) {
      if (wasyncHost.dead) return Promise.reject(wasyncHost.deadError());
      wasyncHost.init();
      var argv, t, rc, sp = stackSave();
      try {
        argv = [wasyncHost.option('thisProgram') || 'wasync'].concat((args || []).map(String));
      } catch (e) {
        return Promise.reject(e); // an argument with no string form (a Symbol…)
      }
      t = wasyncHost.newToken();
      try {
        rc = wasyncHost.startMain(argv, t);
      } catch (e) {
        wasyncHost.dropToken(t.token);
        wasyncHost.failed(e, sp);
        return Promise.reject(wasyncHost.dead ? wasyncHost.deadError() : e);
      }
      if (rc < 0) {
        wasyncHost.dropToken(t.token);
        // WA_ENOTSUP: a library, built without wa_main.
        return Promise.reject(rc === wasyncErrors.ENOTSUP ? wasyncHost.error(rc, 'wasync: ' + (wasyncHost.option('thisProgram') || 'this module') +
          ' is a library: it defines no wa_main; import it and call its exported functions with cwrap()') :
          wasyncHost.error(rc, rc === wasyncErrors.ENOMEM ? 'wasync: main(): the arguments do not fit in memory' : undefined));
      }
      wasyncHost.tick();
      return t.entry.promise;
    },

    // Calls wa__on_start_main with argv copied to the heap: pointers,
    // the task handle C writes back, then the strings. A wasyncErrors code or 0.
    startMain: function (argv, t) {
      var lens = argv.map(function (s) { return lengthBytesUTF8(s) + 1; });
      var head = 4 * (argv.length + 1);
      var bytes = lens.reduce(function (a, n) { return a + n; }, head);
      var block = bytes < 0x7fffffff ? _malloc(bytes) : 0;
      if (!block) return wasyncErrors.ENOMEM;
      try {
        var p = block + head;
        argv.forEach(function (s, i) {
          stringToUTF8(s, p, lens[i]);
          HEAPU32[(block >> 2) + i] = p;
          p += lens[i];
        });
        var out = block + 4 * argv.length;
        var rc = _wa__on_start_main(argv.length, block, t.token, out);
        if (rc >= 0) t.entry.task = HEAPU32[out >> 2];
        return rc;
      } finally {
        _free(block);
      }
    },

    // A NUL-terminated UTF-8 copy of s on the C stack (the caller saves and
    // restores the stack pointer around its use). Built from functions every
    // supported Emscripten has: allocateUTF8OnStack is deprecated since 3.1.3x
    // and stringToUTF8OnStack does not exist in 3.1.6.
    stackString: function (s) {
      var n = lengthBytesUTF8(s) + 1;
      var p = stackAlloc(n);
      stringToUTF8(s, p, n);
      return p;
    },

    // An option the caller passed on Module, or undefined. Read without
    // touching Module's getters: with ASSERTIONS the glue puts getters that
    // abort on the options it consumed and on runtime methods not exported.
    option: function (name) {
      var d = Object.getOwnPropertyDescriptor(Module, name);
      return d && 'value' in d ? d.value : undefined;
    },

    // A best-effort message for any rejected or thrown value (its message,
    // or its string form); never throws, whatever the value: an object
    // with no prototype, a throwing getter or toString, a Symbol, a
    // revoked Proxy.
    messageOf: function (v) {
      try {
        var m = v !== null && (typeof v === 'object' || typeof v === 'function') && 'message' in v ? v.message : v;
        return typeof m === 'symbol' ? m.toString() : String(m);
      } catch (e) {
        try {
          return Object.prototype.toString.call(v);
        } catch (e2) {
          return 'a value with no readable message';
        }
      }
    },

    error: function (code, message) {
      var name = code ? wasyncErrors.name(code) : 'WA_EUNKNOWN';
      return wasyncHost.newError(Error, message || ('wasync: ' + wasyncErrors.text(code)), name);
    },

    // Every error wasync gives the user is made here, by the wrapper's
    // Module.wasyncError when there is one (js/cli/wrap.mjs): Node prints the
    // source line of an uncaught error's first frame, and in a release build
    // this file is one line of about 40 KB.
    newError: function (Type, message, code) {
      var make = Module['wasyncError'];
      var e = make ? make(Type, message) : new Type(message);
      if (code) e.code = code;
      return e;
    },

    // Library use in Node (load()): the event loop drained while calls are
    // pending, so none of them can ever finish. Reports the deadlock as a
    // program does, then rejects them with code WA_EDEADLK (a JS-side code)
    // and cancels their tasks, which may then clean up. One 'beforeExit'
    // listener serves every module (it does not keep the process alive);
    // a module is in its set only while it has calls pending, so an idle
    // or dead module is not held.
    watchDrain: function () {
      if (wasyncHost.pendingSet || typeof process !== 'object' || typeof process.on !== 'function') return;
      var key = Symbol.for('wasync.pendingModules');
      var set = globalThis[key];
      if (!set) {
        set = globalThis[key] = new Set();
        process.on('beforeExit', function () { Array.from(set).forEach(function (f) { f(); }); });
      }
      wasyncHost.pendingSet = set;
      if (wasyncHost.tokens.size) set.add(wasyncHost.drained);
    },
    pendingSet: null,
    drained: function () {
      if (wasyncHost.dead || wasyncHost.programMode) return;
      var stuck = [];
      wasyncHost.tokens.forEach(function (entry, token) { if (!entry.deadlocked) stuck.push(token); });
      if (!stuck.length) return;
      wasyncHost.flush();
      wasyncHost.enter(function () { wasyncHost.reportDeadlock(); });
      wasyncHost.flush();
      var err = wasyncHost.newError(Error, 'wasync: deadlock: the event loop is empty and every task is blocked, ' +
        'so this call can never finish', wasyncErrors.name(wasyncErrors.EDEADLK));
      stuck.forEach(function (token) {
        var entry = wasyncHost.tokens.get(token);
        entry.deadlocked = true;
        entry.reject(err);
        if (entry.task) wasyncHost.enter(function () { _wa__on_cancel(entry.task); });
      });
    },

    reportDeadlock: function () { _wa__on_deadlock(); },
  },

  wa__host_now__deps: ['$wasyncHost'],
  wa__host_now: function () { return wasyncHost.now(); },

  wa__host_timer_arm__deps: ['$wasyncHost'],
  wa__host_timer_arm: function (deadline) {
    wasyncHost.timerDeadline = deadline;
    if (wasyncHost.timer !== null) clearTimeout(wasyncHost.timer);
    wasyncHost.timer = null;
    if (!wasyncHost.timerSoon) wasyncHost.timerWait(deadline - wasyncHost.now());
  },

  wa__host_timer_disarm__deps: ['$wasyncHost'],
  wa__host_timer_disarm: function () { wasyncHost.timerStop(); },

  wa__host_request_tick__deps: ['$wasyncHost'],
  wa__host_request_tick: function (yieldToHost) {
    if (yieldToHost) {
      if (wasyncHost.macroQueued) return;
      wasyncHost.macroQueued = true;
      wasyncHost.postMacrotask(wasyncHost.macroTick);
      return;
    }
    if (wasyncHost.tickQueued) return;
    wasyncHost.tickQueued = true;
    queueMicrotask(wasyncHost.tick);
  },

  wa__host_task_done__deps: ['$wasyncHost'],
  wa__host_task_done: function (token, status) {
    var entry = wasyncHost.tokens.get(token);
    if (!entry) return;
    wasyncHost.dropToken(token);
    if (entry.onDone) entry.onDone(status);
    else entry.resolve(status);
  },

});

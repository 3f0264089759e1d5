/**
 * jspi.js — the JS half of wasm/backend/jspi.c, linked only by
 * `wasync build --backend=jspi` (last --js-library).
 *
 * Carriers: every engine stack is one WebAssembly.promising() call of
 * wa__jspi_carrier, which runs new tasks one after another until the tick
 * resumes a suspended task instead (jspi.c). The tick itself has no stack
 * of its own: wa__on_tick runs as a plain call, and whichever stack runs
 * when a task suspends or ends hands the tick on (wasyncJspi.go):
 *  - resume: resolves the promise the task's suspend returned (one promise
 *    reaction; the resolvers are in wasyncJspi.res, by slot);
 *  - start: a new task on a new carrier, started at once (wasyncJspi.drive). A
 *    drive loop already on the JS stack below (a carrier it started is
 *    running) starts it as soon as that carrier suspends, so carriers never
 *    nest more than one deep, however many tasks suspend in a row.
 *  - wa__jspi_suspend(slot, resume, start) [Suspending, task side]: makes
 *    the task's promise, hands the tick on, returns the promise;
 *  - wa__jspi_park(slot): the same promise for a JS import that called C
 *    (WA_ASYNC_JS, cwrap): the import returns wasyncJspi.parked itself, after
 *    wa__jspi_leave and wa__jspi_parked have left the task's C stack and
 *    handed the tick on;
 *  - wa__jspi_idle() [Suspending, carrier side]: a carrier with no task
 *    waits in wasyncJspi.idle for the next new task (go prefers one to a new
 *    stack); wa__jspi_trim ends those beyond a few when the program idles.
 * A task that throws rejects its carrier's promise: wasyncJspi.failed passes the
 * error to wasyncHost.failed's recovery, as with Asyncify (the tick it carried is
 * abandoned there and the next starts afresh).
 * wrap.mjs wraps the Suspending imports (jspi.h's
 * WA_JSPI_SUSPENDING_IMPORTS, src/host.h's WA_HOST_ASYNC_IMPORTS, and
 * Emscripten's invoke_* trampolines through wasyncJspi.invoke) and checks, at
 * load, that the engine has JSPI. $wasyncBackendJs is the interface the host
 * calls (described in asyncify.js); stack.js is shared with Asyncify.
 */
mergeInto(LibraryManager.library, {
  $wasyncJspi__deps: ['$wasyncHost', '$wasyncStack', '$wasyncLimits', 'wa__jspi_suspend', 'wa__jspi_park', 'wa__jspi_go', 'wa__jspi_end_carrier', 'wa__jspi_forget', 'wa__jspi_idle', 'wa__jspi_trim'],
  $wasyncJspi__postset: 'wasyncJspi.setup(); Module["wasyncJspi"] = wasyncJspi;',
  $wasyncJspi: {
    res: null,       // Array: slot -> resolve() of the promise its task is suspended on
    slot: 0,         // where exec stores the next resolver
    carrier: null,   // promising(wa__jspi_carrier)
    driving: false,  // a drive loop is on the JS stack
    next: 0,         // a new task that loop starts next
    restSp: 0,       // the C stack pointer while no C code runs
    step: 0,         // HEAPU32 index of jspi.c's host_step
    parked: null,    // the promise of the last deferred suspend
    idle: null,      // resolvers of idle carriers (wa__jspi_idle), the latest last
    ended: { wasync: 'a carrier whose task ended through wa__task_exit' }, // what ends it

    setup: function () {
      wasyncJspi.res = [];
      wasyncJspi.idle = [];
    },

    // The executor of every task promise: one function, no closure per
    // suspend.
    exec: function (resolve) { wasyncJspi.res[wasyncJspi.slot] = resolve; },
    never: function () {},

    // The instance's own function for the C export `name` (promising needs
    // a wasm function; some releases put JS wrappers on Module, and release
    // builds minify export names, which the wrappers' text still shows).
    raw: function (name, f) {
      var raw = Module['wasyncRawExports'] || {};
      if (!f && typeof raw[name] === 'function') return raw[name];
      f = f || Module['_' + name];
      for (var k in raw) if (raw[k] === f) return f;
      // A JS wrapper (3.1.x): its text names the export it calls.
      var src = String(f), re = /\[["']([\w$]+)["']\]/g, hit;
      while ((hit = re.exec(src))) {
        if (hit[1] !== 'asm' && typeof raw[hit[1]] === 'function') return raw[hit[1]];
      }
      throw new Error('wasync: cannot find the wasm export ' + name);
    },

    init: function () {
      if (wasyncJspi.carrier) return;
      wasyncJspi.carrier = WebAssembly.promising(wasyncJspi.raw('wa__jspi_carrier'));
      wasyncJspi.restSp = stackSave();
      wasyncJspi.step = _wa__jspi_host_step() >>> 2;
    },

    // After a host callback: the first step of the tick it began, if any
    // (jspi.c, host_step).
    hostStep: function () {
      var resume = HEAPU32[wasyncJspi.step], start = HEAPU32[wasyncJspi.step + 1];
      if (!resume && !start) return;
      HEAPU32[wasyncJspi.step] = 0;
      HEAPU32[wasyncJspi.step + 1] = 0;
      wasyncJspi.go(resume, start);
    },

    // The tick goes on: resume (a slot + 1) or start (a new task), or
    // neither (it is over). Nothing once the module has stopped.
    go: function (resume, start) {
      if (wasyncHost.dead) return;
      if (resume) {
        var r = wasyncJspi.res[resume - 1];
        wasyncJspi.res[resume - 1] = undefined;
        r();
      } else if (start) {
        if (wasyncJspi.idle.length) wasyncJspi.idle.pop()(start);
        else wasyncJspi.drive(start);
      }
    },

    // Starts task t on a new carrier, which runs synchronously until its
    // task suspends or the tick moves on; then the next new task a suspend
    // asked for, if any.
    drive: function (t) {
      if (wasyncJspi.driving) {
        wasyncJspi.next = t;
        return;
      }
      wasyncJspi.driving = true;
      try {
        while (t && !wasyncHost.dead) {
          wasyncJspi.next = 0;
          wasyncJspi.carrier(t).then(undefined, wasyncJspi.failed);
          t = wasyncJspi.next;
        }
      } finally {
        wasyncJspi.driving = false;
      }
    },

    // The carrier of a task that exited has ended (wa__jspi_end_carrier):
    // the exception left the stack pointer in the task's stack; the
    // scheduler's limits and the JS stack pointer go back (limits first:
    // stackRestore is checked too) before C frees the task and hands the
    // tick on.
    exited: function () {
      if (wasyncStack.schedulerLimits) wasyncStack.schedulerLimits();
      stackRestore(wasyncJspi.restSp);
      _wa__jspi_exited();
      wasyncJspi.hostStep();
    },

    // A carrier's promise rejected: an exception escaped its task.
    failed: function (e) {
      if (wasyncHost.dead) return;
      if (e === wasyncJspi.ended) {
        wasyncJspi.exited();
        return;
      }
      // A trap with the stack pointer outside the task's region: its C stack
      // ran off its block (release builds have no per-function check) and
      // the runtime names the task and exits, as when a canary says so.
      if (e instanceof WebAssembly.RuntimeError) {
        var w = _wa__jspi_trapped(stackSave()) >>> 2;
        if (w) {
          // The words of src/dump.c's report, which cannot run now.
          var id = HEAPU32[w];
          err('wasync: task ' + id + ' "' + UTF8ToString(HEAPU32[w + 1]) +
            '" overflowed its C stack (' + HEAPU32[w + 2] + '-byte stack); ' + (HEAPU32[w + 3]
            ? 'build with --stack-size=N (the main task gets ' + wasyncLimits.mainStack / 1024 + ' KiB or N, whichever is larger)'
            : 'raise wa_task_opts.stack_size') + '\n' +
            'wasync: fatal: memory below task ' + id + "'s stack was overwritten; exiting");
          wasyncHost.fatal({ name: 'ExitStatus', status: 70, message: 'exit(70)' });
          return;
        }
      }
      // The await that could not suspend had left no task running: the
      // fault report names its task (the module cannot go on anyway).
      if (/suspend JS frames/i.test(String(e && e.message))) _wa__jspi_blame();
      wasyncHost.failed(e, wasyncJspi.restSp);
    },

    // Emscripten's invoke_* trampolines, when setjmp or C++ exceptions are
    // lowered through JS (objects compiled for no backend, js/cli/eh.mjs): JSPI
    // cannot suspend through a JS frame, so wrap.mjs makes each one
    // Suspending and this calls the table function on a stack of its own,
    // nested in the task, as callExport does; an await inside it suspends
    // that stack and the task's. Emscripten's own trampoline, but awaiting:
    // a longjmp or C++ throw out of the call (an EmscriptenEH object since
    // 3.1.8x, a number before) sets the threw flag the caller tests. Every
    // call costs a promise round trip (README "setjmp and exceptions").
    // sig: the trampoline's signature ('vii' for invoke_vii). Releases
    // without BigInt integration (3.1.x) call a signature with i64 in it
    // through the module's legalized dynCall_<sig> export, index first.
    promisingFns: null,
    invoke: function (sig, index) {
      var dyn = Module['dynCall_' + sig], fn, p;
      var args = Array.prototype.slice.call(arguments, dyn ? 1 : 2);
      fn = dyn ? wasyncJspi.raw('dynCall_' + sig, dyn) : wasmTable.get(index);
      if (!wasyncJspi.promisingFns) wasyncJspi.promisingFns = new WeakMap();
      p = wasyncJspi.promisingFns.get(fn);
      if (!p) wasyncJspi.promisingFns.set(fn, p = WebAssembly.promising(fn));
      var sp = stackSave();
      return p.apply(null, args).then(null, function (e) {
        stackRestore(sp);
        // eslint-disable-next-line no-undef
        var eh = typeof EmscriptenEH !== 'undefined' ? e instanceof EmscriptenEH : e === e + 0;
        if (!eh) throw e;
        _setThrew(1, 0); // linked by the trampolines themselves
      });
    },

    // A cwrap call in a JSPI build: the export runs on a stack of its own
    // (it may suspend: no JS frame may sit between it and the task's
    // entry), nested in the task; the import waits for it.
    callExport: function (fn, name, args) {
      return WebAssembly.promising(wasyncJspi.raw(name, fn)).apply(null, args);
    },
  },

  $wasyncBackendJs__deps: ['$wasyncJspi', '$wasyncStack', '$wasyncBridge'],
  $wasyncBackendJs: {
    init: function () { wasyncStack.init(); wasyncJspi.init(); },
    recover: function (e, sp) { return wasyncStack.recover(e, sp); },
    // Plain calls: the tick starts on the host's stack and goes on from
    // the stacks of the tasks it runs (jspi.c, wa__ctx_run_tick).
    tick: function (now) { _wa__on_tick(now); wasyncJspi.hostStep(); },
    timerFired: function (now) { _wa__on_timer(now); wasyncJspi.hostStep(); },
    event: function (fn) { fn(); wasyncJspi.hostStep(); },

    // A WA_ASYNC_JS import is Suspending here: the park returns here (a
    // deferred suspend), wa__jspi_leave takes the task off its C stack and
    // hands the tick on, and the import returns the promise the task is
    // resumed by; then the task goes on with the outcome, its C stack
    // pointer back where it called the import.
    asyncCall: function (start) {
      var rc = _wa__js_begin();
      if (rc !== 0) return rc;
      var h = wasyncBridge.startBody(start);
      var sp = stackSave();
      wasyncJspi.parked = null;
      _wa__jspi_defer_next(1);
      rc = _wa__js_await(h);
      _wa__jspi_defer_next(0);
      var parked = wasyncJspi.parked;
      wasyncJspi.parked = null;
      if (!parked) {             // not parked (no task): ignore it
        wasyncBridge.promises.delete(h);
        return rc;
      }
      _wa__jspi_leave();
      var t = _wa__jspi_parked();
      return parked.then(function () {
        var code = _wa__jspi_resumed(t, sp);
        var e = wasyncBridge.promises.get(h);
        wasyncBridge.promises.delete(h);
        if (code !== 0 || !e) return code;
        return e.value;
      });
    },

    // wa__host_invoke is Suspending: the export runs on a nested stack and
    // may suspend there; the import waits for its return.
    invoke: function (call) {
      return wasyncJspi.callExport(call.fn, call.name, call.args).then(function (r) {
        wasyncBridge.finishCall(call, r);
        return 0;
      });
    },
  },

  // The task in slot suspends: its promise, then the tick goes on. slot
  // is all ones for a task that is never resumed (it overflowed).
  wa__jspi_suspend__deps: ['$wasyncJspi'],
  wa__jspi_suspend: function (slot, resume, start) {
    var p;
    if ((slot >>> 0) === 0xffffffff) {
      p = new Promise(wasyncJspi.never);
    } else {
      wasyncJspi.slot = slot;
      p = new Promise(wasyncJspi.exec);
    }
    wasyncJspi.go(resume, start);
    return p;
  },

  wa__jspi_park__deps: ['$wasyncJspi'],
  wa__jspi_park: function (slot) {
    wasyncJspi.slot = slot;
    wasyncJspi.parked = new Promise(wasyncJspi.exec);
  },

  wa__jspi_go__deps: ['$wasyncJspi'],
  wa__jspi_go: function (resume, start) { wasyncJspi.go(resume, start); },

  // A task ended where it stood (wa__task_exit, jspi.c): its carrier ends
  // by an exception that unwinds its frames, so that the engine frees its
  // stack; wasyncJspi.failed sees it arrive (wasyncJspi.exited).
  wa__jspi_end_carrier__deps: ['$wasyncJspi'],
  wa__jspi_end_carrier: function () { throw wasyncJspi.ended; },

  // A carrier with no task waits here for the next new task the tick has
  // no carrier for (wasyncJspi.go): a promise reaction instead of a new engine
  // stack. Its promise resolves with that task, or 0: the carrier ends.
  wa__jspi_idle__deps: ['$wasyncJspi'],
  wa__jspi_idle: function () {
    if (wasyncHost.dead) return 0;
    return new Promise(function (resolve) { wasyncJspi.idle.push(resolve); });
  },

  // The program is idle: idle carriers beyond keep end, and their engine
  // stacks go back to the engine.
  wa__jspi_trim__deps: ['$wasyncJspi'],
  wa__jspi_trim: function (keep) {
    var n = wasyncJspi.idle.length - keep;
    if (n > 0) wasyncJspi.idle.splice(0, n).forEach(function (resolve) { resolve(0); });
  },

  wa__jspi_forget__deps: ['$wasyncJspi'],
  wa__jspi_forget: function (slot) { wasyncJspi.res[slot] = undefined; },
});

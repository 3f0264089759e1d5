/**
 * jspi.js — the JS half of src/backend/jspi.c, linked only by
 * `wasync build --backend=jspi` (last --js-library).
 *
 * Every task is one WebAssembly.promising() call of wa__jspi_task_entry;
 * the scheduler's tick is another (so it can wait for a task). A task's
 * record holds the resolver of the promise it is suspended on (resume) and
 * the resolver of the scheduler's wait for it (sched):
 *  - wa__jspi_start(t)  [Suspending]: runs the entry; if the task suspended
 *    or ended synchronously, returns at once, else the scheduler waits.
 *  - wa__jspi_resume(t) [Suspending]: resolves t's promise, waits for t.
 *  - wa__jspi_suspend(t) [Suspending, task side]: ends the scheduler's wait
 *    and suspends t on a new promise.
 *  - wa__jspi_park(t): the same from a JS import that called C (WA_ASYNC_JS,
 *    cwrap): it returns, and the import hands WAJ.parked to the engine.
 * A task that throws rejects its promise; the error is rethrown into the
 * scheduler's wait, so it reaches WA.enter's recovery as with Asyncify.
 * wrap.mjs wraps the Suspending imports (host/host.h's
 * WA_JSPI_SUSPENDING_IMPORTS and WA_HOST_ASYNC_IMPORTS, and Emscripten's
 * invoke_* trampolines through WAJ.invoke) and checks, at
 * load, that the engine has JSPI. $WABackend is the interface the host
 * calls (described in asyncify.js); stack.js is shared with Asyncify.
 */
mergeInto(LibraryManager.library, {
  $WAJ__deps: ['$WA', 'wa__jspi_start', 'wa__jspi_resume', 'wa__jspi_suspend', 'wa__jspi_park',
               'wa__jspi_done', 'wa__jspi_forget'],
  $WAJ__postset: 'WAJ.setup(); Module["wasyncJspi"] = WAJ;',
  $WAJ: {
    recs: null,      // Map: task pointer -> { resume, sched, schedErr, yielded }
    entry: null,     // promising(wa__jspi_task_entry)
    tickP: null,     // promising(wa__host_tick)
    timerP: null,    // promising(wa__host_timer_fired)
    parked: null,    // the promise of the last deferred suspend
    parkedTask: 0,   // and its task

    setup: function () {
      WAJ.recs = new Map();
    },

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
      if (WAJ.entry) return;
      WAJ.entry = WebAssembly.promising(WAJ.raw('wa__jspi_task_entry'));
      WAJ.tickP = WebAssembly.promising(WAJ.raw('wa__host_tick'));
      WAJ.timerP = WebAssembly.promising(WAJ.raw('wa__host_timer_fired'));
    },

    // The scheduler waits for rec's task to suspend, end or throw.
    hold: function (rec) {
      return new Promise(function (resolve, reject) {
        rec.sched = resolve;
        rec.schedErr = reject;
      });
    },

    // rec's task suspended or ended: the scheduler goes on.
    handBack: function (rec) {
      var s = rec.sched;
      if (s) {
        rec.sched = rec.schedErr = null;
        s(0);
      } else {
        rec.yielded = true;   // synchronously, inside wa__jspi_start
      }
    },

    nextResume: function (rec) {
      return new Promise(function (resolve) { rec.resume = resolve; });
    },

    // Emscripten's invoke_* trampolines, when setjmp or C++ exceptions are
    // lowered through JS (objects compiled for no backend, js/eh.mjs): JSPI
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
      fn = dyn ? WAJ.raw('dynCall_' + sig, dyn) : wasmTable.get(index);
      if (!WAJ.promisingFns) WAJ.promisingFns = new WeakMap();
      p = WAJ.promisingFns.get(fn);
      if (!p) WAJ.promisingFns.set(fn, p = WebAssembly.promising(fn));
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
      return WebAssembly.promising(WAJ.raw(name, fn)).apply(null, args);
    },
  },

  $WABackend__deps: ['$WAJ', '$WAS', '$WAB'],
  $WABackend: {
    init: function () { WAS.init(); },
    recover: function (e, sp) { return WAS.recover(e, sp); },
    // The tick and the timer run inside promising(), so that the scheduler
    // can wait for a task: they return a promise (WA.enter handles both).
    // One host callback each: now is its clock reading; the timer's runs
    // the tasks it wakes, as one promising call.
    tick: function (now) { WAJ.init(); return WAJ.tickP(now); },
    timerFired: function (now) { WAJ.init(); return WAJ.timerP(now); },

    // A WA_ASYNC_JS import is Suspending here: the park returns here (a
    // deferred suspend) and the import returns the promise the task is
    // resumed by; then the task goes on with the outcome.
    asyncCall: function (start) {
      var rc = _wa__js_begin();
      if (rc !== 0) return rc;
      var h = WAB.startBody(start);
      WAJ.parked = null;
      _wa__jspi_defer_next(1);
      rc = _wa__js_await(h);
      _wa__jspi_defer_next(0);
      var parked = WAJ.parked, t = WAJ.parkedTask;
      WAJ.parked = null;
      if (!parked) {             // not parked (no task): ignore it
        WAB.promises.delete(h);
        return rc;
      }
      return parked.then(function () {
        var code = _wa__jspi_resumed(t);
        var e = WAB.promises.get(h);
        WAB.promises.delete(h);
        if (code !== 0 || !e) return code;
        return e.value;
      });
    },

    // wa__host_invoke is Suspending: the export runs on a nested stack and
    // may suspend there; the import waits for its return.
    invoke: function (call) {
      return WAJ.callExport(call.fn, call.name, call.args).then(function (r) {
        WAB.finishCall(call, r);
        return 0;
      });
    },
  },

  wa__jspi_start__deps: ['$WAJ'],
  wa__jspi_start: function (t) {
    WAJ.init();
    var rec = { resume: null, sched: null, schedErr: null, yielded: false, top: stackSave() };
    WAJ.recs.set(t, rec);
    WAJ.entry(t).then(null, function (e) {
      // A trap with the stack pointer outside the task's region: its C stack
      // ran off its block (release builds have no per-function check) and
      // the runtime names the task and exits, as when a canary says so.
      // The check runs on the top of the task's own (dead) stack: the stack
      // pointer the trap left may be anywhere, even past the memory's end.
      if (e instanceof WebAssembly.RuntimeError) {
        var sp = stackSave();
        stackRestore(rec.top);
        var w = _wa__jspi_trapped(t, sp) >> 2;
        if (w) {
          // The words of src/dump.c's report, which cannot run now.
          var id = HEAPU32[w];
          err('wasync: task ' + id + ' "' + UTF8ToString(HEAPU32[w + 1]) +
            '" overflowed its C stack (' + HEAPU32[w + 2] + '-byte stack); ' + (HEAPU32[w + 3]
            ? 'build with --stack-size=N (the main task gets 256 KiB or N, whichever is larger)'
            : 'raise wa_task_opts.stack_size') + '\n' +
            'wasync: fatal: memory below task ' + id + "'s stack was overwritten; exiting");
          WA.fatal({ name: 'ExitStatus', status: 70, message: 'exit(70)' });
          return;
        }
        stackRestore(sp);
      }
      // The await that could not suspend had left no task running: the
      // fault report names t (the module cannot go on anyway).
      if (/suspend JS frames/i.test(String(e && e.message))) _wa__jspi_resumed(t);
      var f = rec.schedErr;
      rec.sched = rec.schedErr = null;
      if (f) f(e);
      else WA.enter(function () { throw e; });
    });
    if (rec.yielded) {
      rec.yielded = false;
      return 0;
    }
    return WAJ.hold(rec);
  },

  wa__jspi_resume__deps: ['$WAJ'],
  wa__jspi_resume: function (t) {
    var rec = WAJ.recs.get(t);
    var r = rec.resume;
    rec.resume = null;
    var p = WAJ.hold(rec);
    r(0);
    return p;
  },

  wa__jspi_suspend__deps: ['$WAJ'],
  wa__jspi_suspend: function (t) {
    var rec = WAJ.recs.get(t);
    var p = WAJ.nextResume(rec);
    WAJ.handBack(rec);
    return p;
  },

  wa__jspi_park__deps: ['$WAJ'],
  wa__jspi_park: function (t) {
    var rec = WAJ.recs.get(t);
    WAJ.parked = WAJ.nextResume(rec);
    WAJ.parkedTask = t;
    WAJ.handBack(rec);
  },

  wa__jspi_done__deps: ['$WAJ'],
  wa__jspi_done: function (t) {
    var rec = WAJ.recs.get(t);
    if (rec) WAJ.handBack(rec);
  },

  wa__jspi_forget__deps: ['$WAJ'],
  wa__jspi_forget: function (t) {
    WAJ.recs.delete(t);
  },
});

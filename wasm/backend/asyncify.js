/**
 * asyncify.js — the JS half of wasm/backend/asyncify.c: everything in JS
 * that exists because Asyncify suspends a task by unwinding its stack, and
 * through any JS import on it, which the resume then calls again.
 *
 * Every backend's JS half defines $wasyncBackendJs, the interface the host
 * (wasm/host/js/host.js, js.js) calls, and nothing else of it:
 *   init()               once, before the first call into C;
 *   recover(e, sp)       an exception escaped C: true if it was a task's
 *                        stack overflow, which is then ended (stack.js);
 *   tick(now), timerFired(now) run wa__on_tick / wa__on_timer;
 *   event(fn)            runs fn, which calls an export that reports a host
 *                        event and runs the tasks it wakes in that same call
 *                        (wa__on_fetch_head, ...), then what that asks of
 *                        the backend;
 *   asyncCall(start)     the body of a WA_ASYNC_JS import (its value for C);
 *   invoke(call)         the body of the async import wa__host_invoke: runs
 *                        the cwrap call's C function, then wasyncBridge.finishCall.
 *
 * The re-entry protocol (asyncify.c): a park reached from a JS import
 * unwinds through it; the import sees wa__asyncify_unwinding() and returns
 * at once. On resume the task calls the import again: asyncCall asks
 * wa__asyncify_resuming() for the promise handle it parked with and calls
 * wa__js_await(handle) again, which finishes the rewind into the park;
 * invoke calls the same export again, which rewinds into the callee.
 */
mergeInto(LibraryManager.library, {
  // Binaryen's --asyncify replaces these imports with internal calls; the
  // stubs only satisfy Emscripten's link-time check for undefined symbols.
  start_unwind: function () { throw new Error('wasync: asyncify.start_unwind was not replaced'); },
  stop_unwind: function () { throw new Error('wasync: asyncify.stop_unwind was not replaced'); },
  start_rewind: function () { throw new Error('wasync: asyncify.start_rewind was not replaced'); },
  stop_rewind: function () { throw new Error('wasync: asyncify.stop_rewind was not replaced'); },

  $wasyncBackendJs__deps: ['$wasyncStack', '$wasyncBridge'],
  $wasyncBackendJs: {
    init: function () { wasyncStack.init(); },
    recover: function (e, sp) { return wasyncStack.recover(e, sp); },
    tick: function (now) { _wa__on_tick(now); },
    timerFired: function (now) { _wa__on_timer(now); },
    event: function (fn) { fn(); },

    asyncCall: function (start) {
      var h = _wa__asyncify_resuming();
      var rc, entry;
      if (h) {
        // The task was woken: finish the rewind into its park.
        rc = _wa__js_await(h);
        if (_wa__asyncify_unwinding()) return 0;
        entry = wasyncBridge.promises.get(h);
        wasyncBridge.promises.delete(h);
        if (rc !== 0 || !entry) return rc;
        return entry.value;
      }
      rc = _wa__js_begin();
      if (rc !== 0) return rc;
      h = wasyncBridge.startBody(start);
      rc = _wa__js_await(h);
      if (_wa__asyncify_unwinding()) return 0;  // parked; the task resumes later
      wasyncBridge.promises.delete(h);                   // not parked (no task): ignore it
      return rc;
    },

    invoke: function (call) {
      var r = call.fn.apply(null, call.args);
      if (_wa__asyncify_unwinding()) return 0;  // the callee suspended; repeated on resume
      wasyncBridge.finishCall(call, r);
      return 0;
    },
  },
});

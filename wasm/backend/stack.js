/**
 * stack.js — what both wasm backends (asyncify.c, jspi.c) need from JS to
 * give every task its own C stack: the per-function stack check's limits,
 * switched with each task, and the recovery when a task ran out of stack.
 * Linked before the backend's own library (asyncify.js or jspi.js), whose
 * $wasyncBackendJs passes init and recover on to the host (wasm/host/js/host.js).
 * The C side of both crossings is in src/host.h (WA_WASM_BACKEND_EXPORTS);
 * stack.c keeps what init hands over, and wa__backend_recover is there.
 */
mergeInto(LibraryManager.library, {
  $wasyncStack__postset: 'wasyncStack.StackOverflow = class WasyncStackOverflow extends Error {};',
  $wasyncStack: {
    StackOverflow: null,   // class of the error thrown on a task's stack overflow
    schedulerLimits: null, // debug builds: puts the scheduler's stack limits back

    // Builds with STACK_OVERFLOW_CHECK=2 (all but --no-stack-check) have
    // __set_stack_limits; C calls it on every switch through the table.
    // It must be the raw export (wrap.mjs keeps them): 3.1.6 wraps its
    // exports in JS, and a JS function in the table would cost a round
    // trip per call. Release links minify export names: wrap.mjs finds
    // the minified one in the glue (stackLimitsExport).
    init: function () {
      var raw = Module['wasyncRawExports'] || {};
      var setLimits = raw[Module['wasyncStackLimitsExport'] || '__set_stack_limits'];
      if (setLimits) {
        var base = _emscripten_stack_get_base(), end = _emscripten_stack_get_end();
        wasyncStack.schedulerLimits = function () { setLimits(base, end); };
        _wa__backend_set_limits_fn(addFunction(setLimits, 'vii'));
      }
      // Debug builds watch the memory a write through NULL hits (stack.c),
      // except where ASan (its shadow memory) or SAFE_HEAP (which stops at
      // the write) are linked.
#if !USE_ASAN && !SAFE_HEAP
      _wa__backend_watch_null();
#endif
    },

    // A task ran out of stack: ours (the per-function check) or the JS
    // engine's own call stack (deep recursion in any build). Ends that task
    // and returns true; false for any other exception. sp is the stack
    // pointer from before the host called into C. A "memory access out of
    // bounds" trap while a task runs is that task's overflow when its stack
    // pointer left its stack (C decides).
    recover: function (e, sp) {
      var engine = e instanceof RangeError && /call stack/i.test(e.message);
      var oob = typeof WebAssembly === 'object' && e instanceof WebAssembly.RuntimeError &&
        /memory access out of bounds/i.test(e.message);
      if (!(e instanceof wasyncStack.StackOverflow) && !engine && !oob) return false;
      // The exception skipped every epilogue: the stack pointer is still
      // where the task's deepest frame left it.
      var deepest = stackSave();
      // The task's limits and stack pointer are still in force: put the
      // scheduler's back (limits first: stackRestore is checked too)
      // before any C function with a stack frame runs.
      if (wasyncStack.schedulerLimits) wasyncStack.schedulerLimits();
      stackRestore(sp);
      if (typeof process === 'object' && process.env && process.env.WASYNC_TRACE) {
        err(String(e.stack));
      }
      return !!_wa__backend_recover(engine ? 1 : oob ? 2 : 0, deepest, e.requested || 0);
    },
  },

  // STACK_OVERFLOW_CHECK=2 calls this before the stack pointer leaves the
  // running task's stack; unwinding through wasm to wasyncHost.enter ends the task.
  __handle_stack_overflow__deps: ['$wasyncStack'],
  __handle_stack_overflow: function (requested) {
    var e = new wasyncStack.StackOverflow('wasync: stack overflow (stack pointer 0x' + (requested >>> 0).toString(16) + ')');
    e.requested = requested >>> 0; // the frame's new stack pointer: how much was needed
    throw e;
  },
});

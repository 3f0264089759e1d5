/**
 * thread.js — the JS half of wasm/host/thread.c (wa_to_thread's pool), in
 * programs built with `wasync build --threads` (the only ones that import
 * these; see WA_HOST_THREAD_IMPORTS in src/host.h).
 *
 * The pool's threads are Emscripten pthreads, each on a Worker that
 * Emscripten makes and loads with the module (PTHREAD_POOL_SIZE is
 * Module.wasyncThreads, set by the generated module: js/cli/wrap.mjs). Under
 * Node an idle Worker must not keep the process alive (a program could not
 * end, a library's user would hang, and the deadlock report, which waits
 * for the event loop to drain, would never come): every pool Worker is
 * unref'd, and while a job is out a timer holds the loop instead.
 */
mergeInto(LibraryManager.library, {
  $wasyncThreads__deps: ['$PThread', '$wasyncHost'],
  $wasyncThreads__postset: 'wasyncHost.threads = true;',
  $wasyncThreads: {
    busy: 0,      // jobs in flight
    keep: null,   // the interval holding Node's event loop while busy > 0

    // Every pthread Worker (3.1.x lists running ones in runningWorkers, later
    // releases map thread pointers to Workers in pthreads), unref'd.
    unref: function () {
      var all = [].concat(PThread.unusedWorkers || [], PThread.runningWorkers || []);
      if (PThread.pthreads) Object.keys(PThread.pthreads).forEach(function (k) { all.push(PThread.pthreads[k]); });
      all.forEach(function (w) {
        w = w && w.worker || w;
        if (w && typeof w.unref === 'function') w.unref();
      });
    },
  },

  wa__host_thread_count__deps: ['$wasyncHost'],
  wa__host_thread_count: function () {
    var n = wasyncHost.option('wasyncThreads');
    return typeof n === 'number' && n >= 1 ? n | 0 : 1;
  },

  wa__host_thread_busy__deps: ['$wasyncThreads'],
  wa__host_thread_busy: function (delta) {
    wasyncThreads.busy += delta;
    if (typeof process !== 'object' || typeof setInterval !== 'function') return;
    wasyncThreads.unref();
    if (wasyncThreads.busy > 0 && wasyncThreads.keep === null) {
      wasyncThreads.keep = setInterval(function () {}, 1 << 30);
    } else if (wasyncThreads.busy <= 0 && wasyncThreads.keep !== null) {
      clearInterval(wasyncThreads.keep);
      wasyncThreads.keep = null;
    }
  },

  // On the event-loop thread, maybe inside a wait of the libc's (thread.c):
  // the job goes back to C from a fresh microtask, outside any C frame.
  wa__host_thread_done__deps: ['$wasyncHost'],
  wa__host_thread_done: function (job) {
    Promise.resolve().then(function () {
      wasyncHost.enter(function () { _wa__on_thread_done(job); });
    });
  },
});

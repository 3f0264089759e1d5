/**
 * library_wasync_bridge.js — JavaScript from C and C from JavaScript, the JS
 * half of src/js.c (second --js-library, next to library_wasync.js).
 *
 *  - WA_ASYNC_JS: the generated import calls WAB.asyncCall(asyncFn). Its
 *    promise is kept in WAB.promises under a handle while the calling task
 *    is parked in C (wa__js_await); settling calls wa__js_settle, which wakes
 *    only that task. A cancelled task drops its handle (wa__js_drop): the
 *    promise settles later and is ignored, nothing stays in the table.
 *  - cwrap calls: WAB.call() converts the arguments into C memory, spawns a
 *    task (wa__js_call_start) whose body calls the async import
 *    wa__host_invoke(token), which calls the export. When the export
 *    suspends, the unwind passes through here (wa__unwinding() is 1) and
 *    the call is repeated on the rewind; only a real return is converted.
 *    The promise settles when the task ends (wa__host_task_done); argument
 *    memory is freed then.
 */
mergeInto(LibraryManager.library, {
  $WAB__deps: ['$WA'],
  $WAB__postset: 'WAB.setup(); Module["wasyncBridge"] = WAB;',
  $WAB: {
    promises: null,   // Map: handle -> { value }
    calls: null,      // Map: token -> { fn, args, ret, done, result }
    nextHandle: 1,

    setup: function () {
      WAB.promises = new Map();
      WAB.calls = new Map();
    },

    // The body of every WA_ASYNC_JS import. Returns the value for C.
    asyncCall: function (start) {
      if (WA.jspi) return WAB.asyncCallJspi(start);
      var h = _wa__js_resuming();
      var rc, entry;
      if (h) {
        // The task was woken: finish the rewind into its park.
        rc = _wa__js_await(h);
        if (_wa__unwinding()) return 0;
        entry = WAB.promises.get(h);
        WAB.promises.delete(h);
        if (rc !== 0 || !entry) return rc;
        return entry.value;
      }
      rc = _wa__js_begin();
      if (rc !== 0) return rc;
      h = WAB.startBody(start);
      rc = _wa__js_await(h);
      if (_wa__unwinding()) return 0;  // parked; the task resumes later
      WAB.promises.delete(h);          // not parked (no task): ignore it
      return rc;
    },

    // The same under the JSPI backend, whose import is Suspending: the park
    // returns here (a deferred suspend) and the import returns the promise
    // the task is resumed by; then the task goes on with the outcome.
    asyncCallJspi: function (start) {
      var rc = _wa__js_begin();
      if (rc !== 0) return rc;
      var h = WAB.startBody(start);
      var J = WA.jspi;
      J.parked = null;
      _wa__jspi_defer_next(1);
      rc = _wa__js_await(h);
      _wa__jspi_defer_next(0);
      var parked = J.parked, t = J.parkedTask;
      J.parked = null;
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

    // Starts a WA_ASYNC_JS body and registers its promise: returns the handle.
    startBody: function (start) {
      var h = WA.newHandle(WAB.promises, WAB);
      WAB.promises.set(h, { value: 0 });
      var p;
      try {
        p = Promise.resolve(start());
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(function (v) { WAB.settle(h, true, v); },
             function (e) { WAB.settle(h, false, e); });
      return h;
    },

    toNumber: function (v) {
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (v === undefined || v === null) return 0;
      var n = Number(v);
      return isNaN(n) ? 0 : n;
    },

    // app.promise(p): hands a promise to C, which awaits it by handle with
    // wa_js_await. Its outcome is kept until C takes it (or releases it).
    handOver: function (p) {
      var h = WA.newHandle(WAB.promises, WAB);
      WAB.promises.set(h, { value: 0, handed: true, settled: false, ok: true, message: '' });
      Promise.resolve(p).then(function (v) { WAB.settle(h, true, v); },
                              function (e) { WAB.settle(h, false, e); });
      return h;
    },

    settle: function (h, ok, v) {
      var entry = WAB.promises.get(h);
      if (!entry || entry.settled) return;   // dropped: its task was cancelled
      entry.settled = true;
      entry.ok = ok;
      if (ok) {
        entry.value = WAB.toNumber(v);
        WA.enter(function () { _wa__js_settle(h, 1, 0, 0); });
        return;
      }
      var msg = String(v && typeof v === 'object' && 'message' in v ? v.message : v);
      entry.message = msg;
      var len = lengthBytesUTF8(msg);
      var ptr = _malloc(len + 1);
      if (ptr) stringToUTF8(msg, ptr, len + 1);
      WA.enter(function () { _wa__js_settle(h, 0, ptr, ptr ? len : 0); });
      if (ptr) _free(ptr);
    },

    // ---- C from JavaScript (js/index.mjs's cwrap) ----

    argTypes: { number: 1, string: 1, array: 1, boolean: 1 },
    retTypes: { number: 1, string: 1, boolean: 1, array: 1, null: 1, void: 1, undefined: 1 },

    // Checks a cwrap signature; throws TypeError.
    checkSignature: function (name, ret, argTypes) {
      if (typeof name !== 'string' || typeof Module['_' + name] !== 'function') {
        throw new TypeError('wasync: ' + name + ' is not an exported C function (mark it WA_EXPORT)');
      }
      if (!WAB.retTypes.hasOwnProperty(String(ret))) {
        throw new TypeError('wasync: unknown return type ' + JSON.stringify(ret) + ' for ' + name);
      }
      if (!Array.isArray(argTypes)) throw new TypeError('wasync: argument types of ' + name + ' must be an array');
      argTypes.forEach(function (t) {
        if (!WAB.argTypes.hasOwnProperty(t)) {
          throw new TypeError('wasync: unknown argument type ' + JSON.stringify(t) + ' for ' + name);
        }
      });
    },

    checkArgs: function (name, argTypes, args) {
      if (args.length !== argTypes.length) {
        return new TypeError('wasync: ' + name + ' takes ' + argTypes.length + ' argument(s), got ' + args.length);
      }
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i], ok;
        if (t === 'number') ok = typeof a === 'number';
        else if (t === 'boolean') ok = typeof a === 'boolean';
        else if (t === 'string') ok = typeof a === 'string';
        else ok = a instanceof Uint8Array || a instanceof Int8Array || a instanceof Uint8ClampedArray ||
          (Array.isArray(a) && a.every(function (x) { return typeof x === 'number'; }));
        if (!ok) {
          return new TypeError('wasync: argument ' + (i + 1) + ' of ' + name + ' must be ' +
            (t === 'array' ? 'a Uint8Array' : 'a ' + t) + ', got ' + (a === null ? 'null' : typeof a));
        }
      }
      return null;
    },

    // Runs Module['_' + name](...args) as its own task; returns a Promise.
    call: function (name, ret, argTypes, args, stackSize) {
      if (WA.dead) return Promise.reject(WA.deadError());
      var bad = WAB.checkArgs(name, argTypes, args);
      if (bad) return Promise.reject(bad);
      WA.init();
      var allocs = [];
      var cargs = [];
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i];
        if (t === 'number') cargs.push(a);
        else if (t === 'boolean') cargs.push(a ? 1 : 0);
        else {
          var p;
          if (t === 'string') {
            var n = lengthBytesUTF8(a) + 1;
            p = _malloc(n);
            if (p) stringToUTF8(a, p, n);
          } else {
            p = _malloc(Math.max(1, a.length));
            if (p) HEAP8.set(a, p);
          }
          if (!p) {
            allocs.forEach(function (q) { _free(q); });
            return Promise.reject(WA.error(-3));
          }
          allocs.push(p);
          cargs.push(p);
        }
      }
      var tk = WA.newToken();
      var call = { name: name, fn: Module['_' + name], args: cargs, ret: ret, done: false, result: undefined };
      WAB.calls.set(tk.token, call);
      tk.entry.onDone = function (status) {
        WAB.calls.delete(tk.token);
        allocs.forEach(function (q) { _free(q); });
        if (call.done && status !== -1) tk.entry.resolve(call.result); // -1: WA_ECANCELED
        else tk.entry.reject(WA.error(status));
      };
      var sp = stackSave();
      var rc = _wa__js_call_start(tk.token, WA.stackString(name), stackSize || 0);
      stackRestore(sp);
      if (rc < 0) {
        WA.tokens.delete(tk.token);
        WAB.calls.delete(tk.token);
        allocs.forEach(function (q) { _free(q); });
        return Promise.reject(WA.error(rc));
      }
      // wa__task_spawn asked for a tick (a microtask) already.
      var promise = tk.entry.promise;
      // Cancels the call's task: its current or next await point returns
      // WA_ECANCELED, and the promise rejects with code WA_ECANCELED.
      promise.cancel = function () {
        if (WAB.calls.has(tk.token)) WA.enter(function () { _wa__js_call_cancel(tk.token); });
      };
      return promise;
    },

    convertResult: function (ret, r) {
      if (ret === 'string') return r ? UTF8ToString(r) : null;
      if (ret === 'boolean') return Boolean(r);
      if (ret === 'number') return r;
      if (ret === 'array') {
        // A length-prefixed buffer from wa_js_bytes(): copied out, then freed.
        if (!r) return null;
        var len = HEAPU32[r >> 2];
        var bytes = HEAPU8.slice(r + 4, r + 4 + len);
        _free(r);
        return bytes;
      }
      return undefined;
    },
  },

  wa__js_drop__deps: ['$WAB'],
  wa__js_drop: function (h) {
    WAB.promises.delete(h);
  },

  // For wa_js_await: -1 not a handed-over promise, 0 pending, 1 settled.
  wa__js_state__deps: ['$WAB'],
  wa__js_state: function (h) {
    var e = WAB.promises.get(h);
    if (!e || !e.handed) return -1;
    return e.settled ? 1 : 0;
  },

  // Takes a settled handed-over promise out of the table: 0 and its value in
  // *out, or WA_EJS with the message passed to wa__js_set_error.
  wa__js_take__deps: ['$WAB'],
  wa__js_take: function (h, out) {
    var e = WAB.promises.get(h);
    if (!e || !e.handed || !e.settled) return -4; // WA_EINVAL
    WAB.promises.delete(h);
    if (e.ok) {
      HEAPF64[out >> 3] = e.value;
      return 0;
    }
    var len = lengthBytesUTF8(e.message);
    var p = _malloc(len + 1);
    if (p) {
      stringToUTF8(e.message, p, len + 1);
      _wa__js_set_error(p, len);
      _free(p);
    }
    return -10; // WA_EJS
  },

  // Async import (wasm/async-imports.json): called again on every rewind.
  wa__host_invoke__deps: ['$WAB'],
  wa__host_invoke: function (token) {
    var call = WAB.calls.get(token);
    if (!call) return -4; // WA_EINVAL
    if (WA.jspi) {
      // Suspending under JSPI: the export runs on a nested stack and may
      // suspend there; this import waits for its return.
      return WA.jspi.callExport(call.name, call.args).then(function (r) {
        call.done = true;
        call.result = WAB.convertResult(call.ret, r);
        return 0;
      });
    }
    var r = call.fn.apply(null, call.args);
    if (_wa__unwinding()) return 0;   // the callee suspended; repeated on resume
    call.done = true;
    call.result = WAB.convertResult(call.ret, r);
    return 0;
  },
});

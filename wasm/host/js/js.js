/**
 * js.js — JavaScript from C and C from JavaScript, the JS
 * half of src/js.c (second --js-library, next to host.js).
 *
 *  - WA_ASYNC_JS: the generated import calls wasyncBridge.asyncCall(asyncFn), which
 *    is the backend's (wasyncBackendJs.asyncCall: how a JS import suspends is the
 *    backend's business). Its promise is kept in wasyncBridge.promises under a
 *    handle while the calling task is parked in C (wa__js_await), which
 *    names the task it parks (wa__js_watch): settling calls
 *    wa__on_js_settle(task, handle, …) with that task, which wakes it (no
 *    search). A cancelled task drops its handle (wa__js_drop): the promise
 *    settles later and is ignored, nothing stays in the table.
 *  - cwrap calls: wasyncBridge.call() converts the arguments into C memory, spawns a
 *    task (wa__on_js_call) whose body calls the async import
 *    wa__host_invoke(token), which calls the export (wasyncBackendJs.invoke).
 *    The promise settles when the task ends (wa__host_task_done); argument
 *    memory is freed then.
 */
mergeInto(LibraryManager.library, {
  $wasyncBridge__deps: ['$wasyncHost', '$wasyncErrors', '$wasyncLimits', '$wasyncBackendJs'],
  $wasyncBridge__postset: 'wasyncBridge.setup(); Module["wasyncBridge"] = wasyncBridge;',
  $wasyncBridge: {
    promises: null,   // Map: handle -> { value, waiter: the parked C task or 0, … }
    calls: null,      // Map: token -> { fn, args, ret, done, result }
    nextHandle: 1,

    setup: function () {
      wasyncBridge.promises = new Map();
      wasyncBridge.calls = new Map();
      // A stopped module settles nothing more: its calls were rejected
      // (wasyncHost.fatal) and the promises handed to it are let go.
      wasyncHost.onStop.push(function () {
        wasyncBridge.calls.clear();
        wasyncBridge.promises.clear();
      });
    },

    // The body of every WA_ASYNC_JS import. Returns the value for C.
    asyncCall: function (start) { return wasyncBackendJs.asyncCall(start); },

    // Starts a WA_ASYNC_JS body and registers its promise: returns the handle.
    startBody: function (start) {
      var h = wasyncHost.newHandle(wasyncBridge.promises, wasyncBridge);
      wasyncBridge.promises.set(h, { value: 0, waiter: 0 });
      var p;
      try {
        p = Promise.resolve(start());
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(function (v) { wasyncBridge.settle(h, true, v); },
             function (e) { wasyncBridge.settle(h, false, e); });
      return h;
    },

    // A body's value as C's number: 0 for what has none (undefined, a
    // Symbol, an object with no prototype or whose valueOf throws).
    toNumber: function (v) {
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'bigint') return Number(v);
      if (v === undefined || v === null || typeof v === 'symbol') return 0;
      var n;
      try {
        n = Number(v);
      } catch (e) {
        return 0;
      }
      return isNaN(n) ? 0 : n;
    },

    // app.promise(p): hands a promise to C, which awaits it by handle with
    // wa_js_await. Its outcome is kept until C takes it (or releases it).
    handOver: function (p) {
      if (wasyncHost.dead) return 0; // not a handle: wa_js_await(0) fails
      var h = wasyncHost.newHandle(wasyncBridge.promises, wasyncBridge);
      wasyncBridge.promises.set(h, { value: 0, waiter: 0, handed: true, settled: false, ok: true, message: '' });
      Promise.resolve(p).then(function (v) { wasyncBridge.settle(h, true, v); },
                              function (e) { wasyncBridge.settle(h, false, e); });
      return h;
    },

    // Records the outcome; wakes the task parked on h, if one is (C told
    // us which: wa__js_watch), with that task. A handed-over promise that
    // settles before C awaits it is only recorded (wa__js_take reads it).
    settle: function (h, ok, v) {
      var entry = wasyncBridge.promises.get(h);
      if (!entry || entry.settled) return;   // dropped: its task was cancelled
      entry.settled = true;
      entry.ok = ok;
      var t = entry.waiter;
      entry.waiter = 0;                      // woken once; C forgets it too
      if (ok) {
        entry.value = wasyncBridge.toNumber(v);
        if (t) wasyncHost.enter(function () { _wa__on_js_settle(t, h, 1, 0, 0); });
        return;
      }
      var msg = wasyncHost.messageOf(v);
      entry.message = msg;
      if (!t) return;
      var len = lengthBytesUTF8(msg);
      var ptr = _malloc(len + 1);
      if (ptr) stringToUTF8(msg, ptr, len + 1);
      wasyncHost.enter(function () { _wa__on_js_settle(t, h, 0, ptr, ptr ? len : 0); });
      if (ptr) _free(ptr);
    },

    // ---- C from JavaScript (js/runtime/index.mjs's cwrap) ----

    // Module's exported C functions (app.module._f), as load() leaves them:
    // each counts wa__host_reentered (src/internal.h) while it runs, so that
    // an await point in a call JS makes from inside a task's run (a print
    // callback) returns WA_ENOTASK instead of unwinding through JS. cwrap
    // calls the functions underneath (inner), which tasks may suspend in.
    inner: null,
    guardExports: function () {
      if (wasyncBridge.inner) return;
      wasyncBridge.inner = {};
      var flag = _wa__js_reentered_flag() >> 2;
      Object.keys(Module).forEach(function (key) {
        if (!/^_[A-Za-z]/.test(key) || /^_(wa__|emscripten_)/.test(key) || typeof Module[key] !== 'function') return;
        wasyncBridge.inner[key] = Module[key];
        // Plain loads and stores, never HEAP32[flag]++: SAFE_HEAP and ASan
        // rewrite every HEAP access in library code into a checked call,
        // which cannot be the operand of ++.
        var guarded = function () {
          HEAP32[flag] = HEAP32[flag] + 1;
          try {
            return wasyncBridge.inner[key].apply(null, arguments);
          } finally {
            HEAP32[flag] = HEAP32[flag] - 1;
          }
        };
        // Emscripten 3.1.6 replaces a lazy export with the real one on its
        // first call: the setter takes that as the new inner function.
        Object.defineProperty(Module, key, {
          configurable: true, enumerable: true,
          get: function () { return guarded; },
          set: function (f) { wasyncBridge.inner[key] = f; },
        });
      });
    },
    // The call's C function returned r (still in its task).
    finishCall: function (call, r) {
      var high = wasyncBridge.legalized && (call.ret === 'i64' || call.ret === 'u64') ? wasyncBridge.tempRet() : 0;
      call.done = true;
      call.result = wasyncBridge.convertResult(call.ret, r, high);
      if (call.rejectErrors && r < 0) {
        // Still in the call's task: its wa_last_error() is the message.
        call.failure = { code: r, message: UTF8ToString(_wa_last_error()) };
      }
    },

    exportFn: function (name) {
      var key = '_' + name;
      return (wasyncBridge.inner && wasyncBridge.inner[key]) || Module[key];
    },

    // 'i64'/'u64' are int64_t/uint64_t as BigInt, 'u32' is uint32_t as a number.
    argTypes: { number: 1, string: 1, array: 1, boolean: 1, i64: 1, u64: 1, u32: 1, promise: 1 },
    retTypes: { number: 1, string: 1, boolean: 1, array: 1, null: 1, void: 1, undefined: 1, i64: 1, u64: 1, u32: 1 },

#if WASM_BIGINT
    // i64 crosses the JS boundary as a BigInt.
    legalized: false,
    tempRet: function () { return 0; },
#else
    // Emscripten legalizes i64 at the JS boundary: an i64 parameter is two
    // i32s (low, high), and an i64 result is its low half, with the high
    // half in tempRet0 (where the toolchain lets JS read it).
    legalized: true,
    tempRet: function () {
      if (typeof getTempRet0 === 'function') return getTempRet0();
      if (typeof tempRet0 === 'number') return tempRet0;
      return null;
    },
#endif

    // Checks a cwrap signature; returns a TypeError (thrown by js/runtime/index.mjs)
    // or null.
    signatureError: function (name, ret, argTypes, rejectErrors) {
      var bad = function (m) { return wasyncHost.newError(TypeError, 'wasync: ' + m); };
      if (typeof name !== 'string' || typeof Module['_' + name] !== 'function') {
        return bad(name + ' is not an exported C function (mark it WA_EXPORT)');
      }
      if (!wasyncBridge.retTypes.hasOwnProperty(String(ret))) {
        return bad('unknown return type ' + JSON.stringify(ret) + ' for ' + name);
      }
      if (!Array.isArray(argTypes)) return bad('argument types of ' + name + ' must be an array');
      for (var i = 0; i < argTypes.length; i++) {
        if (!wasyncBridge.argTypes.hasOwnProperty(argTypes[i])) {
          return bad('unknown argument type ' + JSON.stringify(argTypes[i]) + ' for ' + name);
        }
      }
      var wide = argTypes.concat([ret]).some(function (t) { return t === 'i64' || t === 'u64'; });
      if (wide && wasyncBridge.legalized && wasyncBridge.tempRet() === null) {
        return bad(name + ': i64/u64 need -sWASM_BIGINT=1 with this Emscripten');
      }
      if (rejectErrors && ret !== 'number') {
        return bad(name + ': rejectErrors needs the return type \'number\' (an int status), not ' + JSON.stringify(ret));
      }
      return null;
    },

    // Checks cwrap's stackSize option: 0 (the default) or a whole number of
    // bytes in [WA_STACK_MIN, WA_STACK_MAX] of src/wasync.h (generated:
    // $wasyncLimits); throws TypeError or RangeError.
    checkStackSize: function (name, s) {
      var accepted = 'an integer number of bytes from ' + wasyncLimits.stackMin + ' to ' + wasyncLimits.stackMax + ', or 0 for the default';
      if (typeof s !== 'number' || !Number.isSafeInteger(s)) {
        throw wasyncHost.newError(TypeError, 'wasync: stackSize for ' + name + ' must be ' + accepted + ', got ' +
          (typeof s === 'string' ? JSON.stringify(s) : String(s)));
      }
      if (s !== 0 && (s < wasyncLimits.stackMin || s > wasyncLimits.stackMax)) {
        throw wasyncHost.newError(RangeError, 'wasync: stackSize for ' + name + ' must be ' + accepted + ', got ' + s);
      }
    },

    checkArgs: function (name, argTypes, args) {
      if (args.length !== argTypes.length) {
        return wasyncHost.newError(TypeError, 'wasync: ' + name + ' takes ' + argTypes.length + ' argument(s), got ' + args.length);
      }
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i], ok;
        if (t === 'number') ok = typeof a === 'number';
        else if (t === 'u32') ok = Number.isInteger(a) && a >= 0 && a <= 0xffffffff;
        else if (t === 'i64' || t === 'u64') ok = wasyncBridge.wide(t, a) !== null;
        else if (t === 'boolean') ok = typeof a === 'boolean';
        else if (t === 'string') ok = typeof a === 'string';
        else if (t === 'promise') ok = true; // any value: a non-promise is a resolved one
        else ok = a instanceof Uint8Array || a instanceof Int8Array || a instanceof Uint8ClampedArray ||
          (Array.isArray(a) && a.every(function (x) { return typeof x === 'number'; }));
        if (!ok) {
          return wasyncHost.newError(TypeError, 'wasync: argument ' + (i + 1) + ' of ' + name + ' must be ' +
            wasyncBridge.typeText[t] + ', got ' + wasyncBridge.describe(a));
        }
      }
      return null;
    },

    typeText: { number: 'a number', string: 'a string', array: 'a Uint8Array', boolean: 'a boolean',
      u32: 'an integer in 0..2^32-1', promise: 'a promise or value', i64: 'a BigInt (or safe integer) in -2^63..2^63-1',
      u64: 'a BigInt (or safe integer) in 0..2^64-1' },

    describe: function (a) {
      if (a === null) return 'null';
      if (typeof a === 'bigint') return a + 'n';
      return typeof a === 'number' ? String(a) : typeof a;
    },

    // An 'i64'/'u64' argument as a BigInt, or null if it is not one in range.
    wide: function (t, a) {
      if (typeof a === 'number' && Number.isSafeInteger(a)) a = BigInt(a);
      if (typeof a !== 'bigint') return null;
      if (t === 'i64' ? BigInt.asIntN(64, a) !== a : BigInt.asUintN(64, a) !== a) return null;
      return a;
    },

    // Appends a checked argument, converted for the export, to cargs.
    pushArg: function (cargs, t, a) {
      if (t === 'boolean') cargs.push(a ? 1 : 0);
      else if (t === 'i64' || t === 'u64') {
        var v = BigInt.asIntN(64, wasyncBridge.wide(t, a));
        if (wasyncBridge.legalized) cargs.push(Number(BigInt.asIntN(32, v)), Number(v >> BigInt(32)));
        else cargs.push(v);
      } else cargs.push(a);
    },

    // Copies a string or array argument into C memory: its address, or 0 if
    // it cannot be allocated (nothing is then left allocated).
    copyIn: function (t, a) {
      var n = t === 'string' ? lengthBytesUTF8(a) + 1 : Math.max(1, a.length);
      if (n > 0xffffffff) return 0; // more than a wasm32 malloc can be asked for
      var p = _malloc(n);
      if (!p) return 0;
      try {
        if (t === 'string') stringToUTF8(a, p, n);
        else HEAP8.set(a, p);
      } catch (e) {
        _free(p);
        return 0;
      }
      return p;
    },

    // Runs the exported C function `name` with args as its own task; returns
    // a Promise. Every failure, whatever it is, is a rejection of it; nothing
    // the call allocated is left behind.
    call: function (name, ret, argTypes, args, stackSize, rejectErrors) {
      var allocs = [];
      var p;
      try {
        p = wasyncBridge.start(name, ret, argTypes, args, stackSize, rejectErrors, allocs);
      } catch (e) {
        allocs.forEach(function (q) { _free(q); });
        p = Promise.reject(e);
      }
      // Every call's promise has cancel(); one that failed at once has no task.
      if (!p.cancel) p.cancel = function () {};
      return p;
    },

    start: function (name, ret, argTypes, args, stackSize, rejectErrors, allocs) {
      if (wasyncHost.dead) return Promise.reject(wasyncHost.deadError());
      var bad = wasyncBridge.checkArgs(name, argTypes, args);
      if (bad) return Promise.reject(bad);
      wasyncHost.init();
      var cargs = [];
      var handed = []; // 'promise' arguments: handles C owns once the call runs
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i];
        if (t === 'promise') {
          var h = wasyncBridge.handOver(a);
          handed.push(h);
          cargs.push(h);
          continue;
        }
        if (t !== 'string' && t !== 'array') {
          wasyncBridge.pushArg(cargs, t, a);
          continue;
        }
        var p = wasyncBridge.copyIn(t, a);
        if (!p) {
          allocs.forEach(function (q) { _free(q); });
          allocs.length = 0;
          wasyncBridge.dropHanded(handed);
          return Promise.reject(wasyncHost.error(wasyncErrors.ENOMEM));
        }
        allocs.push(p);
        cargs.push(p);
      }
      var tk = wasyncHost.newToken();
      var call = { name: name, fn: wasyncBridge.exportFn(name), args: cargs, ret: ret, done: false, result: undefined,
        rejectErrors: !!rejectErrors, failure: null, started: false };
      wasyncBridge.calls.set(tk.token, call);
      var mine = allocs.splice(0); // owned by the call from here on
      tk.entry.onDone = function (status) {
        wasyncBridge.calls.delete(tk.token);
        mine.forEach(function (q) { _free(q); });
        // A call cancelled before it ran never gave C its 'promise'
        // arguments: nobody else can take or release them.
        if (!call.started) wasyncBridge.dropHanded(handed);
        // Settled from the call only for a clean end: not cancelled
        // (WA_ECANCELED), not overflowed (WA_EOVERFLOW, which a release
        // build without stack checks may see after the function returned).
        if (call.done && status === 0 && call.failure) {
          var f = call.failure;
          var e = wasyncHost.error(f.code, f.message || undefined);
          e.status = f.code;
          tk.entry.reject(e);
        } else if (call.done && status === 0) tk.entry.resolve(call.result);
        else if (status === 0) {
          // The task ended without the function returning (pthread_exit).
          tk.entry.reject(wasyncHost.error(wasyncErrors.ECANCELED, 'wasync: ' + name + '() ended its task through pthread_exit without returning'));
        } else tk.entry.reject(wasyncHost.error(status));
      };
      var sp = stackSave();
      var out = stackAlloc(4);
      var rc = _wa__on_js_call(tk.token, wasyncHost.stackString(name), stackSize, out);
      tk.entry.task = HEAPU32[out >> 2];
      stackRestore(sp);
      if (rc < 0) {
        wasyncHost.dropToken(tk.token);
        wasyncBridge.calls.delete(tk.token);
        mine.forEach(function (q) { _free(q); });
        wasyncBridge.dropHanded(handed);
        return Promise.reject(wasyncHost.error(rc));
      }
      // wa__task_spawn asked for a tick (a microtask) already.
      var promise = tk.entry.promise;
      // Cancels the call's task: its current or next await point returns
      // WA_ECANCELED, and the promise rejects with code WA_ECANCELED.
      promise.cancel = function () {
        if (wasyncBridge.calls.has(tk.token)) wasyncHost.enter(function () { _wa__on_cancel(tk.entry.task); });
      };
      return promise;
    },

    // Forgets handed-over promises that C never received (their outcome is
    // ignored, as after wa_js_release).
    dropHanded: function (handles) {
      handles.forEach(function (h) { wasyncBridge.promises.delete(h); });
      handles.length = 0;
    },

    convertResult: function (ret, r, high) {
      if (ret === 'i64' || ret === 'u64') {
        var v = typeof r === 'bigint' ? r : (BigInt(high | 0) << BigInt(32)) | BigInt(r >>> 0);
        return ret === 'i64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
      }
      if (ret === 'u32') return r >>> 0;
      if (ret === 'string') return r ? UTF8ToString(r) : null;
      if (ret === 'boolean') return Boolean(r);
      if (ret === 'number') return r;
      if (ret === 'array') {
        // A length-prefixed buffer from wa_js_bytes(): copied out, then freed.
        if (!r) return null;
        var len = HEAPU32[r >> 2];
        // A prefix past the end of memory is not wa_js_bytes()'s: nothing read.
        var bytes = r + 4 + len <= HEAPU8.length ? HEAPU8.slice(r + 4, r + 4 + len) : null;
        _free(r);
        return bytes;
      }
      return undefined;
    },
  },

  // C parks task t on promise h: settle wakes t (see wasyncBridge.settle).
  wa__js_watch__deps: ['$wasyncBridge'],
  wa__js_watch: function (h, t) {
    var e = wasyncBridge.promises.get(h);
    if (e) e.waiter = t;
  },

  wa__js_drop__deps: ['$wasyncBridge'],
  wa__js_drop: function (h) {
    wasyncBridge.promises.delete(h);
  },

  // For wa_js_await: 0 pending, 1 settled, WA_EINVAL not a handed-over promise.
  wa__js_state__deps: ['$wasyncBridge'],
  wa__js_state: function (h) {
    var e = wasyncBridge.promises.get(h);
    if (!e || !e.handed) return wasyncErrors.EINVAL;
    return e.settled ? 1 : 0;
  },

  // Takes a settled handed-over promise out of the table: 0 and its value in
  // *out, or WA_EJS with the message passed to wa__on_call_error.
  wa__js_take__deps: ['$wasyncBridge'],
  wa__js_take: function (h, out) {
    var e = wasyncBridge.promises.get(h);
    if (!e || !e.handed || !e.settled) return wasyncErrors.EINVAL;
    wasyncBridge.promises.delete(h);
    if (e.ok) {
      HEAPF64[out >> 3] = e.value;
      return 0;
    }
    var len = lengthBytesUTF8(e.message);
    var p = _malloc(len + 1);
    if (p) {
      stringToUTF8(e.message, p, len + 1);
      _wa__on_call_error(p, len);
      _free(p);
    }
    return wasyncErrors.EJS;
  },

  // An async import (src/host.h's WA_HOST_ASYNC_IMPORTS): the backend
  // runs the call (with Asyncify it is called again on every rewind).
  wa__host_invoke__deps: ['$wasyncBridge'],
  wa__host_invoke: function (token) {
    var call = wasyncBridge.calls.get(token);
    if (!call) return wasyncErrors.EINVAL;
    call.started = true; // C now owns its 'promise' arguments
    return wasyncBackendJs.invoke(call);
  },
});

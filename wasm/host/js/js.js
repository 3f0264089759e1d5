/**
 * js.js — JavaScript from C and C from JavaScript, the JS
 * half of src/js.c (second --js-library, next to host.js).
 *
 *  - WA_ASYNC_JS: the generated import calls WAB.asyncCall(asyncFn), which
 *    is the backend's (WABackend.asyncCall: how a JS import suspends is the
 *    backend's business). Its promise is kept in WAB.promises under a
 *    handle while the calling task is parked in C (wa__js_await), which
 *    names the task it parks (wa__js_watch): settling calls
 *    wa__js_settle(task, handle, …) with that task, which wakes it (no
 *    search). A cancelled task drops its handle (wa__js_drop): the promise
 *    settles later and is ignored, nothing stays in the table.
 *  - cwrap calls: WAB.call() converts the arguments into C memory, spawns a
 *    task (wa__js_call_start) whose body calls the async import
 *    wa__host_invoke(token), which calls the export (WABackend.invoke).
 *    The promise settles when the task ends (wa__host_task_done); argument
 *    memory is freed then.
 */
mergeInto(LibraryManager.library, {
  $WAB__deps: ['$WA', '$WAE', '$WALimits', '$WABackend'],
  $WAB__postset: 'WAB.setup(); Module["wasyncBridge"] = WAB;',
  $WAB: {
    promises: null,   // Map: handle -> { value, waiter: the parked C task or 0, … }
    calls: null,      // Map: token -> { fn, args, ret, done, result }
    nextHandle: 1,

    setup: function () {
      WAB.promises = new Map();
      WAB.calls = new Map();
      // A stopped module settles nothing more: its calls were rejected
      // (WA.fatal) and the promises handed to it are let go.
      WA.onStop.push(function () {
        WAB.calls.clear();
        WAB.promises.clear();
      });
    },

    // The body of every WA_ASYNC_JS import. Returns the value for C.
    asyncCall: function (start) { return WABackend.asyncCall(start); },

    // Starts a WA_ASYNC_JS body and registers its promise: returns the handle.
    startBody: function (start) {
      var h = WA.newHandle(WAB.promises, WAB);
      WAB.promises.set(h, { value: 0, waiter: 0 });
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
      if (WA.dead) return 0; // not a handle: wa_js_await(0) fails
      var h = WA.newHandle(WAB.promises, WAB);
      WAB.promises.set(h, { value: 0, waiter: 0, handed: true, settled: false, ok: true, message: '' });
      Promise.resolve(p).then(function (v) { WAB.settle(h, true, v); },
                              function (e) { WAB.settle(h, false, e); });
      return h;
    },

    // Records the outcome; wakes the task parked on h, if one is (C told
    // us which: wa__js_watch), with that task. A handed-over promise that
    // settles before C awaits it is only recorded (wa__js_take reads it).
    settle: function (h, ok, v) {
      var entry = WAB.promises.get(h);
      if (!entry || entry.settled) return;   // dropped: its task was cancelled
      entry.settled = true;
      entry.ok = ok;
      var t = entry.waiter;
      entry.waiter = 0;                      // woken once; C forgets it too
      if (ok) {
        entry.value = WAB.toNumber(v);
        if (t) WA.enter(function () { _wa__js_settle(t, h, 1, 0, 0); });
        return;
      }
      var msg = WA.messageOf(v);
      entry.message = msg;
      if (!t) return;
      var len = lengthBytesUTF8(msg);
      var ptr = _malloc(len + 1);
      if (ptr) stringToUTF8(msg, ptr, len + 1);
      WA.enter(function () { _wa__js_settle(t, h, 0, ptr, ptr ? len : 0); });
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
      if (WAB.inner) return;
      WAB.inner = {};
      var flag = _wa__js_reentered_flag() >> 2;
      Object.keys(Module).forEach(function (key) {
        if (!/^_[A-Za-z]/.test(key) || /^_(wa__|emscripten_)/.test(key) || typeof Module[key] !== 'function') return;
        WAB.inner[key] = Module[key];
        // Plain loads and stores, never HEAP32[flag]++: SAFE_HEAP and ASan
        // rewrite every HEAP access in library code into a checked call,
        // which cannot be the operand of ++.
        var guarded = function () {
          HEAP32[flag] = HEAP32[flag] + 1;
          try {
            return WAB.inner[key].apply(null, arguments);
          } finally {
            HEAP32[flag] = HEAP32[flag] - 1;
          }
        };
        // Emscripten 3.1.6 replaces a lazy export with the real one on its
        // first call: the setter takes that as the new inner function.
        Object.defineProperty(Module, key, {
          configurable: true, enumerable: true,
          get: function () { return guarded; },
          set: function (f) { WAB.inner[key] = f; },
        });
      });
    },
    // The call's C function returned r (still in its task).
    finishCall: function (call, r) {
      var high = WAB.legalized && (call.ret === 'i64' || call.ret === 'u64') ? WAB.tempRet() : 0;
      call.done = true;
      call.result = WAB.convertResult(call.ret, r, high);
      if (call.rejectErrors && r < 0) {
        // Still in the call's task: its wa_last_error() is the message.
        call.failure = { code: r, message: UTF8ToString(_wa_last_error()) };
      }
    },

    exportFn: function (name) {
      var key = '_' + name;
      return (WAB.inner && WAB.inner[key]) || Module[key];
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
      var bad = function (m) { return WA.newError(TypeError, 'wasync: ' + m); };
      if (typeof name !== 'string' || typeof Module['_' + name] !== 'function') {
        return bad(name + ' is not an exported C function (mark it WA_EXPORT)');
      }
      if (!WAB.retTypes.hasOwnProperty(String(ret))) {
        return bad('unknown return type ' + JSON.stringify(ret) + ' for ' + name);
      }
      if (!Array.isArray(argTypes)) return bad('argument types of ' + name + ' must be an array');
      for (var i = 0; i < argTypes.length; i++) {
        if (!WAB.argTypes.hasOwnProperty(argTypes[i])) {
          return bad('unknown argument type ' + JSON.stringify(argTypes[i]) + ' for ' + name);
        }
      }
      var wide = argTypes.concat([ret]).some(function (t) { return t === 'i64' || t === 'u64'; });
      if (wide && WAB.legalized && WAB.tempRet() === null) {
        return bad(name + ': i64/u64 need -sWASM_BIGINT=1 with this Emscripten');
      }
      if (rejectErrors && ret !== 'number') {
        return bad(name + ': rejectErrors needs the return type \'number\' (an int status), not ' + JSON.stringify(ret));
      }
      return null;
    },

    // Checks cwrap's stackSize option: 0 (the default) or a whole number of
    // bytes in [WA_STACK_MIN, WA_STACK_MAX] of src/wasync.h (generated:
    // $WALimits); throws TypeError or RangeError.
    checkStackSize: function (name, s) {
      var accepted = 'an integer number of bytes from ' + WALimits.stackMin + ' to ' + WALimits.stackMax + ', or 0 for the default';
      if (typeof s !== 'number' || !Number.isSafeInteger(s)) {
        throw WA.newError(TypeError, 'wasync: stackSize for ' + name + ' must be ' + accepted + ', got ' +
          (typeof s === 'string' ? JSON.stringify(s) : String(s)));
      }
      if (s !== 0 && (s < WALimits.stackMin || s > WALimits.stackMax)) {
        throw WA.newError(RangeError, 'wasync: stackSize for ' + name + ' must be ' + accepted + ', got ' + s);
      }
    },

    checkArgs: function (name, argTypes, args) {
      if (args.length !== argTypes.length) {
        return WA.newError(TypeError, 'wasync: ' + name + ' takes ' + argTypes.length + ' argument(s), got ' + args.length);
      }
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i], ok;
        if (t === 'number') ok = typeof a === 'number';
        else if (t === 'u32') ok = Number.isInteger(a) && a >= 0 && a <= 0xffffffff;
        else if (t === 'i64' || t === 'u64') ok = WAB.wide(t, a) !== null;
        else if (t === 'boolean') ok = typeof a === 'boolean';
        else if (t === 'string') ok = typeof a === 'string';
        else if (t === 'promise') ok = true; // any value: a non-promise is a resolved one
        else ok = a instanceof Uint8Array || a instanceof Int8Array || a instanceof Uint8ClampedArray ||
          (Array.isArray(a) && a.every(function (x) { return typeof x === 'number'; }));
        if (!ok) {
          return WA.newError(TypeError, 'wasync: argument ' + (i + 1) + ' of ' + name + ' must be ' +
            WAB.typeText[t] + ', got ' + WAB.describe(a));
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
        var v = BigInt.asIntN(64, WAB.wide(t, a));
        if (WAB.legalized) cargs.push(Number(BigInt.asIntN(32, v)), Number(v >> BigInt(32)));
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
        p = WAB.start(name, ret, argTypes, args, stackSize, rejectErrors, allocs);
      } catch (e) {
        allocs.forEach(function (q) { _free(q); });
        p = Promise.reject(e);
      }
      // Every call's promise has cancel(); one that failed at once has no task.
      if (!p.cancel) p.cancel = function () {};
      return p;
    },

    start: function (name, ret, argTypes, args, stackSize, rejectErrors, allocs) {
      if (WA.dead) return Promise.reject(WA.deadError());
      var bad = WAB.checkArgs(name, argTypes, args);
      if (bad) return Promise.reject(bad);
      WA.init();
      var cargs = [];
      var handed = []; // 'promise' arguments: handles C owns once the call runs
      for (var i = 0; i < args.length; i++) {
        var a = args[i], t = argTypes[i];
        if (t === 'promise') {
          var h = WAB.handOver(a);
          handed.push(h);
          cargs.push(h);
          continue;
        }
        if (t !== 'string' && t !== 'array') {
          WAB.pushArg(cargs, t, a);
          continue;
        }
        var p = WAB.copyIn(t, a);
        if (!p) {
          allocs.forEach(function (q) { _free(q); });
          allocs.length = 0;
          WAB.dropHanded(handed);
          return Promise.reject(WA.error(WAE.ENOMEM));
        }
        allocs.push(p);
        cargs.push(p);
      }
      var tk = WA.newToken();
      var call = { name: name, fn: WAB.exportFn(name), args: cargs, ret: ret, done: false, result: undefined,
        rejectErrors: !!rejectErrors, failure: null, started: false };
      WAB.calls.set(tk.token, call);
      var mine = allocs.splice(0); // owned by the call from here on
      tk.entry.onDone = function (status) {
        WAB.calls.delete(tk.token);
        mine.forEach(function (q) { _free(q); });
        // A call cancelled before it ran never gave C its 'promise'
        // arguments: nobody else can take or release them.
        if (!call.started) WAB.dropHanded(handed);
        // Settled from the call only for a clean end: not cancelled
        // (WA_ECANCELED), not overflowed (WA_EOVERFLOW, which a release
        // build without stack checks may see after the function returned).
        if (call.done && status === 0 && call.failure) {
          var f = call.failure;
          var e = WA.error(f.code, f.message || undefined);
          e.status = f.code;
          tk.entry.reject(e);
        } else if (call.done && status === 0) tk.entry.resolve(call.result);
        else tk.entry.reject(WA.error(status));
      };
      var sp = stackSave();
      var out = stackAlloc(4);
      var rc = _wa__js_call_start(tk.token, WA.stackString(name), stackSize, out);
      tk.entry.task = HEAPU32[out >> 2];
      stackRestore(sp);
      if (rc < 0) {
        WA.dropToken(tk.token);
        WAB.calls.delete(tk.token);
        mine.forEach(function (q) { _free(q); });
        WAB.dropHanded(handed);
        return Promise.reject(WA.error(rc));
      }
      // wa__task_spawn asked for a tick (a microtask) already.
      var promise = tk.entry.promise;
      // Cancels the call's task: its current or next await point returns
      // WA_ECANCELED, and the promise rejects with code WA_ECANCELED.
      promise.cancel = function () {
        if (WAB.calls.has(tk.token)) WA.enter(function () { _wa__js_call_cancel(tk.entry.task); });
      };
      return promise;
    },

    // Forgets handed-over promises that C never received (their outcome is
    // ignored, as after wa_js_release).
    dropHanded: function (handles) {
      handles.forEach(function (h) { WAB.promises.delete(h); });
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

  // C parks task t on promise h: settle wakes t (see WAB.settle).
  wa__js_watch__deps: ['$WAB'],
  wa__js_watch: function (h, t) {
    var e = WAB.promises.get(h);
    if (e) e.waiter = t;
  },

  wa__js_drop__deps: ['$WAB'],
  wa__js_drop: function (h) {
    WAB.promises.delete(h);
  },

  // For wa_js_await: 0 pending, 1 settled, WA_EINVAL not a handed-over promise.
  wa__js_state__deps: ['$WAB'],
  wa__js_state: function (h) {
    var e = WAB.promises.get(h);
    if (!e || !e.handed) return WAE.EINVAL;
    return e.settled ? 1 : 0;
  },

  // Takes a settled handed-over promise out of the table: 0 and its value in
  // *out, or WA_EJS with the message passed to wa__js_set_error.
  wa__js_take__deps: ['$WAB'],
  wa__js_take: function (h, out) {
    var e = WAB.promises.get(h);
    if (!e || !e.handed || !e.settled) return WAE.EINVAL;
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
    return WAE.EJS;
  },

  // An async import (host/host.h's WA_HOST_ASYNC_IMPORTS): the backend
  // runs the call (with Asyncify it is called again on every rewind).
  wa__host_invoke__deps: ['$WAB'],
  wa__host_invoke: function (token) {
    var call = WAB.calls.get(token);
    if (!call) return WAE.EINVAL;
    call.started = true; // C now owns its 'promise' arguments
    return WABackend.invoke(call);
  },
});

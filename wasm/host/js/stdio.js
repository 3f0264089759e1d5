/**
 * stdio.js — the standard streams for C, the JS half of wasm/host/stdio.c (the
 * protocol is in src/host.h: wa__host_stdin_read, wa__host_stdin_wait,
 * wa__host_output_closed). Standard input's source, chosen on the first read:
 *  - Module.wasyncStdin (load(f, { stdin })): a string, bytes (Uint8Array,
 *    any ArrayBuffer view, ArrayBuffer), an async or sync iterable of
 *    strings or bytes (a Node stream is one), or a ReadableStream; null is
 *    an empty stdin. Strings are UTF-8.
 *  - else, under Node, the process's fd 0: a regular file or a device such
 *    as /dev/null is read with fs.readSync (it never waits for long); a
 *    pipe, socket or terminal through process.stdin, in paused mode, so
 *    that the stream's own high-water mark bounds what is read ahead. The
 *    stream is unref'd except while a task waits on it: a program that
 *    stops reading still exits, and one that waits is not deadlocked.
 *  - else (a page), end of file at once (never window.prompt).
 * A read takes what is there (as a pipe does), at most what the iovecs
 * hold. In a task that finds nothing, C parks and waits in
 * wa__host_stdin_wait (wasyncBridge.asyncCall: only that task waits); outside a task
 * the read is synchronous, as Emscripten's own: fs.readSync on fd 0 (with
 * EAGAIN waited out), or EIO for a source that can only be awaited. After the end every read gives 0 again, as a pipe does.
 * fd 0 is the host's only while it is Emscripten's terminal device (FS's
 * stream 0 is /dev/tty) and the Module has no stdin callback of its own;
 * otherwise (dup2, freopen onto a file, Module.stdin) Emscripten reads it.
 */
mergeInto(LibraryManager.library, {
  $wasyncStdin__deps: ['$wasyncHost', '$wasyncErrors', '$FS'],
  $wasyncStdin: {
    started: false,
    chunks: [],       // Uint8Arrays not yet read; the first from offset `pos`
    pos: 0,
    ended: false,     // the source is exhausted (after the chunks)
    failed: false,    // the source failed (after the chunks): reads are EIO
    waiters: [],      // resolve functions of tasks parked on stdin
    pull: null,       // async sources: starts fetching one more chunk
    pulling: false,
    stream: null,     // Node's process.stdin, in paused mode
    sync: false,      // fd 0 is read with fs.readSync (a file under Node)
    fs: null,

    start: function () {
      wasyncStdin.started = true;
      var src = Module['wasyncStdin'];
      if (src !== undefined) return wasyncStdin.fromSource(src);
      if (!ENVIRONMENT_IS_NODE) return wasyncStdin.end();
      wasyncStdin.fs = require('fs');
      var st;
      try {
        st = wasyncStdin.fs.fstatSync(0);
      } catch (e) {
        return wasyncStdin.end(); // no fd 0 at all
      }
      if (st.isFile() || (st.isCharacterDevice() && !require('tty').isatty(0))) wasyncStdin.sync = true;
      else wasyncStdin.stream = 'pending'; // opened when a task first needs to wait
      wasyncHost.onStop.push(wasyncStdin.stop);
    },

    end: function () {
      wasyncStdin.ended = true;
      wasyncStdin.wake();
    },

    fail: function () {
      wasyncStdin.failed = true;
      wasyncStdin.wake();
    },

    wake: function () {
      var w = wasyncStdin.waiters;
      wasyncStdin.waiters = [];
      w.forEach(function (resolve) { resolve(0); });
      wasyncStdin.setRef();
    },

    // The stream holds the process open only while a task waits on it.
    setRef: function () {
      var s = wasyncStdin.stream;
      if (!s || typeof s !== 'object') return;
      if (wasyncStdin.waiters.length) { if (s.ref) s.ref(); } else if (s.unref) s.unref();
    },

    stop: function () {
      var s = wasyncStdin.stream;
      wasyncStdin.waiters = [];
      if (s && typeof s === 'object') {
        s.removeListener('readable', wasyncStdin.wake);
        if (s.unref) s.unref();
        s.pause();
      }
    },

    bytes: function (v) {
      if (typeof v === 'string') return new TextEncoder().encode(v);
      if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
      if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      return null;
    },

    fromSource: function (src) {
      if (src === null) return wasyncStdin.end();
      var b = wasyncStdin.bytes(src);
      if (b) {
        if (b.length) wasyncStdin.chunks.push(b);
        return wasyncStdin.end();
      }
      var next;
      if (typeof src.getReader === 'function') {
        var reader = src.getReader();
        next = function () { return reader.read(); };
      } else if (typeof src[Symbol.asyncIterator] === 'function' || typeof src[Symbol.iterator] === 'function') {
        var it = typeof src[Symbol.asyncIterator] === 'function' ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();
        next = function () { return it.next(); };
      } else {
        return wasyncStdin.fail();
      }
      wasyncStdin.pull = function () {
        wasyncStdin.pulling = true;
        Promise.resolve().then(next).then(function (r) {
          wasyncStdin.pulling = false;
          if (r.done) return wasyncStdin.end();
          var chunk = wasyncStdin.bytes(r.value);
          if (!chunk) return wasyncStdin.fail();
          if (chunk.length) wasyncStdin.chunks.push(chunk);
          wasyncStdin.wake();
        }, function () {
          wasyncStdin.pulling = false;
          wasyncStdin.fail();
        });
      };
    },

    // Node's process.stdin (a pipe, socket or terminal), in paused mode.
    openStream: function () {
      var s = wasyncStdin.stream = process.stdin;
      s.on('readable', wasyncStdin.wake);
      s.on('end', wasyncStdin.end);
      s.on('error', wasyncStdin.fail);
      wasyncStdin.setRef();
    },

    // Copies buffered bytes into the iovecs; returns how many.
    take: function (iovs, iovcnt) {
      var s = wasyncStdin.stream;
      if (!wasyncStdin.chunks.length && s && typeof s === 'object') {
        var b = s.read();
        if (b) wasyncStdin.chunks.push(b);
      }
      var n = 0;
      for (var i = 0; i < iovcnt && wasyncStdin.chunks.length; i++) {
        var ptr = HEAPU32[(iovs >> 2) + 2 * i], len = HEAPU32[(iovs >> 2) + 2 * i + 1];
        while (len > 0 && wasyncStdin.chunks.length) {
          var c = wasyncStdin.chunks[0];
          var k = Math.min(len, c.length - wasyncStdin.pos);
          HEAPU8.set(c.subarray(wasyncStdin.pos, wasyncStdin.pos + k), ptr);
          ptr += k;
          len -= k;
          n += k;
          wasyncStdin.pos += k;
          if (wasyncStdin.pos === c.length) {
            wasyncStdin.chunks.shift();
            wasyncStdin.pos = 0;
          }
        }
      }
      return n;
    },

    // fs.readSync into the first non-empty iovec; EAGAIN (a non-blocking
    // fd) is waited out, as a blocking read would.
    readSync: function (iovs, iovcnt) {
      for (var i = 0; i < iovcnt; i++) {
        var ptr = HEAPU32[(iovs >> 2) + 2 * i], len = HEAPU32[(iovs >> 2) + 2 * i + 1];
        if (!len) continue;
        for (;;) {
          try {
            return wasyncStdin.fs.readSync(0, HEAPU8, ptr, len, null);
          } catch (e) {
            if (e.code === 'EOF') return 0;
            if (e.code !== 'EAGAIN') return wasyncErrors.STDIN_EIO;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          }
        }
      }
      return 0;
    },

    // A promise that resolves once a read would not park.
    wait: function () {
      if (wasyncStdin.chunks.length || wasyncStdin.ended || wasyncStdin.failed) return Promise.resolve(0);
      return new Promise(function (resolve) {
        wasyncStdin.waiters.push(resolve);
        wasyncStdin.setRef();
      });
    },
  },

  wa__host_stdin_read__deps: ['$wasyncStdin'],
  wa__host_stdin_read: function (iovs, iovcnt, mayWait) {
    var s = FS.getStream(0);
    if (Module['stdin'] || !s || !s.tty || !s.node || s.node.rdev !== FS.makedev(5, 0)) return wasyncErrors.STDIN_PASS;
    if (!wasyncStdin.started) wasyncStdin.start();
    var n = wasyncStdin.take(iovs, iovcnt);
    if (n) return n;
    if (wasyncStdin.failed) return wasyncErrors.STDIN_EIO;
    if (wasyncStdin.ended) return 0;
    if (wasyncStdin.sync) return wasyncStdin.readSync(iovs, iovcnt);
    if (!mayWait) return wasyncStdin.stream ? wasyncStdin.readSync(iovs, iovcnt) : wasyncErrors.STDIN_EIO;
    if (wasyncStdin.stream === 'pending') {
      wasyncStdin.openStream();
      n = wasyncStdin.take(iovs, iovcnt);
      if (n) return n;
    }
    if (wasyncStdin.pull && !wasyncStdin.pulling) wasyncStdin.pull();
    return wasyncErrors.STDIN_PARK;
  },

  wa__host_stdin_wait__deps: ['$wasyncStdin', '$wasyncBridge'],
  wa__host_stdin_wait: function () {
    return wasyncBridge.asyncCall(function () { return wasyncStdin.wait(); });
  },

  // Module.wasyncOutput is the state of a program's output writers
  // (js/cli/wrap.mjs): closed once a write found the reader gone.
  wa__host_output_closed: function (fd) {
    var out = Module['wasyncOutput'];
    return out && out.closed ? 1 : 0;
  },
});

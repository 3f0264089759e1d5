/**
 * fdcalls.js — fsync() and poll() answer at once, as the libc calls them.
 *
 * Emscripten marks fd_sync (every release) and __syscall_poll (4.x and
 * later, even with a zero timeout) async: under -sASYNCIFY they unwind the
 * module through Emscripten's own Asyncify glue, which wasync's in-wasm
 * scheduler cannot run through (the calling task traps). These do what
 * Emscripten does without Asyncify: fsync calls the stream's own fsync
 * (there is no file system to sync to), poll reports what is ready now.
 * A poll or select that waits, inside a task, is an await of
 * wasm/host/libc_sleep.c, which looks again between short sleeps. Only
 * linked where C calls them.
 */
mergeInto(LibraryManager.library, {
  fd_sync__deps: ['$SYSCALLS', '$FS'],
  fd_sync__async: false,
  fd_sync: function (fd) {
    try {
      var stream = SYSCALLS.getStreamFromFD(fd);
      if (stream.stream_ops && stream.stream_ops.fsync) stream.stream_ops.fsync(stream);
      return 0;
    } catch (e) {
      if (typeof FS === 'undefined' || !(e instanceof FS.ErrnoError)) throw e;
      return e.errno;
    }
  },

  // struct pollfd { int fd; short events, revents; } (8 bytes); musl's
  // POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16, POLLNVAL 32. A stream with
  // no poll of its own (a regular file) is always ready.
  __syscall_poll__deps: ['$FS'],
  __syscall_poll__async: false,
  __syscall_poll: function (fds, nfds, timeout) {
    var ready = 0;
    for (var i = 0; i < nfds; i++) {
      var p = fds + 8 * i;
      var stream = FS.getStream(HEAP32[p >> 2]);
      var mask = stream ? (stream.stream_ops && stream.stream_ops.poll ? stream.stream_ops.poll(stream) : 1 | 4) : 32;
      mask &= HEAP16[(p + 4) >> 1] | 8 | 16 | 32;
      if (mask) ready++;
      HEAP16[(p + 6) >> 1] = mask;
    }
    return ready;
  },
});

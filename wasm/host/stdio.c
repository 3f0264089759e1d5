/* stdio.c — the standard streams through the JS host (wasm only;
 * wasm/host/js/stdio.js is its JS half): reading stdin, where a read that
 * would block is an await, and a write to a closed stdout or stderr, which
 * ends the program as SIGPIPE ends a native one.
 *
 * Every read of Emscripten's libc (read, readv, and through the FILE layer
 * fgets, getchar, scanf, getline, fread) ends in the WASI import
 * __wasi_fd_read. wasync's link wraps that symbol (-Wl,--wrap, js/cli/build.mjs)
 * so that reads of fd 0 come here first; any other fd, and an fd 0 that is
 * no longer the host's stdin (the program dup2'd a file onto it, or the
 * Module's own stdin callback is in use), goes on to Emscripten's.
 *
 * The host keeps what it has read of its source (Node's process.stdin, or
 * the source given to load(f, { stdin })) and answers a read at once with
 * the bytes it holds, with end of file, or with WA__STDIN_PARK: nothing yet.
 * In a task, a park waits through the async import wa__host_stdin_wait,
 * which suspends only that task (as WA_ASYNC_JS does), then asks again. A
 * cancel or an expired timeout scope ends the wait: the read fails with
 * EINTR, and the task's next await reports the cancel as usual. Outside a
 * task the host reads synchronously, as Emscripten itself does. */
#include <stdint.h>
#include <unistd.h>
#include <wasi/api.h>
#include "wasync.h"
#include "host.h"

/* The status of a process killed by SIGPIPE, as a shell reports it (128 + 13). */
#define SIGPIPE_STATUS 141

__wasi_errno_t __real___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t iovs_len,
                                     __wasi_size_t *nread)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("fd_read")));

__wasi_errno_t __real___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t iovs_len,
                                      __wasi_size_t *nwritten)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("fd_write")));

/* The link's replacement of __wasi_fd_read (same contract: a WASI errno,
 * the byte count in *nread, 0 bytes at end of file). */
__wasi_errno_t __wrap___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t iovs_len,
                                     __wasi_size_t *nread);

__wasi_errno_t __wrap___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t iovs_len,
                                     __wasi_size_t *nread) {
  if (fd == 0) {
    for (;;) {
      int rc = wa__host_stdin_read(iovs, iovs_len, wa_current() != NULL);
      if (rc >= 0) {
        *nread = (__wasi_size_t)rc;
        return __WASI_ERRNO_SUCCESS;
      }
      if (rc == WA__STDIN_PASS) break;
      if (rc != WA__STDIN_PARK) return __WASI_ERRNO_IO;
      if (wa__host_stdin_wait() < 0) return __WASI_ERRNO_INTR;
    }
  }
  return __real___wasi_fd_read(fd, iovs, iovs_len, nread);
}

/* The link's replacement of __wasi_fd_write (-Wl,--wrap too): a write to
 * fd 1 or 2 that failed because the host found the reader gone (a closed
 * pipe, wa__host_output_closed) ends the program with status 141 and no
 * message, as SIGPIPE does natively; any other result is returned as is. */
__wasi_errno_t __wrap___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t iovs_len,
                                      __wasi_size_t *nwritten);

__wasi_errno_t __wrap___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t iovs_len,
                                      __wasi_size_t *nwritten) {
  __wasi_errno_t rc = __real___wasi_fd_write(fd, iovs, iovs_len, nwritten);
  if (rc != __WASI_ERRNO_SUCCESS && (fd == 1 || fd == 2) && wa__host_output_closed(fd)) _exit(SIGPIPE_STATUS);
  return rc;
}

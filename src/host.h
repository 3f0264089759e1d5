/* host.h — every crossing between the core and a host, declared once.
 *
 * Two hosts implement it: wasm/host/js/ (browser and Node, the imports are
 * JS functions of Emscripten --js-library files) and src/native/host.c (a
 * plain loop for native tests, with stubs where there is no JavaScript).
 * The host never schedules tasks: it only reports events, through the
 * exports. The wasm backends' crossings with their own JS halves
 * (wasm/backend/<name>.js) are listed here too, in their own tables, so that
 * every name that crosses between wasm and JS is in this file.
 *
 * Each table is X(return type, name, parameters). The prototypes at the
 * bottom are made from them, and js/cli/crossings.mjs reads the same tables
 * (and WA_ERRNO_MAP, WA_HOST_CODE_MAP) at link time to make the module's
 * EXPORTED_FUNCTIONS, its ASYNCIFY_IMPORTS and the JS error constants
 * ($wasyncErrors); tests/js/crossings.test.mjs checks the tables against the
 * imports and exports of built modules, both ways. */
#ifndef WA_HOST_H
#define WA_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "wasync.h"

struct wa__task;

/* ---- imports: the core calls the host ----------------------------------------
 *  wa__host_now          monotonic milliseconds (fractional).
 *  wa__host_timer_arm    arms the host's single timer for an absolute
 *                        wa__host_now() deadline (fractional: the host wakes
 *                        as close after it as it can, never before),
 *                        replacing any earlier one; once the clock reaches
 *                        it the host calls wa__on_timer(now), once.
 *                        A host that must wait in parts (both wait at most
 *                        2^31-1 ms at a time, setTimeout's limit) waits
 *                        again itself without calling the core.
 *  wa__host_request_tick asks for one wa__on_tick() soon: from a microtask
 *                        if yield_to_host is 0, after the host's own pending
 *                        work (rendering, I/O) if 1. Requests are merged.
 *  wa__host_task_done    a task the host started (token != 0) finished.
 *  wa__fetch_*           src/fetch.c's requests (protocol there): start
 *                        returns a handle, or a negative code (WA_ENOTSUP: no
 *                        fetch() on this host); read returns bytes (and
 *                        whether they end the body), a negative code or
 *                        WA__FETCH_PARK.
 *  wa__js_watch          src/js.c: task t now waits on promise handle; the
 *                        host calls wa__on_js_settle(t, handle, …) once it
 *                        settles, unless the handle is dropped first.
 *  wa__js_drop           forget a promise handle (its outcome is ignored).
 *  wa__js_state          a handed-over promise (app.promise): 0 pending,
 *                        1 settled, WA_EINVAL unknown handle, WA_ENOTSUP no JS.
 *  wa__js_take           takes a settled handed-over promise: 0 and *value,
 *                        or WA_EJS after wa__on_call_error(message).
 *  wa__host_stdin_read   wasm/host/stdio.c: a read of fd 0 into iovs (WASI
 *                        iovecs): the bytes read, 0 at end of file;
 *                        WA__STDIN_PARK if nothing is there yet and
 *                        may_wait (the caller then waits in
 *                        wa__host_stdin_wait and asks again; without
 *                        may_wait the host reads synchronously);
 *                        WA__STDIN_EIO if the source failed; WA__STDIN_PASS
 *                        if fd 0 is not the host's stdin (Emscripten's own
 *                        read handles it).
 *  wa__host_output_closed 1 if writes to fd (1 or 2) fail because their
 *                        reader is gone (EPIPE): the program then ends
 *                        with status 141, as SIGPIPE ends a native one. */
#define WA_HOST_IMPORTS(X)                                                              \
  X(double, wa__host_now, (void))                                                      \
  X(void, wa__host_timer_arm, (double deadline))                                       \
  X(void, wa__host_timer_disarm, (void))                                               \
  X(void, wa__host_request_tick, (int yield_to_host))                                  \
  X(void, wa__host_task_done, (uint32_t token, int status))                            \
  X(int, wa__fetch_start, (wa_response * r, const char *url, const char *method,       \
                           const char *const *headers, const void *body, size_t body_len, \
                           char *head_scratch, size_t scratch_len))                    \
  X(long, wa__fetch_read, (uint32_t handle, void *buf, size_t len, int *ended))        \
  X(void, wa__fetch_abort, (uint32_t handle))                                          \
  X(void, wa__fetch_release, (uint32_t handle))                                        \
  X(void, wa__js_watch, (uint32_t handle, struct wa__task *t))                         \
  X(void, wa__js_drop, (uint32_t handle))                                              \
  X(int, wa__js_state, (uint32_t handle))                                              \
  X(int, wa__js_take, (uint32_t handle, double *value))                                \
  X(int, wa__host_stdin_read, (const void *iovs, size_t iovs_len, int may_wait))      \
  X(int, wa__host_output_closed, (int fd))

/* Imports a task may suspend in (a backend must be able to switch through
 * them: Asyncify instruments their callers, JSPI wraps them in
 * WebAssembly.Suspending). wa__host_invoke(token) runs the exported C
 * function of cwrap call `token` (src/js.c). wa__host_stdin_wait suspends
 * the calling task until stdin has data, its end or an error (0), or until
 * a cancel or an expired timeout (WA_ECANCELED, WA_ETIMEDOUT), as a
 * WA_ASYNC_JS import does. WA_ASYNC_JS's imports are named
 * "wa__ajs__<name>" (wasync.h): WA_HOST_ASYNC_IMPORT_PREFIX. */
#define WA_HOST_ASYNC_IMPORTS(X)                                                        \
  X(int, wa__host_invoke, (uint32_t token))                                            \
  X(int, wa__host_stdin_wait, (void))
#define WA_HOST_ASYNC_IMPORT_PREFIX "wa__ajs__"

/* ---- exports: the host calls the core ----------------------------------------
 * Names say which way a call goes: calls out of C to the host are
 * wa__host_* (the imports above); calls into C are named for the event the
 * host reports (wa__on_*), or for what they read (wa__tasks_*, ...).
 * Each callback gets now, the host's wa__host_now() reading for it, which
 * fires the timers and starts the time slice. The core reads the clock
 * itself (wa__host_now) only when a task asks for it: to end a long time
 * slice (checked after 1, 3, 7, ... runs: sched.c), to set a deadline
 * (wa_sleep, wa_timeout_begin, the libc sleeps), to see whether a timeout
 * scope's deadline passed when it closes, and for wa_now().
 *  wa__on_tick               runs ready tasks (a time slice).
 *  wa__on_timer              the timer's deadline has come: runs due timers,
 *                            then, in the same call, the tasks they woke.
 *  wa__on_start_main         starts the program's entry, wa_main(argc, argv)
 *                            or else a C main(), as task "main" (argv is
 *                            copied); the host calls wa__on_tick() right
 *                            after (this call requests no tick); its end is
 *                            wa__host_task_done(token, status). 0 with the
 *                            task's handle in *task (what wa__on_cancel
 *                            takes), WA_ENOMEM, or WA_ENOTSUP if the module
 *                            is a library (neither).
 *  wa__on_exit               exit(status): what a program's return from its
 *                            entry means in C (atexit handlers, stdio
 *                            flushed); never returns (the host catches the
 *                            exit).
 *  wa__on_deadlock           prints "wasync: deadlock: N tasks blocked" and
 *                            one line per task to stderr.
 *  wa__on_cancel             promise.cancel() of a cwrap call or of main.
 *  wa__on_call_error         the running task's wa_last_error() is msg: an
 *                            argument error found in JS, a rejection's text.
 *  wa__tasks_begin/next      the task table as text (src/introspect.c).
 *  wa__running_name          the running task's name, or NULL.
 *  wa__stdio_pending         bytes stdout (fd 1) or stderr (2) holds unwritten
 *                            (__fpending): during a print callback, what C's
 *                            stdio will send again in front of a nested line.
 *  wa__on_fetch_head/body/failed  a request's head arrived (status and
 *                            headers in one call), a read completed (with
 *                            whether the body ended), the pending step
 *                            failed: src/fetch.c's protocol (there). Each
 *                            runs the task it wakes in the same call, as
 *                            wa__on_timer does: no tick follows.
 *  wa__js_*, wa__on_js_*     the completions and calls of src/js.c's
 *                            protocol (there).
 *  wa_last_error             wasync.h's, for a failed call's message (the
 *                            names and texts of codes are generated: $wasyncErrors). */
#define WA_HOST_EXPORTS(X)                                                              \
  X(void, wa__on_tick, (double now))                                                    \
  X(void, wa__on_timer, (double now))                                                   \
  X(int, wa__on_start_main, (int argc, char **argv, uint32_t token, uint32_t *task))    \
  X(void, wa__on_exit, (int status))                                                    \
  X(void, wa__on_deadlock, (void))                                                      \
  X(void, wa__on_cancel, (uint32_t task))                                               \
  X(void, wa__on_call_error, (const char *msg, size_t len))                             \
  X(char *, wa__tasks_begin, (void))                                                    \
  X(int, wa__tasks_next, (void))                                                        \
  X(const char *, wa__running_name, (void))                                             \
  X(size_t, wa__stdio_pending, (int fd))                                                \
  X(void, wa__on_fetch_head, (wa_response * r, int status, char *hdrs, size_t hdrs_len, int ended, double now)) \
  X(void, wa__on_fetch_body, (wa_response * r, long n, int ended, double now))          \
  X(void, wa__on_fetch_failed, (wa_response * r, int code, const char *msg, size_t msg_len, double now)) \
  X(int, wa__js_begin, (void))                                                          \
  X(int, wa__js_await, (uint32_t handle))                                               \
  X(void, wa__on_js_settle, (struct wa__task * t, uint32_t handle, int ok, const char *msg, size_t len)) \
  X(int, wa__on_js_call, (uint32_t token, const char *name, size_t stack_size, uint32_t *task)) \
  X(int *, wa__js_reentered_flag, (void))                                               \
  X(const char *, wa_last_error, (void))

/* ---- wa_to_thread's pool (wasm/host/thread.c), in `--threads` builds only ------
 * Linked (imported, exported) only by programs built with `wasync build
 * --threads`; js/cli/crossings.mjs adds these tables to theirs.
 *  wa__host_thread_count   the pool's size: load()'s threads option, else
 *                          --threads=N, else the machine's parallelism.
 *  wa__host_thread_busy    jobs in flight changed by delta (+1 queued, -1
 *                          finished): the host keeps its event loop alive
 *                          while any is out, and never for idle pool threads.
 *  wa__host_thread_done    on the event-loop thread, maybe inside a wait of
 *                          the libc: a job came back; the host calls
 *                          wa__on_thread_done(job) from a fresh microtask.
 *  wa__on_thread_done      wakes the job's task with its status (or drops
 *                          it: the task was cancelled) and frees the job. */
struct wa__job;
#define WA_HOST_THREAD_IMPORTS(X)                                                       \
  X(int, wa__host_thread_count, (void))                                                \
  X(void, wa__host_thread_busy, (int delta))                                           \
  X(void, wa__host_thread_done, (struct wa__job * job))
#define WA_HOST_THREAD_EXPORTS(X)                                                       \
  X(void, wa__on_thread_done, (struct wa__job * job))

/* libc functions the JS host calls (declared by libc; names only). */
#define WA_HOST_LIBC_EXPORTS(X) X(malloc) X(free) X(fflush)

/* ---- the wasm backends and their JS halves (wasm/backend/<name>.js) ----------------
 * A backend's own crossings with its JS half are in its header
 * (wasm/backend/<name>.h, named by wasm/backend/<name>.json), in tables named
 * WA_<NAME>_IMPORTS, _SUSPENDING_IMPORTS and _EXPORTS that js/cli/crossings.mjs
 * reads. Shared by every wasm backend (stack.js): the host's recovery when an
 * exception escaped a running task (contract in wasm/backend/asyncify.c),
 * and the table index of STACK_OVERFLOW_CHECK's __set_stack_limits, which
 * the backend switches with every task, and the debug builds' watch on
 * writes through NULL (stack.c). The Emscripten functions are the
 * scheduler's own stack limits (names only). */
#define WA_WASM_BACKEND_EXPORTS(X)                                                      \
  X(int, wa__backend_recover, (int cause, uintptr_t deepest_sp, uintptr_t requested))   \
  X(void, wa__backend_set_limits_fn, (uintptr_t table_index))                          \
  X(void, wa__backend_watch_null, (void))
#define WA_WASM_BACKEND_TOOLCHAIN_EXPORTS(X) X(emscripten_stack_get_base) X(emscripten_stack_get_end)

/* ---- codes outside WA_ERRNO_MAP ------------------------------------------------
 * Never returned by the C API, disjoint from WA_ERRNO_MAP, named WA__<name>
 * in C: the JS API's own error codes (an Error's .code is "WA_<name>"), and
 * values of the core/host protocols. The JS host gets both tables as
 * constants (wasm/host/js: wasyncErrors.<name>), generated like the export list. */
#define WA_HOST_CODE_MAP(X)                                                             \
  X(EDEADLK, -100, "deadlock: every task is blocked and nothing is pending on the host") \
  X(EXIT, -101, "the module called exit()")                                            \
  X(EABORT, -102, "the module stopped: abort(), a trap or a fatal stack overflow")     \
  X(FETCH_PARK, -1000, "a fetch read is pending: the task parks (fetch.c protocol)")   \
  X(STDIN_PARK, -1001, "stdin has no data yet: the task waits (host/stdio.c protocol)") \
  X(STDIN_PASS, -1002, "fd 0 is not the host's stdin: Emscripten reads it (host/stdio.c protocol)") \
  X(STDIN_EIO, -1003, "stdin's source failed: the read is EIO (host/stdio.c protocol)")

enum {
#define WA__HOST_CODE_ENUM(name, value, text) WA__##name = (value),
  WA_HOST_CODE_MAP(WA__HOST_CODE_ENUM)
#undef WA__HOST_CODE_ENUM
};

#define WA__HOST_PROTO(ret, name, params) ret name params;
WA_HOST_IMPORTS(WA__HOST_PROTO)
WA_HOST_ASYNC_IMPORTS(WA__HOST_PROTO)
WA_HOST_EXPORTS(WA__HOST_PROTO)
WA_HOST_THREAD_IMPORTS(WA__HOST_PROTO)
WA_HOST_THREAD_EXPORTS(WA__HOST_PROTO)
WA_WASM_BACKEND_EXPORTS(WA__HOST_PROTO)
#undef WA__HOST_PROTO

#endif /* WA_HOST_H */

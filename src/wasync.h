/* wasync.h — async/await for C on WebAssembly. The only header users include.
 *
 * Model (like asyncio, libuv, Go):
 *  - A program defines wa_main(), or a C main() (main(void) or
 *    main(int, char **), C or C++) if it has no wa_main; either runs as the
 *    first task (a library defines neither: it exports functions with
 *    WA_EXPORT for JS to call). Tasks are C
 *    functions with their own stack; an "await point" (any call below that
 *    may block) suspends only the calling task, and the host's event loop
 *    (browser, Node, or the native test host's loop) keeps running.
 *  - Scheduling is cooperative, FIFO and fair: tasks made ready in some order
 *    run in that order; equal sleep deadlines wake in the order they were set.
 *  - Await points may only be made from inside a task; elsewhere they return
 *    WA_ENOTASK at once (debug builds, `wasync build --debug`, report it and
 *    abort instead). A call JS makes into an exported function while a task
 *    runs (from a print callback, say) is not that task: its await points
 *    return WA_ENOTASK, in debug builds too.
 *  - Cancellation and timeouts are edge-triggered, as in asyncio: the
 *    current or next await point of a cancelled task returns WA_ECANCELED
 *    once, and within an expired timeout scope one await point returns
 *    WA_ETIMEDOUT; later awaits work normally, so a task can clean up.
 *  - Functions that can fail return int: 0 on success or a negative WA_E*
 *    code (wa_strerror(), wa_err_name()). Times are milliseconds, int64_t.
 *  - Task handles (wa_task *) are generation-checked: a handle that was
 *    already joined or freed is detected and reported as WA_EINVAL, never
 *    dereferenced, and never names a later task: a handle value is issued
 *    again only after about 4 billion (2^32 - 2^22) further spawns.
 */
#ifndef WASYNC_H
#define WASYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

/* X(name, value, description): the one table behind the enum, wa_strerror()
 * and wa_err_name(). Values are negative and stable. */
#define WA_ERRNO_MAP(X)                                                        \
  X(ECANCELED, -1, "task was cancelled")                                       \
  X(ETIMEDOUT, -2, "timeout expired")                                          \
  X(ENOMEM, -3, "out of memory")                                               \
  X(EINVAL, -4, "invalid argument")                                            \
  X(ECLOSED, -5, "channel is closed")                                          \
  X(EAGAIN, -6, "operation would block")                                       \
  X(ENOTASK, -7, "await point used outside a task")                            \
  X(EBUSY, -8, "resource busy")                                                \
  X(ENET, -9, "network failure")                                               \
  X(EJS, -10, "JavaScript promise rejected")                                   \
  X(EOVERFLOW, -11, "task stack, asyncify buffer or size limit overflowed")   \
  X(ENOTSUP, -12, "not supported on this host")

typedef enum {
#define WA__ERRNO_ENUM(name, value, text) WA_##name = (value),
  WA_ERRNO_MAP(WA__ERRNO_ENUM)
#undef WA__ERRNO_ENUM
} wa_errno;

/* Human-readable description of a WA_E* code ("unknown error" otherwise). */
const char *wa_strerror(int code);
/* The code's name without prefix, e.g. "WA_ETIMEDOUT"; "WA_EUNKNOWN" otherwise. */
const char *wa_err_name(int code);
/* Message of the calling task's last failure (per task; "" if none): the
 * host's message for WA_EJS / WA_ENET, and for any other code returned by
 * wa_fetch, wa_response_read, wa_response_body(_max) or wa_js_await a
 * message naming the call and the reason (each failing call sets its own).
 * Valid until that task's next failing call. */
const char *wa_last_error(void);

/* ---- program entry and exports ------------------------------------------ */

/* Defined by a program; runs as the first task (named "main", 256 KiB of
 * stack or the program's default if larger). Under Node the process exits
 * with its return value as soon as it returns (remaining tasks are
 * abandoned, as in Go); returning is exit(status), as in C: atexit()
 * handlers run and stdio is flushed, its last unterminated line too.
 * exit(n) in any task ends the program the same way, with status n. If
 * every task is blocked for good, the deadlock report is printed and the
 * status is 2.
 * A program without wa_main may define a C main() instead, main(void) or
 * main(int argc, char **argv), in C or C++: it runs in wa_main's place,
 * with all of the above, so code written without wasync in mind runs as
 * it is (and may await: it is a task). Defining both is a link error, as
 * is main(int, char **, char **) (use getenv() or environ).
 * A library (a module JS only calls into with cwrap) defines neither: the
 * runtime refers to both weakly. Then `node lib.mjs` prints "wasync:
 * <file> is a library: it defines no wa_main; ..." to stderr and exits 1,
 * and app.main() rejects with code 'WA_ENOTSUP'. */
int wa_main(int argc, char **argv);

/* Marks a C function that JavaScript calls (app.cwrap('name', ...)):
 *   WA_EXPORT int slow_square(int x) { ... }
 * Under Emscripten it keeps the function through dead-code elimination and
 * LTO and exports it from the module (what EMSCRIPTEN_KEEPALIVE does: emcc
 * exports every `used` symbol); natively it expands to nothing. The name
 * must be unmangled: in C++ declare the function extern "C" yourself
 * (extern "C" WA_EXPORT int f(int);), the macro does not. */
#if defined(__EMSCRIPTEN__)
#define WA_EXPORT __attribute__((used, visibility("default")))
#else
#define WA_EXPORT
#endif

/* ---- tasks --------------------------------------------------------------- */

typedef struct wa_task wa_task;
typedef int (*wa_fn)(void *arg);

/* stack_size: bytes shared by the task's C stack (growing down from the top)
 * and its Asyncify save area (growing up from the bottom); 0 means the
 * program's default: WA_STACK_DEFAULT (64 KiB, the stack Emscripten gives
 * a program since 3.1.27; 3.1.6 gave main() 5 MiB. wasync links every
 * release with a 64 KiB Emscripten stack, which is what runs outside tasks,
 * e.g. static constructors), or N if the program was built with `wasync
 * build --stack-size=N`.
 * Wasm memory is committed lazily: a big stack costs address space (wasm32
 * has 4 GiB at most), not resident memory; programs with 100 000+ tasks
 * should still pass a small stack_size (WA_STACK_MIN and up) explicitly.
 * Other defaults: the main task (wa_main or main) gets 256 KiB or the program's
 * default if that is larger; a cwrap() call from JS gets the program's
 * default unless its { stackSize } option says otherwise.
 * name is copied (truncated to 31 bytes); NULL means "task". Overflow ends
 * the task with WA_EOVERFLOW (its joiner or JS caller gets that code) and
 * stderr names it and what to raise (the main task's: `--stack-size`);
 * other tasks keep running. Overflow is exact: a task that
 * needs N bytes (C frames plus the save area at its deepest await) runs
 * with every stack_size >= N and fails with every smaller one:
 *  - release and debug builds: every function that moves the stack pointer
 *    is checked against the running task's stack (STACK_OVERFLOW_CHECK=2,
 *    its limits switched with the task), so the overflow is caught before
 *    a byte outside the stack is written; the save area is checked after
 *    every suspend; a recursion that exhausts the JS engine's own call
 *    stack is caught where it happens;
 *  - release builds made with `wasync build --no-stack-check` (for a hot
 *    path: the check costs time on every call that has a stack frame) use
 *    two canaries instead, checked whenever the task suspends or ends: an
 *    overflow that writes sparsely past both and returns before the next
 *    suspend can go unseen, and one that reached memory outside the task's
 *    block names the task and exits (status 70);
 *  - native builds (tests): a guard page; the process exits (70).
 */
typedef struct {
  const char *name;
  size_t stack_size;
} wa_task_opts;

#define WA_STACK_DEFAULT ((size_t)64 * 1024)
#define WA_STACK_MIN ((size_t)2 * 1024)
/* The largest stack_size accepted (1 GiB): larger sizes are refused before
 * any size arithmetic, so no value can wrap. */
#define WA_STACK_MAX ((size_t)1 << 30)

/* Creates a task that runs fn(arg) after the spawner next awaits (or, from
 * outside any task, on the next scheduler tick). The caller owns the handle
 * and must wa_join() or wa_detach() it. NULL on out of memory, for a NULL
 * fn, or (spawn_opts) a stack_size outside [WA_STACK_MIN, WA_STACK_MAX]
 * other than 0; nothing is allocated then. arg stays owned by the caller. */
wa_task *wa_spawn(wa_fn fn, void *arg);
wa_task *wa_spawn_opts(wa_fn fn, void *arg, const wa_task_opts *opts);

/* Await t's end and free it; returns its status (fn's return value), or
 * WA_ECANCELED if it was cancelled before it started, or WA_EOVERFLOW.
 * If the caller's own wait is cancelled or times out, t is cancelled and
 * detached (as asyncio does for an awaited task) and that code is returned.
 * t is consumed in every case except WA_EINVAL (stale, detached or already
 * joined handle, or a task joining itself). */
int wa_join(wa_task *t);
/* t frees itself when it ends. Stale or already-detached handles are ignored. */
void wa_detach(wa_task *t);
/* t's current or next await point returns WA_ECANCELED; a task cancelled
 * before it starts never runs. No effect on finished or stale handles. */
void wa_cancel(wa_task *t);
/* Lets every other ready task run, then continues. 0, or WA_ECANCELED /
 * WA_ETIMEDOUT / WA_ENOTASK. */
int wa_yield(void);
/* Sleeps at least ms milliseconds by wa_now() (ms <= 0 is a yield): until
 * the millisecond wa_now() + ms begins, as libuv and setTimeout count, so
 * from a fractional start it may be up to 1 ms shorter. Deadlines saturate:
 * a sleep too long to represent (up to INT64_MAX) lasts until the task is
 * cancelled or times out. 0, or WA_ECANCELED / WA_ETIMEDOUT / WA_ENOTASK,
 * or WA_ENOMEM (the timer heap could not grow; the task did not sleep). */
int wa_sleep(int64_t ms);
/* Monotonic milliseconds since an arbitrary start (fractional part dropped). */
int64_t wa_now(void);
/* The calling task, or NULL outside any task. The handle stays owned by
 * whoever owns it (do not join or detach your own handle from here). */
wa_task *wa_current(void);
/* The size of t's stack in bytes (what its stack_size resolved to), 0 for
 * a stale handle. */
size_t wa_task_stack_size(const wa_task *t);
/* The most stack t has needed at any of its await points so far, in bytes:
 * its C frames plus the Asyncify save area, which share the stack (what
 * stack_size must hold). Measured each time t suspends (one subtraction in
 * the scheduler, no painting, so spawning stays cheap and untouched stack
 * pages are never committed): a deeper call that returned before t's next
 * await is not seen, so leave headroom over it. wa_dump() and app.tasks()
 * show the same figure; 0 before t first suspends and for a stale handle. */
size_t wa_task_stack_used(const wa_task *t);
/* Numeric id of a task (1 = main), 0 for a stale handle. */
uint32_t wa_task_id(const wa_task *t);
/* The task's name, "" for a stale handle. */
const char *wa_task_name(const wa_task *t);
/* Gather: awaits all n tasks and frees them; returns the first non-zero
 * status in array order, else 0. The handles belong to the call until it
 * returns: another task's wa_join or wa_detach of one of them is refused
 * (WA_EINVAL / ignored), as for a task being joined. If the caller's wait
 * is interrupted, every unfinished task is cancelled and detached and the
 * code is returned. WA_EINVAL (nothing consumed) for n < 0, NULL ts with
 * n > 0, or a stale, detached, already joined, repeated or own handle. */
int wa_join_all(wa_task **ts, int n);
/* Awaits the first of n tasks to finish, frees only that one, sets *idx to
 * its index and returns its status. If the caller's wait is interrupted the
 * code is returned, *idx is -1 and every task stays owned by the caller. */
int wa_join_any(wa_task **ts, int n, int *idx);

/* ---- timeout scopes (like asyncio.timeout) ----------------------------- */

/* Private: an entry in the runtime's timer heap (see wa_timeout). */
struct wa__timer {
  int64_t deadline; /* microseconds on the wa_now() clock */
  uint64_t seq;
  int heap_index;
  void (*fire)(struct wa__timer *t);
};

/* Caller-allocated (usually on the task's stack); fields are private. */
typedef struct wa_timeout {
  struct wa__timer timer;
  struct wa_timeout *outer;
  void *owner;
  int expired;
} wa_timeout;

/* Opens a scope: if it is still open ms from now, one await point of the
 * calling task returns WA_ETIMEDOUT. Scopes nest; must be called in a task
 * (outside a task the scope never expires). ms <= 0 expires at once; the
 * deadline saturates, so a huge ms (up to INT64_MAX) never expires. If the
 * timer heap cannot grow (out of memory) the scope expires at once rather
 * than never. NULL t does nothing. */
void wa_timeout_begin(wa_timeout *t, int64_t ms);
/* Closes t, and any scope opened inside it and still open; 1 if it
 * expired, else 0. A scope that is already closed (ended before, closed
 * with an outer scope, or whose task has ended: a task's open scopes close
 * when it ends) is left alone and only its result is returned. WA_EINVAL
 * for NULL. */
int wa_timeout_end(wa_timeout *t);

/* ---- the libc sleeps ----------------------------------------------------
 * Ported C needs no wa_sleep: inside a task, sleep, usleep, nanosleep,
 * clock_nanosleep (relative or TIMER_ABSTIME, CLOCK_MONOTONIC or
 * CLOCK_REALTIME), emscripten_sleep, poll(NULL, 0, ms) (no fds; ms < 0:
 * until interrupted) and select(n, …, &tv) with no descriptor set (tv NULL:
 * until interrupted) are await points: only the calling task sleeps, the
 * other tasks and the JS event loop run. (wasync's link wraps them; nothing
 * to include or call.)
 *  - Times are kept to the microsecond and rounded up, so a sleep never ends
 *    early; the host's timer has millisecond resolution, so a sub-millisecond
 *    sleep lasts about a millisecond. A zero (or past) request is a yield;
 *    poll and select with a zero timeout return 0 at once (a probe).
 *  - A cancel (wa_cancel) or an expired timeout scope ends the sleep early
 *    as a signal would on Linux: -1 with errno EINTR (clock_nanosleep
 *    returns EINTR), with the remainder in nanosleep's and relative
 *    clock_nanosleep's rem, as sleep's return value (whole seconds left,
 *    rounded up) and, as on Linux, in select's *tv (which also reads 0 after
 *    a full sleep); emscripten_sleep just returns. The cancel or timeout is
 *    not consumed: the task's next await point reports WA_ECANCELED /
 *    WA_ETIMEDOUT as usual. A libc sleep does not report the same
 *    interruption twice: a loop that retries after EINTR sleeps on.
 *  - Outside a task (a constructor, a direct call of an export through
 *    app.module) they are Emscripten's own: a busy wait (poll and select
 *    with no descriptors return at once).
 *  - poll and select with descriptors are the libc's in every case.
 * Emscripten's functions that suspend the whole module (emscripten_wget,
 * the blocking emscripten_idb_*, emscripten_fiber_swap, SDL_Delay, …) are
 * refused at link time, with the wasync way to do the same. */

/* ---- POSIX threads ------------------------------------------------------
 * A program that uses pthreads builds unchanged (no -pthread): wasync's
 * link wraps the pthread calls (wasm/host/pthread.c), and a thread is a
 * task, named "pthread <task id>" until pthread_setname_np renames it.
 * Inside a task every blocking call suspends only the calling thread, the
 * other tasks and the JS event loop run: pthread_join, pthread_mutex_lock
 * and _timedlock (normal, recursive and errorcheck types: EDEADLK, EPERM),
 * pthread_cond_wait and _timedwait (CLOCK_REALTIME, or pthread_condattr_
 * setclock's CLOCK_MONOTONIC), pthread_rwlock_* (a waiting writer holds off
 * new readers), pthread_barrier_wait, sem_wait and sem_timedwait (unnamed
 * semaphores), pthread_once (others wait while the first runs init), and
 * the libc sleeps. Waiters are served first come, first served. Also:
 * pthread_self/_equal, pthread_detach, pthread_exit, pthread_key_* (the
 * destructors run when a thread of pthread_create ends), pthread_cleanup_
 * push/pop, pthread_attr_setstacksize (the task's stack_size, bounded by
 * [WA_STACK_MIN, WA_STACK_MAX]; default: the program's) and _setdetachstate.
 *  - The one semantic difference, as in GNU Pth: scheduling is cooperative,
 *    so a thread that never blocks (a busy loop, a spin on a flag) never
 *    lets the other threads run.
 *  - Cancellation: pthread_cancel(t) is wa_cancel of t's task (a thread
 *    not started yet starts, and its first cancellation point acts on
 *    it), and so is a cancel from JS or a wa_group. The cancellation
 *    points among these calls (pthread_join, pthread_cond_wait/_timedwait,
 *    sem_wait/_timedwait, pthread_testcancel) act on it in a thread made
 *    by pthread_create with cancellation enabled: its cleanup handlers
 *    run (the mutex of a cond wait held again), then its key destructors,
 *    and it ends with PTHREAD_CANCELED; in any other task (wa_main, a
 *    wa_spawn task) they return ECANCELED (sem_*: -1, errno ECANCELED).
 *    An expired wa_timeout scope ends them with ETIMEDOUT. The mutex, rwlock, barrier and once
 *    waits are not cancellation points: they go on waiting and leave the
 *    cancellation (or timeout) pending for the next await point.
 *    pthread_setcancelstate(DISABLE) holds a cancellation back until it is
 *    enabled again; only the deferred cancellation type exists. The libc
 *    sleeps stay as above: EINTR, the cancellation left pending.
 *  - A thread that ends through pthread_exit or a cancellation ends where
 *    it stands: its cleanup handlers and key destructors run, its frames
 *    are never resumed, and its stack and task are freed at once, as
 *    when its function returns; a joinable thread keeps
 *    only its value for pthread_join. pthread_exit in the main task (main,
 *    wa_main) runs its handlers and destructors, waits for every thread of
 *    pthread_create to end, then ends the program with status 0, as POSIX
 *    has it for the initial thread; in any other task (a wa_spawn task, an
 *    export called from JS) it runs them and ends that task, status 0
 *    (wa_join gets 0; the call's promise rejects with WA_ECANCELED).
 *    The C++ destructors of the frames it leaves: on Asyncify none run
 *    (the frames are dropped, as by longjmp); on JSPI, code built with
 *    -fexceptions runs them (the frames unwind, as in glibc's forced
 *    unwind; no catch clause, catch (...) included, sees it). Do not rely
 *    on either.
 *  - pthread_t values are records that pthread_join or the end of a
 *    detached thread frees: as in POSIX, a value may be reused afterwards.
 *    Joining a detached thread is EINVAL, an unknown one ESRCH.
 *  - Outside a task (a constructor, a direct call of an export through
 *    app.module) the calls that could block return at once, as Emscripten's
 *    stubs do (pthread_create fails, a lock or unlock does nothing); the
 *    ones that never block (sem_post, signal, broadcast, keys, attributes) work everywhere,
 *    so JS calling C can wake waiting threads with sem_post or
 *    pthread_cond_signal.
 *  - Mutexes, condition variables and the rest keep their state inside
 *    the libc's own structs; the static initializers work. Named
 *    semaphores are not covered.
 *  - C11 <threads.h> is the same thing under its own names (wasm/host/
 *    c11threads.c): thrd_create/_join/_detach/_exit/_current/_yield,
 *    mtx_* (plain, timed, recursive), cnd_*, call_once and tss_*; a thrd_t
 *    is a pthread_t; thrd_sleep is nanosleep's await point (above).
 *  - In a `wasync build --threads` program (wa_to_thread, below) the
 *    pthread calls are NOT wrapped: they are Emscripten's real pthreads
 *    (pthread_create starts a Web Worker, a mutex is an atomic lock), because
 *    with shared memory the libc itself (malloc, stdio, Emscripten's
 *    proxying queues) locks pthread mutexes from every thread, so one kind
 *    of mutex must serve all of them. A blocking pthread call in a task then
 *    blocks the event-loop thread: in tasks, use wa_mutex, wa_cond and
 *    friends, and wa_to_thread for work that should run in parallel. */

/* ---- threads for CPU work (like asyncio.to_thread) --------------------- */

/* Runs fn(arg) on a pool of real threads and awaits its status from the
 * calling task, which alone waits: the event loop and the other tasks keep
 * running, and several calls (from several tasks) run in parallel, up to
 * the pool's size. Returns fn's return value, or:
 *  - WA_ENOTSUP: the program was not built with `wasync build --threads`
 *    (shared memory and a pool are needed; the page, too, must be
 *    cross-origin isolated: README "Threads");
 *  - WA_ENOTASK outside a task; WA_EINVAL for a NULL fn; WA_ENOMEM if the
 *    pool could start no thread or the job could not be allocated;
 *  - WA_ECANCELED / WA_ETIMEDOUT at once when the caller is cancelled or its
 *    timeout scope expires: fn then runs to its end in the background and
 *    its result is dropped (nothing is leaked; arg must stay valid until fn
 *    returns, so a caller that can be cancelled should not pass its own
 *    stack memory, or should wait for fn some other way).
 * fn runs on a thread without tasks: it must not await (every wa_* await
 * point returns WA_ENOTASK there, and in --debug builds aborts as anywhere
 * outside a task), nor call the event-loop-only parts of wasync (wa_spawn,
 * channels, wa_cancel...). It may use malloc, stdio (output is written by
 * the event-loop thread) and pthread mutexes and condition variables among
 * pool threads. Pool size: the machine's parallelism (Node's
 * os.availableParallelism(), a page's navigator.hardwareConcurrency),
 * `--threads=N` at build time, or load(f, { threads: N }) (which wins);
 * the threads start with the module and are reused; jobs beyond the pool's
 * size queue in FIFO order. */
int wa_to_thread(wa_fn fn, void *arg);

/* ---- structured concurrency (like asyncio.TaskGroup) -------------------- */

typedef struct wa_group wa_group;
/* NULL on out of memory. */
wa_group *wa_group_new(void);
/* Starts fn(arg) as a member. The first member to return non-zero (a
 * member cancelled from outside returns WA_ECANCELED, which counts) cancels
 * every other member; a member spawned after that is cancelled before it
 * starts. WA_EBUSY once the group is shutting down (its waiter was
 * cancelled), WA_EINVAL for NULL, WA_ENOMEM. */
int wa_group_spawn(wa_group *g, wa_fn fn, void *arg);
/* Awaits every member; returns the first non-zero status (or 0). If the
 * waiter itself is cancelled, every member is cancelled and awaited before
 * WA_ECANCELED is returned: nothing outlives its group. */
int wa_group_wait(wa_group *g);
/* Frees g; members still running are cancelled and detached. Tasks inside
 * wa_group_wait(g) are woken, as wa_chan_free wakes a channel's waiters:
 * their wait returns WA_ECLOSED (the group's status if every member had
 * ended already; a waiter that was itself cancelled or timed out returns
 * that code). The memory is released once the last of them has returned.
 * NULL is ignored. */
void wa_group_free(wa_group *g);

/* ---- channels (Go-like) ------------------------------------------------ */

typedef struct wa_chan wa_chan;
/* capacity 0 is a rendezvous. Elements are copied (elem_size bytes).
 * NULL on out of memory or elem_size 0. */
wa_chan *wa_chan_new(size_t elem_size, size_t capacity);
int wa_chan_send(wa_chan *c, const void *elem);     /* WA_ECLOSED once closed */
int wa_chan_recv(wa_chan *c, void *elem);           /* WA_ECLOSED when closed and drained */
int wa_chan_try_send(wa_chan *c, const void *elem); /* WA_EAGAIN instead of waiting */
int wa_chan_try_recv(wa_chan *c, void *elem);
/* Wakes every waiter: senders get WA_ECLOSED, receivers drain then get it. */
void wa_chan_close(wa_chan *c);
/* Frees c. Tasks still waiting on it are woken with WA_ECLOSED first. */
void wa_chan_free(wa_chan *c);
typedef struct {
  wa_chan *chan;
  int is_send;
  void *elem;
} wa_select_case;
/* Waits until one case can proceed and performs it; returns its index (a
 * random ready case when several are), or a negative code. A closed channel
 * makes its case ready; that case's index is returned and the operation's
 * code is in wa_select_result(). */
int wa_select(wa_select_case *cases, int n);
/* Code of the calling task's last completed select case: 0, or WA_ECLOSED
 * when that case completed because its channel was closed (a receive case
 * then leaves its elem zero-filled, like Go's `v, ok := <-c`). */
int wa_select_result(void);

/* ---- synchronisation (caller-allocated; waiters wake FIFO) -------------- */

/* NULL: every function below that returns a code returns WA_EINVAL for a
 * NULL primitive (before a pending cancellation or timeout is consumed);
 * the void ones do nothing, and wa_event_is_set(NULL) is 0. Fields are
 * private. */

typedef struct wa__waitq {
  struct wa__wait_node *head, *tail;
} wa__waitq;

/* The holder is recorded by task id (wa_task_id), never by address, so a
 * task that reuses an ended holder's memory or handle slot does not hold m.
 * A task that ends holding m leaves it held for good, as in Go or asyncio:
 * wa_mutex_lock then waits (the deadlock report shows it), trylock is
 * WA_EBUSY and nobody can unlock it. */
typedef struct {
  wa__waitq q;
  struct { uint32_t holder; } wa__private; /* holder's task id, 0 if free */
} wa_mutex;
void wa_mutex_init(wa_mutex *m);
/* Await point; WA_EBUSY if the caller holds m already (not recursive). */
int wa_mutex_lock(wa_mutex *m);
int wa_mutex_trylock(wa_mutex *m);  /* WA_EBUSY if held; WA_ENOTASK outside a task */
int wa_mutex_unlock(wa_mutex *m);   /* WA_EINVAL unless the caller holds m */

typedef struct { wa__waitq q; int set; } wa_event;
void wa_event_init(wa_event *e);
void wa_event_set(wa_event *e);
void wa_event_clear(wa_event *e);
int wa_event_wait(wa_event *e);
int wa_event_is_set(const wa_event *e);

typedef struct { wa__waitq q; long count; } wa_sem;
void wa_sem_init(wa_sem *s, long n);
int wa_sem_acquire(wa_sem *s);
int wa_sem_try_acquire(wa_sem *s);  /* WA_EAGAIN if none */
void wa_sem_release(wa_sem *s);

typedef struct { wa__waitq q; } wa_cond;
void wa_cond_init(wa_cond *c);
/* Releases m, waits, re-acquires m (also when returning an error).
 * WA_EINVAL (m untouched) if c or m is NULL or the caller does not hold m. */
int wa_cond_wait(wa_cond *c, wa_mutex *m);
void wa_cond_signal(wa_cond *c);
void wa_cond_broadcast(wa_cond *c);

typedef struct { wa__waitq q; long count; } wa_waitgroup;
void wa_waitgroup_init(wa_waitgroup *w);
int wa_waitgroup_add(wa_waitgroup *w, long n); /* WA_EINVAL if the count would go negative or overflow */
int wa_waitgroup_done(wa_waitgroup *w);        /* add(-1) */
int wa_waitgroup_wait(wa_waitgroup *w);

/* ---- JavaScript from C -------------------------------------------------- */

/* WA_ASYNC_JS(ret, name, params, { body })
 *
 * Defines `ret name params`, a C function that runs the JS body as an async
 * function (it may `await`) and suspends only the calling task: every other
 * task keeps running meanwhile (unlike EM_ASYNC_JS, which freezes the whole
 * module). The body sees the parameters by name, as in EM_JS.
 *  - The body's resolved value, a number, becomes the return value
 *    (undefined is 0, booleans are 0/1); ret is an integer, pointer or
 *    floating-point type.
 *  - A rejection returns WA_EJS; the message (the error's .message, or the
 *    value as a string) is then in wa_last_error().
 *  - Outside a task: WA_ENOTASK at once, and the body never runs. A pending
 *    cancellation or expired timeout is returned the same way.
 *  - Cancelled (or timed out) while waiting: WA_ECANCELED (WA_ETIMEDOUT);
 *    the promise is left to settle and is ignored.
 * Since error codes share the return value, prefer bodies that resolve to
 * non-negative values. The body's synchronous part must not call C await
 * points. Example:
 *   WA_ASYNC_JS(int, get_answer, (const char *q),
 *               { const r = await fetch(UTF8ToString(q)); return r.status; })
 * Under Emscripten `name` is a JS import named "wa__ajs__<name>" (wasync's
 * link flags declare that prefix asynchronous); natively it returns
 * WA_ENOTSUP. JSPI backend (--backend=jspi): the import suspends through
 * WebAssembly.Suspending, which the engine refuses outside promising():
 * called outside any task from a direct call of an export, it throws a
 * SuspendError into the caller instead of returning WA_ENOTASK (calls made
 * through main, cwrap or a task are unaffected). */
#ifdef __EMSCRIPTEN__
#include <emscripten/em_macros.h>
#include <emscripten/em_js.h>
#define WA_ASYNC_JS(ret, name, params, ...)                                    \
  _EM_JS(ret, name, wa__ajs__##name, params,                                   \
         "{ return wasyncBridge.asyncCall(async () => " #__VA_ARGS__ "); }")
#else
#define WA_ASYNC_JS(ret, name, params, ...)                                    \
  _Pragma("GCC diagnostic push")                                               \
  _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")                     \
  ret name params { return (ret)WA_ENOTSUP; }                                  \
  _Pragma("GCC diagnostic pop")
#endif

/* Promises that JavaScript hands to C: JS registers one with
 * app.promise(p), which returns a handle (a positive integer) to pass to C,
 * or passes the promise to a cwrap argument of type 'promise' (a uint32_t
 * handle in C, released for the call if it is cancelled before it runs).
 * wa_js_await suspends only the calling task until the promise settles:
 * 0 with the resolved value in *value (a number; undefined is 0, booleans
 * 0/1; value may be NULL), or WA_EJS with the rejection's message in
 * wa_last_error(). A settlement that happened before the await is kept.
 * The handle is consumed by the await, whatever it returns (also
 * WA_ECANCELED / WA_ETIMEDOUT, the promise is then ignored); an unknown or
 * already used handle is WA_EINVAL. A handle C will never await must be
 * given back with wa_js_release, or it stays in JS's table. Natively:
 * WA_ENOTSUP. */
int wa_js_await(uint32_t handle, double *value);
void wa_js_release(uint32_t handle);

/* Bytes for a cwrap(name, 'array', ...) call to return to JavaScript: a
 * malloc'd, length-prefixed copy of data[0..len) (NULL on ENOMEM, and for a
 * len of 4 GiB or more or so large that the block's size wraps). JS turns
 * it into a Uint8Array and frees it: ownership passes to the caller. */
void *wa_js_bytes(const void *data, size_t len);

/* ---- fetch (the host's fetch(), in Node 18+ and browsers) --------------- */

/* Request options; everything is copied when wa_fetch is called, so the
 * caller may free or reuse it right after. NULL opts means a plain GET. */
typedef struct {
  const char *method;                 /* NULL means GET; must be an HTTP token */
  const char *const *headers;         /* name, value, name, value, …, NULL */
  const void *body;                   /* request body (not for GET/HEAD) */
  size_t body_len;
} wa_fetch_opts;
typedef struct wa_response wa_response;

/* Await point: sends the request and waits for the response head (status
 * and headers). On success *out is a new response owned by the caller, who
 * must wa_response_free() it; on failure *out is NULL. HTTP error statuses
 * (404, 500, …) are successes. Returns
 *   WA_EINVAL    the arguments are refused, before anything is sent: NULL
 *                url/out, a URL that is not a valid URL (see below) or
 *                that includes credentials (user:password@), a method that is
 *                not a token or is CONNECT/TRACE/TRACK, a header name that
 *                is not a token, a header value with a control character
 *                (anything but HTAB, SP, visible ASCII and bytes >= 0x80),
 *                a Transfer-Encoding, Keep-Alive, Upgrade or Expect header
 *                (the host sets those itself), a body with GET/HEAD, or any
 *                other argument the host's fetch() refuses (Node: e.g. a
 *                Content-Length that does not match the body). Retrying
 *                cannot help;
 *   WA_ENET      network failure (refused, reset, DNS…), the host's message
 *                in wa_last_error();
 *   WA_ECANCELED / WA_ETIMEDOUT  the task was cancelled or its timeout
 *                scope expired: the request is aborted (AbortController);
 *   WA_ENOTASK, WA_ENOMEM; WA_ENOTSUP on a host without fetch() (natively).
 * URLs: in a browser, a relative URL ("items.db", "/api/x") resolves as the
 * page's own fetch() resolves it: against the document's base URL
 * (document.baseURI), or in a worker against the worker script's location.
 * Under Node there is no such base: the URL must be absolute (http: or
 * https:), a relative one is WA_EINVAL.
 * Every failure sets wa_last_error() (the host's message, or one naming
 * the reason). While waiting, wa_dump() shows the task "on fetch <url>". */
int wa_fetch(const char *url, const wa_fetch_opts *opts, wa_response **out);
/* The HTTP status (WA_EINVAL for NULL). */
int wa_response_status(const wa_response *r);
/* Value of a response header, case-insensitive name; NULL if absent.
 * Repeated headers are joined with ", ". Owned by r: valid until
 * wa_response_free(r). */
const char *wa_response_header(const wa_response *r, const char *name);
/* Await point: streams the body. Copies at most len bytes into buf (owned
 * by the caller) and returns how many (> 0), 0 at the end of the body, or a
 * negative code: WA_ENET (connection lost mid-body, or a body the host
 * cannot decode; message in wa_last_error()), WA_ECANCELED / WA_ETIMEDOUT
 * (the request is aborted and every later read returns the same code),
 * WA_EBUSY (another task is reading r), WA_EINVAL, WA_ENOTASK. Nothing
 * beyond the current network chunk is buffered, whatever the
 * Content-Encoding: large bodies read in chunks never sit in memory whole.
 * Errors are sticky: once a read failed, later reads return that code
 * (with the same wa_last_error()). */
long wa_response_read(wa_response *r, void *buf, size_t len);
/* Await point: reads the rest of the body into *data (malloc'd,
 * NUL-terminated, owned by the caller who free()s it) and sets *len (may be
 * NULL) to its length without the NUL. The buffer grows with the data
 * received (at most 64 KiB is reserved before any arrives, whatever the
 * Content-Length says). On failure *data is NULL and the code is one of
 * wa_response_read's (or WA_ENOMEM); the bytes read so far are lost, and
 * once any were read the failure is sticky as in wa_response_read. */
int wa_response_body(wa_response *r, char **data, size_t *len);
/* wa_response_body with a limit: a body longer than max bytes (decoded) is
 * WA_EOVERFLOW, found before the body is read when an unencoded response
 * announces a longer Content-Length, else as soon as byte max + 1 arrives;
 * the rest of the request is then aborted, nothing is returned, and later
 * reads of r return WA_EOVERFLOW. Memory used stays below max + 2 bytes
 * plus one network chunk. max SIZE_MAX means no limit. */
int wa_response_body_max(wa_response *r, char **data, size_t *len, size_t max);
/* Releases r and everything the host holds for it; an unfinished body is
 * aborted. NULL is ignored. Must not be called while another task is
 * parked reading r (then it does nothing). */
void wa_response_free(wa_response *r);

/* ---- introspection ------------------------------------------------------ */

/* One line per live task: id, name, state, what it waits on, for how long,
 * and its stack's high-water mark against its size (wa_task_stack_used). */
void wa_dump(FILE *out);
/* Number of live (not yet freed) tasks. */
int wa_task_count(void);

#ifdef __cplusplus
}
#endif
#endif /* WASYNC_H */

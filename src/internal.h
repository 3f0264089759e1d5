/* internal.h — the core's internal contract (never included by users).
 *
 * The core (task.c sched.c timer.c chan.c sync.c group.c …) is backend-blind:
 * it switches stacks only through backend.h and talks to the outside world
 * only through host.h.
 *
 * How a task waits: one protocol, after libdill's dill_waitfor/dill_wait.
 *   1. rc = wa__await_begin();  if (rc) return rc;   // not in a task, or a
 *      cancellation/timeout is pending: delivered here, consumed.
 *   2. wa__wait_on(&node, &queue, data) for each queue it waits on (one for
 *      a plain wait, one per case for wa_select and wa_join_any): the node
 *      joins the task's wait set. A wait may instead, or also, arm the
 *      task's sleep_timer (wa_sleep) or start work in the host (a JS
 *      promise, a fetch), which then names the one hook, t->wait_cancel.
 *   3. rc = wa__wait("what", obj);   // parks until one of these happens:
 *      - a waker pops a node (or looks one up: a JS promise's handle) and
 *        calls wa__wake_node(node, code): rc is the node's id if it set
 *        one (which select case, which joined task), else code;
 *      - the sleep_timer fires: rc is 0;
 *      - the task is cancelled or an enclosing timeout expires: rc is
 *        WA_ECANCELED or WA_ETIMEDOUT, and t->wait_cancel(t) has run.
 *      Whichever it is, the scheduler has unlinked every node of the set and
 *      stopped the sleep_timer before the task runs again: the await point
 *      undoes nothing itself, and nodes may live in its own frame.
 * An await point that decides in an out-of-line function whether it must
 * wait (channels, for the sake of Asyncify: see chan.c) splits step 3 into
 * its two halves, wa__wait_park() there and wa__ctx_suspend_parked() in its
 * inline caller; its node then lives in the task (t->self_wait).
 * wa_yield is the one suspend that is not a wait: the task goes back into
 * the ready queue (task.c).
 * Single-threaded: nothing runs between two steps except the task itself.
 */
#ifndef WA_INTERNAL_H
#define WA_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include "wasync.h"

typedef struct wa__task wa__task;

/* ---- wait queues --------------------------------------------------------- */

/* A node in a wait queue: one of the queues a task waits on. Owned by the
 * waiting task (a local of the await point, or t->self_wait); linked from
 * wa__wait_on until the scheduler ends the wait. */
typedef struct wa__wait_node {
  struct wa__wait_node *prev, *next; /* in q */
  wa__waitq *q;      /* the queue it is linked into, NULL when unlinked */
  wa__task *task;
  struct wa__wait_node *also; /* the next node of the task's wait set */
  void *data;        /* primitive-specific (element buffer, JS handle…) */
  int id;            /* >= 0: what wa__wait returns when a waker completes
                        this node (a select case's or join_any task's
                        index), so the task learns which one; -1: the
                        waker's code (wa__wake_node) */
  int result;        /* primitive-specific result set by the waker */
} wa__wait_node;

/* The queue operations are inline: every blocking primitive uses them on
 * every wait, and they are a handful of pointer moves. */
static inline void wa__waitq_init(wa__waitq *q) { q->head = q->tail = NULL; }
static inline int wa__waitq_empty(const wa__waitq *q) { return q->head == NULL; }
/* Unlinks w if it is linked (idempotent). */
static inline void wa__waitq_remove(wa__wait_node *w) {
  wa__waitq *q = w->q;
  if (!q) return;
  if (w->prev) w->prev->next = w->next; else q->head = w->next;
  if (w->next) w->next->prev = w->prev; else q->tail = w->prev;
  w->prev = w->next = NULL;
  w->q = NULL;
}
/* Unlinks and returns the oldest node, or NULL. The task stays parked
 * (its other nodes linked) until its waker calls wa__wake. */
static inline wa__wait_node *wa__waitq_pop(wa__waitq *q) {
  wa__wait_node *w = q->head;
  if (w) wa__waitq_remove(w);
  return w;
}
/* The whole protocol for the common case, one node with no data: links it
 * into q (step 2) and waits (step 3); returns wa__wait's code. */
int wa__waitq_wait(wa__waitq *q, const char *what, const void *obj);
/* Wakes the oldest waiter with code; 1 if there was one. */
int wa__waitq_wake_one(wa__waitq *q, int code);
/* Wakes every waiter with code (in FIFO order); returns how many. */
int wa__waitq_wake_all(wa__waitq *q, int code);

/* ---- timers (timer.c): a min-heap keyed by (deadline, seq) ------------------ */

/* struct wa__timer is in wasync.h (wa_timeout embeds one). */
typedef struct wa__timer wa__timer;

/* The one conversion between the host's clock (fractional milliseconds,
 * wa__host_now) and the timers' unit (whole microseconds on that clock).
 * Rounded to the nearest microsecond, so a deadline that went to the host
 * and back compares equal; saturated at INT64_MAX (never). */
#define WA__US_PER_MS 1000
/* realloc(p, n * size), or NULL (p untouched) when the product does not
 * fit in a size_t, which on wasm32 is 32 bits: every array the runtime
 * sizes from a count goes through here. */
static inline void *wa__realloc_n(void *p, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  return realloc(p, n * size);
}

static inline int64_t wa__us_from_ms(double ms) {
  if (ms >= (double)(INT64_MAX / WA__US_PER_MS)) return INT64_MAX;
  return (int64_t)(ms * WA__US_PER_MS + 0.5);
}
static inline double wa__ms_from_us(int64_t us) { return (double)us / WA__US_PER_MS; }

void wa__timer_init(wa__timer *t, void (*fire)(wa__timer *));
/* Now, in the timers' unit (microseconds on the wa_now() clock). */
int64_t wa__timer_now(void);
/* The deadline ms milliseconds from now (now if ms <= 0), saturated at
 * INT64_MAX, which never comes: huge times mean never, not the past. */
int64_t wa__timer_deadline_in(int64_t ms);
/* Arms (or re-arms) t for deadline; returns WA_ENOMEM if the heap cannot grow. */
int wa__timer_start(wa__timer *t, int64_t deadline);
/* wa__timer_start(t, wa__timer_deadline_in(ms)), out of line: await points
 * that call it stay small enough to inline cheaply. */
int wa__timer_start_in(wa__timer *t, int64_t ms);
void wa__timer_stop(wa__timer *t);
int wa__timer_active(const wa__timer *t);
/* Fires every timer whose deadline is at or before now (a wa__host_now()
 * reading, the host callback's), earliest first; re-arms the host timer
 * for the next one. */
void wa__timers_run(double now);
/* Timers armed, for tests (a leak shows as timers left armed). */
int wa__timers_count(void);
/* How many times the host timer has fired (wa__timers_run calls): a counter
 * only a program that defines it has (the C tests do), so that no other
 * program keeps it; a weak reference (timer.c). */
extern unsigned long wa__timers_fired __attribute__((weak));

/* ---- tasks ----------------------------------------------------------------- */

typedef enum {
  WA__NEW,      /* spawned, not yet started; in the ready queue */
  WA__READY,    /* started, in the ready queue */
  WA__RUNNING,
  WA__WAITING,  /* parked */
  WA__DONE      /* finished; kept until joined or (if detached) freed */
} wa__state;

/* The one hook of a wait that started work in the host (a JS promise, a
 * fetch; step 2 of the protocol at the top): called when the wait is
 * cancelled or timed out, or its suspend refused, before the scheduler
 * unlinks the nodes and forgets t->wait_obj, to tell the host to stop. It
 * undoes nothing in the core: the scheduler does that. */
typedef void (*wa__wait_cancel_fn)(wa__task *t);
typedef void (*wa__exit_hook)(wa__task *t, void *ctx);

struct wa__ctx; /* backend-private: stack + switch state (backend.h) */

struct wa__task {
  uint32_t id;
  uint32_t handle;            /* public handle (generation-checked) */
  char name[32];
  wa__state state;
  int status;                 /* fn's return value once DONE */
  wa_fn fn;
  void *arg;
  wa__task *next_ready;       /* ready queue link */
  wa__task *all_prev, *all_next; /* every live task, for wa_dump */

  unsigned detached : 1;
  unsigned joined : 1;        /* someone is (or was) joining: only one may */
  unsigned cancel_requested : 1;
  unsigned cancel_pending : 1; /* requested but not yet delivered */
  unsigned is_main : 1;       /* runs the program's entry (entry.c) */
  /* The pending cancel / the pending timeout (timeout_pending) was already
   * reported as EINTR by a libc sleep, which left it pending for the task's
   * next await point (wa__sleep_libc): later libc sleeps do not report it
   * again. Bits, not fields: a task stays 208 bytes on wasm32 (8 more made
   * a spawn+join tree of 1M leaves over twice as slow). */
  unsigned cancel_reported : 1;
  unsigned timeout_reported : 1;

  /* the wait (internal.h, top): set from wa__wait_on to the end of the wait */
  int wake_code;
  wa__wait_node *waits;       /* the wait set: nodes linked through `also` */
  wa__wait_cancel_fn wait_cancel; /* the host's part of the wait, or NULL */
  wa__wait_node self_wait;    /* the node of a wait whose function returns
                                 before the suspend (chan.c, js.c) */
  const char *wait_what;      /* "sleep", "join", "chan recv", … (static) */
  const void *wait_obj;       /* what it waits on (for the dump), may be NULL */
  const char *wait_detail;    /* optional text owned by the waiter (URL…) */
  int64_t wait_since;

  wa__timer sleep_timer;      /* the wait's deadline (wa_sleep), stopped when
                                 the wait ends */
  wa_timeout *timeouts;       /* innermost open scope */
  wa_timeout *timeout_pending;/* expired scope whose error is undelivered */

  wa__waitq joiners;          /* waiting in wa_join / wa_join_any / … */
  wa__exit_hook exit_hook;    /* called once when the task ends (groups) */
  void *exit_ctx;

  int select_result;          /* for wa_select_result() */
  char *last_error;           /* malloc'd message for wa_last_error(), or NULL */
  uint32_t host_token;        /* non-zero: started by the host, report its end */
  struct wa__ctx *ctx;
  size_t stack_size;          /* as spawned: its class in the task cache */
};

/* The running task, or NULL in the scheduler / outside any task. Per
 * thread: in a shared-memory build (wa_to_thread's pool) a worker thread
 * always sees NULL, so every await point returns WA_ENOTASK there and no
 * scheduler state is touched off the event-loop thread. Without threads
 * the compiler makes it a plain global. */
extern _Thread_local wa__task *wa__cur;

/* The main task's stack (wa_main or a C main(), entry.c; the native host's
 * program too), unless the program's default is larger: like a thread's
 * stack, main often does the most. js/cli/crossings.mjs reads this value
 * for the JS host's copy of the overflow advice (wa__stack_advice). */
#define WA__MAIN_STACK_KIB 256
#define WA__MAIN_STACK ((size_t)WA__MAIN_STACK_KIB * 1024)

/* The program's default stack size (stack_size 0): WA_STACK_DEFAULT, a weak
 * definition in task.c; a program built with `wasync build --stack-size=N`
 * links a strong definition holding N instead. */
extern size_t wa__stack_default;

/* The task's lifetime (task.c). Creates a task (state NEW, queued). NULL
 * on ENOMEM. */
wa__task *wa__task_spawn(wa_fn fn, void *arg, const wa_task_opts *opts);
/* Ends the calling task now, from any depth of its stack, as if its
 * function had returned status (pthread_exit, a cancellation point's exit):
 * it is finished on its own stack (wa__task_finish), then suspends for
 * good; its frames are never resumed, and its stack and struct go when it
 * is freed (at once if detached, else by its joiner), like those of a task
 * that returned. Does not return. Returns WA_ENOTASK only outside a task or
 * in a call the host made from inside one (nothing can suspend there). */
int wa__task_exit(int status);
/* Frees a DONE task's resources and handle. */
void wa__task_free(wa__task *t);
/* Marks t finished with status: wakes joiners, runs the exit hook, reports
 * to the host. Called by the scheduler once t's function has returned. */
void wa__task_finish(wa__task *t, int status);
/* Iteration over live tasks (for dumps). */
wa__task *wa__task_first(void);

/* ---- the handle table (handle.c) -------------------------------------------
 * A public wa_task * is a number, issued in sequence, that the table maps
 * to its live task; a stale one maps to nothing. */

/* The task h names, or NULL if h is 0, stale or never issued. */
wa__task *wa__task_from_handle(const wa_task *h);
/* t's public handle (t->handle as a wa_task *). */
wa_task *wa__task_handle(const wa__task *t);
/* Issues t a handle (sets t->handle); WA_ENOMEM if the table cannot grow. */
int wa__handle_alloc(wa__task *t);
/* Withdraws t's handle (t->handle becomes 0); the table shrinks back after
 * a burst. */
void wa__handle_release(wa__task *t);
/* Capacity of the handle table (entries), for soak tests. */
uint32_t wa__task_slots(void);

/* ---- the task cache (task_cache.c) -------------------------------------------
 * Every task's memory (struct, ctx and stack block) comes from here and
 * goes back here: a finished task waits in a cache for the next spawn of
 * its exact stack size. */

/* A zeroed task of this stack size with its ctx (t->ctx, t->stack_size
 * set, nothing else), counted alive; NULL on ENOMEM. */
wa__task *wa__task_alloc(size_t stack);
/* Gives back a task from wa__task_alloc (finished or never started, its
 * handle released): kept in the cache for reuse, or freed. */
void wa__task_dealloc(wa__task *t);
/* Empties the cache of finished tasks; the scheduler calls it when a tick
 * ends with no task ready. */
void wa__task_cache_trim(void);
/* The cache's bound while busy, in bytes: this, or the most bytes of
 * tasks alive at once since it was last emptied, whichever is larger. */
#define WA__TASK_CACHE_FLOOR ((size_t)1 << 20)
/* Bytes (stacks plus task structs) held in that cache, for tests. */
size_t wa__task_cache_bytes(void);

/* ---- wa_last_error()'s store (error.c) --------------------------------------- */

/* Sets t's error message for wa_last_error() (copied; t NULL: the one
 * outside any task, truncated to 255 bytes). */
void wa__set_last_error(wa__task *t, const char *msg, size_t len);
/* Sets the calling task's wa_last_error() to "fn: why" (why NULL: the
 * code's wa_strerror) and returns code: for failures found in C. */
int wa__fail(int code, const char *fn, const char *why);

/* ---- scheduler (sched.c) --------------------------------------------------- */

/* Reports an await point outside a task (debug builds) and aborts. */
void wa__await_outside_task(void);

/* Non-zero while the host runs a call into C that it made from inside a
 * task's run (JS calling an export from a print callback): the running task
 * is not the caller, and no await point can suspend through the host's
 * frame, so every await point returns WA_ENOTASK, in debug builds too. The
 * host counts it up and down around such calls (sched.c defines it). */
extern int wa__host_reentered;

/* Step 1 of every await point: WA_ENOTASK outside a task (or in a call the
 * host made from inside one); a pending cancellation (first) or timeout is
 * delivered and consumed here. Inline: it runs on every await. */
static inline int wa__await_begin(void) {
  wa__task *t = wa__cur;
  if (!t || wa__host_reentered) {
#ifdef WA_DEBUG
    if (!t) wa__await_outside_task();
#endif
    return WA_ENOTASK;
  }
  if (t->cancel_pending) {
    t->cancel_pending = 0;
    t->cancel_reported = 0;
    return WA_ECANCELED;
  }
  if (t->timeout_pending) {
    t->timeout_pending = NULL;
    t->timeout_reported = 0;
    return WA_ETIMEDOUT;
  }
  return 0;
}
/* Step 2: links w at the tail of q (FIFO) for the current task and adds it
 * to the task's wait set; data is for the waker. */
static inline void wa__wait_on(wa__wait_node *w, wa__waitq *q, void *data) {
  wa__task *t = wa__cur;
  w->task = t;
  w->data = data;
  w->id = -1;
  w->result = 0;
  w->also = t->waits;
  t->waits = w;
  w->q = q;
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail) q->tail->next = w; else q->head = w;
  q->tail = w;
}
/* Step 3: parks the current task on its wait set until it is woken,
 * cancelled or timed out (see the top of this file); returns the code. */
int wa__wait(const char *what, const void *obj);
/* The first half of wa__wait, for an await point that returns before the
 * suspend (channels): records what t waits on, marks it parked and
 * returns WA__SUSPEND; the caller then calls wa__ctx_suspend_parked(t). */
int wa__wait_park(wa__task *t, const char *what, const void *obj);
/* The suspend primitive refused to suspend t after it parked (its stack
 * overflowed): ends the wait as a cancellation would, without waking t,
 * and marks it running again; no-op unless t is parked. */
void wa__unpark(wa__task *t);
/* Cancellation or timeout for t: ends its wait now if parked (it wakes
 * with code), else leaves the code pending for its next await point. */
void wa__interrupt(wa__task *t, int code);
/* One host callback's work on its one clock reading now (wa__host_now()):
 * due timers first if fire_timers, then ready tasks until none is left or
 * the time slice is used up (then asks the host for another tick). Tasks
 * the timers wake run in this same call: no tick is requested for them.
 * Not reentrant: a call while a tick is in progress (under JSPI a tick
 * goes on across promise reactions: backend.h, wa__ctx_run_tick) only
 * fires the timers, whose tasks the running tick then runs. Returns the
 * number of tasks this call ran or started. */
int wa__run_ready(double now, int fire_timers);
/* A host event's completion (fetch.c): wakes t with code (wa__wake) and
 * runs the ready tasks in this same call, on the event's clock reading
 * now, as wa__on_timer runs the tasks its timers wake: no tick is asked
 * for t. Inside a tick in progress (JSPI), or while a tick is already
 * asked for (a used-up slice waits for the host's own work), t only
 * joins the ready queue, which that tick runs. */
void wa__wake_run(wa__task *t, int code, double now);
/* Tells the host a tick is wanted (at most one outstanding). */
void wa__want_tick(void);

/* The ready queue, FIFO through next_ready, and whether a tick is running
 * (sched.c). They are here only so that the two functions below, which
 * every hand-off between tasks goes through, inline into their callers. */
extern wa__task *wa__ready_head, *wa__ready_tail;
extern int wa__in_tick;

/* Queues t (NEW or READY) at the tail of the ready queue. */
static inline void wa__ready_push(wa__task *t) {
  t->next_ready = NULL;
  if (wa__ready_tail) wa__ready_tail->next_ready = t; else wa__ready_head = t;
  wa__ready_tail = t;
  if (!wa__in_tick) wa__want_tick(); /* a running tick picks t up itself */
}

/* Ends t's wait, however it ends: unlinks every node of its wait set (the
 * waker has usually popped one already), stops its sleep_timer and forgets
 * what it waited on. No indirect call: a channel hand-off inlines this. */
static inline void wa__wait_end(wa__task *t) {
  for (wa__wait_node *w = t->waits; w; w = w->also) wa__waitq_remove(w);
  if (t->sleep_timer.heap_index >= 0) wa__timer_stop(&t->sleep_timer);
  t->waits = NULL;
  t->wait_cancel = NULL;
  t->wait_what = NULL;
  t->wait_obj = NULL;
  t->wait_detail = NULL;
}

/* Makes a parked task ready; its wa__wait returns code. No-op unless t
 * is parked. */
static inline void wa__wake(wa__task *t, int code) {
  if (t->state != WA__WAITING) return;
  t->wake_code = code;
  wa__wait_end(t);
  t->state = WA__READY;
  wa__ready_push(t);
}
/* Wakes w's task because w completed: with w->id if set, else code. */
static inline void wa__wake_node(wa__wait_node *w, int code) {
  wa__wake(w->task, w->id >= 0 ? w->id : code);
}
/* After a trap escaped the running task (backend recovery only): forgets
 * the interrupted tick and ends that task with code. */
void wa__sched_abandon_current(int code);

/* A task's sleep_timer fired (timer.c): wakes the task with 0. */
void wa__sleep_timer_fired(wa__timer *timer);
/* The wait of the libc sleeps (timer.c; sleep, nanosleep, poll with no fds…, in
 * wasm/host/): sleeps the calling task until deadline (wa__timer units; a
 * deadline already passed is a yield). Returns 0, WA_ENOTASK outside a task
 * (or in a call the host made from inside one: the caller then does what
 * the libc does), WA_ENOMEM (the timer heap could not grow), or
 * WA_ECANCELED / WA_ETIMEDOUT. An interruption is not consumed: it stays
 * pending, so the task's next await point reports it as usual, while the
 * libc call reports it as EINTR; later libc sleeps do not report that one
 * again (a loop that retries on EINTR sleeps on), only new ones. */
int wa__sleep_libc(int64_t deadline);

/* ---- timeouts (timeout.c) ------------------------------------------------- */

/* Timeout scope bookkeeping when a task ends with scopes still open. */
void wa__timeouts_drop(wa__task *t);

/* ---- diagnostics (dump.c) -------------------------------------------------- */

/* "new", "ready", "running", "waiting" or "done": the dump and the JS task
 * table name states alike. */
const char *wa__state_name(wa__state s);
/* Formats one dump line for t (no newline) into buf; returns its length. */
int wa__task_describe(const wa__task *t, char *buf, size_t len);
/* Prints "wasync: <what>" to stderr (and flushes). */
void wa__report(const char *fmt, ...);
/* Called when the backend detects an overflow of t's stack. */
void wa__task_overflowed(wa__task *t, const char *which, size_t needed);
/* What to change after t overflowed: the main task's stack comes from the
 * build (`--stack-size`), any other task's from wa_task_opts.stack_size. */
const char *wa__stack_advice(const wa__task *t);

#endif /* WA_INTERNAL_H */

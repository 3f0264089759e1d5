/* sched.c — the ready queue and the wait protocol (see internal.h).
 *
 * The host drives: it calls wa__on_tick() or wa__on_timer() with
 * its clock reading, which run (due timers, then) ready tasks in FIFO
 * order until the queue is empty or a time slice is used up, then return.
 * Switching between tasks never leaves wasm (backend.h); a completion from
 * the host wakes a task and asks for at most one tick. */
#include <stdlib.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

/* Longest stretch of task code between returns to the host, so a page stays
 * responsive while C tasks keep yielding to each other. Reading the clock is
 * a call into the host, too dear for every switch: each tick reads it after
 * 1, 3, 7, ... runs (the gap doubling up to WA__SLICE_CHECK_MAX runs), but
 * never later than the runs left in the slice at the rate of the runs since
 * the last reading, and it ends the slice as soon as one more run half again
 * as slow would overrun it. Short runs (a ping-pong) soon check rarely; long ones (a task
 * computing between yields) end the slice within it, not at twice its
 * length: only a single run longer than the rest of the slice overruns it. */
/* 6 ms, so that with a run's preemption or a slow last run the page still
 * gets control back within 10 ms (p90; tests/browser/demos.mjs). */
#define WA__SLICE_MS 6.0
#define WA__SLICE_CHECK_MAX 128

/* Only the core's own tick loop (wa__ctx_run_tick below) calls
 * wa__ctx_run: a backend that defines its own loop need not define it. */
#pragma weak wa__ctx_run

_Thread_local wa__task *wa__cur;

wa__task *wa__ready_head, *wa__ready_tail;
int wa__in_tick;
int wa__host_reentered;
static int tick_requested;
static int64_t slice_now;


static wa__task *ready_pop(void) {
  wa__task *t = wa__ready_head;
  if (!t) return NULL;
  wa__ready_head = t->next_ready;
  if (!wa__ready_head) wa__ready_tail = NULL;
  t->next_ready = NULL;
  return t;
}

void wa__want_tick(void) {
  if (wa__in_tick || tick_requested) return;
  tick_requested = 1;
  wa__host_request_tick(0);
}


void wa__await_outside_task(void) {
  /* Debug builds: an await point outside a task is a bug in the caller. */
  wa__report("assertion failed: await point called outside a task");
  abort();
}

int wa__wait_park(wa__task *t, const char *what, const void *obj) {
  t->wait_what = what;
  t->wait_obj = obj;
  t->state = WA__WAITING;
  t->wait_since = slice_now;
  return WA__SUSPEND;
}

/* Nothing is done after the switch (wa__wake ends the wait), so the frame
 * of an await point holds no state for the backend to save. */
int wa__wait(const char *what, const void *obj) {
  wa__task *t = wa__cur;
  wa__wait_park(t, what, obj);
  return wa__ctx_suspend_parked(t);
}

/* Ends t's wait from outside (cancellation, timeout, a refused suspend):
 * the host's part first (the wait's one hook, which reads the wait), then
 * the scheduler's. */
static void cancel_wait(wa__task *t) {
  wa__wait_cancel_fn cancel = t->wait_cancel;
  t->wait_cancel = NULL;
  if (cancel) cancel(t);
  wa__wait_end(t);
}

void wa__unpark(wa__task *t) {
  if (t->state != WA__WAITING) return;
  cancel_wait(t);
  t->state = WA__RUNNING;
}

void wa__interrupt(wa__task *t, int code) {
  if (t->state == WA__WAITING) {
    cancel_wait(t);
    wa__wake(t, code);
    return;
  }
  if (t->state == WA__DONE) return;
  if (code == WA_ECANCELED) t->cancel_pending = 1;
}

void wa__sched_abandon_current(int code) {
  wa__task *t = wa__cur;
  wa__cur = NULL;
  wa__in_tick = 0;
  if (!t) return;
  wa__task_finish(t, code);
  if (t->detached) wa__task_free(t);
  if (wa__ready_head) wa__want_tick();
}

static void run_one(wa__task *t) {
  int status = 0, rc;
  t->state = WA__RUNNING;
  wa__cur = t;
  rc = wa__ctx_run(t, &status);
  wa__cur = NULL;
  wa__sched_ran(t, rc, status);
}

void wa__sched_ran(wa__task *t, int rc, int status) {
  if (rc == 1) wa__task_finish(t, status);
  else if (rc == WA_EOVERFLOW) wa__task_finish(t, WA_EOVERFLOW);
  if (t->state == WA__DONE && t->detached) wa__task_free(t);
}

/* The tick in progress. Global, not the locals of one loop: a backend may
 * carry a tick on from whichever stack runs when a task suspends or ends
 * (backend.h, wa__ctx_run_tick). */
static struct {
  int ran, next_check, step, checked_ran;
  double start, checked_at;
} tick;

/* The slice check, made before every pop but the tick's first (so right
 * after each run, on the queue that run left): 1 if the slice is used
 * up, and then the host has been asked for a macrotask tick. */
static int slice_over(void) {
  double now, used, per_run;
  if (tick.step < WA__SLICE_CHECK_MAX) tick.step *= 2;
  tick.next_check = tick.ran + tick.step;
  if (!wa__ready_head) return 0;
  now = wa__host_now();
  slice_now = (int64_t)now;
  used = now - tick.start;
  /* the rate of the runs since the last reading: later runs of a
   * computation often cost more than its first */
  per_run = (now - tick.checked_at) / (tick.ran - tick.checked_ran);
  tick.checked_at = now;
  tick.checked_ran = tick.ran;
  if (used + 1.5 * per_run >= WA__SLICE_MS) { /* with room for a slower run */
    tick_requested = 1;
    wa__host_request_tick(1);
    return 1;
  }
  if (per_run > 0 && (WA__SLICE_MS - used) / per_run < tick.step)
    tick.next_check = tick.ran + (int)((WA__SLICE_MS - used) / per_run); /* >= 1: used + 1.5 per_run < slice */
  return 0;
}

/* The next ready task of this tick, or NULL when the tick is over (the
 * queue is empty or the slice used up); a task cancelled before it
 * started ends here without running. Ends the tick when it returns NULL. */
static inline wa__task *tick_next(void) {
  wa__task *t;
  for (;;) {
    if (tick.ran >= tick.next_check && slice_over()) break;
    if (!(t = ready_pop())) break;
    tick.ran++;
    if (t->state == WA__NEW && t->cancel_requested) {
      wa__task_finish(t, WA_ECANCELED); /* cancelled before it started */
      if (t->detached) wa__task_free(t);
      continue;
    }
    return t;
  }
  wa__in_tick = 0;
  if (!wa__ready_head) wa__task_cache_trim(); /* idle: give memory back */
  return NULL;
}

wa__task *wa__sched_next(void) {
  wa__task *t = tick_next();
  if (t) t->state = WA__RUNNING;
  return t;
}

/* The tick's loop, for the backends that return to the scheduler after
 * every run; a backend that carries the tick on itself defines its own. */
__attribute__((weak)) void wa__ctx_run_tick(void) {
  wa__task *t;
  while ((t = tick_next())) run_one(t);
}

void wa__wake_run(wa__task *t, int code, double now) {
  int in_tick = wa__in_tick;
  if (in_tick || tick_requested) { /* the tick running or asked for runs t */
    wa__wake(t, code);
    return;
  }
  wa__in_tick = 1; /* t's push asks the host for no tick: t runs below */
  wa__wake(t, code);
  wa__in_tick = in_tick;
  wa__run_ready(now, 0);
}

int wa__run_ready(double now, int fire_timers) {
  if (wa__in_tick) {
    if (fire_timers) wa__timers_run(now);
    return 0;
  }
  wa__in_tick = 1;
  tick_requested = 0;
  slice_now = (int64_t)now;
  tick.ran = 0;
  tick.next_check = tick.step = 1;
  tick.checked_ran = 0;
  tick.start = tick.checked_at = now;
  if (fire_timers) wa__timers_run(now);
  wa__ctx_run_tick();
  return tick.ran;
}

/* sched.c — the ready queue and the wait protocol (see internal.h).
 *
 * The host drives: it calls wa__host_tick() or wa__host_timer_fired() with
 * its clock reading, which run (due timers, then) ready tasks in FIFO
 * order until the queue is empty or a time slice is used up, then return.
 * Switching between tasks never leaves wasm (backend.h); a completion from
 * the host wakes a task and asks for at most one tick. */
#include <stdlib.h>
#include "internal.h"
#include "backend.h"
#include "host/host.h"

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
  if (rc == 1) wa__task_finish(t, status);
  else if (rc == WA_EOVERFLOW) wa__task_finish(t, WA_EOVERFLOW);
  if (t->state == WA__DONE && t->detached) wa__task_free(t);
}

int wa__run_ready(double now, int fire_timers) {
  int ran = 0, next_check = 1, step = 1, checked_ran = 0;
  double start = now, checked_at = now;
  wa__task *t;
  if (wa__in_tick) {
    if (fire_timers) wa__timers_run(now);
    return 0;
  }
  wa__in_tick = 1;
  tick_requested = 0;
  slice_now = (int64_t)start;
  if (fire_timers) wa__timers_run(now);
  while ((t = ready_pop())) {
    if (t->state == WA__NEW && t->cancel_requested) {
      wa__task_finish(t, WA_ECANCELED); /* cancelled before it started */
      if (t->detached) wa__task_free(t);
    } else {
      run_one(t);
    }
    if (++ran >= next_check) {
      if (step < WA__SLICE_CHECK_MAX) step *= 2;
      next_check = ran + step;
      if (wa__ready_head) {
        double used, per_run;
        now = wa__host_now();
        slice_now = (int64_t)now;
        used = now - start;
        /* the rate of the runs since the last reading: later runs of a
         * computation often cost more than its first */
        per_run = (now - checked_at) / (ran - checked_ran);
        checked_at = now;
        checked_ran = ran;
        if (used + 1.5 * per_run >= WA__SLICE_MS) { /* with room for a slower run */
          tick_requested = 1;
          wa__host_request_tick(1);
          break;
        }
        if (per_run > 0 && (WA__SLICE_MS - used) / per_run < step)
          next_check = ran + (int)((WA__SLICE_MS - used) / per_run); /* >= 1: used + 1.5 per_run < slice */
      }
    }
  }
  wa__in_tick = 0;
  if (!wa__ready_head) wa__task_cache_trim(); /* idle: give memory back */
  return ran;
}

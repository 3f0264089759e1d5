/* timer.c — every deadline in the runtime lives in one binary min-heap,
 * ordered by (deadline, seq) so equal deadlines fire in the order they were
 * set. The host is asked to arm exactly one timer, for the earliest
 * deadline: 100 000 sleepers cost one setTimeout. The sleeps (wa_sleep,
 * the libc sleeps' wa__sleep_libc) and the clock (wa_now) are here too. */
#include <stdlib.h>
#include <limits.h>
#include "internal.h"
#include "host.h"

/* Each entry carries its own key, so sifting compares entries in the
 * array without touching the timers they point to: with 100 000 sleepers
 * the heap is 17 levels deep, and a pointer per comparison would be a
 * cache miss per level. */
typedef struct {
  int64_t deadline;
  uint64_t seq;
  wa__timer *t;
} entry;

static entry *heap;
static int heap_len, heap_cap;
static uint64_t next_seq;
static int64_t armed = -1; /* deadline the host timer is armed for, -1 if none */

static int before(const entry *a, const entry *b) {
  return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void place(int i, entry e) {
  heap[i] = e;
  e.t->heap_index = i;
}

static void sift_up(int i) {
  entry e = heap[i];
  while (i > 0) {
    int parent = (i - 1) / 2;
    if (!before(&e, &heap[parent])) break;
    place(i, heap[parent]);
    i = parent;
  }
  place(i, e);
}

static void sift_down(int i) {
  entry e = heap[i];
  for (;;) {
    int child = 2 * i + 1;
    if (child >= heap_len) break;
    if (child + 1 < heap_len && before(&heap[child + 1], &heap[child])) child++;
    if (!before(&heap[child], &e)) break;
    place(i, heap[child]);
    i = child;
  }
  place(i, e);
}

/* Keeps the host timer armed for the earliest deadline. An earlier-armed
 * host timer is left alone when the earliest deadline moves later: it fires
 * early, finds nothing due and re-arms, which is cheaper than re-arming on
 * every removal. An empty heap disarms, so the host may go idle. */
static void sync_host_timer(void) {
  if (heap_len == 0) {
    if (armed >= 0) wa__host_timer_disarm();
    armed = -1;
    return;
  }
  if (armed < 0 || heap[0].deadline < armed) {
    armed = heap[0].deadline;
    wa__host_timer_arm(wa__ms_from_us(armed));
  }
}

void wa__timer_init(wa__timer *t, void (*fire)(wa__timer *)) {
  t->deadline = 0;
  t->seq = 0;
  t->heap_index = -1;
  t->fire = fire;
}

int wa__timer_active(const wa__timer *t) { return t->heap_index >= 0; }

int wa__timer_start(wa__timer *t, int64_t deadline) {
  if (t->heap_index >= 0) wa__timer_stop(t);
  if (heap_len == heap_cap) {
    int cap = heap_cap > INT_MAX / 2 ? INT_MAX : heap_cap ? heap_cap * 2 : 64;
    entry *h = heap_cap == INT_MAX ? NULL : wa__realloc_n(heap, (size_t)cap, sizeof *h);
    if (!h) return WA_ENOMEM;
    heap = h;
    heap_cap = cap;
  }
  t->deadline = deadline;
  t->seq = next_seq++;
  place(heap_len++, (entry){deadline, t->seq, t});
  sift_up(t->heap_index);
  sync_host_timer();
  return 0;
}

int wa__timer_start_in(wa__timer *t, int64_t ms) { return wa__timer_start(t, wa__timer_deadline_in(ms)); }

void wa__timer_stop(wa__timer *t) {
  int i = t->heap_index;
  if (i < 0) return;
  t->heap_index = -1;
  heap_len--;
  if (i != heap_len) {
    place(i, heap[heap_len]);
    if (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) sift_up(i); else sift_down(i);
  }
  if (heap_len == 0) sync_host_timer();
}

int wa__timers_count(void) { return heap_len; }

int64_t wa__timer_now(void) { return wa__us_from_ms(wa__host_now()); }

/* A deadline is a whole millisecond of wa_now()'s clock: the current one
 * plus ms, as libuv (and so Node's setTimeout) counts. A sleep then lasts
 * at least ms by wa_now(), and ends when the host's millisecond timer
 * fires for that millisecond, not up to a millisecond after it (measured
 * from a fractional start it may end up to 1 ms sooner, as a setTimeout
 * does). Exact for any deadline within 2^53 us (285 years); farther ones
 * saturate to never. */
int64_t wa__timer_deadline_in(int64_t ms) {
  double now = wa__host_now();
  return wa__us_from_ms(ms <= 0 ? now : (double)(int64_t)now + (double)ms);
}

void wa__timers_run(double now_ms) {
  int64_t now = wa__us_from_ms(now_ms);
  armed = -1; /* the host timer that called us has fired */
  if (&wa__timers_fired) wa__timers_fired++; /* a test program's counter (internal.h) */
  while (heap_len && heap[0].deadline <= now) {
    wa__timer *t = heap[0].t;
    wa__timer_stop(t);
    t->fire(t);
  }
  sync_host_timer();
}

/* ---- sleeping: a task's sleep_timer ------------------------------------------ */

void wa__sleep_timer_fired(wa__timer *timer) {
  wa__task *t = (wa__task *)((char *)timer - offsetof(wa__task, sleep_timer));
  wa__wake(t, 0);
}

int64_t wa_now(void) { return (int64_t)wa__host_now(); }

int wa_sleep(int64_t ms) {
  wa__task *t = wa__cur;
  int rc;
  if (ms <= 0) return wa_yield();
  rc = wa__await_begin();
  if (rc) return rc;
  rc = wa__timer_start_in(&t->sleep_timer, ms);
  if (rc) return rc;
  return wa__wait("sleep", NULL); /* whatever ends the wait stops the timer */
}

/* The open scope of t whose expiry just interrupted it, or NULL: scopes
 * expire in deadline order, so it is the expired one with the latest
 * deadline (an earlier one may still be open, its expiry delivered). */
static wa_timeout *expired_scope(wa__task *t) {
  wa_timeout *last = NULL;
  for (wa_timeout *to = t->timeouts; to; to = to->outer)
    if (to->expired && (!last || to->timer.deadline > last->timer.deadline)) last = to;
  return last;
}

int wa__sleep_libc(int64_t deadline) {
  wa__task *t = wa__cur;
  int rc, keep_cancel;
  wa_timeout *keep_timeout;
  if (!t || wa__host_reentered) return WA_ENOTASK;
  /* Hide what an earlier libc sleep reported from this one's await. */
  keep_cancel = t->cancel_pending && t->cancel_reported;
  keep_timeout = t->timeout_pending && t->timeout_reported ? t->timeout_pending : NULL;
  if (keep_cancel) t->cancel_pending = 0;
  if (keep_timeout) t->timeout_pending = NULL;
  if (deadline <= wa__timer_now()) {
    rc = wa_yield();
  } else if (!(rc = wa__await_begin())) {
    rc = wa__timer_start(&t->sleep_timer, deadline);
    if (!rc) rc = wa__wait("sleep", NULL); /* whatever ends the wait stops the timer */
  }
  /* Nothing closes a scope of t while t sleeps: keep_timeout is still open. */
  if (keep_cancel) t->cancel_pending = 1;
  if (keep_timeout && !t->timeout_pending) {
    t->timeout_pending = keep_timeout;
    t->timeout_reported = 1;
  }
  if (rc == WA_ECANCELED) {
    t->cancel_pending = 1;
    t->cancel_reported = 1;
  } else if (rc == WA_ETIMEDOUT) {
    wa_timeout *to = expired_scope(t);
    if (to) {
      t->timeout_pending = to;
      t->timeout_reported = 1;
    }
  }
  return rc;
}

/* timeout.c — timeout scopes (like asyncio.timeout). A scope is a timer in
 * the shared heap plus a link in its task's stack of open scopes. When it
 * expires, the task's current await point (or, if it is not waiting, its
 * next one) returns WA_ETIMEDOUT once. A scope points to its task only while
 * it is open, so ending it after the task ended touches nothing freed. */
#include <stddef.h>
#include "internal.h"

static void timeout_fire(wa__timer *timer) {
  wa_timeout *to = (wa_timeout *)((char *)timer - offsetof(wa_timeout, timer));
  wa__task *t = to->owner;
  to->expired = 1;
  if (!t) return;
  if (t->state == WA__WAITING) wa__interrupt(t, WA_ETIMEDOUT);
  else if (t->state != WA__DONE) {
    t->timeout_pending = to;
    t->timeout_reported = 0; /* a new expiry, not reported yet */
  }
}

void wa_timeout_begin(wa_timeout *to, int64_t ms) {
  wa__task *t = wa__cur;
  if (!to) return;
  wa__timer_init(&to->timer, timeout_fire);
  to->expired = 0;
  to->owner = t;
  to->outer = NULL;
  if (!t) return; /* outside a task nothing can wait, so nothing expires */
  to->outer = t->timeouts;
  t->timeouts = to;
  if (wa__timer_start_in(&to->timer, ms) != 0) {
    /* No room in the heap: expire at once rather than never. */
    to->expired = 1;
    t->timeout_pending = to;
    t->timeout_reported = 0;
  }
}

/* Unlinks the innermost open scope of t, which is to, and disowns it: a
 * closed scope keeps no pointer to its task, which may end and be freed
 * (or its memory reused) before someone calls wa_timeout_end on it. */
static void close_scope(wa__task *t, wa_timeout *to) {
  wa__timer_stop(&to->timer);
  if (t->timeout_pending == to) {
    t->timeout_pending = NULL;
    t->timeout_reported = 0;
  }
  t->timeouts = to->outer;
  to->owner = NULL;
  to->outer = NULL;
}

int wa_timeout_end(wa_timeout *to) {
  wa__task *t;
  if (!to) return WA_EINVAL;
  t = to->owner;
  /* Only an open scope has an owner: close_scope disowned the others. */
  if (t) {
    /* A deadline that passed counts even if its timer has not been run yet. */
    if (!to->expired && wa__timer_active(&to->timer) && wa__timer_now() >= to->timer.deadline)
      to->expired = 1;
    /* Scopes close innermost first; closing an outer one closes the inner
     * ones the caller forgot. */
    while (t->timeouts && t->timeouts != to) close_scope(t, t->timeouts);
    if (t->timeouts == to) close_scope(t, to);
  }
  to->owner = NULL;
  return to->expired;
}

void wa__timeouts_drop(wa__task *t) {
  while (t->timeouts) close_scope(t, t->timeouts);
  t->timeout_pending = NULL;
  t->timeout_reported = 0;
}

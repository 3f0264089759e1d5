/* timeout.c — timeout scopes (like asyncio.timeout). A scope is a timer in
 * the shared heap plus a link in its task's stack of open scopes. When it
 * expires, the task's current await point (or, if it is not waiting, its
 * next one) returns WA_ETIMEDOUT once. */
#include <stddef.h>
#include "internal.h"
#include "host.h"

static void timeout_fire(wa__timer *timer) {
  wa_timeout *to = (wa_timeout *)((char *)timer - offsetof(wa_timeout, timer));
  wa__task *t = to->owner;
  to->expired = 1;
  if (!t) return;
  if (t->state == WA__WAITING) wa__interrupt(t, WA_ETIMEDOUT);
  else if (t->state != WA__DONE) t->timeout_pending = to;
}

void wa_timeout_begin(wa_timeout *to, int64_t ms) {
  wa__task *t = wa__cur;
  wa__timer_init(&to->timer, timeout_fire);
  to->expired = 0;
  to->owner = t;
  to->outer = NULL;
  if (!t) return; /* outside a task nothing can wait, so nothing expires */
  to->outer = t->timeouts;
  t->timeouts = to;
  if (ms < 0) ms = 0;
  if (wa__timer_start(&to->timer, (int64_t)(wa__host_now() * 1000.0) + ms * 1000) != 0) {
    /* No room in the heap: expire at once rather than never. */
    to->expired = 1;
    t->timeout_pending = to;
  }
}

static void close_scope(wa__task *t, wa_timeout *to) {
  wa__timer_stop(&to->timer);
  if (t->timeout_pending == to) t->timeout_pending = NULL;
  t->timeouts = to->outer;
}

int wa_timeout_end(wa_timeout *to) {
  wa__task *t = to->owner;
  /* A deadline that passed counts even if its timer has not been run yet. */
  if (t && !to->expired && wa__timer_active(&to->timer) &&
      (int64_t)(wa__host_now() * 1000.0) >= to->timer.deadline)
    to->expired = 1;
  if (t) {
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
}

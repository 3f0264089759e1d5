/* sync.c — mutex, event, semaphore, condition variable, wait group.
 * All waits are FIFO, cancellable and bounded by timeout scopes (they go
 * through wa__waitq_wait). Ownership passes directly to the woken waiter
 * (mutex, semaphore), so a late arrival cannot overtake a queued one.
 * A NULL primitive is WA_EINVAL (checked before wa__await_begin, so a
 * pending cancellation stays pending) or, for void functions, a no-op. */
#include <limits.h>
#include "internal.h"

/* ---- mutex ---------------------------------------------------------------- */

/* The holder is a task id, not a pointer: ids are never reused (until 2^32
 * spawns), so a task in an ended holder's place is not mistaken for it. */
#define HOLDER(m) ((m)->wa__private.holder)

void wa_mutex_init(wa_mutex *m) {
  if (!m) return;
  wa__waitq_init(&m->q);
  HOLDER(m) = 0;
}

int wa_mutex_trylock(wa_mutex *m) {
  if (!m) return WA_EINVAL;
  if (!wa__cur) return WA_ENOTASK;
  if (HOLDER(m)) return WA_EBUSY;
  HOLDER(m) = wa__cur->id;
  return 0;
}

int wa_mutex_lock(wa_mutex *m) {
  int rc;
  if (!m) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  if (HOLDER(m) == wa__cur->id) return WA_EBUSY; /* not recursive */
  if (!HOLDER(m)) {
    HOLDER(m) = wa__cur->id;
    return 0;
  }
  /* On a successful wake, unlock has already made us the holder. */
  return wa__waitq_wait(&m->q, "mutex", m);
}

int wa_mutex_unlock(wa_mutex *m) {
  wa__wait_node *w;
  if (!m || !wa__cur || HOLDER(m) != wa__cur->id) return WA_EINVAL;
  w = wa__waitq_pop(&m->q);
  HOLDER(m) = w ? w->task->id : 0;
  if (w) wa__wake(w->task, 0);
  return 0;
}

/* ---- event ---------------------------------------------------------------- */

void wa_event_init(wa_event *e) {
  if (!e) return;
  wa__waitq_init(&e->q);
  e->set = 0;
}

void wa_event_set(wa_event *e) {
  if (!e) return;
  e->set = 1;
  wa__waitq_wake_all(&e->q, 0);
}

void wa_event_clear(wa_event *e) { if (e) e->set = 0; }

int wa_event_is_set(const wa_event *e) { return e ? e->set : 0; }

int wa_event_wait(wa_event *e) {
  int rc;
  if (!e) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  if (e->set) return 0;
  return wa__waitq_wait(&e->q, "event", e);
}

/* ---- semaphore -------------------------------------------------------------- */

void wa_sem_init(wa_sem *s, long n) {
  if (!s) return;
  wa__waitq_init(&s->q);
  s->count = n < 0 ? 0 : n;
}

int wa_sem_try_acquire(wa_sem *s) {
  if (!s) return WA_EINVAL;
  if (s->count <= 0) return WA_EAGAIN;
  s->count--;
  return 0;
}

int wa_sem_acquire(wa_sem *s) {
  int rc;
  if (!s) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  if (s->count > 0 && wa__waitq_empty(&s->q)) {
    s->count--;
    return 0;
  }
  /* A successful wake means release handed its unit to us. */
  return wa__waitq_wait(&s->q, "semaphore", s);
}

void wa_sem_release(wa_sem *s) {
  if (!s) return;
  if (!wa__waitq_wake_one(&s->q, 0) && s->count < LONG_MAX) s->count++;
}

/* ---- condition variable ------------------------------------------------------ */

void wa_cond_init(wa_cond *c) { if (c) wa__waitq_init(&c->q); }

int wa_cond_wait(wa_cond *c, wa_mutex *m) {
  int rc, lrc;
  if (!c || !m) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  if (HOLDER(m) != wa__cur->id) return WA_EINVAL;
  wa_mutex_unlock(m);
  rc = wa__waitq_wait(&c->q, "cond", c);
  /* Re-acquire even when interrupted; a second interruption must not leave
   * the caller without the mutex it believes it holds. */
  while ((lrc = wa_mutex_lock(m)) == WA_ECANCELED || lrc == WA_ETIMEDOUT) {
    if (rc == 0) rc = lrc;
  }
  return rc;
}

void wa_cond_signal(wa_cond *c) { if (c) wa__waitq_wake_one(&c->q, 0); }

void wa_cond_broadcast(wa_cond *c) { if (c) wa__waitq_wake_all(&c->q, 0); }

/* ---- wait group ----------------------------------------------------------------- */

void wa_waitgroup_init(wa_waitgroup *w) {
  if (!w) return;
  wa__waitq_init(&w->q);
  w->count = 0;
}

int wa_waitgroup_add(wa_waitgroup *w, long n) {
  /* count >= 0, so count + n can only overflow for n > 0. */
  if (!w || (n > 0 ? w->count > LONG_MAX - n : w->count + n < 0)) return WA_EINVAL;
  w->count += n;
  if (w->count == 0) wa__waitq_wake_all(&w->q, 0);
  return 0;
}

int wa_waitgroup_done(wa_waitgroup *w) { return wa_waitgroup_add(w, -1); }

int wa_waitgroup_wait(wa_waitgroup *w) {
  int rc;
  if (!w) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  if (w->count == 0) return 0;
  return wa__waitq_wait(&w->q, "waitgroup", w);
}

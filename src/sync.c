/* sync.c — mutex, event, semaphore, condition variable, wait group.
 * All waits are FIFO, cancellable and bounded by timeout scopes (they go
 * through wa__waitq_wait). Ownership passes directly to the woken waiter
 * (mutex, semaphore), so a late arrival cannot overtake a queued one. */
#include "internal.h"

/* ---- mutex ---------------------------------------------------------------- */

void wa_mutex_init(wa_mutex *m) {
  wa__waitq_init(&m->q);
  m->owner = NULL;
}

int wa_mutex_trylock(wa_mutex *m) {
  if (!wa__cur) return WA_ENOTASK;
  if (m->owner) return WA_EBUSY;
  m->owner = (struct wa_task *)wa__cur;
  return 0;
}

int wa_mutex_lock(wa_mutex *m) {
  int rc = wa__await_begin();
  if (rc) return rc;
  if (m->owner == (struct wa_task *)wa__cur) return WA_EBUSY; /* not recursive */
  if (!m->owner) {
    m->owner = (struct wa_task *)wa__cur;
    return 0;
  }
  /* On a successful wake, unlock has already made us the owner. */
  return wa__waitq_wait(&m->q, NULL, "mutex", m);
}

int wa_mutex_unlock(wa_mutex *m) {
  wa__wait *w;
  if (!wa__cur || m->owner != (struct wa_task *)wa__cur) return WA_EINVAL;
  w = wa__waitq_pop(&m->q);
  m->owner = w ? (struct wa_task *)w->task : NULL;
  if (w) wa__wake(w->task, 0);
  return 0;
}

/* ---- event ---------------------------------------------------------------- */

void wa_event_init(wa_event *e) {
  wa__waitq_init(&e->q);
  e->set = 0;
}

void wa_event_set(wa_event *e) {
  e->set = 1;
  wa__waitq_wake_all(&e->q, 0);
}

void wa_event_clear(wa_event *e) { e->set = 0; }

int wa_event_is_set(const wa_event *e) { return e->set; }

int wa_event_wait(wa_event *e) {
  int rc = wa__await_begin();
  if (rc) return rc;
  if (e->set) return 0;
  return wa__waitq_wait(&e->q, NULL, "event", e);
}

/* ---- semaphore -------------------------------------------------------------- */

void wa_sem_init(wa_sem *s, long n) {
  wa__waitq_init(&s->q);
  s->count = n < 0 ? 0 : n;
}

int wa_sem_try_acquire(wa_sem *s) {
  if (s->count <= 0) return WA_EAGAIN;
  s->count--;
  return 0;
}

int wa_sem_acquire(wa_sem *s) {
  int rc = wa__await_begin();
  if (rc) return rc;
  if (s->count > 0 && wa__waitq_empty(&s->q)) {
    s->count--;
    return 0;
  }
  /* A successful wake means release handed its unit to us. */
  return wa__waitq_wait(&s->q, NULL, "semaphore", s);
}

void wa_sem_release(wa_sem *s) {
  if (!wa__waitq_wake_one(&s->q, 0)) s->count++;
}

/* ---- condition variable ------------------------------------------------------ */

void wa_cond_init(wa_cond *c) { wa__waitq_init(&c->q); }

int wa_cond_wait(wa_cond *c, wa_mutex *m) {
  int rc = wa__await_begin(), lrc;
  if (rc) return rc;
  if (m->owner != (struct wa_task *)wa__cur) return WA_EINVAL;
  wa_mutex_unlock(m);
  rc = wa__waitq_wait(&c->q, NULL, "cond", c);
  /* Re-acquire even when interrupted; a second interruption must not leave
   * the caller without the mutex it believes it holds. */
  while ((lrc = wa_mutex_lock(m)) == WA_ECANCELED || lrc == WA_ETIMEDOUT) {
    if (rc == 0) rc = lrc;
  }
  return rc;
}

void wa_cond_signal(wa_cond *c) { wa__waitq_wake_one(&c->q, 0); }

void wa_cond_broadcast(wa_cond *c) { wa__waitq_wake_all(&c->q, 0); }

/* ---- wait group ----------------------------------------------------------------- */

void wa_waitgroup_init(wa_waitgroup *w) {
  wa__waitq_init(&w->q);
  w->count = 0;
}

int wa_waitgroup_add(wa_waitgroup *w, long n) {
  if (w->count + n < 0) return WA_EINVAL;
  w->count += n;
  if (w->count == 0) wa__waitq_wake_all(&w->q, 0);
  return 0;
}

int wa_waitgroup_done(wa_waitgroup *w) { return wa_waitgroup_add(w, -1); }

int wa_waitgroup_wait(wa_waitgroup *w) {
  int rc = wa__await_begin();
  if (rc) return rc;
  if (w->count == 0) return 0;
  return wa__waitq_wait(&w->q, NULL, "waitgroup", w);
}

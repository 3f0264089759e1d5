/* chan.c — Go-like channels and wa_select.
 *
 * Promises (see wasync.h): capacity 0 is a rendezvous, otherwise a ring
 * buffer of `capacity` elements; elements are copied; senders and receivers
 * are each served FIFO; close wakes every waiter (senders get WA_ECLOSED,
 * receivers drain the buffer first); every wait is cancellable and bounded
 * by timeout scopes.
 *
 * How: whoever makes progress completes the other side's operation for it.
 * A sender that finds a parked receiver copies straight into the receiver's
 * buffer (which lives on that task's own, suspended stack) and wakes it; a
 * receiver that frees a buffer slot moves the oldest parked sender's element
 * into the buffer. A woken waiter therefore never has to retry, so a later
 * arrival can never overtake it, and a cancellation that lands after the
 * wake is left pending for the next await point instead of losing a value.
 *
 * Extension: a receive may pass elem == NULL to discard the value. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct wa_chan {
  size_t elem_size, cap;
  size_t head, len;       /* ring buffer: oldest at head, len elements */
  unsigned char *buf;     /* cap * elem_size bytes, NULL for a rendezvous */
  int closed;
  wa__waitq sendq, recvq; /* parked chan_waiters; w.data is the element */
};

typedef struct select_state select_state;

/* Every node in a channel queue is one of these. w.data points at the
 * element to send or the buffer to receive into; w.result is set to 0 or
 * WA_ECLOSED by whoever completes the operation. */
typedef struct {
  wa__wait w;          /* first, so a popped wa__wait * is a chan_waiter * */
  select_state *sel;   /* NULL for a plain send/recv */
  int index;           /* select case index */
} chan_waiter;

struct select_state {
  chan_waiter *nodes;
  int n;
};

/* ---- element copies ---------------------------------------------------------- */

static void copy_out(const wa_chan *c, void *dst, const void *src) {
  if (dst) memcpy(dst, src, c->elem_size);
}

static void zero_out(const wa_chan *c, void *dst) {
  if (dst) memset(dst, 0, c->elem_size);
}

static unsigned char *slot(const wa_chan *c, size_t i) {
  return c->buf + ((c->head + i) % c->cap) * c->elem_size;
}

static void ring_push(wa_chan *c, const void *elem) {
  memcpy(slot(c, c->len), elem, c->elem_size);
  c->len++;
}

static void ring_pop(wa_chan *c, void *elem) {
  copy_out(c, elem, slot(c, 0));
  c->head = (c->head + 1) % c->cap;
  c->len--;
}

/* ---- completing a parked waiter ------------------------------------------------ */

/* Finishes w's operation with result (0 or WA_ECLOSED) and wakes its task.
 * A select waits on several queues: its other nodes are unlinked first, so
 * no second peer can complete it, and it wakes with the case index. */
static void complete(chan_waiter *cw, int result) {
  cw->w.result = result;
  if (cw->sel) {
    for (int i = 0; i < cw->sel->n; i++) wa__waitq_remove(&cw->sel->nodes[i].w);
    wa__wake(cw->w.task, cw->index);
  } else {
    wa__wake(cw->w.task, result);
  }
}

static chan_waiter *pop_waiter(wa__waitq *q) { return (chan_waiter *)wa__waitq_pop(q); }

/* ---- non-blocking halves (0, WA_ECLOSED or WA_EAGAIN) ------------------------------ */

static int send_now(wa_chan *c, const void *elem) {
  chan_waiter *r;
  if (c->closed) return WA_ECLOSED;
  if ((r = pop_waiter(&c->recvq))) {
    /* A receiver only parks when the buffer is empty: hand over directly. */
    copy_out(c, r->w.data, elem);
    complete(r, 0);
    return 0;
  }
  if (c->len < c->cap) {
    ring_push(c, elem);
    return 0;
  }
  return WA_EAGAIN;
}

static int recv_now(wa_chan *c, void *elem) {
  chan_waiter *s;
  if (c->len > 0) {
    ring_pop(c, elem);
    /* The freed slot goes to the oldest parked sender, keeping FIFO order. */
    if ((s = pop_waiter(&c->sendq))) {
      ring_push(c, s->w.data);
      complete(s, 0);
    }
    return 0;
  }
  if ((s = pop_waiter(&c->sendq))) { /* rendezvous */
    copy_out(c, elem, s->w.data);
    complete(s, 0);
    return 0;
  }
  if (c->closed) {
    zero_out(c, elem);
    return WA_ECLOSED;
  }
  return WA_EAGAIN;
}

static int send_ready(const wa_chan *c) {
  return c->closed || !wa__waitq_empty(&c->recvq) || c->len < c->cap;
}

static int recv_ready(const wa_chan *c) {
  return c->closed || c->len > 0 || !wa__waitq_empty(&c->sendq);
}

/* ---- plain blocking operations ---------------------------------------------------- */

static void abort_chan_wait(wa__task *t) {
  if (t->wait_node) wa__waitq_remove(t->wait_node);
}

/* Parks the current task on q until a peer completes its operation. */
static int wait_on(wa__waitq *q, void *elem, const char *what, const wa_chan *c) {
  chan_waiter cw;
  int rc;
  cw.sel = NULL;
  cw.index = 0;
  wa__waitq_push(q, &cw.w, wa__cur, elem);
  wa__cur->wait_node = &cw.w;
  rc = wa__park(what, c, abort_chan_wait);
  wa__cur->wait_node = NULL;
  return rc;
}

wa_chan *wa_chan_new(size_t elem_size, size_t capacity) {
  wa_chan *c;
  if (elem_size == 0) return NULL;
  if (capacity && elem_size > SIZE_MAX / capacity) return NULL;
  c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (capacity && !(c->buf = malloc(elem_size * capacity))) {
    free(c);
    return NULL;
  }
  c->elem_size = elem_size;
  c->cap = capacity;
  wa__waitq_init(&c->sendq);
  wa__waitq_init(&c->recvq);
  return c;
}

int wa_chan_try_send(wa_chan *c, const void *elem) {
  if (!c || !elem) return WA_EINVAL;
  return send_now(c, elem);
}

int wa_chan_try_recv(wa_chan *c, void *elem) {
  if (!c) return WA_EINVAL;
  return recv_now(c, elem);
}

int wa_chan_send(wa_chan *c, const void *elem) {
  int rc;
  if (!c || !elem) return WA_EINVAL;
  rc = wa__await_begin();
  if (rc) return rc;
  rc = send_now(c, elem);
  if (rc != WA_EAGAIN) return rc;
  /* The receiver copies from elem while we are parked, so it must stay
   * valid: it is the caller's, and the caller is suspended here. */
  return wait_on(&c->sendq, (void *)elem, "chan send", c);
}

int wa_chan_recv(wa_chan *c, void *elem) {
  int rc;
  if (!c) return WA_EINVAL;
  rc = wa__await_begin();
  if (rc) return rc;
  rc = recv_now(c, elem);
  if (rc != WA_EAGAIN) return rc;
  return wait_on(&c->recvq, elem, "chan recv", c);
}

void wa_chan_close(wa_chan *c) {
  chan_waiter *w;
  if (!c || c->closed) return;
  c->closed = 1;
  /* Receivers only park on an empty buffer, so "drained" already holds. */
  while ((w = pop_waiter(&c->recvq))) {
    zero_out(c, w->w.data);
    complete(w, WA_ECLOSED);
  }
  while ((w = pop_waiter(&c->sendq))) complete(w, WA_ECLOSED);
}

void wa_chan_free(wa_chan *c) {
  if (!c) return;
  wa_chan_close(c); /* no waiter may keep a pointer into c */
  free(c->buf);
  free(c);
}

/* ---- select ------------------------------------------------------------------------ */

/* xorshift32: a fair choice among ready cases without touching rand()'s
 * global state. Deterministic per process, which keeps tests reproducible. */
static uint32_t select_rng = 0x9e3779b9u;

static uint32_t next_random(void) {
  uint32_t x = select_rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return select_rng = x;
}

static int case_ready(const wa_select_case *sc) {
  return sc->is_send ? send_ready(sc->chan) : recv_ready(sc->chan);
}

/* A uniformly random ready case (reservoir sampling), or -1. */
static int pick_ready(const wa_select_case *cases, int n) {
  int pick = -1;
  uint32_t seen = 0;
  for (int i = 0; i < n; i++) {
    if (case_ready(&cases[i]) && next_random() % ++seen == 0) pick = i;
  }
  return pick;
}

static int check_cases(const wa_select_case *cases, int n) {
  if (n <= 0 || !cases) return WA_EINVAL;
  for (int i = 0; i < n; i++) {
    if (!cases[i].chan || (cases[i].is_send && !cases[i].elem)) return WA_EINVAL;
  }
  return 0;
}

static void abort_select(wa__task *t) {
  select_state *st = (select_state *)(uintptr_t)t->wait_obj;
  for (int i = 0; i < st->n; i++) wa__waitq_remove(&st->nodes[i].w);
}

/* Parks on every case's queue at once; returns the completed case index
 * (its result in nodes[index].w.result) or an interruption code. */
static int select_park(wa_select_case *cases, int n, chan_waiter *nodes) {
  select_state st = {nodes, n};
  int rc;
  for (int i = 0; i < n; i++) {
    wa_chan *c = cases[i].chan;
    nodes[i].sel = &st;
    nodes[i].index = i;
    wa__waitq_push(cases[i].is_send ? &c->sendq : &c->recvq, &nodes[i].w, wa__cur, cases[i].elem);
  }
  rc = wa__park("select", &st, abort_select);
  /* complete() or abort_select() already unlinked them; this is a no-op
   * that never touches a channel freed after waking us. */
  for (int i = 0; i < n; i++) wa__waitq_remove(&nodes[i].w);
  return rc;
}

int wa_select(wa_select_case *cases, int n) {
  chan_waiter small[8], *nodes = small;
  int rc, k;
  if ((rc = check_cases(cases, n))) return rc;
  rc = wa__await_begin();
  if (rc) return rc;
  k = pick_ready(cases, n);
  if (k >= 0) {
    wa_select_case *sc = &cases[k];
    /* A ready case cannot answer WA_EAGAIN: nothing ran since the check. */
    wa__cur->select_result = sc->is_send ? send_now(sc->chan, sc->elem) : recv_now(sc->chan, sc->elem);
    return k;
  }
  if (n > 8 && !(nodes = malloc((size_t)n * sizeof *nodes))) return WA_ENOMEM;
  k = select_park(cases, n, nodes);
  if (k >= 0) wa__cur->select_result = nodes[k].w.result;
  if (nodes != small) free(nodes);
  return k;
}

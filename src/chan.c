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
#include "backend.h"

struct wa_chan {
  size_t elem_size, cap;
  size_t head, len;       /* ring buffer: oldest at head, len elements */
  unsigned char *buf;     /* cap * elem_size bytes, NULL for a rendezvous */
  int closed;
  wa__waitq sendq, recvq; /* parked chan_waiters; w.data is the element */
};

/* A node in a channel queue: w.data points at the element to send or the
 * buffer to receive into; w.id is a select's case index (-1 for a plain
 * send or receive, whose node is the task's own self_wait); w.result is set
 * to 0 or WA_ECLOSED by whoever completes the operation. */
typedef wa__wait_node chan_waiter;

/* ---- element copies ---------------------------------------------------------- */

/* Constant sizes compile to plain loads and stores: the common element
 * types (int, pointer, double, int64) skip memcpy, which is a call (or, with
 * bulk memory, the engine's memory.copy) costing more than the copy. */
static void copy_elem(const wa_chan *c, void *dst, const void *src) {
  switch (c->elem_size) {
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, c->elem_size); break;
  }
}

static void copy_out(const wa_chan *c, void *dst, const void *src) {
  if (dst) copy_elem(c, dst, src);
}

static void zero_out(const wa_chan *c, void *dst) {
  if (dst) memset(dst, 0, c->elem_size);
}

static unsigned char *slot(const wa_chan *c, size_t i) {
  return c->buf + ((c->head + i) % c->cap) * c->elem_size;
}

static void ring_push(wa_chan *c, const void *elem) {
  copy_elem(c, slot(c, c->len), elem);
  c->len++;
}

static void ring_pop(wa_chan *c, void *elem) {
  copy_out(c, elem, slot(c, 0));
  c->head = (c->head + 1) % c->cap;
  c->len--;
}

/* ---- completing a parked waiter ------------------------------------------------ */

/* Finishes w's operation with result (0 or WA_ECLOSED) and wakes its task:
 * a select with the case index. Waking unlinks a select's other nodes, so
 * no second peer can complete it. Always inlined: chan_op has four calls
 * of it, so LLVM would keep it out of line, and the call was 3% of a
 * channel hand-off. */
static inline __attribute__((always_inline)) void complete(chan_waiter *cw, int result) {
  cw->result = result;
  wa__wake_node(cw, result);
}

static chan_waiter *pop_waiter(wa__waitq *q) { return (chan_waiter *)wa__waitq_pop(q); }

/* ---- non-blocking halves (0, WA_ECLOSED or WA_EAGAIN) ------------------------------ */

static int send_now(wa_chan *c, const void *elem) {
  chan_waiter *r;
  if (c->closed) return WA_ECLOSED;
  if ((r = pop_waiter(&c->recvq))) {
    /* A receiver only parks when the buffer is empty: hand over directly. */
    copy_out(c, r->data, elem);
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
      ring_push(c, s->data);
      complete(s, 0);
    }
    return 0;
  }
  if ((s = pop_waiter(&c->sendq))) { /* rendezvous */
    copy_out(c, elem, s->data);
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

/* A plain send or receive is decided in one call, chan_op: it completes at
 * once, or links the task's own node and parks it (the first half of
 * wa__wait); only then does the caller enter the suspend primitive (the
 * second half), with nothing left to prepare. In a release build
 * wa_chan_send/recv inline into their caller (LTO), so a channel
 * operation costs a backend that saves frames no frame beyond the
 * caller's; chan_op stays out of line (noinline), and since it cannot
 * suspend and calls nothing indirect, such a backend leaves its call
 * uninstrumented. An operation
 * that completes at once never enters the suspend primitive. */

/* 0 or an error code if the operation completed or failed at once;
 * WA__SUSPEND if the current task is now parked on c. */
static __attribute__((noinline)) int chan_op(wa_chan *c, void *elem, int is_send) {
  wa__task *t = wa__cur;
  int rc;
  if (!c || (is_send && !elem)) return WA_EINVAL;
  if ((rc = wa__await_begin())) return rc;
  rc = is_send ? send_now(c, elem) : recv_now(c, elem);
  if (rc != WA_EAGAIN) return rc;
  /* The peer copies from or into elem while we are parked, so it must stay
   * valid: it is the caller's, and the caller is suspended here. */
  wa__wait_on(&t->self_wait, is_send ? &c->sendq : &c->recvq, elem);
  return wa__wait_park(t, is_send ? "chan send" : "chan recv", c);
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
  int rc = chan_op(c, (void *)elem, 1);
  return rc == WA__SUSPEND ? wa__ctx_suspend_parked(wa__cur) : rc;
}

int wa_chan_recv(wa_chan *c, void *elem) {
  int rc = chan_op(c, elem, 0);
  return rc == WA__SUSPEND ? wa__ctx_suspend_parked(wa__cur) : rc;
}

void wa_chan_close(wa_chan *c) {
  chan_waiter *w;
  if (!c || c->closed) return;
  c->closed = 1;
  /* Receivers only park on an empty buffer, so "drained" already holds. */
  while ((w = pop_waiter(&c->recvq))) {
    zero_out(c, w->data);
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

/* Waits on every case's queue at once; returns the completed case index
 * (its result in nodes[index].result) or an interruption code. */
static int select_wait(wa_select_case *cases, int n, chan_waiter *nodes) {
  for (int i = 0; i < n; i++) {
    wa_chan *c = cases[i].chan;
    wa__wait_on(&nodes[i], cases[i].is_send ? &c->sendq : &c->recvq, cases[i].elem);
    nodes[i].id = i;
  }
  /* Whatever ends the wait unlinks every node: none is left on a channel
   * freed after waking us. */
  return wa__wait("select", cases);
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
  if (n > 8 && !(nodes = wa__realloc_n(NULL, (size_t)n, sizeof *nodes))) return WA_ENOMEM;
  k = select_wait(cases, n, nodes);
  if (k >= 0) wa__cur->select_result = nodes[k].result;
  if (nodes != small) free(nodes);
  return k;
}

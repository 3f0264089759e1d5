/* waitq.c — intrusive FIFO wait queues shared by every blocking primitive. */
#include "internal.h"

void wa__waitq_init(wa__waitq *q) { q->head = q->tail = NULL; }

int wa__waitq_empty(const wa__waitq *q) { return q->head == NULL; }

void wa__waitq_push(wa__waitq *q, wa__wait *w, wa__task *t, void *data) {
  w->task = t;
  w->data = data;
  w->result = 0;
  w->q = q;
  w->next = NULL;
  w->prev = q->tail;
  if (q->tail) q->tail->next = w; else q->head = w;
  q->tail = w;
}

void wa__waitq_remove(wa__wait *w) {
  wa__waitq *q = w->q;
  if (!q) return;
  if (w->prev) w->prev->next = w->next; else q->head = w->next;
  if (w->next) w->next->prev = w->prev; else q->tail = w->prev;
  w->prev = w->next = NULL;
  w->q = NULL;
}

wa__wait *wa__waitq_pop(wa__waitq *q) {
  wa__wait *w = q->head;
  if (w) wa__waitq_remove(w);
  return w;
}

static void abort_queued_wait(wa__task *t) {
  if (t->wait_node) wa__waitq_remove(t->wait_node);
}

int wa__waitq_wait(wa__waitq *q, void *data, const char *what, const void *obj) {
  wa__wait w;
  int rc;
  wa__waitq_push(q, &w, wa__cur, data);
  wa__cur->wait_node = &w;
  rc = wa__park(what, obj, abort_queued_wait);
  wa__cur->wait_node = NULL;
  return rc;
}

int wa__waitq_wake_one(wa__waitq *q, int code) {
  wa__wait *w = wa__waitq_pop(q);
  if (!w) return 0;
  wa__wake(w->task, code);
  return 1;
}

int wa__waitq_wake_all(wa__waitq *q, int code) {
  int n = 0;
  while (wa__waitq_wake_one(q, code)) n++;
  return n;
}

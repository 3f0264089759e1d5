/* waitq.c — waiting on, and waking, the intrusive FIFO wait queues that
 * every blocking primitive uses (the list operations are inline in
 * internal.h). */
#include "internal.h"

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

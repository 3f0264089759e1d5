/* waitq.c — waking the intrusive FIFO wait queues that every blocking
 * primitive uses (the list operations and wa__wait_on are inline in
 * internal.h; the scheduler unlinks a woken task's other nodes). */
#include "internal.h"

int wa__waitq_wait(wa__waitq *q, const char *what, const void *obj) {
  wa__wait_node w;
  wa__wait_on(&w, q, NULL);
  return wa__wait(what, obj);
}

int wa__waitq_wake_one(wa__waitq *q, int code) {
  wa__wait_node *w = wa__waitq_pop(q);
  if (!w) return 0;
  wa__wake_node(w, code);
  return 1;
}

int wa__waitq_wake_all(wa__waitq *q, int code) {
  int n = 0;
  while (wa__waitq_wake_one(q, code)) n++;
  return n;
}

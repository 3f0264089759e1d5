/* introspect.c — the live task table as data, for the JS API's app.tasks().
 *
 * wa__host_tasks() writes one line per live task into buf, fields separated
 * by tabs: id, name, state, what it waits on ("" unless waiting), how
 * long it has waited in ms (0 unless waiting), the most stack it has used
 * (wa_task_stack_used) and its stack's size, in bytes. Tabs and newlines in names
 * and details become spaces, so the split on the JS side is exact. */
#include <stdio.h>
#include "internal.h"
#include "backend.h"

int wa__host_tasks(char *buf, int len);

typedef struct {
  char *buf;
  size_t len, n; /* capacity, bytes produced so far (may exceed len) */
} out_buf;

static void put(out_buf *o, const char *s) {
  for (; *s; s++, o->n++) {
    if (o->n + 1 < o->len) o->buf[o->n] = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
  }
}

static void put_sep(out_buf *o, char c) {
  if (o->n + 1 < o->len) o->buf[o->n] = c;
  o->n++;
}

/* Returns the number of bytes the whole table needs (without the NUL); if
 * that is >= len, buf holds a truncated table and the caller retries with a
 * bigger buffer. buf is always NUL-terminated when len > 0. */
int wa__host_tasks(char *buf, int len) {
  out_buf o = { buf, len > 0 ? (size_t)len : 0, 0 };
  char num[32];
  int64_t now = wa_now();
  for (wa__task *t = wa__task_first(); t; t = t->all_next) {
    int waiting = t->state == WA__WAITING;
    snprintf(num, sizeof num, "%u", t->id);
    put(&o, num);
    put_sep(&o, '\t');
    put(&o, t->name);
    put_sep(&o, '\t');
    put(&o, wa__state_name(t->state));
    put_sep(&o, '\t');
    if (waiting && t->wait_what) {
      put(&o, t->wait_what);
      if (t->wait_detail) {
        put(&o, " ");
        put(&o, t->wait_detail);
      }
    }
    put_sep(&o, '\t');
    snprintf(num, sizeof num, "%lld", waiting ? (long long)(now - t->wait_since) : 0LL);
    put(&o, num);
    put_sep(&o, '\t');
    snprintf(num, sizeof num, "%zu", wa__ctx_stack_used(t));
    put(&o, num);
    put_sep(&o, '\t');
    snprintf(num, sizeof num, "%zu", wa__ctx_stack_size(t));
    put(&o, num);
    put_sep(&o, '\n');
  }
  if (o.len) o.buf[o.n < o.len ? o.n : o.len - 1] = '\0';
  return (int)o.n;
}

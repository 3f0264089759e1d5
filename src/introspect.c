/* introspect.c — the live task table as data, for the JS API's app.tasks().
 *
 * The table is read in chunks through a fixed buffer, so that app.tasks()
 * works when the heap is full (when it is needed most): wa__tasks_begin()
 * starts a read and returns the buffer, and each wa__tasks_next() fills
 * it with the next whole rows. The host reads synchronously, so no task runs
 * (and none is freed) between the calls. One row per live task, fields
 * separated by tabs: id, name, state, what it waits on ("" unless waiting,
 * cut to WA__TASKS_WHAT_MAX bytes), how long it has waited in ms (0
 * unless waiting), the most stack it has used (wa_task_stack_used) and its
 * stack's size, in bytes. Tabs and newlines in names and details become spaces, so
 * the split on the JS side is exact. */
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

#define WA__TASKS_BUF 8192
#define WA__TASKS_WHAT_MAX 512
#define WA__TASKS_ROW_MAX (WA__TASKS_WHAT_MAX + 128)

static char table_buf[WA__TASKS_BUF];
static char row_buf[WA__TASKS_ROW_MAX];
static wa__task *cursor;

typedef struct {
  char *buf;
  size_t len, n; /* capacity (without the NUL), bytes written */
} out_buf;

/* Appends at most max bytes of s, never cutting a UTF-8 sequence. */
static void put_max(out_buf *o, const char *s, size_t max) {
  size_t start = o->n;
  for (; *s && o->n < o->len && o->n - start < max; s++) {
    char c = *s;
    o->buf[o->n++] = (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
  }
  if (*s) /* cut: drop a partial multi-byte sequence at the end */
    while (o->n > start && ((unsigned char)o->buf[o->n - 1] & 0xC0) == 0x80) o->n--;
  if (*s && o->n > start && ((unsigned char)o->buf[o->n - 1] & 0xC0) == 0xC0) o->n--;
}

static void put(out_buf *o, const char *s) { put_max(o, s, (size_t)-1); }

/* Appends s as it is (separators, numbers). */
static void put_raw(out_buf *o, const char *s) {
  for (; *s && o->n < o->len; s++) o->buf[o->n++] = *s;
}

static size_t format_row(const wa__task *t, int64_t now) {
  out_buf o = { row_buf, sizeof row_buf - 1, 0 };
  out_buf what;
  char num[32];
  int waiting = t->state == WA__WAITING;
  snprintf(num, sizeof num, "%u\t", t->id);
  put_raw(&o, num);
  put(&o, t->name);
  put_raw(&o, "\t");
  put(&o, wa__state_name(t->state));
  put_raw(&o, "\t");
  what.buf = o.buf + o.n;
  what.len = WA__TASKS_WHAT_MAX;
  what.n = 0;
  if (waiting && t->wait_what) {
    put(&what, t->wait_what);
    if (t->wait_detail) {
      put(&what, " ");
      put(&what, t->wait_detail);
    }
  }
  o.n += what.n;
  snprintf(num, sizeof num, "\t%lld\t", waiting ? (long long)(now - t->wait_since) : 0LL);
  put_raw(&o, num);
  snprintf(num, sizeof num, "%zu\t%zu\n", wa__ctx_stack_used(t), wa__ctx_stack_size(t));
  put_raw(&o, num);
  return o.n;
}

char *wa__tasks_begin(void) {
  cursor = wa__task_first();
  return table_buf;
}

/* Fills the buffer with the next rows; the number of bytes (not
 * NUL-terminated), 0 once every row was read. */
int wa__tasks_next(void) {
  size_t n = 0;
  int64_t now = wa_now();
  while (cursor) {
    size_t len = format_row(cursor, now);
    if (n + len > sizeof table_buf) break; /* a row always fits an empty buffer */
    memcpy(table_buf + n, row_buf, len);
    n += len;
    cursor = cursor->all_next;
  }
  return (int)n;
}

/* The running task as "task <id> \"<name>\"" (for the host's report of a
 * fatal error), or NULL outside any task. */
const char *wa__running_name(void) {
  static char who[64];
  if (!wa__cur) return NULL;
  snprintf(who, sizeof who, "task %u \"%s\"", wa__cur->id, wa__cur->name);
  return who;
}

/* Bytes stdout (fd 1) or stderr (fd 2) has buffered and not yet written. */
size_t wa__stdio_pending(int fd) {
  FILE *f = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
  return f ? __fpending(f) : 0;
}

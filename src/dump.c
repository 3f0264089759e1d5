/* dump.c — one line per live task, shared by wa_dump(), the deadlock report
 * and the JS task table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

const char *wa__state_name(wa__state s) {
  switch (s) {
    case WA__NEW: return "new";
    case WA__READY: return "ready";
    case WA__RUNNING: return "running";
    case WA__WAITING: return "waiting";
    case WA__DONE: return "done";
  }
  return "?";
}

int wa__task_describe(const wa__task *t, char *buf, size_t len) {
  int n = snprintf(buf, len, "task %u \"%s\" %s", t->id, t->name, wa__state_name(t->state));
  int64_t now = wa_now();
  if (t->state == WA__WAITING && t->wait_what && n >= 0 && (size_t)n < len) {
    n += snprintf(buf + n, len - (size_t)n, " on %s", t->wait_what);
    /* Which one: the joined task by id, other objects by address (the same
     * channel or mutex shows the same address in every line). */
    if (t->wait_obj && strcmp(t->wait_what, "join") == 0 && (size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, " (task %u)", ((const wa__task *)t->wait_obj)->id);
    else if (t->wait_obj && !t->wait_detail && (size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, " (%p)", t->wait_obj);
    if (t->wait_detail && (size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, " %s", t->wait_detail);
    if (wa__timer_active(&t->sleep_timer) && (size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, " (%lld ms left)",
                    (long long)(wa__ms_from_us(t->sleep_timer.deadline) - (double)now));
    if ((size_t)n < len)
      n += snprintf(buf + n, len - (size_t)n, " for %lld ms", (long long)(now - t->wait_since));
  }
  if (n >= 0 && (size_t)n < len)
    n += snprintf(buf + n, len - (size_t)n, ", stack %zu of %zu B used", wa__ctx_stack_used(t), wa__ctx_stack_size(t));
  if (n < 0) n = 0;
  return (size_t)n < len ? n : (int)len - 1;
}

void wa_dump(FILE *out) {
  char line[256];
  if (!out) out = stderr;
  for (wa__task *t = wa__task_first(); t; t = t->all_next) {
    wa__task_describe(t, line, sizeof line);
    fprintf(out, "  %s\n", line);
  }
  fflush(out);
}

void wa__report(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("wasync: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
}

static int blocked_count(void) {
  int n = 0;
  for (wa__task *t = wa__task_first(); t; t = t->all_next)
    if (t->state == WA__WAITING) n++;
  return n;
}

void wa__on_deadlock(void) {
  int n = blocked_count();
  wa__report("deadlock: %d task%s blocked", n, n == 1 ? "" : "s");
  wa_dump(stderr);
}

#define KIB_TEXT_(n) #n
#define KIB_TEXT(n) KIB_TEXT_(n)

const char *wa__stack_advice(const wa__task *t) {
  return t->is_main ? "build with --stack-size=N (the main task gets " KIB_TEXT(WA__MAIN_STACK_KIB) " KiB or N, whichever is larger)"
                             : "raise wa_task_opts.stack_size";
}

void wa__task_overflowed(wa__task *t, const char *which, size_t needed) {
  if (needed)
    wa__report("task %u \"%s\" overflowed its %s (%zu-byte stack, needed at least %zu); %s", t->id,
               t->name, which, wa__ctx_stack_size(t), needed, wa__stack_advice(t));
  else
    wa__report("task %u \"%s\" overflowed its %s (%zu-byte stack); %s", t->id, t->name, which,
               wa__ctx_stack_size(t), wa__stack_advice(t));
}

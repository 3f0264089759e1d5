/* task.c — task lifetime: spawn, join, detach, cancel, yield, and the
 * accessors of a task's public fields. A task's memory comes from the task
 * cache (task_cache.c), its public handle from the handle table
 * (handle.c). */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "host.h"

/* A task is 208 bytes on wasm32. Making it 216 (two more fields, for the libc
 * sleeps) made spawn+join of a 1M-leaf tree 2.3x slower (bench row c), for a
 * reason not yet understood; grow it only with that row measured. */
#if UINTPTR_MAX == UINT32_MAX
_Static_assert(sizeof(wa__task) <= 208, "wa__task grew past 208 bytes on wasm32: measure `make bench` row c (Skynet) first");
#endif

static uint32_t next_id;
static wa__task *all_head;
static int live_count;

__attribute__((weak)) size_t wa__stack_default = WA_STACK_DEFAULT;

wa__task *wa__task_spawn(wa_fn fn, void *arg, const wa_task_opts *opts) {
  size_t stack = opts && opts->stack_size ? opts->stack_size : wa__stack_default;
  const char *name = opts && opts->name ? opts->name : "task";
  wa__task *t;
  size_t n;
  /* Checked before any arithmetic on the size, so nothing can wrap. */
  if (!fn || stack < WA_STACK_MIN || stack > WA_STACK_MAX) return NULL;
  if (!(t = wa__task_alloc(stack))) return NULL;
  if (wa__handle_alloc(t) != 0) {
    wa__task_dealloc(t);
    return NULL;
  }
  if (++next_id == 0) ++next_id; /* 0 means "no task" (a free mutex) */
  t->id = next_id;
  for (n = 0; n < sizeof t->name - 1 && name[n]; n++) t->name[n] = name[n];
  t->fn = fn;
  t->arg = arg;
  t->state = WA__NEW;
  wa__waitq_init(&t->joiners);
  wa__timer_init(&t->sleep_timer, wa__sleep_timer_fired);
  t->all_next = all_head;
  if (all_head) all_head->all_prev = t;
  all_head = t;
  live_count++;
  wa__ready_push(t);
  return t;
}

wa_task *wa_spawn_opts(wa_fn fn, void *arg, const wa_task_opts *opts) {
  wa__task *t = wa__task_spawn(fn, arg, opts);
  return t ? wa__task_handle(t) : NULL;
}

wa_task *wa_spawn(wa_fn fn, void *arg) { return wa_spawn_opts(fn, arg, NULL); }

wa__task *wa__task_first(void) { return all_head; }

int wa_task_count(void) { return live_count; }

void wa__task_finish(wa__task *t, int status) {
  if (t->state == WA__DONE) return;
  t->state = WA__DONE;
  t->status = status;
  wa__timer_stop(&t->sleep_timer);
  wa__timeouts_drop(t);
  wa__waitq_wake_all(&t->joiners, 0);
  if (t->exit_hook) t->exit_hook(t, t->exit_ctx);
  if (t->host_token) wa__host_task_done(t->host_token, status);
}

void wa__task_free(wa__task *t) {
  if (t->all_prev) t->all_prev->all_next = t->all_next; else all_head = t->all_next;
  if (t->all_next) t->all_next->all_prev = t->all_prev;
  live_count--;
  wa__handle_release(t);
  if (t->last_error) free(t->last_error);
  wa__task_dealloc(t);
}

void wa_detach(wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  if (!t || t->detached || t->joined) return;
  t->detached = 1;
  if (t->state == WA__DONE && t != wa__cur) wa__task_free(t);
}

void wa_cancel(wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  if (!t || t->state == WA__DONE) return;
  t->cancel_requested = 1;
  if (t->state != WA__NEW) wa__interrupt(t, WA_ECANCELED);
}

/* Abandons a join: t keeps running on its own, cancelled, and frees itself. */
static void cancel_and_detach(wa__task *t) {
  t->joined = 0;
  wa_cancel(wa__task_handle(t));
  wa_detach(wa__task_handle(t));
}

static int joinable(const wa__task *t) { return t && !t->detached && !t->joined && t != wa__cur; }

/* Joins t, which the caller has checked is joinable (or has marked joined
 * itself); see wa_join. WA_ENOTASK leaves t as it was. */
static int join_task(wa__task *t) {
  int rc;
  if (t->state != WA__DONE) {
    rc = wa__await_begin();
    if (rc == WA_ENOTASK) return rc;
    t->joined = 1;
    if (rc == 0) rc = wa__waitq_wait(&t->joiners, "join", t);
    if (rc != 0) {
      cancel_and_detach(t);
      return rc;
    }
  }
  rc = t->status;
  wa__task_free(t);
  return rc;
}

int wa_join(wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return joinable(t) ? join_task(t) : WA_EINVAL;
}

/* Waits until t is done (t stays joined and unconsumed): 0, WA_ENOTASK
 * outside a task, or the code that interrupted the caller's wait. */
static int wait_done(wa__task *t) {
  int rc = wa__await_begin();
  if (rc == 0 && t->state != WA__DONE) rc = wa__waitq_wait(&t->joiners, "join", t);
  return rc;
}

/* Every handle is marked joined before the first wait, so no other task
 * can join or detach (and so free) one while this call waits: each handle
 * stays valid until this call consumes it. The call waits for the last
 * unfinished task first: tasks spawned together finish in about the order
 * they were spawned (the ready queue is FIFO), so one wait usually covers
 * them all, and a tree of spawns costs one switch per node, not one per
 * child. Nothing is consumed until all are done; statuses are then read
 * in array order. */
int wa_join_all(wa_task **hs, int n) {
  int i, j, rc, first = 0;
  if (n < 0 || (n > 0 && !hs)) return WA_EINVAL;
  for (i = 0; i < n; i++) {
    wa__task *t = wa__task_from_handle(hs[i]);
    if (!joinable(t)) { /* stale, detached, joined, our own, or repeated */
      for (j = 0; j < i; j++) wa__task_from_handle(hs[j])->joined = 0;
      return WA_EINVAL;
    }
    t->joined = 1;
  }
  for (i = n - 1; i >= 0; i--) {
    wa__task *t = wa__task_from_handle(hs[i]);
    if (t->state == WA__DONE) continue;
    rc = wait_done(t);
    if (rc == WA_ENOTASK) break; /* the finished ones up to the first unfinished are consumed below */
    if (rc != 0) { /* our own wait was interrupted: none is consumed yet */
      for (j = 0; j < n; j++) cancel_and_detach(wa__task_from_handle(hs[j]));
      return rc;
    }
  }
  for (i = 0; i < n; i++) {
    wa__task *t = wa__task_from_handle(hs[i]);
    if (t->state != WA__DONE) { /* outside a task */
      for (j = i; j < n; j++) wa__task_from_handle(hs[j])->joined = 0;
      return WA_ENOTASK;
    }
    rc = t->status;
    wa__task_free(t);
    if (rc != 0 && first == 0) first = rc;
  }
  return first;
}

static int first_done(wa_task **hs, int n) {
  for (int i = 0; i < n; i++) {
    wa__task *t = wa__task_from_handle(hs[i]);
    if (t && t->state == WA__DONE) return i;
  }
  return -1;
}

int wa_join_any(wa_task **hs, int n, int *idx) {
  int i, rc, k;
  wa__wait_node small[8], *nodes = small;
  if (idx) *idx = -1;
  if (n <= 0 || !hs) return WA_EINVAL;
  for (i = 0; i < n; i++) {
    if (!joinable(wa__task_from_handle(hs[i]))) return WA_EINVAL;
  }
  k = first_done(hs, n);
  if (k < 0) {
    rc = wa__await_begin();
    if (rc) return rc;
    if (n > 8 && !(nodes = wa__realloc_n(NULL, (size_t)n, sizeof *nodes))) return WA_ENOMEM;
    for (i = 0; i < n; i++) {
      wa__task *t = wa__task_from_handle(hs[i]);
      wa__wait_on(&nodes[i], &t->joiners, NULL);
      nodes[i].id = i; /* the first to finish wakes us with its index */
      t->joined = 1;
    }
    k = wa__wait("join any", hs);
    for (i = 0; i < n; i++) wa__task_from_handle(hs[i])->joined = 0;
    if (nodes != small) free(nodes);
    if (k < 0) return k;
  }
  if (idx) *idx = k;
  return wa_join(hs[k]);
}

static int yield_prepare(wa__task *t) {
  int rc = wa__await_begin();
  if (rc) return rc;
  t->wake_code = 0;
  t->state = WA__READY;
  wa__ready_push(t);
  return WA__SUSPEND;
}

/* All the work happens in yield_prepare, on the way out: wa_yield itself
 * keeps nothing across the switch, so it costs the backend no saved frame. */
int wa_yield(void) { return wa__ctx_switch_out(wa__cur, yield_prepare); }

/* The task is finished on its own stack, before it leaves it: each
 * backend's suspend then hands control back as for any suspend, and the
 * scheduler (wa__sched_ran) frees a detached task it finds DONE. */
static int exit_prepare(wa__task *t) {
  wa__task_finish(t, t->status);
  return WA__SUSPEND;
}

int wa__task_exit(int status) {
  wa__task *t = wa__cur;
  if (!t || wa__host_reentered) return WA_ENOTASK;
  t->status = status;
  (void)wa__ctx_switch_out(t, exit_prepare);
  abort(); /* a finished task is never resumed */
}

wa_task *wa_current(void) { return wa__cur ? wa__task_handle(wa__cur) : NULL; }

uint32_t wa_task_id(const wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return t ? t->id : 0;
}

size_t wa_task_stack_size(const wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return t ? wa__ctx_stack_size(t) : 0;
}

size_t wa_task_stack_used(const wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return t ? wa__ctx_stack_used(t) : 0;
}

const char *wa_task_name(const wa_task *h) {
  wa__task *t = wa__task_from_handle(h);
  return t ? t->name : "";
}

int wa_select_result(void) { return wa__cur ? wa__cur->select_result : 0; }

/* task.c — task lifetime: spawn, join, detach, cancel, sleep, yield.
 *
 * Public handles are numbers, not pointers, so a handle that was already
 * joined, or a task freed after detaching, is recognised and rejected with
 * WA_EINVAL instead of touching freed memory. Handles are issued in
 * sequence, so a value comes back only after 2^32 - 1 further spawns (one
 * whose slot is taken is skipped); a table (open addressing, linear
 * probing, keyed by the handle's low bits: see handle_home) maps
 * them to live tasks. It grows with the tasks alive at once and shrinks back
 * as they end, so a long run of spawns, or a burst, leaves it flat. */
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

typedef struct {
  uint32_t handle; /* 0: empty */
  wa__task *task;
} handle_entry;

static handle_entry *handles;
static uint32_t handle_mask, handle_len; /* capacity - 1 (0: none yet), entries in use */
static uint32_t handle_displaced;         /* entries not in their home slot (after a shrink) */
static uint32_t last_handle;
static uint32_t next_id;
static wa__task *all_head;
static int live_count;
static char outside_error[256];

/* Handle h's home slot: its low bits. A new handle is the next number of
 * the sequence whose home slot is free (handle_alloc skips the others), so
 * a task's entry sits at its home and a lookup, a spawn or a join touches
 * one slot, next to its neighbours': a hash would scatter consecutive
 * handles over the table, a cache miss each (spawn+join twice as slow).
 * Probing is left for the entries a shrink (handle_fit) displaced. */
static uint32_t handle_home(uint32_t h) { return h & handle_mask; }

/* The entry for handle h (non-zero), or the empty one where it would go. */
static handle_entry *handle_find(uint32_t h) {
  uint32_t i = handle_home(h);
  while (handles[i].handle && handles[i].handle != h) i = (i + 1) & handle_mask;
  return &handles[i];
}

/* Rehashes the table into cap entries (a power of two, at least twice the
 * entries in use); WA_ENOMEM, the table unchanged, if it cannot. */
static int handle_resize(uint32_t cap) {
  uint32_t old = handles ? handle_mask + 1 : 0;
  handle_entry *old_tab = handles, *tab;
  /* calloc checks cap * sizeof *tab */
  if (cap > ((uint32_t)1 << 30) || !(tab = calloc(cap, sizeof *tab))) return WA_ENOMEM;
  handles = tab;
  handle_mask = cap - 1;
  handle_displaced = 0;
  for (uint32_t i = 0; i < old; i++) {
    if (!old_tab[i].handle) continue;
    handle_entry *e = handle_find(old_tab[i].handle);
    *e = old_tab[i];
    handle_displaced += (uint32_t)(e - handles) != handle_home(e->handle);
  }
  free(old_tab);
  return 0;
}

/* Doubles the table (256 entries at first). */
static int handle_grow(void) { return handle_resize(handles ? (handle_mask + 1) * 2 : 256); }

/* Gives back what a burst of tasks grew the table to: the smallest size,
 * 256 entries at least, that is at most a quarter full (not half, so that
 * a count going up and down around a size does not rehash back and
 * forth). A failed allocation keeps the larger table. */
static void handle_fit(void) {
  uint32_t cap = 256;
  while ((handle_len + 1) * 4 > cap) cap *= 2;
  if (handles && cap < handle_mask + 1) (void)handle_resize(cap);
}

static int handle_alloc(wa__task *t) {
  handle_entry *e;
  uint32_t h;
  /* at most half full: probes stay short, and an empty entry always exists */
  if ((handle_len + 1) * 2 > (handles ? handle_mask + 1 : 0) && handle_grow() < 0) return WA_ENOMEM;
  do {
    h = ++last_handle;
  } while (h == 0 || handles[handle_home(h)].handle || (e = handle_find(h))->handle);
  e->handle = h;
  e->task = t;
  handle_len++;
  t->handle = h;
  return 0;
}

/* Removes t's entry. While every entry sits in its home slot (always, but
 * after a shrink that displaced some) that is all; else later entries of
 * its probe run move back so that every lookup still finds its entry
 * before an empty one. */
static void handle_remove(wa__task *t) {
  handle_entry *e = handle_find(t->handle);
  uint32_t i = (uint32_t)(e - handles), j = i;
  t->handle = 0;
  handle_len--;
  if (i != handle_home(e->handle)) handle_displaced--;
  if (!handle_displaced) {
    e->handle = 0;
    return;
  }
  for (;;) {
    handles[i].handle = 0;
    for (;;) {
      uint32_t home;
      j = (j + 1) & handle_mask;
      if (!handles[j].handle) return;
      home = handle_home(handles[j].handle);
      /* j's entry may move to i unless its home lies cyclically in (i, j] */
      if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
    }
    handles[i] = handles[j];
    if (i == handle_home(handles[i].handle)) handle_displaced--;
    i = j;
  }
}

/* Removes t's entry; a table that a burst of tasks grew and that is now a
 * sixteenth full shrinks back (handle_fit), so memory follows the tasks
 * alive, whichever backend ends them and whenever. */
static void handle_release(wa__task *t) {
  handle_remove(t);
  if (handle_mask + 1 > 256 && handle_len * 16 <= handle_mask + 1) handle_fit();
}

wa__task *wa__task_from_handle(const wa_task *h) {
  uintptr_t v = (uintptr_t)h;
  handle_entry *e;
  if (v == 0 || v >> 16 >> 16 || !handles) return NULL; /* 0, or wider than a handle */
  e = handle_find((uint32_t)v);
  return e->handle ? e->task : NULL;
}

wa_task *wa__task_handle(const wa__task *t) { return (wa_task *)(uintptr_t)t->handle; }

wa__task *wa__task_first(void) { return all_head; }

int wa_task_count(void) { return live_count; }

uint32_t wa__task_slots(void) { return handles ? handle_mask + 1 : 0; }

static void wake_sleeper(wa__timer *timer) {
  wa__task *t = (wa__task *)((char *)timer - offsetof(wa__task, sleep_timer));
  wa__wake(t, 0);
}

__attribute__((weak)) size_t wa__stack_default = WA_STACK_DEFAULT;

/* ---- the cache of finished tasks ----------------------------------------------
 * A freed task keeps its stack block and context (wa__ctx_recycle) and
 * waits, struct and all, in a list for its exact stack_size, for the next
 * spawn of that size: a spawn+join then costs no allocation. Sizes are the
 * classes (a rounded-up stack would let a task that overflows its
 * stack_size run). Bound: the cache holds at most CACHE_FLOOR bytes, or,
 * while tasks come and go, as many bytes as were alive at once since the
 * scheduler was last idle (a finished task's block only goes back to the
 * cache, never beyond what the program had in use). When a tick ends with
 * no task ready, the cache is emptied: an idle program holds no memory
 * for tasks it has not spawned, and its heap in use (app.stats()) is what
 * its live objects need. Bytes counted per task: its stack_size plus the
 * task struct. */
#define CACHE_CLASSES 8
#define CACHE_FLOOR WA__TASK_CACHE_FLOOR

static struct {
  size_t stack;     /* 0: class unused */
  wa__task *head;   /* linked through next_ready */
} cache[CACHE_CLASSES];
static size_t cached_bytes, live_bytes, live_peak;

static size_t task_bytes(size_t stack) { return stack + sizeof(wa__task); }

/* A cached task of exactly this stack size, or NULL. */
static wa__task *cache_take(size_t stack) {
  for (int i = 0; i < CACHE_CLASSES; i++) {
    wa__task *t = cache[i].head;
    if (cache[i].stack != stack || !t) continue;
    cache[i].head = t->next_ready;
    cached_bytes -= task_bytes(stack);
    return t;
  }
  return NULL;
}

static void destroy_task(wa__task *t) {
  wa__ctx_destroy(t);
  free(t);
}

/* Keeps t (finished, its handle released) for reuse, or frees it. */
static void cache_put(wa__task *t) {
  size_t bytes = task_bytes(t->stack_size);
  size_t bound = live_peak > CACHE_FLOOR ? live_peak : CACHE_FLOOR;
  int free_class = -1;
  if (cached_bytes + bytes <= bound && wa__ctx_recycle(t) == 0) {
    for (int i = 0; i < CACHE_CLASSES; i++) {
      if (cache[i].stack == t->stack_size) {
        free_class = i;
        break;
      }
      if (free_class < 0 && !cache[i].head) free_class = i;
    }
    if (free_class >= 0) {
      cache[free_class].stack = t->stack_size;
      t->next_ready = cache[free_class].head;
      cache[free_class].head = t;
      cached_bytes += bytes;
      return;
    }
  }
  destroy_task(t);
}

void wa__task_cache_trim(void) {
  live_peak = live_bytes;
  for (int i = 0; i < CACHE_CLASSES; i++) {
    wa__task *t;
    while ((t = cache[i].head)) {
      cache[i].head = t->next_ready;
      cached_bytes -= task_bytes(t->stack_size);
      destroy_task(t);
    }
    cache[i].stack = 0;
  }
}

size_t wa__task_cache_bytes(void) { return cached_bytes; }

/* Zeroes a task with plain stores: a few hundred bytes, where a call to
 * memset (or, with bulk memory, the engine's memory.fill) costs more than
 * the stores: 15% of a spawn+join under Node 24. clang would turn the loop
 * back into memset without no_builtin; may_alias makes the word stores
 * legal on a struct of other types. */
#ifdef __clang__
#define WA__NO_MEMSET __attribute__((no_builtin("memset")))
#else
#define WA__NO_MEMSET
#endif
typedef uint64_t __attribute__((may_alias)) wa__word;
_Static_assert(_Alignof(wa__task) >= sizeof(wa__word), "a task is word-aligned");
WA__NO_MEMSET static void zero_task(wa__task *t) {
  wa__word *p = (wa__word *)(void *)t;
  for (size_t i = 0; i < sizeof *t / sizeof *p; i++) p[i] = 0;
  for (size_t i = sizeof *t / sizeof *p * sizeof *p; i < sizeof *t; i++) ((unsigned char *)t)[i] = 0;
}

/* A task of this stack size in its just-created state (NEW, not queued). */
static wa__task *task_new(size_t stack) {
  wa__task *t = cache_take(stack);
  struct wa__ctx *ctx;
  if (t) {
    ctx = t->ctx;
  } else {
    if (!(ctx = wa__ctx_create(stack))) return NULL;
    if (!(t = malloc(sizeof *t))) {
      wa__task tmp = {.ctx = ctx};
      wa__ctx_destroy(&tmp);
      return NULL;
    }
  }
  zero_task(t);
  t->ctx = ctx;
  t->stack_size = stack;
  return t;
}

wa__task *wa__task_spawn(wa_fn fn, void *arg, const wa_task_opts *opts) {
  size_t stack = opts && opts->stack_size ? opts->stack_size : wa__stack_default;
  const char *name = opts && opts->name ? opts->name : "task";
  wa__task *t;
  size_t n;
  /* Checked before any arithmetic on the size, so nothing can wrap. */
  if (!fn || stack < WA_STACK_MIN || stack > WA_STACK_MAX) return NULL;
  if (!(t = task_new(stack))) return NULL;
  if (handle_alloc(t) != 0) {
    cache_put(t);
    return NULL;
  }
  if (++next_id == 0) ++next_id; /* 0 means "no task" (a free mutex) */
  t->id = next_id;
  for (n = 0; n < sizeof t->name - 1 && name[n]; n++) t->name[n] = name[n];
  live_bytes += task_bytes(stack);
  if (live_bytes > live_peak) live_peak = live_bytes;
  t->fn = fn;
  t->arg = arg;
  t->state = WA__NEW;
  wa__waitq_init(&t->joiners);
  wa__timer_init(&t->sleep_timer, wake_sleeper);
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
  live_bytes -= task_bytes(t->stack_size);
  handle_release(t);
  if (t->last_error) free(t->last_error);
  cache_put(t);
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
int wa_yield(void) { return wa__ctx_suspend(wa__cur, yield_prepare); }

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
  (void)wa__ctx_suspend(t, exit_prepare);
  abort(); /* a finished task is never resumed */
}

int wa_sleep(int64_t ms) {
  wa__task *t = wa__cur;
  int rc;
  if (ms <= 0) return wa_yield();
  rc = wa__await_begin();
  if (rc) return rc;
  rc = wa__timer_start_in(&t->sleep_timer, ms);
  if (rc) return rc;
  return wa__wait("sleep", NULL); /* whatever ends the wait stops the timer */
}

/* The open scope of t whose expiry just interrupted it, or NULL: scopes
 * expire in deadline order, so it is the expired one with the latest
 * deadline (an earlier one may still be open, its expiry delivered). */
static wa_timeout *expired_scope(wa__task *t) {
  wa_timeout *last = NULL;
  for (wa_timeout *to = t->timeouts; to; to = to->outer)
    if (to->expired && (!last || to->timer.deadline > last->timer.deadline)) last = to;
  return last;
}

int wa__sleep_libc(int64_t deadline) {
  wa__task *t = wa__cur;
  int rc, keep_cancel;
  wa_timeout *keep_timeout;
  if (!t || wa__host_reentered) return WA_ENOTASK;
  /* Hide what an earlier libc sleep reported from this one's await. */
  keep_cancel = t->cancel_pending && t->cancel_reported;
  keep_timeout = t->timeout_pending && t->timeout_reported ? t->timeout_pending : NULL;
  if (keep_cancel) t->cancel_pending = 0;
  if (keep_timeout) t->timeout_pending = NULL;
  if (deadline <= wa__timer_now()) {
    rc = wa_yield();
  } else if (!(rc = wa__await_begin())) {
    rc = wa__timer_start(&t->sleep_timer, deadline);
    if (!rc) rc = wa__wait("sleep", NULL); /* whatever ends the wait stops the timer */
  }
  /* Nothing closes a scope of t while t sleeps: keep_timeout is still open. */
  if (keep_cancel) t->cancel_pending = 1;
  if (keep_timeout && !t->timeout_pending) {
    t->timeout_pending = keep_timeout;
    t->timeout_reported = 1;
  }
  if (rc == WA_ECANCELED) {
    t->cancel_pending = 1;
    t->cancel_reported = 1;
  } else if (rc == WA_ETIMEDOUT) {
    wa_timeout *to = expired_scope(t);
    if (to) {
      t->timeout_pending = to;
      t->timeout_reported = 1;
    }
  }
  return rc;
}

int64_t wa_now(void) { return (int64_t)wa__host_now(); }

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

void wa__set_last_error(wa__task *t, const char *msg, size_t len) {
  char *copy;
  if (!t) {
    if (len >= sizeof outside_error) len = sizeof outside_error - 1;
    memcpy(outside_error, msg, len);
    outside_error[len] = '\0';
    return;
  }
  copy = malloc(len + 1);
  if (!copy) return;
  memcpy(copy, msg, len);
  copy[len] = '\0';
  free(t->last_error);
  t->last_error = copy;
}

const char *wa_last_error(void) {
  if (!wa__cur) return outside_error;
  return wa__cur->last_error ? wa__cur->last_error : "";
}

int wa_select_result(void) { return wa__cur ? wa__cur->select_result : 0; }

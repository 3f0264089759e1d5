/* task_cache.c — where a task's memory comes from and goes back to: the
 * cache of finished tasks, and the count of task bytes alive that bounds it.
 *
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
#include <stdlib.h>
#include "internal.h"
#include "backend.h"

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

wa__task *wa__task_alloc(size_t stack) {
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
  live_bytes += task_bytes(stack);
  if (live_bytes > live_peak) live_peak = live_bytes;
  return t;
}

void wa__task_dealloc(wa__task *t) {
  live_bytes -= task_bytes(t->stack_size);
  cache_put(t);
}


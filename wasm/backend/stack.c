/* stack.c — the out-of-line half of stack.h, shared by both wasm
 * backends: the checker's limits function and the scheduler's own limits,
 * which the JS host hands over once at start-up (stack.js); the overflow
 * reports and the host's recovery when a task ran out of stack; the debug
 * builds' watch on writes through NULL; the slabs regions are carved from. */
#include <stdint.h>
#include <stdlib.h>
#include <emscripten/stack.h>
#include "internal.h"
#include "backend.h"
#include "host.h"
#include "stack.h"

void (*wa__stack_set_limits)(uintptr_t base, uintptr_t end);
uintptr_t wa__stack_main_base, wa__stack_main_end;
int wa__stack_canaries = 1;

void wa__backend_set_limits_fn(uintptr_t table_index) {
  wa__stack_set_limits = (void (*)(uintptr_t, uintptr_t))table_index;
  wa__stack_canaries = !wa__stack_set_limits;
  wa__stack_main_base = emscripten_stack_get_base();
  wa__stack_main_end = emscripten_stack_get_end();
}

/* The bounds ASan hands back, unused. Static, not locals: locals in memory
 * would give tell_asan a stack frame, checked against limits that are
 * already the new stack's while the stack pointer is still on the old one. */
static const void *asan_old_bottom;
static size_t asan_old_size;

static void tell_asan(uintptr_t bottom, uintptr_t top) {
  __sanitizer_start_switch_fiber(NULL, (const void *)bottom, top - bottom);
  __sanitizer_finish_switch_fiber(NULL, &asan_old_bottom, &asan_old_size);
}
void (*volatile wa__stack_tell_asan)(uintptr_t bottom, uintptr_t top) = tell_asan;

/* Debug builds: a write through NULL (or through a NULL struct pointer, at
 * a small offset) lands in the first bytes of memory, which Emscripten
 * leaves unused below GLOBAL_BASE (1024). They are filled with a pattern
 * at start-up and checked after every slice a task runs, so the report
 * names the task that wrote there. Word 0 holds Emscripten's own cookie
 * ('emsc'), so that ASSERTIONS' check of address 0 agrees. Not armed under
 * ASan (its shadow memory starts at 0) or SAFE_HEAP (which stops at the
 * write itself): the JS host calls wa__backend_watch_null only without
 * them (stack.js). Release builds keep no watch. */
#define NULL_PAGE_WORDS 16
#define EMSCRIPTEN_COOKIE 0x63736d65u
static int null_watched;

static uint32_t null_page_word(unsigned i) { return i ? 0x6e756c6cu ^ (i * 0x9e3779b9u) : EMSCRIPTEN_COOKIE; }

void wa__backend_watch_null(void) {
#if WA_DEBUG
  volatile uint32_t *page = (volatile uint32_t *)(uintptr_t)0;
  for (unsigned i = 0; i < NULL_PAGE_WORDS; i++) page[i] = null_page_word(i);
  null_watched = 1;
#endif
}

void wa__stack_check_null(const wa__task *t) {
  const volatile uint32_t *page = (const volatile uint32_t *)(uintptr_t)0;
  if (!null_watched) return;
  for (unsigned i = 0; i < NULL_PAGE_WORDS; i++) {
    if (page[i] != null_page_word(i)) {
      null_watched = 0;
      wa__report("fatal: task %u \"%s\" wrote through a NULL pointer (to address %u) while it ran last; "
                 "build with -sSAFE_HEAP=1 to stop at the write itself, with its stack; exiting",
                 t->id, t->name, i * 4);
      exit(FATAL_EXIT);
    }
  }
}

/* ---- overflows -------------------------------------------------------------- */

_Noreturn void wa__stack_fatal(wa__task *t, const char *which) {
  wa__task_overflowed(t, which, 0);
  wa__report("fatal: memory below task %u's stack was overwritten; exiting", t->id);
  exit(FATAL_EXIT);
}

void wa__stack_overflow_at_suspend(wa__task *t) {
  if (stack_damage(wa__ctx_region(t)) == 2) wa__stack_fatal(t, "C stack");
  wa__unpark(t); /* if the await point had parked it already */
}

/* Called by the JS host when an exception escaped the running task: the
 * stack check's (cause 0; requested is the stack pointer the failing frame
 * asked for), the JS engine's own call-stack limit (cause 1: recursion
 * deeper than the engine allows, whatever the task's stack_size), or a
 * "memory access out of bounds" trap (cause 2: without stack checks, an
 * overflow deep enough to run the stack pointer below address 0 in a
 * region that sits low in memory). deepest_sp is the stack pointer the
 * exception left behind (no epilogue ran): below the task's limit it means
 * the C stack overflowed, outside its region that memory of others was
 * overwritten (the runtime then names the task and exits 70). Returns 1 if
 * it ended the task, 0 if the exception is not a stack overflow of a task
 * (a trap outside any task, or with the stack pointer inside the task's
 * stack: a wild pointer, fatal for the host). The host has already put the
 * scheduler's stack limits and stack pointer back: this function must not
 * move the stack pointer itself, or it would free its own frame. The
 * switch the exception interrupted is forgotten (the backend's
 * wa__ctx_forget_switch), and so is the tick the task ran in. */
int wa__backend_recover(int cause, uintptr_t deepest_sp, uintptr_t requested) {
  wa__task *t = wa__cur;
  const wa__stack_region *r;
  int outside;
  wa__ctx_forget_switch();
  if (!t || !t->ctx) return 0;
  r = wa__ctx_region(t);
  outside = !stack_region_holds(r, deepest_sp);
  if (cause == 2 && !outside) return 0;
  if (stack_damage(r) == 2 || outside) wa__stack_fatal(t, "C stack");
  if (deepest_sp < r->limit) cause = 0; /* our stack ran out first */
  if (cause == 1)
    wa__report("task %u \"%s\" overflowed the JS engine's call stack (recursion too deep for "
               "the engine, whatever its stack_size)", t->id, t->name);
  else
    wa__task_overflowed(t, "C stack", requested && requested < r->hi ? (r->hi - requested) + (r->limit - r->lo) : 0);
  wa__sched_abandon_current(WA_EOVERFLOW);
  return 1;
}

size_t wa__ctx_stack_size(const wa__task *t) {
  const wa__stack_region *r = t->ctx ? wa__ctx_region(t) : NULL;
  return r ? r->hi - r->lo : 0;
}

size_t wa__ctx_stack_used(const wa__task *t) { return t->ctx ? wa__ctx_region(t)->used : 0; }

/* ---- slabs of stack regions (stack.h) ------------------------------------- */

#define SLAB_BYTES ((size_t)256 * 1024)
#define SLAB_REGIONS_MAX 32u

typedef struct slab_class slab_class;
typedef struct slab {
  struct slab *next, *prev; /* in its class's list of slabs with a free region */
  slab_class *cls;
  char *base;
  uint32_t free;  /* bit i: region i is free */
  uint32_t all;   /* the bits of every region */
} slab;

/* The slabs of one region size; freed with its last slab. */
struct slab_class {
  slab_class *next;
  size_t size;
  uint32_t regions; /* per slab */
  uint32_t slabs;   /* alive */
  slab *partial;    /* slabs with a free region */
};

static slab_class *classes;

static void partial_unlink(slab *b) {
  if (b->prev) b->prev->next = b->next; else b->cls->partial = b->next;
  if (b->next) b->next->prev = b->prev;
  b->next = b->prev = NULL;
}

static void partial_push(slab *b) {
  b->prev = NULL;
  b->next = b->cls->partial;
  if (b->next) b->next->prev = b;
  b->cls->partial = b;
}

static slab_class *class_for(size_t size) {
  slab_class *c;
  size_t n = SLAB_BYTES / size;
  for (c = classes; c; c = c->next)
    if (c->size == size) return c;
  if (!(c = calloc(1, sizeof *c))) return NULL;
  c->size = size;
  c->regions = n < 1 ? 1 : n > SLAB_REGIONS_MAX ? SLAB_REGIONS_MAX : (uint32_t)n;
  c->next = classes;
  classes = c;
  return c;
}

static void class_drop(slab_class *c) {
  slab_class **p = &classes;
  while (*p != c) p = &(*p)->next;
  *p = c->next;
  free(c);
}

void *wa__stack_region_alloc(size_t size, void **out) {
  slab_class *c = class_for(size);
  slab *b;
  uint32_t i;
  if (!c) return NULL;
  if (!(b = c->partial)) {
    if (!(b = calloc(1, sizeof *b)) || !(b->base = aligned_alloc(16, (size_t)c->regions * size))) {
      free(b);
      if (!c->slabs) class_drop(c);
      return NULL;
    }
    b->cls = c;
    b->all = b->free = c->regions == 32 ? UINT32_MAX : ((uint32_t)1 << c->regions) - 1;
    c->slabs++;
    partial_push(b);
  }
  i = (uint32_t)__builtin_ctz(b->free);
  b->free &= ~((uint32_t)1 << i);
  if (!b->free) partial_unlink(b);
  *out = b;
  return b->base + (size_t)i * size;
}

void wa__stack_region_free(void *region, void *handle) {
  slab *b = handle;
  slab_class *c = b->cls;
  uint32_t i = (uint32_t)(((char *)region - b->base) / c->size);
  int was_full = !b->free;
  b->free |= (uint32_t)1 << i;
  if (b->free == b->all) {
    if (!was_full) partial_unlink(b);
    free(b->base);
    free(b);
    if (!--c->slabs) class_drop(c);
  } else if (was_full) {
    partial_push(b);
  }
}

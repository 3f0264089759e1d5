/* stack.c — the state behind stack.h, shared by both wasm backends: the
 * checker's limits function and the scheduler's own limits, which the JS
 * host hands over once at start-up (stack.js). */
#include <stdint.h>
#include <stdlib.h>
#include <emscripten/stack.h>
#include "internal.h"
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

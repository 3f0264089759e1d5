/* stack.c — the state behind stack.h, shared by both wasm backends: the
 * checker's limits function and the scheduler's own limits, which the JS
 * host hands over once at start-up (stack.js). */
#include <stdint.h>
#include <stdlib.h>
#include <emscripten/stack.h>
#include "../internal.h"
#include "../host/host.h"
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

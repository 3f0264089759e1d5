/* asyncify.c — stack switching inside wasm with Binaryen's Asyncify.
 *
 * wa__ctx_run() is Asyncify's "bottom-most runtime" (it calls start_rewind
 * and stop_unwind, so Binaryen leaves it uninstrumented) and switch_out()
 * is the "top-most runtime" (start_unwind / stop_rewind). A switch between
 * two tasks is therefore a pure-wasm unwind into wa__ctx_run plus a rewind
 * out of it: no JavaScript runs.
 *
 * The task's function is called by wa__ctx_run through t->fn, a pointer
 * the optimizer cannot see through. The suspend primitive,
 * wa__ctx_switch_out, is called directly (through a function pointer it
 * cost V8 a table check per call, twice per switch: about 15% of a
 * channel hand-off), but must never be inlined: its caller would become
 * "runtime" code, lose its instrumentation and restart from the top on
 * every resume. LLVM is told so (noinline). Binaryen, which runs its
 * inliner before Asyncify, inlines a function only if it is tiny, or is
 * small and makes no calls, or has a single reference; switch_out is over
 * Binaryen's size limits and calls out, and it also sits in the function
 * table (switch_out_in_table, below), so none applies even to a library
 * whose only await point is one WA_ASYNC_JS call (tests/js/library.test.mjs
 * builds one: without the table entry it breaks).
 * tests/c/test_stack.c (suspend_primitive_is_not_inlined) keeps this
 * honest on every toolchain of the matrix.
 *
 * Await points do their bookkeeping before calling switch_out (every wait
 * parks the task itself and passes no callback) or in it (wa_yield's
 * prepare callback, before the unwind), and get their result as its
 * return value (after the rewind), so a wa_yield() in user code costs one
 * instrumented frame: the user's own.
 *
 * Memory: each task owns one block, [region | ctx]. In the region the C
 * stack grows down from the top (hi) and the Asyncify save area grows up
 * from the bottom (lo), so a task pays for one budget, stack_size. The ctx
 * sits above the region, where a C-stack overflow (which runs downwards)
 * cannot reach it, and the core allocates the task struct after the block.
 *
 * Overflow checks (README "Stack overflow") are the region's (stack.h):
 * the per-function check with its limits switched with the task, or, in
 * --no-stack-check builds, two canaries checked whenever the task suspends
 * and when its function returns. The save area is checked after every
 * unwind: past its end it is an overflow of the task's budget, past the
 * region's top one that left the block (the runtime names the task and
 * exits, 70).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten.h>
#include "internal.h"
#include "backend.h"
#include "host.h"
#include "stack.h"
#include "asyncify.h"

__attribute__((import_module("asyncify"), import_name("start_unwind"))) void wa__as_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind"))) void wa__as_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind"))) void wa__as_start_rewind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_rewind"))) void wa__as_stop_rewind(void);

struct wa__ctx {
  /* Asyncify's data structure: must come first, in this order. The save
   * area grows up from the region's bottom, above its canary. */
  uintptr_t save_cur;
  uintptr_t save_end;
  wa__stack_region region;
  void *block;       /* what to free */
  int started;
  int overflowed;
  uint32_t import_key; /* parked from a JS import: its key (wa__ctx_import_park), else 0 */
};

static int unwinding, rewinding;

wa__stack_region *wa__ctx_region(const wa__task *t) { return &t->ctx->region; }

void wa__ctx_forget_switch(void) {
  if (rewinding) wa__as_stop_rewind();
  if (unwinding) wa__as_stop_unwind();
  unwinding = rewinding = 0;
}

/* The state of a block that no task has run on yet. */
static void fresh_start(struct wa__ctx *c) {
  c->started = 0;
  c->overflowed = 0;
  c->import_key = 0;
  stack_region_reset(&c->region);
}

/* A reference to the suspend primitive from the function table (see the
 * top of this file). The linker keeps it only if code reads it:
 * wa__ctx_create does. */
static int (*volatile switch_out_in_table)(wa__task *, wa__prepare_fn) = wa__ctx_switch_out;

struct wa__ctx *wa__ctx_create(size_t stack_size) {
  size_t ctx_size = (sizeof(struct wa__ctx) + 15u) & ~(size_t)15u;
  size_t bytes = stack_region_bytes(stack_size);
  struct wa__ctx *c;
  char *block;
  (void)switch_out_in_table; /* a volatile read: keeps the table entry */
  if (!bytes || !(block = aligned_alloc(16, bytes + ctx_size))) return NULL;
  c = (struct wa__ctx *)(block + bytes);
  c->block = block;
  stack_region_init(&c->region, (uintptr_t)block, bytes);
  fresh_start(c);
  return c;
}

int wa__ctx_recycle(wa__task *t) {
  fresh_start(t->ctx);
  return 0;
}

void wa__ctx_destroy(wa__task *t) {
  if (!t->ctx) return;
  free(t->ctx->block);
  t->ctx = NULL;
}

/* The re-entry protocol of JS imports (asyncify.js). A park reached from a
 * JS import (WA_ASYNC_JS, a cwrap call) unwinds through that import, which
 * sees wa__asyncify_unwinding() and returns at once; the resume calls the
 * import again, which asks wa__asyncify_resuming() for the key it parked
 * with and calls back into the same await point (wa__js_await) to finish
 * the rewind. The key is kept in the ctx, not in the wait fields: wa__wake
 * clears those when it wakes the task. */
void wa__ctx_import_park(wa__task *t, uint32_t key) { t->ctx->import_key = key; }
void wa__ctx_import_resumed(wa__task *t) { t->ctx->import_key = 0; }

/* 1 while the current task unwinds (it parked or yielded and is leaving
 * the stack); a JS import that called into C returns at once then. */
int wa__asyncify_unwinding(void) { return wa__cur && wa__cur->state != WA__RUNNING; }

/* Non-zero (the key) while the current task rewinds into a park made from
 * a JS import: woken, running again, its park not yet returned. */
uint32_t wa__asyncify_resuming(void) {
  wa__task *t = wa__cur;
  if (!t || t->state != WA__RUNNING || !t->ctx) return 0;
  return t->ctx->import_key;
}

/* After an unwind: the C frames (down to the saved stack pointer) plus the
 * save area (up from lo, canary included) are what the suspend needed. */
static void note_used(struct wa__ctx *c) {
  stack_note_used(&c->region, (c->region.hi - c->region.sp) + (c->save_cur - c->region.lo));
}

/* A damaged canary at suspend time (stack.c): the task must end (it is
 * unwound and never resumed). Through a pointer: switch_out has no frame. */
static void (*volatile overflow_at_suspend_ptr)(wa__task *) = wa__stack_overflow_at_suspend;

/* switch_out must have no stack frame of its own: on a resume it is called
 * again on the restored stack pointer, so a frame would be pushed twice and
 * popped once, leaking its size on every switch. It does only loads and
 * stores itself; anything that might need stack memory is called through
 * pointers the optimizer cannot inline. tests/c/test_stack.c (switches_keep_the_stack_pointer)
 * catches a regression. */
__attribute__((noinline)) int wa__ctx_switch_out(wa__task *t, wa__prepare_fn prepare) {
  struct wa__ctx *c;
  int rc;
  if (rewinding) {
    rewinding = 0;
    wa__as_stop_rewind();
    /* The save area is consumed: restore what the unwind may have covered. */
    stack_restore_limit_canary(&wa__cur->ctx->region);
    return wa__cur->wake_code;
  }
  if (t && !stack_canaries_intact(&t->ctx->region)) {
    overflow_at_suspend_ptr(t);
    c = t->ctx;
    c->overflowed = 1; /* unwind without prepare: it ends, never resumes */
  } else if (prepare) {
    rc = prepare(t);
    if (rc != WA__SUSPEND) return rc;
    c = t->ctx;
  } else {
    c = t->ctx; /* parked by the await point itself */
  }
  c->region.sp = wa__sp_get();
  c->save_cur = c->region.lo + CANARY_BYTES;
  c->save_end = c->region.sp & ~(uintptr_t)3u;
  unwinding = 1;
  wa__as_start_unwind(c);
  return 0; /* ignored: the caller is unwinding */
}

int wa__ctx_run(wa__task *t, int *status) {
  struct wa__ctx *c = t->ctx;
  wa__stack_region *r = &c->region;
  uintptr_t main_sp = wa__sp_get();
  int st, rc;
  /* The limits once, the stack pointer in each branch: the shape this
   * function had before stack.h, which bench rows c (spawn+join) and d
   * (a channel hand-off) measured no slower; one stack_enter before the
   * branch cost row d about 15%, one in each branch row c about 10%. */
  stack_enter_limits(r);
  if (c->started) {
    wa__sp_set(r->sp);
    rewinding = 1;
    wa__as_start_rewind(c);
  } else {
    c->started = 1;
    wa__sp_set(r->hi);
  }
  st = t->fn(t->arg); /* an indirect call: the first instrumented frame */
  if (unwinding) {
    unwinding = 0;
    if (c->save_cur > c->save_end) {
      size_t needed = (c->save_cur - r->lo) + (r->hi - r->sp);
      c->save_end = c->save_cur; /* keep stop_unwind's own check quiet */
      wa__as_stop_unwind();
      stack_leave(main_sp);
      if (c->save_cur > r->hi) wa__stack_fatal(t, "asyncify save area");
      wa__task_overflowed(t, "asyncify save area", needed);
      return WA_EOVERFLOW;
    }
    wa__as_stop_unwind();
    stack_leave(main_sp);
    stack_check_null(t);
    note_used(c);
    if (c->overflowed) {
      wa__task_overflowed(t, "C stack", 0);
      return WA_EOVERFLOW;
    }
    return 0;
  }
  stack_leave(main_sp);
  rc = stack_task_returned(t, r);
  if (rc == 1) *status = st;
  return rc;
}

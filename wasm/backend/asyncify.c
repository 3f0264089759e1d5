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
 * Overflow checks (README "Stack overflow"):
 *  - Builds with STACK_OVERFLOW_CHECK=2 (release and debug; all but
 *    `--no-stack-check`): see "Debug builds" below. No canaries: no frame
 *    can reach below the limit, so they would only cost two cache lines
 *    per task and two loads per suspend.
 *  - --no-stack-check release builds: two canaries, checked whenever the task suspends and
 *    when its function returns. The limit canary sits where the C stack's
 *    budget ends: if only it is damaged, the overflow stayed inside the
 *    task's own region and the task ends with WA_EOVERFLOW. The bottom
 *    canary sits at lo: if it is damaged, memory below the task's block may
 *    have been overwritten, so the runtime names the task and exits (70).
 *    The save area is checked after every unwind the same way.
 *  - Debug builds (and release, STACK_OVERFLOW_CHECK=2): every function that moves the
 *    stack pointer is checked against the running task's limits, which we
 *    switch with the task through __set_stack_limits; the JS handler throws
 *    and wa__backend_recover() ends the task with WA_EOVERFLOW before any
 *    byte outside its stack was written.
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

/* The C stack pointer, read and set in wasm (sp.S): no JS import. */
extern uintptr_t wa__sp_get(void);
extern void wa__sp_set(uintptr_t sp);

/* Bytes of the region the C stack may not use, so a task that suspends at
 * its deepest point still has room to save its frames. */
#define SAVE_RESERVE_MAX 1024u


struct wa__ctx {
  /* Asyncify's data structure: must come first, in this order. */
  uintptr_t save_cur;
  uintptr_t save_end;
  uintptr_t lo, hi;  /* the region: [lo, hi); the bottom canary is at lo */
  uintptr_t sp;      /* saved stack pointer while suspended */
  uintptr_t limit;   /* lowest stack pointer the C stack may reach */
  void *block;       /* what to free */
  int started;
  int overflowed;
  size_t used;       /* most of the region used at a suspend (wa_task_stack_used) */
  uint32_t import_key; /* parked from a JS import: its key (wa__ctx_import_park), else 0 */
};

static int unwinding, rewinding;


/* 0 if intact, 1 if the overflow stayed in the region, 2 if it left it. */
static int ctx_damage(const struct wa__ctx *c) { return stack_damage(c->lo, c->limit); }


/* The state of a block that no task has run on yet. */
static void fresh_start(struct wa__ctx *c) {
  c->started = 0;
  c->overflowed = 0;
  c->used = 0;
  c->import_key = 0;
  c->sp = c->hi;
  stack_write_canaries(c->lo, c->limit);
}

/* A reference to the suspend primitive from the function table (see the
 * top of this file). The linker keeps it only if code reads it:
 * wa__ctx_create does. */
static int (*volatile switch_out_in_table)(wa__task *, wa__prepare_fn) = wa__ctx_switch_out;

struct wa__ctx *wa__ctx_create(size_t stack_size) {
  size_t reserve = stack_size / 4 < SAVE_RESERVE_MAX ? stack_size / 4 : SAVE_RESERVE_MAX;
  size_t ctx_size = (sizeof(struct wa__ctx) + 15u) & ~(size_t)15u;
  struct wa__ctx *c;
  char *block;
  (void)switch_out_in_table; /* a volatile read: keeps the table entry */
  if (stack_size > SIZE_MAX - 15u - ctx_size) return NULL; /* would wrap */
  stack_size = (stack_size + 15u) & ~(size_t)15u;
  block = aligned_alloc(16, stack_size + ctx_size);
  if (!block) return NULL;
  c = (struct wa__ctx *)(block + stack_size);
  c->block = block;
  c->lo = (uintptr_t)block;
  c->hi = c->lo + stack_size;
  c->limit = c->lo + reserve;
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

size_t wa__ctx_stack_size(const wa__task *t) { return t->ctx ? t->ctx->hi - t->ctx->lo : 0; }

size_t wa__ctx_stack_used(const wa__task *t) { return t->ctx ? t->ctx->used : 0; }

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
  size_t used = (c->hi - c->sp) + (c->save_cur - c->lo);
  if (used > c->used) c->used = used;
}

/* A damaged canary at suspend time: exits if the overflow left the task's
 * block; otherwise the task must end (it is unwound and never resumed). */
static void overflow_at_suspend(wa__task *t) {
  if (ctx_damage(t->ctx) == 2) fatal_overflow(t, "C stack");
  wa__unpark(t); /* if the await point had parked it already */
}
static void (*volatile overflow_at_suspend_ptr)(wa__task *) = overflow_at_suspend;

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
    stack_restore_limit_canary(wa__cur->ctx->limit);
    return wa__cur->wake_code;
  }
  if (t && !stack_canaries_intact(t->ctx->lo, t->ctx->limit)) {
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
  c->sp = wa__sp_get();
  c->save_cur = c->lo + CANARY_BYTES;
  c->save_end = c->sp & ~(uintptr_t)3u;
  unwinding = 1;
  wa__as_start_unwind(c);
  return 0; /* ignored: the caller is unwinding */
}


int wa__ctx_run(wa__task *t, int *status) {
  struct wa__ctx *c = t->ctx;
  uintptr_t main_sp = wa__sp_get();
  int st;
  stack_limits_for_task(c->hi, c->limit);
  if (c->started) {
    wa__sp_set(c->sp);
    rewinding = 1;
    wa__as_start_rewind(c);
  } else {
    c->started = 1;
    wa__sp_set(c->hi);
  }
  st = t->fn(t->arg); /* an indirect call: the first instrumented frame */
  if (unwinding) {
    unwinding = 0;
    if (c->save_cur > c->save_end) {
      size_t needed = (c->save_cur - c->lo) + (c->hi - c->sp);
      c->save_end = c->save_cur; /* keep stop_unwind's own check quiet */
      wa__as_stop_unwind();
      stack_limits_for_scheduler();
      wa__sp_set(main_sp);
      if (c->save_cur > c->hi) fatal_overflow(t, "asyncify save area");
      wa__task_overflowed(t, "asyncify save area", needed);
      return WA_EOVERFLOW;
    }
    wa__as_stop_unwind();
    stack_limits_for_scheduler();
    wa__sp_set(main_sp);
    stack_check_null(t);
    note_used(c);
    if (c->overflowed) {
      wa__task_overflowed(t, "C stack", 0);
      return WA_EOVERFLOW;
    }
    return 0;
  }
  stack_limits_for_scheduler();
  wa__sp_set(main_sp);
  stack_check_null(t);
  switch (ctx_damage(c)) {
    case 2: fatal_overflow(t, "C stack"); break;
    case 1: wa__task_overflowed(t, "C stack", 0); return WA_EOVERFLOW;
    default: break;
  }
  *status = st;
  return 1;
}

/* Called by the JS host when an exception escaped the running task: the
 * stack check's (cause 0; requested is the stack pointer the failing frame
 * asked for), the JS engine's own call-stack limit (cause 1: recursion
 * deeper than the engine allows, whatever the task's stack_size), or a
 * "memory access out of bounds" trap (cause 2: without stack checks, an
 * overflow deep enough to run the stack pointer below address 0 in a
 * block that sits low in memory). deepest_sp is the stack pointer the
 * exception left behind (no epilogue ran): below the task's limit it means
 * the C stack overflowed, outside its block that memory of others was
 * overwritten (the runtime then names the task and exits 70). Returns 1 if
 * it ended the task, 0 if the exception is not a stack overflow of a task
 * (a trap outside any task, or with the stack pointer inside the task's
 * stack: a wild pointer, fatal for the host). The host has already put the
 * scheduler's stack limits and stack pointer back: this function must not
 * move the stack pointer itself, or it would free its own frame. */
int wa__backend_recover(int cause, uintptr_t deepest_sp, uintptr_t requested) {
  wa__task *t = wa__cur;
  struct wa__ctx *c;
  int outside;
  if (!t || !t->ctx) return 0;
  c = t->ctx;
  outside = deepest_sp < c->lo || deepest_sp > c->hi;
  if (cause == 2 && !outside) return 0;
  if (rewinding) wa__as_stop_rewind();
  if (unwinding) wa__as_stop_unwind();
  unwinding = rewinding = 0;
  if (ctx_damage(c) == 2 || outside) fatal_overflow(t, "C stack");
  if (deepest_sp < c->limit) cause = 0; /* our stack ran out first */
  if (cause == 1)
    wa__report("task %u \"%s\" overflowed the JS engine's call stack (recursion too deep for "
               "the engine, whatever its stack_size)", t->id, t->name);
  else
    wa__task_overflowed(t, "C stack", requested && requested < c->hi ? (c->hi - requested) + (c->limit - c->lo) : 0);
  wa__sched_abandon_current(WA_EOVERFLOW);
  return 1;
}

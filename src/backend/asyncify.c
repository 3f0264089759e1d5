/* asyncify.c — stack switching inside wasm with Binaryen's Asyncify.
 *
 * wa__ctx_run() is Asyncify's "bottom-most runtime" (it calls start_rewind
 * and stop_unwind, so Binaryen leaves it uninstrumented) and switch_out()
 * is the "top-most runtime" (start_unwind / stop_rewind). A switch between
 * two tasks is therefore a pure-wasm unwind into wa__ctx_run plus a rewind
 * out of it: no JavaScript runs.
 *
 * Both the task trampoline and switch_out are reached through pointers the
 * optimizer cannot see through (volatile): if Binaryen inlined the
 * trampoline into wa__ctx_run, or switch_out into its caller, that code
 * would become "runtime" code, lose its instrumentation and restart from
 * the top on every resume. tests/c/test_asyncify_inline.c keeps this honest.
 *
 * Memory: each task owns one block, [ctx | region]. The C stack grows down
 * from the top of the region and the Asyncify save area grows up from its
 * bottom, so a task pays for one budget, stack_size. Overflow checks:
 *  - C stack: with -sSTACK_OVERFLOW_CHECK=2 (on in every wasync build) every
 *    function that moves the stack pointer is checked against the running
 *    task's limits, which we switch with the task; the JS handler throws,
 *    and wa__asyncify_recover() ends the task with WA_EOVERFLOW.
 *  - Save area: Binaryen does not check while unwinding, so wa__ctx_run
 *    compares the save pointer with the task's stack pointer afterwards. A
 *    collision only damaged the task's own region: it ends with
 *    WA_EOVERFLOW. A save area that ran past the whole region damaged
 *    memory beyond it: reported by name, then abort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <emscripten.h>
#include <emscripten/stack.h>
#include "../internal.h"
#include "../backend.h"

__attribute__((import_module("asyncify"), import_name("start_unwind"))) void wa__as_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind"))) void wa__as_stop_unwind(void);
__attribute__((import_module("asyncify"), import_name("start_rewind"))) void wa__as_start_rewind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_rewind"))) void wa__as_stop_rewind(void);

/* From Emscripten's compiler-rt (stack_ops.S). */
extern uintptr_t stackSave(void);
extern void stackRestore(uintptr_t sp);

/* Bytes of the region the C stack may not use, so a task that suspends at
 * its deepest point still has room to save its frames. */
#define SAVE_RESERVE_MAX 1024u

struct wa__ctx {
  /* Asyncify's data structure: must come first, in this order. */
  uintptr_t save_cur;
  uintptr_t save_end;
  uintptr_t lo, hi;  /* the region: [lo, hi) */
  uintptr_t sp;      /* saved stack pointer while suspended */
  uintptr_t limit;   /* lowest stack pointer the C stack may reach */
  int started;
};

static int unwinding, rewinding;
static uintptr_t main_base, main_end;
/* __set_stack_limits from STACK_OVERFLOW_CHECK=2, put in the table by the
 * JS host at start-up; NULL when the build has no per-function checks. */
static void (*set_limits)(uintptr_t base, uintptr_t end);

EMSCRIPTEN_KEEPALIVE void wa__asyncify_set_limits_fn(uintptr_t table_index) {
  set_limits = (void (*)(uintptr_t, uintptr_t))table_index;
  main_base = emscripten_stack_get_base();
  main_end = emscripten_stack_get_end();
}

/* With STACK_OVERFLOW_CHECK=2 even stackRestore() is checked against the
 * current limits: switch the limits first, then the stack pointer. */
static void limits_for(const struct wa__ctx *c) {
  emscripten_stack_set_limits((void *)c->hi, (void *)c->limit);
  if (set_limits) set_limits(c->hi, c->limit);
}

static void limits_for_scheduler(void) {
  if (!main_base) return;
  emscripten_stack_set_limits((void *)main_base, (void *)main_end);
  if (set_limits) set_limits(main_base, main_end);
}

int wa__ctx_create(wa__task *t, size_t stack_size) {
  size_t reserve = stack_size / 4 < SAVE_RESERVE_MAX ? stack_size / 4 : SAVE_RESERVE_MAX;
  struct wa__ctx *c;
  stack_size = (stack_size + 15u) & ~(size_t)15u;
  c = aligned_alloc(16, ((sizeof *c + 15u) & ~(size_t)15u) + stack_size);
  if (!c) return WA_ENOMEM;
  c->lo = ((uintptr_t)(c + 1) + 15u) & ~(uintptr_t)15u;
  c->hi = c->lo + stack_size;
  c->limit = c->lo + reserve;
  c->started = 0;
  c->sp = c->hi;
  t->ctx = c;
  return 0;
}

void wa__ctx_destroy(wa__task *t) {
  free(t->ctx);
  t->ctx = NULL;
}

size_t wa__ctx_stack_size(const wa__task *t) { return t->ctx ? t->ctx->hi - t->ctx->lo : 0; }

static void task_entry(wa__task *t) { wa__task_main(t); }
static void (*volatile task_entry_ptr)(wa__task *) = task_entry;

static void switch_out(struct wa__ctx *c) {
  uintptr_t sp;
  if (rewinding) {
    rewinding = 0;
    wa__as_stop_rewind();
    return;
  }
  sp = stackSave();
  c->sp = sp;
  c->save_cur = c->lo;
  c->save_end = sp & ~(uintptr_t)3u;
  unwinding = 1;
  wa__as_start_unwind(c);
}
static void (*volatile switch_out_ptr)(struct wa__ctx *) = switch_out;

void wa__ctx_suspend(wa__task *t) { switch_out_ptr(t->ctx); }

int wa__ctx_run(wa__task *t) {
  struct wa__ctx *c = t->ctx;
  uintptr_t main_sp = stackSave();
  int rc = 0;
  if (!main_base) {
    main_base = emscripten_stack_get_base();
    main_end = emscripten_stack_get_end();
  }
  limits_for(c);
  if (c->started) {
    stackRestore(c->sp);
    rewinding = 1;
    wa__as_start_rewind(c);
  } else {
    c->started = 1;
    stackRestore(c->hi);
  }
  task_entry_ptr(t);
  if (unwinding) {
    unwinding = 0;
    if (c->save_cur > c->save_end) {
      size_t needed = (c->save_cur - c->lo) + (c->hi - c->sp);
      c->save_end = c->save_cur; /* keep stop_unwind's own check quiet */
      wa__as_stop_unwind();
      limits_for_scheduler();
      stackRestore(main_sp);
      wa__task_overflowed(t, "asyncify save area", needed);
      if (c->save_cur > c->hi) {
        wa__report("fatal: memory past task %u's stack was overwritten; aborting", t->id);
        abort();
      }
      return WA_EOVERFLOW;
    }
    wa__as_stop_unwind();
  }
  limits_for_scheduler();
  stackRestore(main_sp);
  return rc;
}

/* Called by the JS host after a stack-overflow trap escaped the running
 * task: puts the scheduler back on its own stack and ends that task. */
EMSCRIPTEN_KEEPALIVE void wa__asyncify_recover(uintptr_t main_sp) {
  wa__task *t = wa__cur;
  unwinding = rewinding = 0;
  limits_for_scheduler();
  stackRestore(main_sp);
  if (t) {
    wa__task_overflowed(t, "C stack", 0);
    wa__sched_abandon_current(WA_EOVERFLOW);
  }
}

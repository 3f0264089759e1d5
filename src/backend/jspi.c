/* jspi.c — stack switching with JavaScript Promise Integration (JSPI).
 *
 * Built instead of asyncify.c by `wasync build --backend=jspi`; the core and
 * the C/JS API are the same. No Binaryen instrumentation: each task runs on
 * its own engine stack, the body of its own WebAssembly.promising() call of
 * wa__jspi_task_entry, and suspends through an import wrapped in
 * WebAssembly.Suspending (src/backend/jspi.js):
 *  - the scheduler loop stays in C (sched.c). The host runs every tick
 *    inside promising() too, so that the scheduler itself can wait;
 *  - first start: wa__jspi_start (Suspending) calls the task's promising
 *    entry, which runs synchronously until the task first suspends or ends:
 *    no hand-off through the event loop;
 *  - resume: wa__jspi_resume (Suspending) resolves the promise the task is
 *    suspended on and suspends the scheduler until the task suspends again,
 *    ends or throws: two promise reactions, whatever the stack depth. A
 *    switch goes through JavaScript here, which the Asyncify backend never
 *    does; that is what JSPI costs.
 *
 * Emscripten's own JSPI glue does not switch the C shadow stack: a task
 * suspended with frames on it would have them overwritten by the next one.
 * Each task therefore owns a region [lo, hi) for its C stack and this file
 * moves __stack_pointer (sp.S, pure wasm) on every start, resume
 * and return to the scheduler. The ctx sits above the region, where an
 * overflow (which runs downwards) cannot reach it.
 *
 * Overflow checks are Asyncify's (README "Stack overflow"): builds with the
 * per-function check (all but --no-stack-check) switch the checker's limits
 * with the task; --no-stack-check builds keep a limit canary where the C
 * stack's budget ends and a bottom canary at lo, checked when the task
 * suspends and when it ends; an exception out of a task (the checker's
 * or the engine's RangeError) rejects the task's promise, is rethrown into
 * the scheduler's wait and reaches the host's recovery, which calls
 * wa__backend_recover below (shared with asyncify.c, so is the JS glue:
 * src/backend/stack.js).
 *
 * WA_ASYNC_JS and cwrap calls call C from a JS import; JSPI cannot suspend
 * through a JS frame, so those imports are Suspending themselves: the JS
 * side asks for a deferred suspend (wa__jspi_defer_next), the park returns
 * to JS, which returns the promise to the engine (src/backend/jspi.js).
 * Nothing unwinds through those imports, so wa__ctx_import_park has
 * nothing to do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten.h>
#include "../internal.h"
#include "../backend.h"
#include "../host/host.h"
#include "stack.h"
#include "jspi.h"

/* The imports from src/backend/jspi.js are in jspi.h (WA_JSPI_*):
 * start, resume and suspend are Suspending; park is a deferred suspend
 * (it returns). */

extern uintptr_t wa__sp_get(void);
extern void wa__sp_set(uintptr_t sp);

/* Below the limit canary: room for the frames a suspend itself needs. */
#define RESERVE_MAX 1024u

struct wa__ctx {
  uintptr_t lo, hi;  /* the region: [lo, hi); the bottom canary is at lo */
  uintptr_t sp;      /* saved stack pointer while suspended */
  uintptr_t limit;   /* lowest stack pointer the C stack may reach */
  void *block;
  size_t used;       /* the most of the region a suspend has seen in use */
  int started;
  int finished;
  int overflowed;
  int status;
};

static int defer_next;

/* 0 if intact, 1 if the overflow stayed in the region, 2 if it left it. */
static int ctx_damage(const struct wa__ctx *c) { return stack_damage(c->lo, c->limit); }


/* The state of a block that no task has run on yet. */
static void fresh_start(struct wa__ctx *c) {
  c->sp = c->hi;
  c->used = 0;
  c->started = c->finished = c->overflowed = c->status = 0;
  stack_write_canaries(c->lo, c->limit);
}

struct wa__ctx *wa__ctx_create(size_t stack_size) {
  size_t reserve = stack_size / 4 < RESERVE_MAX ? stack_size / 4 : RESERVE_MAX;
  size_t ctx_size = (sizeof(struct wa__ctx) + 15u) & ~(size_t)15u;
  struct wa__ctx *c;
  char *block;
  stack_size = (stack_size + 15u) & ~(size_t)15u;
  if (reserve < 2 * CANARY_BYTES) reserve = 2 * CANARY_BYTES;
  block = aligned_alloc(16, stack_size + ctx_size);
  if (!block) return NULL;
  c = (struct wa__ctx *)(block + stack_size);
  memset(c, 0, sizeof *c);
  c->block = block;
  c->lo = (uintptr_t)block;
  c->hi = c->lo + stack_size;
  c->limit = c->lo + reserve;
  fresh_start(c);
  return c;
}

void wa__ctx_destroy(wa__task *t) {
  if (!t->ctx) return;
  /* A task that never ends (overflowed, or freed while suspended) leaves
   * its engine stack waiting on a promise nobody holds: the GC takes it. */
  if (t->ctx->started) wa__jspi_forget(t);
  free(t->ctx->block);
  t->ctx = NULL;
}

/* Only a task whose function returned has no engine stack left waiting. */
int wa__ctx_recycle(wa__task *t) {
  struct wa__ctx *c = t->ctx;
  if (c->started && !c->finished) return -1;
  if (c->started) wa__jspi_forget(t); /* the next task reuses t's address */
  fresh_start(c);
  return 0;
}

size_t wa__ctx_stack_size(const wa__task *t) { return t->ctx ? t->ctx->hi - t->ctx->lo : 0; }
size_t wa__ctx_stack_used(const wa__task *t) { return t->ctx ? t->ctx->used : 0; }

void wa__ctx_import_park(wa__task *t, uint32_t key) {
  (void)t;
  (void)key;
}
void wa__ctx_import_resumed(wa__task *t) { (void)t; }

/* The body of each task's promising() call; runs on the task's C stack. */
void wa__jspi_task_entry(wa__task *t) {
  struct wa__ctx *c = t->ctx;
  c->status = t->fn(t->arg);
  c->finished = 1;
  wa__cur = NULL;
  wa__jspi_done(t);
}

/* The next suspend is made from a JS import (WA_ASYNC_JS, a cwrap call):
 * it parks and returns; the import hands JSPI the promise to wait on. */
void wa__jspi_defer_next(int on) { defer_next = on; }

/* A deferred suspend was resumed: the JS import goes on, in task t. */
int wa__jspi_resumed(wa__task *t) {
  wa__cur = t;
  return t->wake_code;
}

__attribute__((noinline)) int wa__ctx_switch_out(wa__task *t, wa__prepare_fn prepare) {
  struct wa__ctx *c;
  int rc, defer = defer_next;
  defer_next = 0;
  if (t && !stack_canaries_intact(t->ctx->lo, t->ctx->limit)) {
    if (ctx_damage(t->ctx) == 2) fatal_overflow(t, "C stack");
    wa__unpark(t); /* if the await point had parked it already */
    c = t->ctx;
    c->overflowed = 1; /* it suspends for good: never resumed */
  } else if (prepare) {
    rc = prepare(t);
    if (rc != WA__SUSPEND) return rc;
    c = t->ctx;
  } else {
    c = t->ctx; /* parked by the await point itself */
  }
  c->sp = wa__sp_get();
  if (c->hi - c->sp > c->used) c->used = c->hi - c->sp;
  wa__cur = NULL; /* between hand-offs no task runs */
  if (defer) {
    wa__jspi_park(t);
    return 0; /* ignored: the JS import returns the promise */
  }
  wa__jspi_suspend(t);
  /* Resumed: the scheduler has set this task's stack pointer and limits. */
  wa__cur = t;
  return t->wake_code;
}

int wa__ctx_run(wa__task *t, int *status) {
  struct wa__ctx *c = t->ctx;
  uintptr_t main_sp = wa__sp_get();
  stack_limits_for_task(c->hi, c->limit);
  if (!c->started) {
    c->started = 1;
    wa__sp_set(c->hi);
    wa__jspi_start(t);
  } else {
    wa__sp_set(c->sp);
    wa__cur = NULL;
    wa__jspi_resume(t);
  }
  wa__cur = t;
  stack_limits_for_scheduler();
  wa__sp_set(main_sp);
  stack_check_null(t);
  if (c->overflowed) {
    wa__task_overflowed(t, "C stack", 0);
    return WA_EOVERFLOW;
  }
  if (!c->finished) return 0;
  switch (ctx_damage(c)) {
    case 2: fatal_overflow(t, "C stack"); break;
    case 1: wa__task_overflowed(t, "C stack", 0); return WA_EOVERFLOW;
    default: break;
  }
  *status = c->status;
  return 1;
}

/* The host saw task t trap with the stack pointer at sp. If sp left t's
 * region, its C stack overflowed into memory below its block, where static
 * data lives (wa__cur, stdio's state, even the format strings): nothing
 * here reads it, and the host prints the report. t sits above its block
 * and is intact. Returns NULL if the trap was something else, else four
 * words written into t's dead stack: id, name, stack size, and 1 if t is
 * the main task (whose stack comes from `--stack-size`). */
uint32_t *wa__jspi_trapped(wa__task *t, uintptr_t sp) {
  struct wa__ctx *c = t->ctx;
  uint32_t *out = (uint32_t *)c->lo;
  if (sp >= c->lo && sp <= c->hi) return NULL;
  out[0] = t->id;
  out[1] = (uint32_t)(uintptr_t)t->name;
  out[2] = (uint32_t)(c->hi - c->lo);
  out[3] = t->is_main;
  return out;
}

/* The host's recovery when an exception escaped the running task (see
 * asyncify.c, whose contract this is: cause 0 the per-function stack
 * check, requested the stack pointer the failing frame asked for; 1 the
 * engine's call-stack limit; 2 an out-of-bounds trap). Returns 1 if it
 * ended the task, 0 if the exception is not a task's stack overflow. The
 * host has put the scheduler's limits and stack pointer back already. */
int wa__backend_recover(int cause, uintptr_t deepest_sp, uintptr_t requested) {
  wa__task *t = wa__cur;
  struct wa__ctx *c;
  int outside;
  defer_next = 0;
  if (!t || !t->ctx) return 0;
  c = t->ctx;
  outside = deepest_sp < c->lo || deepest_sp > c->hi;
  if (cause == 2 && !outside) return 0;
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

/* jspi.c — stack switching with JavaScript Promise Integration (JSPI).
 *
 * Built instead of asyncify.c by `wasync build --backend=jspi`; the core and
 * the C/JS API are the same. No Binaryen instrumentation: the engine keeps a
 * suspended task's frames on an engine stack of its own, and a task
 * suspends through an import wrapped in WebAssembly.Suspending
 * (wasm/backend/jspi.js).
 *
 * Carriers. An engine stack is a WebAssembly.promising() call of
 * wa__jspi_carrier, and it carries tasks as a thread of a pool does: it
 * runs a new task's function on itself, and when that returns it takes the
 * next new task instead of returning to JS. A task that never suspends (the
 * leaves of a spawn tree) therefore costs no engine stack and no promise at
 * all; a task that suspends keeps its carrier until it ends, and the next
 * new task gets an idle carrier (one whose task ended, waiting in the JS
 * half's pool: a promise reaction) or, if none waits, a fresh one (a
 * promising() call, about 3 us: several times a switch).
 *
 * No scheduler stack. The tick (sched.c) is carried on by whichever stack
 * runs when a task suspends or ends (backend.h, wa__ctx_run_tick): it asks
 * the core for the next task and
 *  - a new one runs on the carrier that just finished a task, or on an
 *    idle carrier, or on a new carrier the JS half starts at once;
 *  - a suspended one is resumed by resolving the promise its suspend
 *    returned, and the stack that resolved it suspends (or its carrier
 *    ends): one promise reaction per switch, the fewest JSPI allows (the
 *    old scheduler stack waited for every task: two).
 * So a tick may end on any stack, and between the reaction's queuing and
 * its run no task runs; wa__in_tick stays set, so that host callbacks in
 * that gap only wake tasks, which the tick then runs.
 *
 * The C stack. Emscripten's own JSPI glue does not switch the C shadow
 * stack: a task suspended with frames on it would have them overwritten
 * by the next one. Each task therefore owns a region [lo, hi) for its C
 * stack (in the core's cache of finished tasks, by exact size, as
 * Asyncify's), and this file moves __stack_pointer (sp.S, pure wasm):
 * into the region when the task starts or resumes, back to outer_sp (the
 * stack pointer of the JS that runs the engine stack, read on every entry)
 * when it suspends or ends. The carrier's own functions must have no
 * shadow-stack frame (a frame would sit below outer_sp, where JS running
 * while the carrier is suspended writes): they have only scalar locals,
 * and the rare paths that print are called through pointers no inliner
 * sees through. The region is carved from a slab (stack.h) and the ctx
 * lives apart, so that a task that never writes its C stack (its frames
 * are on the engine's stack) costs no resident page there; an overflow
 * below the region is caught by the checks below, as with Asyncify.
 *
 * Overflow checks are Asyncify's (README "Stack overflow"): builds with the
 * per-function check (all but --no-stack-check) switch the checker's limits
 * with the task (limits first, then the stack pointer: the check sees every
 * write of it); --no-stack-check builds keep a limit canary where the C
 * stack's budget ends and a bottom canary at lo, checked when the task
 * suspends and when it ends (stack.h); an exception out of a task (the
 * checker's or the engine's RangeError) rejects its carrier's promise and
 * reaches the host's recovery, which calls wa__backend_recover (stack.c,
 * shared with asyncify.c, as is the JS glue: wasm/backend/stack.js). The
 * task's carrier is gone with the exception; the tick it carried is
 * abandoned, and the next one starts afresh.
 *
 * WA_ASYNC_JS and cwrap calls call C from a JS import; JSPI cannot suspend
 * through a JS frame, so those imports are Suspending themselves: the JS
 * side asks for a deferred suspend (wa__jspi_defer_next), the park returns
 * to JS, which leaves the task's stack (wa__jspi_leave), hands the tick on
 * (wa__jspi_parked) and returns the promise to the engine
 * (wasm/backend/jspi.js). Nothing
 * unwinds through those imports, so wa__ctx_import_park has nothing to do.
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
#include "jspi.h"

/* The imports from wasm/backend/jspi.js are in jspi.h (WA_JSPI_*). */

/* The slot of a suspend that is never resumed (an overflowed task). */
#define NO_SLOT UINT32_MAX

struct wa__ctx {
  wa__stack_region region;
  void *slab;        /* the region's (stack.h) */
  uint32_t slot;     /* its entry in the JS half's table of resume resolvers */
  int started;       /* a carrier ran its task */
  int waiting;       /* suspended: the JS half holds a resolver in slot */
};

static int defer_next;
/* The task that suspended last (its await may be refused: wa__jspi_blame),
 * and whether a deferred park of it found its stack overflowed. */
static wa__task *last_out;
static int park_overflowed;
/* The stack pointer of the JS running the current engine stack: read when
 * a carrier starts and whenever a task resumes, put back whenever a task
 * leaves its C stack. */
static uintptr_t outer_sp;
/* Carriers waiting in the JS half's pool (wa__jspi_idle), and how many of
 * them an idle program keeps (the rest end: wa__jspi_trim). */
static uint32_t idle_carriers;
#define CARRIERS_KEPT 16

/* ---- slots: small integers naming each ctx to the JS half ----------------------
 * A resolver table indexed by slot is a dense array in JS (a Map keyed by
 * address would hash on every switch). Slots are made as ctxs are, and
 * given back to a free list that always has room for every slot made. */
static uint32_t *free_slots;
static uint32_t free_len, free_cap, slots_made;

static int slot_take(uint32_t *slot) {
  if (free_len) {
    *slot = free_slots[--free_len];
    return 0;
  }
  if (slots_made == free_cap) {
    uint32_t cap = free_cap ? free_cap * 2 : 256;
    uint32_t *grown;
    if (cap <= free_cap || !(grown = wa__realloc_n(free_slots, cap, sizeof *grown))) return WA_ENOMEM;
    free_slots = grown;
    free_cap = cap;
  }
  *slot = slots_made++;
  return 0;
}

static void slot_give(uint32_t slot) { free_slots[free_len++] = slot; }

wa__stack_region *wa__ctx_region(const wa__task *t) { return &t->ctx->region; }

void wa__ctx_forget_switch(void) { defer_next = 0; }

/* The state of a block that no task has run on yet. */
static void fresh_start(struct wa__ctx *c) {
  c->started = c->waiting = 0;
  stack_region_reset(&c->region);
}

/* The region comes from a slab (stack.h) and the ctx is a small block of
 * its own: a task whose C stack is never written (its frames live on the
 * engine's stack) then costs no resident page in the region. */
struct wa__ctx *wa__ctx_create(size_t stack_size) {
  size_t bytes = stack_region_bytes(stack_size);
  struct wa__ctx *c;
  char *region;
  if (!bytes || !(c = calloc(1, sizeof *c))) return NULL;
  if (slot_take(&c->slot) != 0) {
    free(c);
    return NULL;
  }
  if (!(region = wa__stack_region_alloc(bytes, &c->slab))) {
    slot_give(c->slot);
    free(c);
    return NULL;
  }
  stack_region_init(&c->region, (uintptr_t)region, bytes);
  fresh_start(c);
  return c;
}

/* A task freed while suspended for good (it overflowed): its engine stack
 * waits on a promise nobody will resolve; the JS half drops the resolver,
 * and the GC takes the stack. */
static void drop_waiting(struct wa__ctx *c) {
  if (c->waiting) wa__jspi_forget(c->slot);
  c->waiting = 0;
}

void wa__ctx_destroy(wa__task *t) {
  if (!t->ctx) return;
  drop_waiting(t->ctx);
  slot_give(t->ctx->slot);
  wa__stack_region_free((void *)t->ctx->region.lo, t->ctx->slab);
  free(t->ctx);
  t->ctx = NULL;
}

/* A task's carrier moves on when the task ends, so any block can be reused. */
int wa__ctx_recycle(wa__task *t) {
  drop_waiting(t->ctx);
  fresh_start(t->ctx);
  return 0;
}

void wa__ctx_import_park(wa__task *t, uint32_t key) {
  (void)t;
  (void)key;
}
void wa__ctx_import_resumed(wa__task *t) { (void)t; }

/* Leaves the running task's C stack for the JS one: limits first (the
 * per-function check sees every write of the stack pointer). */
static inline void enter_outer(void) { stack_leave(outer_sp); }

/* Enters t's C stack at sp, from the JS stack pointer in force now. */
static inline void enter_task(wa__task *t, uintptr_t sp) {
  outer_sp = wa__sp_get();
  stack_enter(&t->ctx->region, sp);
  wa__cur = t;
}

/* The next task of the tick, or NULL once it is over. A suspended one is
 * resumed by JS resolving its promise (its resolver is then spent); a new
 * one runs on a carrier. */
static inline wa__task *tick_on(void) {
  wa__task *n = wa__sched_next();
  if (n && n->ctx->started) n->ctx->waiting = 0;
  else if (!n && !wa__ready_head && idle_carriers >= CARRIERS_KEPT)
    wa__jspi_trim(CARRIERS_KEPT - 1); /* idle: give them back (the caller may park too) */
  return n;
}

/* For JS (wa__jspi_go, wa__jspi_suspend): the slot + 1 of a suspended task
 * to resume, else 0; and a new task to start on a new carrier, else NULL. */
static inline uint32_t resume_of(const wa__task *n) { return n && n->ctx->started ? n->ctx->slot + 1 : 0; }
static inline wa__task *start_of(wa__task *n) { return n && !n->ctx->started ? n : NULL; }

/* The end of t's run on a carrier, back on the JS stack: the canaries, the
 * NULL watch, then the core's bookkeeping (t may be freed). It may print,
 * so it has a stack frame: the carrier calls it through a pointer, which
 * neither LLVM nor Binaryen (whose inliner ignores noinline) can inline. */
static void task_returned(wa__task *t, int status) {
  wa__sched_ran(t, stack_task_returned(t, &t->ctx->region), status);
}

/* The body of every carrier's promising() call: runs t, a new task, then
 * every new task the tick hands it. When the tick resumes a suspended task
 * instead (it resolves that task's promise), or is over, the carrier waits
 * in the JS half's pool of idle carriers for a new task (wa__jspi_idle),
 * and ends when the pool lets it go (NULL). outer_sp is re-read at every
 * entry: a task that suspended comes back to its carrier from whichever JS
 * resumed it. */
static void (*volatile task_returned_ptr)(wa__task *, int) = task_returned;

void wa__jspi_carrier(wa__task *t) {
  while (t) {
    int status;
    t->ctx->started = 1;
    enter_task(t, t->ctx->region.hi);
    status = t->fn(t->arg);
    wa__cur = NULL;
    enter_outer();
    task_returned_ptr(t, status);
    t = tick_on();
    if (t && t->ctx->started) {
      wa__jspi_go(resume_of(t), NULL);
      t = NULL;
    }
    if (!t) {
      idle_carriers++;
      t = wa__jspi_idle();
      idle_carriers--;
    }
  }
}

/* The tick's start on the host's stack (wa__on_tick, a timer): a
 * suspended task is to be resumed, or a new one to start a carrier (which
 * carries the tick on). The host's JS does it when the callback returns,
 * from host_step (resume, start), read in memory: a host callback costs no
 * crossing more than under Asyncify. */
static uint32_t host_step[2];

void wa__ctx_run_tick(void) {
  wa__task *n = tick_on();
  host_step[0] = resume_of(n);
  host_step[1] = (uint32_t)(uintptr_t)start_of(n);
}

uint32_t *wa__jspi_host_step(void) { return host_step; }

/* An overflow found at suspend time: exits if it left the block, else ends
 * the task now (its carrier then suspends for good). Out of line: prints. */
static __attribute__((noinline)) void overflowed_at_suspend(wa__task *t) {
  wa__stack_overflow_at_suspend(t);
  wa__task_overflowed(t, "C stack", 0);
  wa__sched_ran(t, WA_EOVERFLOW, 0);
}

/* The next suspend is made from a JS import (WA_ASYNC_JS, a cwrap call):
 * it parks and returns; the import hands JSPI the promise to wait on. */
void wa__jspi_defer_next(int on) { defer_next = on; }

/* After a deferred park returned to the import, whose C frames are gone:
 * leaves the task's C stack for the JS one. No stack frame: it moves the
 * stack pointer. */
void wa__jspi_leave(void) { enter_outer(); }

/* Then, on the JS stack: hands the tick on (JS may start a carrier from
 * here). Returns the task that parked. */
wa__task *wa__jspi_parked(void) {
  wa__task *t = last_out, *n;
  stack_check_null(t);
  if (park_overflowed) {
    park_overflowed = 0;
    overflowed_at_suspend(t); /* its promise is never resolved */
  }
  n = tick_on();
  if (n) wa__jspi_go(resume_of(n), start_of(n));
  return t;
}

/* The await that suspended last could not (JSPI refused it: a JS frame
 * was in the way): names its task as the running one, for the fault
 * report. */
void wa__jspi_blame(void) { wa__cur = last_out; }

/* A deferred suspend was resumed: the JS import goes on in task t, its C
 * stack pointer back at sp (where the import was called). Returns t's
 * wake code. No stack frame: it moves the stack pointer. */
int wa__jspi_resumed(wa__task *t, uintptr_t sp) {
  enter_task(t, sp);
  return t->wake_code;
}

/* A task that ended through wa__task_exit (finished, on its own stack):
 * its carrier ends by an exception (wa__jspi_end_carrier throws), which
 * unwinds the engine stack, so that the engine frees it (one suspended for
 * good is never freed: V8 keeps the memory of a stack whose promise nobody
 * holds, about 4.6 KB each). It is thrown from the task's own C stack,
 * with t still the running task: frames built with wasm exceptions (C++
 * -fexceptions on this backend) run their cleanups on that stack as it
 * unwinds, as in a forced unwind. Until the exception has left the carrier
 * no task runs and t stays allocated; then the JS half puts the JS stack
 * pointer back and calls wa__jspi_exited. */
static wa__task *exited_task;

static _Noreturn void end_carrier(wa__task *t) {
  exited_task = t;
  wa__jspi_end_carrier();
  __builtin_unreachable();
}

/* After the exception that ended an exited task's carrier: the JS half
 * has put the scheduler's stack limits and the JS stack pointer back. The
 * core frees the task (if detached; else its joiner does) and the tick
 * goes on as after a host callback (host_step). */
void wa__jspi_exited(void) {
  wa__task *t = exited_task;
  exited_task = NULL;
  wa__cur = NULL;
  if (t) {
    stack_check_null(t);
    wa__sched_ran(t, 0, 0);
  }
  wa__ctx_run_tick();
}

__attribute__((noinline)) int wa__ctx_switch_out(wa__task *t, wa__prepare_fn prepare) {
  struct wa__ctx *c;
  int overflowed = 0, defer = defer_next;
  uint32_t slot;
  wa__task *n;
  defer_next = 0;
  if (t && !stack_canaries_intact(&t->ctx->region)) {
    overflowed = 1;
  } else if (prepare) {
    int rc = prepare(t);
    if (rc != WA__SUSPEND) return rc;
    if (t->state == WA__DONE) end_carrier(t); /* wa__task_exit */
  }
  c = t->ctx;
  c->region.sp = wa__sp_get();
  stack_note_used(&c->region, c->region.hi - c->region.sp);
  wa__cur = NULL; /* between hand-offs no task runs */
  last_out = t;
  if (defer) {
    /* The C frames up to the import return on the task's stack; the
     * import then leaves it and hands the tick on (wa__jspi_leave). */
    c->waiting = 1;
    park_overflowed = overflowed;
    wa__jspi_park(c->slot);
    return 0; /* ignored: the JS import returns the promise */
  }
  enter_outer();
  stack_check_null(t);
  slot = c->slot;
  if (overflowed) {
    overflowed_at_suspend(t); /* t may be freed, c with it */
    slot = NO_SLOT;
  } else {
    c->waiting = 1;
  }
  n = tick_on();
  wa__jspi_suspend(slot, resume_of(n), start_of(n));
  /* Resumed by the tick (never, after an overflow). */
  enter_task(t, c->region.sp);
  return t->wake_code;
}

/* The host saw the running task trap with the stack pointer at sp. If sp
 * left its region, its C stack overflowed into memory below its block,
 * where static data lives (stdio's state, even the format strings):
 * nothing here reads it, and the host prints the report. The task sits
 * above its block and is intact. Returns NULL if the trap was something
 * else, else four words written into the task's dead stack: id, name,
 * stack size, and 1 if it is the main task (whose stack comes from
 * `--stack-size`). Has no stack frame: sp may be anywhere. */
uint32_t *wa__jspi_trapped(uintptr_t sp) {
  wa__task *t = wa__cur;
  const wa__stack_region *r;
  uint32_t *out;
  if (!t || !t->ctx) return NULL;
  r = &t->ctx->region;
  out = (uint32_t *)r->lo;
  if (stack_region_holds(r, sp)) return NULL;
  out[0] = t->id;
  out[1] = (uint32_t)(uintptr_t)t->name;
  out[2] = (uint32_t)(r->hi - r->lo);
  out[3] = t->is_main;
  return out;
}

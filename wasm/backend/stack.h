/* stack.h — a task's C stack region, shared by both wasm backends
 * (asyncify.c, jspi.c), the C half of stack.js: the region's layout, its
 * overflow checks and recovery, and the switch of the stack pointer and
 * the checker's limits between the JS/scheduler stack and a task's.
 *
 * A task's region is [lo, hi): its C stack grows down from hi to limit;
 * below limit a reserve is kept (Asyncify saves a suspended task's frames
 * there, growing up from lo; under JSPI it is room for the frames a
 * suspend itself needs). The checks come in two kinds:
 *  - builds with STACK_OVERFLOW_CHECK=2 (all but --no-stack-check) check
 *    every function that moves the stack pointer against the running
 *    task's limits, switched with every task (stack_enter, stack_leave):
 *    no frame can reach below limit, so those builds keep no canaries
 *    (they would only cost two cache lines per task and two loads per
 *    suspend); an overflow throws in JS, and wa__backend_recover (stack.c)
 *    ends the task;
 *  - --no-stack-check builds keep two canaries, checked when the task
 *    suspends and when its function returns: the bottom one at lo, the
 *    limit one just below limit. If only the limit canary is damaged the
 *    overflow stayed inside the task's own region and the task ends with
 *    WA_EOVERFLOW; if the bottom one is, memory below the region may have
 *    been overwritten and the program exits (FATAL_EXIT).
 *
 * What a backend implements itself: its ctx (embedding a wa__stack_region),
 * where the region's memory comes from, how a task is suspended and
 * resumed, and the two hooks below that stack.c calls. Everything inline
 * here is plain loads, stores and at most one indirect call: asyncify.c
 * uses it in a suspend primitive that must have no stack frame. */
#ifndef WA_BACKEND_STACK_H
#define WA_BACKEND_STACK_H

#include <stddef.h>
#include <stdint.h>
#include "internal.h"

/* A task's C stack region and what a suspend records about it. */
typedef struct wa__stack_region {
  uintptr_t lo, hi;  /* [lo, hi); the bottom canary is at lo */
  uintptr_t limit;   /* lowest stack pointer the C stack may reach */
  uintptr_t sp;      /* saved stack pointer while suspended; hi before the start */
  size_t used;       /* the most of the region used at a suspend (wa_task_stack_used) */
} wa__stack_region;

/* ---- what a backend provides to stack.c ------------------------------------ */

/* The region of t's ctx (t->ctx is not NULL). */
wa__stack_region *wa__ctx_region(const wa__task *t);
/* An exception escaped the running task, maybe in the middle of a switch:
 * forget any switch in progress (wa__backend_recover calls it first). */
void wa__ctx_forget_switch(void);

/* The C stack pointer, read and set in wasm (sp.S): no JS import. */
extern uintptr_t wa__sp_get(void);
extern void wa__sp_set(uintptr_t sp);

/* ---- the checker's limits and the canaries (stack.c) ------------------------ */

/* __set_stack_limits from STACK_OVERFLOW_CHECK=2, put in the table by the
 * JS host at start-up (wa__backend_set_limits_fn); NULL in
 * --no-stack-check builds. */
extern void (*wa__stack_set_limits)(uintptr_t base, uintptr_t end);
/* The scheduler's own stack limits, read at start-up. */
extern uintptr_t wa__stack_main_base, wa__stack_main_end;
/* 1 unless every function is checked. */
extern int wa__stack_canaries;

#define CANARY_BYTES 8u
/* The status the program exits with when memory outside a task's region
 * was overwritten. */
#define FATAL_EXIT 70
/* Bytes below limit the C stack may not use, at most: a quarter of a small
 * region (see the top of this file). */
#define STACK_RESERVE_MAX 1024u

/* One word: checking a canary is one load and compare, restoring it one
 * store (they run on every suspend). A stray write matches it by chance
 * once in 2^64. */
#define CANARY_WORD 0x7973617766656564ull /* "deefwasy" */

static inline void set_canary(uintptr_t at) {
  volatile uint64_t *p = (volatile uint64_t *)at;
  *p = CANARY_WORD;
}

static inline int canary_ok(uintptr_t at) {
  const volatile uint64_t *p = (const volatile uint64_t *)at;
  return *p == CANARY_WORD;
}

/* Where r's limit canary sits: just below limit. */
static inline uintptr_t limit_canary_at(const wa__stack_region *r) { return r->limit - CANARY_BYTES; }

/* Lays r out over the size bytes at base (16-byte aligned, size a
 * multiple of 16: stack_region_bytes), in the state no task has run in. */
static inline void stack_region_init(wa__stack_region *r, uintptr_t base, size_t size) {
  size_t reserve = size / 4 < STACK_RESERVE_MAX ? size / 4 : STACK_RESERVE_MAX;
  if (reserve < 2 * CANARY_BYTES) reserve = 2 * CANARY_BYTES;
  r->lo = base;
  r->hi = base + size;
  r->limit = base + reserve;
}

/* A region's bytes for a stack_size (rounded up to 16), or 0 if that
 * would wrap (never for a size the core accepts: WA_STACK_MAX). */
static inline size_t stack_region_bytes(size_t stack_size) {
  return stack_size > SIZE_MAX / 2 ? 0 : (stack_size + 15u) & ~(size_t)15u;
}

/* Puts r back in the state no task has run in: its canaries written (in
 * builds that keep them), nothing used, the stack pointer at the top. */
static inline void stack_region_reset(wa__stack_region *r) {
  r->sp = r->hi;
  r->used = 0;
  if (!wa__stack_canaries) return;
  set_canary(r->lo);
  set_canary(limit_canary_at(r));
}

/* 1 if sp lies in r (its top included). */
static inline int stack_region_holds(const wa__stack_region *r, uintptr_t sp) { return sp >= r->lo && sp <= r->hi; }

/* Records that a suspend found this many bytes of r in use. */
static inline void stack_note_used(wa__stack_region *r, size_t used) {
  if (used > r->used) r->used = used;
}

/* Writes the limit canary again, after Asyncify's save area (which grows
 * up from lo) may have covered it. */
static inline void stack_restore_limit_canary(const wa__stack_region *r) {
  if (wa__stack_canaries) set_canary(limit_canary_at(r));
}

/* 1 if both canaries are intact (always, in builds without them). */
static inline int stack_canaries_intact(const wa__stack_region *r) {
  return !wa__stack_canaries || (canary_ok(r->lo) && canary_ok(limit_canary_at(r)));
}

/* 0 if r's canaries are intact (always, in builds without them), 1 if an
 * overflow stayed in the region, 2 if it left it. */
static inline int stack_damage(const wa__stack_region *r) {
  if (!wa__stack_canaries) return 0;
  if (!canary_ok(r->lo)) return 2;
  if (!canary_ok(limit_canary_at(r))) return 1;
  return 0;
}

/* Names t as overflowed (which: "C stack", …) and exits with FATAL_EXIT:
 * memory below its region was overwritten. */
_Noreturn void wa__stack_fatal(wa__task *t, const char *which);

/* A damaged canary found when t suspends: exits if the overflow left its
 * region, else ends t's wait (wa__unpark) if it had parked; the backend
 * then never resumes t, and reports it (wa__task_overflowed). Out of line:
 * it may print. */
void wa__stack_overflow_at_suspend(wa__task *t);

/* Debug builds: exits naming t if the memory a write through NULL hits
 * changed while t ran (stack.c); nothing in other builds. Called after
 * every slice a task runs. */
void wa__stack_check_null(const wa__task *t);
static inline void stack_check_null(const wa__task *t) {
#if WA_DEBUG
  wa__stack_check_null(t);
#else
  (void)t;
#endif
}

/* t's function has returned on its region r, and the stack is the
 * scheduler's (or JS's) again: the NULL watch, then the canaries. Returns
 * 1 (t's run ended well), or WA_EOVERFLOW after reporting the overflow;
 * exits if it left the region. What wa__ctx_run returns for it. */
static inline int stack_task_returned(wa__task *t, const wa__stack_region *r) {
  stack_check_null(t);
  switch (stack_damage(r)) {
    case 2: wa__stack_fatal(t, "C stack");
    case 1: wa__task_overflowed(t, "C stack", 0); return WA_EOVERFLOW;
    default: return 1;
  }
}

/* ---- switching the stack pointer -------------------------------------------- */

/* AddressSanitizer's fiber interface, present only in links with
 * -fsanitize=address (weak: NULL elsewhere; the runtime itself is never
 * built with a sanitizer). */
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size) __attribute__((weak));
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old) __attribute__((weak));

/* Tells ASan, if linked, that the C stack is now [bottom, top): without it
 * ASan takes a task's frames for memory outside any stack, and every
 * longjmp or C++ throw in a task prints "ASan is ignoring requested
 * __asan_handle_no_return" and warns of false positives. Both calls are
 * made at once, at the switch: with no fake stack (ASan's
 * detect_stack_use_after_return is off in Emscripten) the pair only swaps
 * the recorded bounds. Out of line, through a pointer no inliner sees
 * through, and with no stack frame (stack.c): inlined, its out-parameters
 * gave a frame to jspi.c's switch functions, which must have none. */
extern void (*volatile wa__stack_tell_asan)(uintptr_t bottom, uintptr_t top);
static inline void stack_tell_asan(uintptr_t bottom, uintptr_t top) {
  if (__sanitizer_start_switch_fiber) wa__stack_tell_asan(bottom, top);
}

/* Switches the checker's limits (and ASan's bounds) to region r, the first
 * half of entering it: with STACK_OVERFLOW_CHECK=2 even wa__sp_set() is
 * checked against the current limits, so the limits are switched first,
 * then the stack pointer. Only the checker's limits are switched:
 * Emscripten's own (read by emscripten_stack_get_free() and friends) keep
 * describing the scheduler's stack, which nothing in the runtime relies
 * on, and it saves two calls per switch. */
static inline void stack_enter_limits(const wa__stack_region *r) {
  if (wa__stack_set_limits) wa__stack_set_limits(r->hi, r->limit);
  stack_tell_asan(r->limit, r->hi);
}

/* Enters region r at stack pointer sp: its limits, then the stack pointer. */
static inline void stack_enter(const wa__stack_region *r, uintptr_t sp) {
  stack_enter_limits(r);
  wa__sp_set(sp);
}

/* Leaves a task's region for the scheduler's (or JS's) stack, at sp. */
static inline void stack_leave(uintptr_t sp) {
  if (wa__stack_set_limits) wa__stack_set_limits(wa__stack_main_base, wa__stack_main_end);
  stack_tell_asan(wa__stack_main_end, wa__stack_main_base);
  wa__sp_set(sp);
}

/* ---- stack regions carved from slabs (stack.c) ----------------------------
 * A malloc'd stack block has the allocator's header written at its start,
 * so every task's block costs at least one resident page even where its
 * stack is never written (a JSPI task keeps its frames on the engine's
 * stack; its C stack is often untouched). A region here is one of up to 32
 * of the same size in one malloc'd slab: no header in it, and memory nobody
 * wrote stays uncommitted. jspi.c keeps its ctx apart, in a small block of
 * its own. Regions are 16-byte aligned; *slab is the handle to free with.
 * alloc returns NULL on ENOMEM; free gives the slab back to malloc once all
 * its regions are free. */
void *wa__stack_region_alloc(size_t size, void **slab);
void wa__stack_region_free(void *region, void *slab);

#endif /* WA_BACKEND_STACK_H */

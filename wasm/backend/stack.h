/* stack.h — what both wasm backends (asyncify.c, jspi.c) share about a
 * task's C stack, the C half of stack.js: the per-function checker's
 * limits, switched with every task, and the canaries that builds without
 * that check keep instead (canary.h).
 *
 * Builds with STACK_OVERFLOW_CHECK=2 (all but --no-stack-check) check every
 * function that moves the stack pointer against the running task's limits:
 * no frame can reach below a task's limit, so those builds keep no
 * canaries (they would only cost two cache lines per task and two loads
 * per suspend). Everything here is inlined loads, stores and at most one
 * indirect call: asyncify.c uses it in a suspend primitive that must have
 * no stack frame. */
#ifndef WA_BACKEND_STACK_H
#define WA_BACKEND_STACK_H

#include <stddef.h>
#include <stdint.h>
#include "canary.h"

/* __set_stack_limits from STACK_OVERFLOW_CHECK=2, put in the table by the
 * JS host at start-up (wa__backend_set_limits_fn); NULL in
 * --no-stack-check builds. */
extern void (*wa__stack_set_limits)(uintptr_t base, uintptr_t end);
/* The scheduler's own stack limits, read at start-up. */
extern uintptr_t wa__stack_main_base, wa__stack_main_end;
/* 1 unless every function is checked. */
extern int wa__stack_canaries;

/* Debug builds: exits naming t if the memory a write through NULL hits
 * changed while t ran (stack.c); nothing in other builds. Called after
 * every slice a task runs. */
struct wa__task;
void wa__stack_check_null(const struct wa__task *t);
static inline void stack_check_null(const struct wa__task *t) {
#if WA_DEBUG
  wa__stack_check_null(t);
#else
  (void)t;
#endif
}

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

/* With STACK_OVERFLOW_CHECK=2 even wa__sp_set() is checked against the
 * current limits: switch the limits first, then the stack pointer. Only
 * the checker's limits are switched: Emscripten's own (read by
 * emscripten_stack_get_free() and friends) keep describing the scheduler's
 * stack, which nothing in the runtime relies on, and it saves two calls
 * per switch. */
static inline void stack_limits_for_task(uintptr_t hi, uintptr_t limit) {
  if (wa__stack_set_limits) wa__stack_set_limits(hi, limit);
  stack_tell_asan(limit, hi);
}

static inline void stack_limits_for_scheduler(void) {
  if (wa__stack_set_limits) wa__stack_set_limits(wa__stack_main_base, wa__stack_main_end);
  stack_tell_asan(wa__stack_main_end, wa__stack_main_base);
}

/* The canaries of the region [lo, …) whose C stack budget ends at limit. */
static inline void stack_write_canaries(uintptr_t lo, uintptr_t limit) {
  if (!wa__stack_canaries) return;
  set_canary(lo);
  set_canary(limit_canary_at(limit));
}

/* Writes the limit canary again, after Asyncify's save area (which grows
 * up from lo) may have covered it. */
static inline void stack_restore_limit_canary(uintptr_t limit) {
  if (wa__stack_canaries) set_canary(limit_canary_at(limit));
}

/* 1 if both canaries are intact (always, in builds without them). */
static inline int stack_canaries_intact(uintptr_t lo, uintptr_t limit) {
  return !wa__stack_canaries || (canary_ok(lo) && canary_ok(limit_canary_at(limit)));
}

/* region_damage (canary.h), 0 in builds without canaries. */
static inline int stack_damage(uintptr_t lo, uintptr_t limit) {
  return wa__stack_canaries ? region_damage(lo, limit) : 0;
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

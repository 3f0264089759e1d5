/* canary.h — the stack canaries both wasm backends (asyncify.c, jspi.c)
 * keep in a task's block, and what a damaged one means.
 *
 * A task's region is [lo, hi): the bottom canary sits at lo, the limit
 * canary just below `limit`, where the C stack's budget ends. If only the
 * limit canary is damaged, an overflow stayed inside the task's own region
 * and the task can end with WA_EOVERFLOW; if the bottom one is, memory
 * below the block may have been overwritten and the program must exit.
 * Everything here is plain loads and stores, inlined: asyncify.c checks
 * canaries in its suspend primitive, which must have no stack frame. */
#ifndef WA_BACKEND_CANARY_H
#define WA_BACKEND_CANARY_H

#include <stdint.h>
#include <stdlib.h>
#include "../internal.h"

#define CANARY_BYTES 16u
#define FATAL_EXIT 70

/* Two words, so checking and restoring a canary are a few loads and stores. */
#define CANARY_A 0x7973617766656564ull /* "deefwasy" */
#define CANARY_B 0xa55a0df0fecac36eull

static inline void set_canary(uintptr_t at) {
  volatile uint64_t *p = (volatile uint64_t *)at;
  p[0] = CANARY_A;
  p[1] = CANARY_B;
}

static inline int canary_ok(uintptr_t at) {
  const volatile uint64_t *p = (const volatile uint64_t *)at;
  return p[0] == CANARY_A && p[1] == CANARY_B;
}

/* 0 if both canaries of the region [lo, …) with budget end `limit` are
 * intact, 1 if the overflow stayed in the region, 2 if it left it. */
static inline int region_damage(uintptr_t lo, uintptr_t limit) {
  if (!canary_ok(lo)) return 2;
  if (!canary_ok(limit - CANARY_BYTES)) return 1;
  return 0;
}

/* Names t as overflowed and exits: memory below its block was overwritten. */
static inline void fatal_overflow(wa__task *t, const char *which) {
  wa__task_overflowed(t, which, 0);
  wa__report("fatal: memory below task %u's stack was overwritten; exiting", t->id);
  exit(FATAL_EXIT);
}

#endif /* WA_BACKEND_CANARY_H */

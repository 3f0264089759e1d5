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
#include "internal.h"

#define CANARY_BYTES 8u
#define FATAL_EXIT 70

/* One word: checking a canary is one load and compare, restoring it one
 * store (they run on every suspend). A stray write matches it by chance
 * once in 2^64. */
#define CANARY_WORD 0x7973617766656564ull /* "deefwasy" */

/* Where the limit canary of a region whose C stack budget ends at limit sits. */
static inline uintptr_t limit_canary_at(uintptr_t limit) { return limit - CANARY_BYTES; }

static inline void set_canary(uintptr_t at) {
  volatile uint64_t *p = (volatile uint64_t *)at;
  *p = CANARY_WORD;
}

static inline int canary_ok(uintptr_t at) {
  const volatile uint64_t *p = (const volatile uint64_t *)at;
  return *p == CANARY_WORD;
}

/* 0 if both canaries of the region [lo, …) with budget end `limit` are
 * intact, 1 if the overflow stayed in the region, 2 if it left it. */
static inline int region_damage(uintptr_t lo, uintptr_t limit) {
  if (!canary_ok(lo)) return 2;
  if (!canary_ok(limit_canary_at(limit))) return 1;
  return 0;
}

/* Names t as overflowed and exits: memory below its block was overwritten. */
static inline void fatal_overflow(wa__task *t, const char *which) {
  wa__task_overflowed(t, which, 0);
  wa__report("fatal: memory below task %u's stack was overwritten; exiting", t->id);
  exit(FATAL_EXIT);
}

#endif /* WA_BACKEND_CANARY_H */

/* Soak: long runs leave memory and tables flat after warm-up. */
#define _DEFAULT_SOURCE 1 /* sbrk() under -std=c11 */
#include <unistd.h>
#include "task.h"
#include "../../src/internal.h"

static int leaf(void *arg) { return (int)(intptr_t)arg & 1; }

static size_t heap_top(void) {
#ifdef __EMSCRIPTEN__
  return (size_t)sbrk(0); /* wasm: the end of the heap, i.e. memory in use */
#else
  return 0; /* natively ASan owns the allocator; ASan itself checks leaks */
#endif
}

#ifdef __EMSCRIPTEN__
#define SOAK_CYCLES 1000000
#else
#define SOAK_CYCLES 200000 /* each native task mmaps a stack: slower */
#endif

/* Spawn/join in waves of 64 (so tasks overlap and slots are reused in
 * varied orders); memory and handle slots must not grow after warm-up. */
TEST_IMPL(soak_spawn_join_leaves_memory_flat) {
  enum { WAVE = 64 };
  wa_task *ts[WAVE];
  size_t warm_heap = 0;
  uint32_t warm_slots = 0;
  for (long done = 0; done < SOAK_CYCLES; done += WAVE) {
    for (int i = 0; i < WAVE; i++) ASSERT((ts[i] = wa_spawn(leaf, (void *)(intptr_t)i)) != NULL);
    for (int i = WAVE - 1; i >= 0; i--) ASSERT_EQ(wa_join(ts[i]), i & 1);
    if (done == 10 * WAVE) {
      warm_heap = heap_top();
      warm_slots = wa__task_slots();
    }
  }
  printf("soak: %d cycles, heap %zu -> %zu bytes, slots %u -> %u\n", SOAK_CYCLES, warm_heap,
         heap_top(), warm_slots, wa__task_slots());
  ASSERT_EQ(heap_top(), warm_heap);
  ASSERT_EQ(wa__task_slots(), warm_slots);
  ASSERT_EQ(wa_task_count(), 1);
  return 0;
}

static int yield_once(void *arg) {
  (void)arg;
  return wa_yield();
}

/* The cache of finished tasks (task.c) may grow past WA__TASK_CACHE_FLOOR
 * while a burst of tasks comes and goes, but once the scheduler has been
 * idle it holds nothing. Natively under ASan it stays empty:
 * finished stacks are unmapped so that stale pointers into them fault. */
TEST_IMPL(task_cache_is_trimmed_when_the_scheduler_goes_idle) {
  enum { WAVE = 2000, WAVES = 50 }; /* 100 000 tasks, 2000 alive at once */
  static wa_task *ts[WAVE];
  wa_task_opts o = {"burst", WA_STACK_MIN};
  size_t most = 0;
  for (int w = 0; w < WAVES; w++) {
    for (int i = 0; i < WAVE; i++) ASSERT((ts[i] = wa_spawn_opts(yield_once, NULL, &o)) != NULL);
    ASSERT_EQ(wa_join_all(ts, WAVE), 0);
    if (wa__task_cache_bytes() > most) most = wa__task_cache_bytes();
  }
#ifdef __EMSCRIPTEN__
  ASSERT_GT(most, WA__TASK_CACHE_FLOOR); /* it did hold the burst's blocks */
#endif
  ASSERT_EQ(wa_sleep(2), 0); /* no task ready: the tick ends idle */
  printf("task cache: %zu bytes at most during the burst, %zu after idle\n", most, wa__task_cache_bytes());
  ASSERT_EQ(wa__task_cache_bytes(), 0);
  return 0;
}

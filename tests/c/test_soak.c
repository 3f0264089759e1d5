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

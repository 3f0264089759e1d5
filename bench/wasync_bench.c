/* wasync_bench.c — wasync side of `make bench` (driven by bench/run.mjs).
 *
 *   switch <switches> <reps>   two tasks ping-pong with wa_yield(); prints one
 *                              "BENCH {json}" line per repetition (ns/switch)
 *   sleepers <n> <sleep_ms>    n tasks with the default stack asleep at once;
 *                              prints heap growth per task, then cancels and
 *                              joins them all
 *
 * A "switch" is one wa_yield() that hands the CPU to the other task; both
 * tasks yield switches/2 times.
 */
#define _DEFAULT_SOURCE 1 /* sbrk() under -std=c11 */
#include <emscripten.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasync.h"

static double now_ms(void) { return emscripten_get_now(); } /* sub-ms (performance.now) */

/* ---- switch ping-pong ---------------------------------------------------- */

static long g_iters;

static int yielder(void *arg) {
  (void)arg;
  for (long i = 0; i < g_iters; i++) {
    int rc = wa_yield();
    if (rc) return rc;
  }
  return 0;
}

static int bench_switch(long switches, int reps) {
  g_iters = switches / 2;
  for (int r = -1; r < reps; r++) { /* r == -1: warm-up, not reported */
    wa_task *ts[2];
    ts[0] = wa_spawn(yielder, NULL);
    ts[1] = wa_spawn(yielder, NULL);
    if (!ts[0] || !ts[1]) { fprintf(stderr, "spawn failed\n"); return 1; }
    double t0 = now_ms();
    int rc = wa_join_all(ts, 2);
    double t1 = now_ms();
    if (rc) { fprintf(stderr, "join: %s\n", wa_strerror(rc)); return 1; }
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"switches\":%ld,\"ms\":%.3f,\"ns_per_switch\":%.2f}\n", r,
             g_iters * 2, t1 - t0, (t1 - t0) * 1e6 / (double)(g_iters * 2));
      fflush(stdout);
    }
  }
  return 0;
}

/* ---- sleepers -------------------------------------------------------------- */

static long g_asleep;
static int64_t g_sleep_ms;

static int sleeper(void *arg) {
  (void)arg;
  g_asleep++;
  int rc = wa_sleep(g_sleep_ms);
  g_asleep--;
  return rc == WA_ECANCELED ? 0 : rc;
}

static size_t heap_top(void) { return (size_t)sbrk(0); }
static size_t mem_size(void) { return __builtin_wasm_memory_size(0) * 65536u; }
static size_t in_use(void) { return (size_t)mallinfo().uordblks; }

static int bench_sleepers(long n, int64_t sleep_ms) {
  g_sleep_ms = sleep_ms;
  wa_task **ts = malloc((size_t)n * sizeof *ts);
  if (!ts) { fprintf(stderr, "out of memory\n"); return 1; }
  memset(ts, 0, (size_t)n * sizeof *ts); /* touch it before the baseline */
  size_t top0 = heap_top(), mem0 = mem_size(), use0 = in_use();
  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    if (!(ts[i] = wa_spawn(sleeper, NULL))) { fprintf(stderr, "spawn %ld failed\n", i); return 1; }
  }
  double t1 = now_ms();
  while (g_asleep < n) { /* let every task start and reach wa_sleep */
    int rc = wa_yield();
    if (rc) { fprintf(stderr, "yield: %s\n", wa_strerror(rc)); return 1; }
  }
  double t2 = now_ms();
  size_t top1 = heap_top(), mem1 = mem_size(), use1 = in_use();
  int tasks = wa_task_count();
  for (long i = 0; i < n; i++) wa_cancel(ts[i]);
  int rc = wa_join_all(ts, (int)n);
  double t3 = now_ms();
  free(ts);
  if (rc) { fprintf(stderr, "join_all: %s\n", wa_strerror(rc)); return 1; }
  if (g_asleep != 0) { fprintf(stderr, "%ld tasks still asleep\n", g_asleep); return 1; }
  printf("BENCH {\"tasks\":%ld,\"live_tasks\":%d,\"stack_default\":%zu,"
         "\"sbrk_bytes\":%zu,\"mem_bytes\":%zu,\"malloc_bytes\":%zu,"
         "\"sbrk_per_task\":%.1f,\"mem_per_task\":%.1f,\"malloc_per_task\":%.1f,"
         "\"spawn_ms\":%.1f,\"start_ms\":%.1f,\"cancel_join_ms\":%.1f}\n",
         n, tasks, WA_STACK_DEFAULT, top1 - top0, mem1 - mem0, use1 - use0,
         (double)(top1 - top0) / (double)n, (double)(mem1 - mem0) / (double)n,
         (double)(use1 - use0) / (double)n, t1 - t0, t2 - t1, t3 - t2);
  fflush(stdout);
  return 0;
}

int wa_main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "switch") == 0) return bench_switch(atol(argv[2]), atoi(argv[3]));
  if (argc >= 4 && strcmp(argv[1], "sleepers") == 0) return bench_sleepers(atol(argv[2]), atoll(argv[3]));
  fprintf(stderr, "usage: wasync_bench switch <switches> <reps> | sleepers <n> <sleep_ms>\n");
  return 2;
}

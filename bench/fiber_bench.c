/* fiber_bench.c — emscripten_fiber_swap ping-pong, the peer of wasync's
 * wa_yield ping-pong (built with plain `emcc -O2 -sASYNCIFY`, see
 * driver.mjs).
 * Usage: main(switches, reps, depth); prints one "BENCH {json}" line per
 * repetition. A "switch" is one emscripten_fiber_swap(); main and the worker
 * fiber each swap switches/2 times, each `depth` frames below where it
 * starts (main: below main(); the worker: below its entry function), as in
 * wasync_bench.c's switch mode. */
#include <emscripten.h>
#include <emscripten/fiber.h>
#include <stdio.h>
#include <stdlib.h>

#define STACK 16384

static emscripten_fiber_t main_fiber, worker_fiber;
static char main_astack[STACK];
static char worker_cstack[STACK] __attribute__((aligned(16)));
static char worker_astack[STACK];
static long g_iters;
static int g_reps, g_depth;
static volatile int g_sink; /* work after each recursive call: no tail calls */

static void worker_loop(void) {
  for (;;) emscripten_fiber_swap(&worker_fiber, &main_fiber);
}

static void main_loop(void) {
  for (int r = -1; r < g_reps; r++) { /* r == -1: warm-up, not reported */
    double t0 = emscripten_get_now();
    for (long i = 0; i < g_iters; i++) emscripten_fiber_swap(&main_fiber, &worker_fiber);
    double t1 = emscripten_get_now();
    if (r >= 0) {
      printf("BENCH {\"rep\":%d,\"depth\":%d,\"switches\":%ld,\"ms\":%.3f,\"ns_per_switch\":%.2f}\n", r,
             g_depth, g_iters * 2, t1 - t0, (t1 - t0) * 1e6 / (double)(g_iters * 2));
      fflush(stdout);
    }
  }
}

/* depth frames, then loop(). */
static __attribute__((noinline)) void descend(int depth, void (*loop)(void)) {
  if (depth == 0) {
    loop();
    return;
  }
  descend(depth - 1, loop);
  g_sink += depth;
}

static void worker(void *arg) {
  (void)arg;
  if (g_depth == 0) worker_loop();
  descend(g_depth - 1, worker_loop);
}

int main(int argc, char **argv) {
  long switches = argc > 1 ? atol(argv[1]) : 2000000;
  g_reps = argc > 2 ? atoi(argv[2]) : 5;
  g_depth = argc > 3 ? atoi(argv[3]) : 0;
  g_iters = switches / 2;
  emscripten_fiber_init_from_current_context(&main_fiber, main_astack, sizeof main_astack);
  emscripten_fiber_init(&worker_fiber, worker, NULL, worker_cstack, sizeof worker_cstack,
                        worker_astack, sizeof worker_astack);
  emscripten_fiber_swap(&main_fiber, &worker_fiber); /* start the worker */
  if (g_depth == 0) main_loop();
  else descend(g_depth - 1, main_loop);
  return 0;
}
